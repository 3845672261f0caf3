package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.app.FlowledgerApp;
import routes.common.status.StatusEvent;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * A new source fed to Roket with YAML only: the route (file -> CSV -> split -> kamelet:roket-sink) dropped
 * into flowledger.routes.dir, against a Roket that answers every tenth request 503 and refuses two records.
 */
class RoketSinkTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATASET = "partner-feed";
    private static final String BAD1 = "p-0017";
    private static final String BAD2 = "p-0123";

    /** The YAML of the issue, word for word but for the inbox folder. */
    private static final String ROUTE = """
            - route:
                id: partner-csv-to-roket
                from:
                  uri: "file:%s?include=.*\\\\.csv&move=.done"
                  steps:
                    - unmarshal: {csv: {useMaps: true}}
                    - split:
                        simple: "${body}"
                        steps:
                          - to: "kamelet:roket-sink?dataset=partner-feed&idField=ID"
            """;

    @TempDir
    Path dir;

    @Test
    void csv_files_reach_roket_once_skipping_delivered_ids_and_isolating_refused_records() throws Exception {
        // Every tenth request: 503 (retried); any request holding a refused record: 422 (narrowed down).
        for (int i = 0; i < 10; i++) {
            roket.stubFor(post(urlPathEqualTo("/api/records")).inScenario("busy")
                    .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "s" + i)
                    .willReturn(aResponse().withStatus(i == 9 ? 503 : 201))
                    .willSetStateTo(i == 9 ? Scenario.STARTED : "s" + (i + 1)));
        }
        for (String bad : List.of(BAD1, BAD2)) {
            roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + bad + "\""))
                    .atPriority(1).willReturn(aResponse().withStatus(422)
                            .withBody("{\"error\":\"invalid record\",\"id\":\"" + bad + "\"}")));
        }
        Path routes = Files.createDirectories(dir.resolve("routes"));
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Files.writeString(routes.resolve("partner.yaml"), ROUTE.formatted(inbox));

        RoketFixture f = new RoketFixture(TestDatabase.H2);
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.routes.dir", routes.toString());
        settings.put("flowledger.roket.batch-timeout", "200");
        // Long enough that a stall of the loaded build machine does not end a run in the middle of a file.
        settings.put("flowledger.roket.sink.idle-timeout", "PT3S");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            List<StatusEvent> events = RoketFixture.captureStatus(app);
            RoketQueries ledger = RoketFixture.uploads(app).ledger();

            csv(inbox.resolve("first.csv"), 1, 250);
            await().atMost(Duration.ofSeconds(60)).until(() -> finishedRuns(ledger).size() == 1);
            csv(inbox.resolve("second.csv"), 201, 400);
            await().atMost(Duration.ofSeconds(60)).until(() -> finishedRuns(ledger).size() == 2);

            List<Map<String, Object>> runs = finishedRuns(ledger);
            Map<String, Object> first = runs.get(0);
            Map<String, Object> second = runs.get(1);
            assertThat(first.get("state")).as("two records refused").isEqualTo("FAILED");
            assertThat(number(first, "delivered")).isEqualTo(248);
            assertThat(number(first, "rejected")).isEqualTo(2);
            assertThat(second.get("state")).isEqualTo("SUCCEEDED");
            assertThat(number(second, "skipped")).as("the second file's ids delivered before").isEqualTo(50);
            assertThat(number(second, "delivered")).isEqualTo(150);
            assertThat(number(first, "retries") + number(second, "retries")).as("503s retried").isPositive();
            assertThat(ledger.rejectedRecordIds(DATASET)).containsExactly(BAD1, BAD2);
            assertThat(ledger.batches(DATASET)).filteredOn(b -> "REJECTED".equals(b.get("state")))
                    .extracting(b -> ((Number) b.get("record_count")).intValue()).containsExactly(1, 1);

            // Status: one correlationId per dataset run, the refused records named, a verdict per run.
            Set<String> correlationIds = events.stream().map(e -> e.properties().correlationId())
                    .collect(Collectors.toSet());
            assertThat(correlationIds).containsExactlyInAnyOrder((String) first.get("run_id"),
                    (String) second.get("run_id"));
            assertThat(events).filteredOn(e -> "FAILED".equals(e.properties().status())
                            && e.properties().recordId() != null && e.properties().recordId().startsWith("p-"))
                    .extracting(e -> e.properties().recordId() + ":" + e.properties().errorCode())
                    .containsExactlyInAnyOrder(BAD1 + ":422", BAD2 + ":422");
            assertThat(events).filteredOn(StatusEvent::isRunLevel)
                    .filteredOn(e -> !"IN_PROGRESS".equals(e.properties().status()))
                    .extracting(e -> e.properties().correlationId() + ":" + e.properties().status())
                    .containsExactlyInAnyOrder(first.get("run_id") + ":FAILED", second.get("run_id") + ":SUCCESS");
            assertThat(events).filteredOn(e -> "dataSetDetails".equals(e.kind()))
                    .extracting(e -> e.properties().dataSetId() + ":" + e.properties().recordCount())
                    .containsExactly(DATASET + ":250", DATASET + ":200");
            assertThat(Files.exists(inbox.resolve(".done/first.csv"))).isTrue();
        }
        Map<String, Integer> stored = stored();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 400; i++) {
            expected.add(id(i));
        }
        expected.removeAll(List.of(BAD1, BAD2));
        assertThat(stored).containsOnlyKeys(expected);
        assertThat(stored.values()).as("nothing stored twice").containsOnly(1);
    }

    private static List<Map<String, Object>> finishedRuns(RoketQueries ledger) {
        return ledger.runs(DATASET).stream().filter(r -> !"RUNNING".equals(r.get("state"))).toList();
    }

    private static long number(Map<String, Object> row, String column) {
        return ((Number) row.get(column)).longValue();
    }

    private static String id(int i) {
        return String.format("p-%04d", i);
    }

    private static void csv(Path file, int from, int to) throws Exception {
        StringBuilder sb = new StringBuilder("ID,NAME,AMOUNT\n");
        for (int i = from; i <= to; i++) {
            sb.append(id(i)).append(",partner ").append(i).append(',').append(i).append(".50\n");
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, file);
    }

    private static Map<String, Integer> stored() throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (ServeEvent e : roket.getAllServeEvents()) {
            if (e.getResponse().getStatus() / 100 == 2) {
                for (JsonNode r : JSON.readTree(e.getRequest().getBodyAsString())) {
                    out.merge(r.get("ID").asText(), 1, Integer::sum);
                }
            }
        }
        return out;
    }
}
