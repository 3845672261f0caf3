package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;

import com.azure.storage.blob.BlobContainerClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import routes.common.status.StatusEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;
import routes.testkit.TestApp;
import routes.testkit.WireMockServers;

/** POST /api/replays (authenticated) starts a run on the service; GET /api/replays/{id} follows it to the end. */
@ExtendWith({AzuriteServer.class, KafkaServer.class})
class ReplayApiTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> send(String url, String body, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (body != null) {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        if (password != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void an_authenticated_post_starts_a_replay_that_get_follows_to_its_per_day_result() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        BlobContainerClient container = ReplayTestSupport.newContainer();
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 25), true));
        put(container, "unique/2019-12-01-a.json", ndjson(lines("2019-12-01", 7, 2), false));
        String topic = ReplayTestSupport.newTopic();

        try (FlowledgerApp app = TestApp.start(Map.of(
                "flowledger.replay.enabled", "true",
                "flowledger.api.password", "api-secret-1",
                "flowledger.kafka.brokers", KafkaServer.bootstrapServers(),
                "flowledger.azure.connection-string", AzuriteServer.connectionString(),
                "flowledger.druid.url", WireMockServers.url(http),
                "flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook"))) {
            List<StatusEvent> events = new CopyOnWriteArrayList<>();
            EventNotifierSupport tap = new EventNotifierSupport() {
                @Override
                public void notify(CamelEvent event) {
                    if (event instanceof CamelEvent.ExchangeSendingEvent e
                            && e.getEndpoint().getEndpointUri().startsWith("direct://status-emit")
                            && e.getExchange().getMessage().getBody() instanceof StatusEvent se) {
                        events.add(se);
                    }
                }
            };
            app.camelContext().getManagementStrategy().addEventNotifier(tap);
            tap.start();
            String api = "http://127.0.0.1:" + app.httpPort() + "/api/replays";
            String body = "{\"startDate\":\"2019-12-01\",\"endDate\":\"2019-12-01\",\"topic\":\"" + topic
                    + "\",\"bucket\":\"" + container.getBlobContainerName() + "\",\"prefix\":\"raw\"}";

            assertThat(send(api, body, null).statusCode()).isEqualTo(401);
            assertThat(send(api, body, "wrong").statusCode()).isEqualTo(401);
            HttpResponse<String> bad = send(api, body.replace("\"prefix\":\"raw\"", "\"prefix\":\"nosuch\""), "api-secret-1");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("nosuch");

            HttpResponse<String> started = send(api, body, "api-secret-1");
            assertThat(started.statusCode()).isEqualTo(202);
            String id = JSON.readTree(started.body()).path("id").asText();
            assertThat(id).startsWith("replay-");

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    JSON.readTree(send(api + "/" + id, null, null).body()).path("finished").asBoolean());
            JsonNode run = JSON.readTree(send(api + "/" + id, null, null).body());
            assertThat(run.path("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(run.path("days").get(0).path("records").asLong()).isEqualTo(25);
            assertThat(run.path("days").get(0).path("filesDeleted").path("unique").asInt()).isEqualTo(1);
            assertThat(ReplayTestSupport.consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(25);
            assertThat(send(api + "/replay-nope", null, null).statusCode()).isEqualTo(404);

            // Status messages: per day with its stages, and for the run.
            await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.isRunLevel()
                    && "SUCCESS".equals(e.properties().status())));
            assertThat(events).allMatch(e -> id.equals(e.properties().correlationId()));
            assertThat(events.stream().filter(e -> "2019-12-01".equals(e.properties().recordId()))
                    .map(e -> e.properties().stage() + ":" + e.properties().status()))
                    .containsSubsequence("PREFLIGHT:SUCCESS", "BACKUP:IN_PROGRESS", "BACKUP:SUCCESS", "REPLAY:IN_PROGRESS",
                            "REPLAY:SUCCESS", "CLEANUP:IN_PROGRESS", "CLEANUP:SUCCESS");
            String metrics = send("http://127.0.0.1:" + app.managementPort() + "/observe/metrics", null, null).body();
            assertThat(metrics).contains("flowledger_replay_records_total").contains("flowledger_replay_days_total");
            assertThat(events).anyMatch(e -> StatusEvent.DATASET_DETAILS.equals(e.kind())
                    && Long.valueOf(25).equals(e.properties().recordCount()));
            // Progress counts records, not days: the day's replay and clean-up events say how many records they cover.
            assertThat(events.stream().filter(e -> "2019-12-01".equals(e.properties().recordId())
                    && "SUCCESS".equals(e.properties().status())))
                    .filteredOn(e -> List.of("REPLAY", "CLEANUP").contains(e.properties().stage()))
                    .extracting(e -> e.properties().recordCount()).containsExactly(25L, 25L);
        }
    }

    @Test
    void the_same_days_into_the_same_topic_are_refused_while_a_run_of_them_is_unfinished() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        BlobContainerClient container = ReplayTestSupport.newContainer();
        put(container, "raw/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 20_000), true));
        String topic = ReplayTestSupport.newTopic();
        try (FlowledgerApp app = TestApp.start(Map.of(
                "flowledger.replay.enabled", "true",
                "flowledger.api.password", "api-secret-1",
                "flowledger.kafka.brokers", KafkaServer.bootstrapServers(),
                "flowledger.azure.connection-string", AzuriteServer.connectionString(),
                "flowledger.druid.url", WireMockServers.url(http)))) {
            String api = "http://127.0.0.1:" + app.httpPort() + "/api/replays";
            String body = "{\"startDate\":\"2019-12-01\",\"endDate\":\"2019-12-01\",\"topic\":\"" + topic
                    + "\",\"bucket\":\"" + container.getBlobContainerName() + "\",\"prefix\":\"raw\"}";
            String id = JSON.readTree(send(api, body, "api-secret-1").body()).path("id").asText();

            // Another instance (or a second click) asking for one of those days into that topic: it would send it twice.
            HttpResponse<String> again = send(api, body, "api-secret-1");
            assertThat(again.statusCode()).isEqualTo(409);
            assertThat(JSON.readTree(again.body()).path("error").asText()).contains("replay run " + id).contains(topic);

            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                    JSON.readTree(send(api + "/" + id, null, null).body()).path("finished").asBoolean());
            assertThat(ReplayTestSupport.consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(20_000);
            // Once that run has finished, replaying the days again is the user's call.
            HttpResponse<String> later = send(api, body, "api-secret-1");
            assertThat(later.statusCode()).isEqualTo(202);
            String second = JSON.readTree(later.body()).path("id").asText();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                    JSON.readTree(send(api + "/" + second, null, null).body()).path("finished").asBoolean());
        }
    }
}
