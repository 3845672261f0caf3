package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.AzuriteServer;
import routes.testkit.CommandProcess;
import routes.testkit.KafkaServer;
import routes.testkit.WireMockServers;

/**
 * Azure Blob with a SAS token instead of the account key: flowledger gets only the endpoint and an account SAS
 * (made with the SDK from Azurite's key, as an administrator would hand one out), and a replay day lists, reads,
 * backs up (server-side copy), deletes and restores nothing; a SAS the service refuses stops the run in one line.
 */
@ExtendWith({AzuriteServer.class, KafkaServer.class})
class ReplayAzureSasTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @TempDir
    Path tmp;

    BlobContainerClient container;
    String topic;

    @BeforeEach
    void setUp() {
        container = ReplayTestSupport.newContainer();
        topic = ReplayTestSupport.newTopic();
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching(".*/markUnused")).willReturn(okJson("{\"numChangedSegments\":0}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 50), true));
        put(container, "unique/2019-12-01-a.json", ndjson(lines("2019-12-01", 7, 4), false));
    }

    static String accountSas() {
        return ReplayTestSupport.azure().generateAccountSas(new AccountSasSignatureValues(
                OffsetDateTime.now().plusHours(1), AccountSasPermission.parse("rwdlac"),
                new AccountSasService().setBlobAccess(true),
                new AccountSasResourceType().setService(true).setContainer(true).setObject(true)));
    }

    Map<String, String> settings(String sas) {
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", ReplayTestSupport.newH2Url());
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.azure.credential", "sas");
        s.put("flowledger.azure.endpoint", AzuriteServer.blobEndpoint());
        s.put("flowledger.azure.sas-token", sas);
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        s.put("flowledger.replay.delivery-timeout", "PT30S");
        return s;
    }

    @Test
    void a_day_is_replayed_with_only_an_endpoint_and_an_account_sas() throws Exception {
        Path config = ReplayTestSupport.properties(tmp, settings(accountSas()));
        int exit = ReplayTestSupport.replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01",
                "--topic", topic, "--bucket", container.getBlobContainerName(), "--prefix", "raw",
                "--delete-backups", "false");

        assertThat(exit).isZero();
        assertThat(ReplayTestSupport.consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(50);
        assertThat(ReplayTestSupport.names(container, "unique/")).as("deleted").isEmpty();
        assertThat(ReplayTestSupport.names(container, "replay-backups/")).as("copied server-side before the delete")
                .hasSize(1).allMatch(n -> n.endsWith("/unique/2019-12-01-a.json"));
    }

    @Test
    void a_sas_the_service_refuses_stops_the_replay_in_one_line_before_anything_changes() throws Exception {
        String forged = accountSas().replaceAll("sig=[^&]+", "sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D");
        try (CommandProcess job = CommandProcess.start(tmp, settings(forged), "replay",
                "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw")) {
            assertThat(job.waitFor(90)).as(job.describe()).isEqualTo(2);
            assertThat(job.stderr().strip()).as(job.describe())
                    .startsWith("flowledger: configuration error: flowledger.azure.sas-token: Azure Blob authentication"
                            + " failed at " + AzuriteServer.blobEndpoint() + " (sas): 403")
                    .doesNotContain("\n").doesNotContain("AAAAAAAAAA");
        }
        assertThat(ReplayTestSupport.names(container, "unique/")).containsExactly("unique/2019-12-01-a.json");
    }
}
