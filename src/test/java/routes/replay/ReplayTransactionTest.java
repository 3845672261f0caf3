package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static routes.replay.ReplayTestSupport.consumeAll;
import static routes.replay.ReplayTestSupport.consumeUncommitted;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;
import static routes.replay.ReplayTestSupport.rows;
import static routes.replay.ReplayTestSupport.snapshot;

import com.azure.storage.blob.BlobContainerClient;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.sandbox.KafkaSandbox;
import routes.testkit.AzuriteServer;
import routes.testkit.WireMockServers;

/**
 * A day is all or nothing in Kafka: the broker dies while a day is being produced, the day fails and is restored;
 * the broker comes back and a later day is replayed. A read_committed consumer sees none of the failed day (though
 * part of it reached the broker's log) and every record of the later one.
 */
@ExtendWith(AzuriteServer.class)
class ReplayTransactionTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    static final int FAILED_DAY = 400_000;
    static final int LATER_DAY = 5_000;

    @TempDir
    Path tmp;

    @Test
    void a_day_cut_off_by_a_broker_crash_is_invisible_to_read_committed_and_a_later_day_is_seen_whole() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching(".*/markUnused")).willReturn(okJson("{\"numChangedSegments\":0}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        BlobContainerClient container = ReplayTestSupport.newContainer();
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, FAILED_DAY), true));
        put(container, "raw/2019-12-05-00.json.gz", ndjson(lines("2019-12-05", 0, LATER_DAY), true));
        for (String day : List.of("2019-12-01", "2019-12-05")) {
            put(container, "unique/" + day + "-a.json", ndjson(lines(day, 7, 4), false));
        }
        Map<String, String> failedDayDownstream = snapshot(container, "unique/2019-12-01");
        String dbUrl = ReplayTestSupport.newH2Url();
        String topic = ReplayTestSupport.newTopic();

        try (KafkaSandbox kafka = KafkaSandbox.start()) {
            Map<String, String> s = new HashMap<>();
            s.put("flowledger.db.url", dbUrl);
            s.put("flowledger.kafka.brokers", kafka.bootstrapServers());
            s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
            s.put("flowledger.druid.url", WireMockServers.url(http));
            s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
            s.put("flowledger.replay.delivery-timeout", "PT5S");
            s.put("flowledger.replay.progress-interval", "PT0.1S");
            Path config = ReplayTestSupport.properties(tmp, s);
            String bucket = container.getBlobContainerName();

            CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> ReplayTestSupport.replay(config,
                    "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic, "--bucket", bucket,
                    "--prefix", "raw"));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
                var d = rows(dbUrl, "sa", "", "SELECT status, records FROM replay_days");
                return "REPLAY".equals(d.get(0).get("status")) && ((Number) d.get(0).get("records")).longValue() >= 20_000;
            });
            kafka.stop();
            assertThat(first.get(120, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(rows(dbUrl, "sa", "", "SELECT status, failed_stage FROM replay_days").get(0))
                    .containsEntry("status", "FAILED").containsEntry("failed_stage", "REPLAY");
            assertThat(snapshot(container, "unique/2019-12-01")).as("restored").isEqualTo(failedDayDownstream);

            kafka.restart();
            int later = ReplayTestSupport.replay(config, "--start-date", "2019-12-05", "--end-date", "2019-12-05",
                    "--topic", topic, "--bucket", bucket, "--prefix", "raw");

            assertThat(later).isZero();
            List<String> committed = consumeAll(kafka.bootstrapServers(), topic);
            assertThat(committed).noneMatch(r -> r.contains("2019-12-01"));
            assertThat(committed.stream().filter(r -> r.contains("2019-12-05"))).hasSize(LATER_DAY).doesNotHaveDuplicates();
            assertThat(consumeUncommitted(kafka.bootstrapServers(), topic).stream().filter(r -> r.contains("2019-12-01")))
                    .as("part of the failed day reached the log, aborted").hasSizeBetween(1, FAILED_DAY - 1);
            assertThat(rows(dbUrl, "sa", "", "SELECT replay_day, kafka_txn FROM replay_days ORDER BY replay_day"))
                    .extracting(r -> r.get("replay_day") + "=" + r.get("kafka_txn"))
                    .containsExactly("2019-12-01=aborted", "2019-12-05=committed");
        }
    }
}
