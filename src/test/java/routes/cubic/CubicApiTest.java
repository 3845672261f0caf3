package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEvent;
import routes.testkit.PostgresServer;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;

/** The operations API: paged loads by status and table, one load's history, authenticated retry, metrics. */
@ExtendWith({S3Server.class, PostgresServer.class})
class CubicApiTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> call(String method, String url, String body, boolean auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (auth) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:api-secret".getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void loads_are_listed_by_status_and_table_and_an_errored_load_is_retried_to_archived() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.POSTGRES)) {
            String p = "cubic/dmap/agg_sample/";
            f.put(p + "20220301.csv", "day,count\n1,1\n");
            f.put(p + "20220302.csv", "day,count\n2,2\n");
            f.put(p + "20220303.csv", "day,count\n3,3\n");
            FlowledgerApp app = f.start(f.settings("cubic__dmap__agg_sample=" + p));
            f.awaitStatus(p + "20220303.csv", "archived");
            // Capture the status messages the pipeline emits from here on.
            List<StatusEvent> events = routes.testkit.TestApp.captureStatus(app);
            f.put(p + "20220304.csv", "day,total\n4,4\n");
            f.awaitStatus(p + "20220304.csv", "errored");
            String api = "http://127.0.0.1:" + app.httpPort() + "/api/cubic";

            JsonNode page = JSON.readTree(call("GET", api + "/loads?status=archived&table=cubic__dmap__agg_sample&size=2&page=0",
                    null, false).body());
            assertThat(page.path("total").asInt()).isEqualTo(3);
            assertThat(page.path("loads")).hasSize(2);
            JsonNode page2 = JSON.readTree(call("GET", api + "/loads?status=archived&size=2&page=1", null, false).body());
            assertThat(page2.path("loads")).hasSize(1);
            assertThat(call("GET", api + "/loads?status=bogus", null, false).statusCode()).isEqualTo(400);

            JsonNode errored = JSON.readTree(call("GET", api + "/loads?status=errored", null, false).body()).path("loads").get(0);
            long id = errored.path("id").asLong();
            assertThat(errored.path("error").asText()).contains("missing: count").contains("unexpected: total");
            JsonNode one = JSON.readTree(call("GET", api + "/loads/" + id, null, false).body());
            assertThat(one.path("transitions")).extracting(JsonNode::toString).hasSize(5);

            assertThat(call("POST", api + "/loads/" + id + "/retry", null, false).statusCode()).isEqualTo(401);
            assertThat(f.status(p + "20220304.csv")).isEqualTo("errored");

            // The operator accepts the new header, then retries: the object comes back and goes through again.
            assertThat(call("POST", api + "/tables", "{\"name\":\"cubic__dmap__agg_sample\",\"prefix\":\"" + p
                    + "\",\"columns\":\"day,total\"}", true).statusCode()).isEqualTo(201);
            HttpResponse<String> retry = call("POST", api + "/loads/" + id + "/retry", null, true);
            assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
            assertThat(JSON.readTree(retry.body()).path("status").asText()).isIn("ready", "ingesting", "ready_for_archiving",
                    "archiving", "archived");
            f.awaitStatus(p + "20220304.csv", "archived");
            assertThat(f.keys(f.error)).isEmpty();
            assertThat(f.keys(f.incoming)).isEmpty();
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads")).as("the retried load, not a new one").isEqualTo(4);
            assertThat(call("POST", api + "/loads/" + id + "/retry", null, true).statusCode()).isEqualTo(409);

            // One dataflow per load, a stage per step, with the reason on the failure.
            List<String> flow = events.stream().filter(e -> e.properties().correlationId().equals("cubic-load-" + id))
                    .map(e -> e.properties().stage() + ":" + e.properties().status()).toList();
            assertThat(flow).containsSubsequence("CUBIC_DISCOVER:SUCCESS", "CUBIC_INGEST:IN_PROGRESS", "CUBIC_INGEST:FAILED",
                    "CUBIC_ERROR:IN_PROGRESS", "CUBIC_ERROR:FAILED", "CUBIC_INGEST:IN_PROGRESS", "CUBIC_INGEST:SUCCESS",
                    "CUBIC_ARCHIVE:IN_PROGRESS", "CUBIC_ARCHIVE:SUCCESS");
            assertThat(events).filteredOn(e -> "CUBIC_INGEST".equals(e.properties().stage())
                    && "FAILED".equals(e.properties().status())).first()
                    .satisfies(e -> assertThat(e.properties().message()).contains("missing: count"));
            assertThat(events).filteredOn(e -> e.properties().recordId() != null)
                    .allSatisfy(e -> assertThat(e.properties().recordId()).startsWith(p));
            // Each load's dataflow ends with a run-level verdict, so the status API can say it finished.
            assertThat(events).filteredOn(e -> e.properties().correlationId().equals("cubic-load-" + id)
                    && e.properties().recordId() == null).extracting(e -> e.properties().stage() + ":" + e.properties().status())
                    .containsExactly("CUBIC_ERROR:FAILED", "CUBIC_ARCHIVE:SUCCESS");

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    call("GET", "http://127.0.0.1:" + app.managementPort() + "/observe/metrics", null, false).body())
                    .contains("flowledger_cubic_ingestion_loads{status=\"archived\"} 4.0")
                    .contains("flowledger_cubic_ingestion_transitions_total"));
        }
    }

    @Test
    void an_object_restored_by_a_retry_is_never_taken_for_a_new_load_by_discovery() throws Exception {
        // The race: the retry copies the object back to incoming, then records its new modified time on the load.
        // Discovery polling in between (every 200 ms here) must not insert it as a new load: the row is marked first.
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            String p = "cubic/dmap/agg_sample/";
            String bad = p + "20220302.csv";
            f.put(p + "20220301.csv", "day,count\n1,1\n");
            FlowledgerApp app = f.start(f.settings("cubic__dmap__agg_sample=" + p));
            f.awaitStatus(p + "20220301.csv", "archived");
            f.put(bad, "day,total\n2,2\n");
            f.awaitStatus(bad, "errored");
            long id = f.count("SELECT id FROM cubic_loads WHERE s3_key = ?", bad);
            LoadStateMachine states = app.camelContext().getRegistry().lookupByNameAndType("cubicStateMachine",
                    LoadStateMachine.class);

            assertThat(states.markRetrying(id, Duration.ofMinutes(1))).isTrue();
            assertThat(states.markRetrying(id, Duration.ofMinutes(1))).as("a second retry of the same load").isFalse();
            f.put(bad, "day,total\n2,2\n"); // what the restore does, with discovery running
            Thread.sleep(1500);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads")).as("no second load for the restored object").isEqualTo(2);
            f.s3.deleteObject(b -> b.bucket(f.incoming).key(bad));
            Thread.sleep(500);
            states.clearRetrying(id);

            // Through the API: retries while discovery polls, each ends in the same load, never a 5xx.
            String api = "http://127.0.0.1:" + app.httpPort() + "/api/cubic";
            for (int round = 0; round < 5; round++) {
                HttpResponse<String> retry = call("POST", api + "/loads/" + id + "/retry", null, true);
                assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
                f.awaitStatus(bad, "errored");
            }
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads")).isEqualTo(2);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_transitions WHERE load_id = ? AND reason = ?", id,
                    "retried through the API")).isEqualTo(5);
        }
    }
}
