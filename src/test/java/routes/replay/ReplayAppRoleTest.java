package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.consumeAll;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;

import com.azure.storage.blob.BlobContainerClient;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;
import routes.testkit.WireMockServers;

/** The replay command with the app role of docs/production.md (no DDL rights, flowledger.db.migrate=off). */
@ExtendWith({AzuriteServer.class, KafkaServer.class, PostgresServer.class})
class ReplayAppRoleTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @Test
    void the_app_role_replays_a_day_into_kafka_and_records_it(@TempDir Path tmp) throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        BlobContainerClient container = ReplayTestSupport.newContainer();
        String topic = ReplayTestSupport.newTopic();
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching("/druid/indexer/v1/datasources/.*/markUnused"))
                .willReturn(okJson("{\"numChangedSegments\":0}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 20), true));
        put(container, "unique/2019-12-01-a.json", ndjson(lines("2019-12-01", 7, 3), false));

        Path config = ReplayTestSupport.properties(tmp, db.asApp(Map.of(
                "flowledger.kafka.brokers", KafkaServer.bootstrapServers(),
                "flowledger.azure.connection-string", AzuriteServer.connectionString(),
                "flowledger.druid.url", WireMockServers.url(http),
                "flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook",
                "flowledger.replay.lease", "PT2S",
                "flowledger.replay.delivery-timeout", "PT5S",
                "flowledger.replay.progress-interval", "PT0.5S")));
        int exit = ReplayTestSupport.replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01",
                "--topic", topic, "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isZero();
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(20).doesNotHaveDuplicates();
        assertThat(ReplayTestSupport.names(container, "unique/")).isEmpty();
        List<Map<String, Object>> days = ReplayTestSupport.rows(db.url, LeastPrivilegeDb.APP,
                LeastPrivilegeDb.password(LeastPrivilegeDb.APP), "SELECT status, records FROM replay_days");
        assertThat(days).singleElement().satisfies(d -> {
            assertThat(d).containsEntry("status", "SUCCEEDED");
            assertThat(((Number) d.get("records")).intValue()).isEqualTo(20);
        });
    }
}
