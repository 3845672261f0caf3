package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;

/**
 * Every Cubic load is a dataflow the status pipeline can answer for: an archived load has SUCCEEDED, an errored
 * one has FAILED with its reason, both finished (default transport, no Kafka).
 */
@ExtendWith(S3Server.class)
class CubicStatusTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void an_archived_load_is_a_succeeded_dataflow_and_an_errored_one_a_failed_dataflow_with_its_reason() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", CubicFixture.gzip("ID,NAME\n1,alpha\n"));
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "not gzip at all".getBytes());
            Map<String, String> settings = f.settings(CubicIngestionTest.ODS);
            settings.put("flowledger.status.enabled", "true");
            FlowledgerApp app = f.start(settings);
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "errored");

            JsonNode good = awaitFinished(app, "cubic-load-" + loadId(f, "LOAD001"));
            assertThat(good.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(good.path("stage").asText()).isEqualTo("CUBIC_ARCHIVE");

            JsonNode bad = awaitFinished(app, "cubic-load-" + loadId(f, "LOAD002"));
            assertThat(bad.path("state").asText()).isEqualTo("FAILED");
            assertThat(bad.path("stage").asText()).isEqualTo("CUBIC_ERROR");
            assertThat(bad.path("failures").path("items").toString()).contains("corrupt gzip");
        }
    }

    private static long loadId(CubicFixture f, String file) {
        return f.count("SELECT id FROM cubic_loads WHERE s3_key LIKE ?", "%/" + file + ".csv.gz");
    }

    private static JsonNode awaitFinished(FlowledgerApp app, String correlationId) {
        String url = "http://127.0.0.1:" + app.httpPort() + "/api/dataflows/" + correlationId;
        JsonNode[] view = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return false;
            }
            view[0] = JSON.readTree(r.body());
            return view[0].path("finished").asBoolean();
        });
        return view[0];
    }
}
