package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * An upload run is a dataflow the status pipeline can answer for, and its figures are in the metrics: with both pipelines enabled (default transport,
 * no Kafka), GET /api/dataflows/{runId} says whether the upload finished, whether it succeeded, and which records
 * Roket refused and why.
 */
class RoketStatusTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();


    @Test
    void an_upload_with_a_refused_record_is_a_failed_dataflow_naming_the_record_and_a_clean_one_succeeds() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows("2026-11-20", 0, 150).rows("2026-11-21", 150, 180);
        String bad = RoketFixture.id(42);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + bad + "\""))
                .atPriority(1).willReturn(aResponse().withStatus(422).withBody("{\"error\":\"invalid amount\"}")));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.status.enabled", "true");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketUploads uploads = RoketFixture.uploads(app);

            String failedRun = uploads.upload("2026-11-20", "test", false).runId();
            JsonNode failed = TestApp.awaitFinishedDataflow(app, failedRun);
            assertThat(failed.path("state").asText()).isEqualTo("FAILED");
            assertThat(failed.path("stage").asText()).isEqualTo("ROKET_UPLOAD");
            assertThat(failed.path("recordCount").asLong()).isEqualTo(150);
            // The refused record (with Roket's answer), the batch it was isolated in, and the run's own verdict.
            java.util.List<String> failedRecords = new java.util.ArrayList<>();
            for (JsonNode item : failed.path("failures").path("items")) {
                if (item.path("recordId").asText().startsWith("s-")) {
                    failedRecords.add(item.path("recordId").asText() + ":" + item.path("errorCode").asInt());
                    assertThat(item.path("message").asText()).contains("invalid amount");
                }
            }
            assertThat(failedRecords).containsExactly(bad + ":422");

            String cleanRun = uploads.upload("2026-11-21", "test", false).runId();
            JsonNode clean = TestApp.awaitFinishedDataflow(app, cleanRun);
            assertThat(clean.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(clean.path("failures").path("items")).isEmpty();

            // The same runs in the pipeline's metrics.
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + app.managementPort() + "/observe/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("flowledger_roket_upload_runs_total{result=\"failed\"} 1.0")
                    .contains("flowledger_roket_upload_runs_total{result=\"succeeded\"} 1.0")
                    .contains("flowledger_roket_upload_records_total{outcome=\"delivered\"} 179.0")
                    .contains("flowledger_roket_upload_records_total{outcome=\"rejected\"} 1.0");
        }
    }

    @Test
    void each_refused_record_counts_once_in_the_dataflow_and_every_other_record_once_as_delivered() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows("2026-11-20", 0, 250);
        String bad1 = RoketFixture.id(17);
        String bad2 = RoketFixture.id(163);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        for (String bad : java.util.List.of(bad1, bad2)) {
            roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + bad + "\""))
                    .atPriority(1).willReturn(aResponse().withStatus(422).withBody("{\"error\":\"invalid record\"}")));
        }
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.status.enabled", "true");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            String run = RoketFixture.uploads(app).upload("2026-11-20", "test", false).runId();
            JsonNode flow = TestApp.awaitFinishedDataflow(app, run);
            assertThat(flow.path("state").asText()).isEqualTo("FAILED");
            assertThat(flow.path("recordCount").asLong()).isEqualTo(250);
            assertThat(flow.path("recordsFailed").asLong()).as("a refused record is one failed record").isEqualTo(2);
            assertThat(flow.path("recordsDone").asLong()).isEqualTo(250);
            JsonNode counts = flow.path("counts").path("ROKET_UPLOAD");
            assertThat(counts.path("SUCCESS").asLong()).as("delivered").isEqualTo(248);
            assertThat(counts.path("FAILED").asLong()).isEqualTo(2);
        }
    }

    @Test
    void a_rerun_of_a_delivered_date_counts_the_already_delivered_records_as_done() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows("2026-11-20", 0, 1000);
        String bad1 = RoketFixture.id(17);
        String bad2 = RoketFixture.id(763);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        for (String bad : java.util.List.of(bad1, bad2)) {
            roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + bad + "\""))
                    .atPriority(1).willReturn(aResponse().withStatus(422).withBody("{\"error\":\"invalid record\"}")));
        }
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.status.enabled", "true");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketUploads uploads = RoketFixture.uploads(app);
            TestApp.awaitFinishedDataflow(app, uploads.upload("2026-11-20", "test", false).runId());
            RoketRun.Summary again = uploads.upload("2026-11-20", "test", false);
            assertThat(again.skipped()).isEqualTo(998);
            assertThat(again.rejected()).isEqualTo(2);

            JsonNode flow = TestApp.awaitFinishedDataflow(app, again.runId());
            assertThat(flow.path("state").asText()).isEqualTo("FAILED");
            assertThat(flow.path("recordCount").asLong()).isEqualTo(1000);
            assertThat(flow.path("recordsFailed").asLong()).isEqualTo(2);
            assertThat(flow.path("recordsDone").asLong()).as("998 already delivered + 2 refused").isEqualTo(1000);
            assertThat(flow.path("progress").asDouble()).isEqualTo(1.0);
            assertThat(flow.path("counts").path("ROKET_UPLOAD").path("SKIPPED").asLong()).isEqualTo(998);
        }
    }
}
