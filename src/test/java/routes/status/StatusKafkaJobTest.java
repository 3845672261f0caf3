package routes.status;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.KafkaServer;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * The ADR's main mechanism: an {@code upload} job run from cron (a child JVM that exits) publishes its status
 * events to the status topic through the real broker; a service running the status processor stores them and
 * {@code GET /api/dataflows/{id}} says SUCCEEDED. Nothing of the job's is lost because the job exits.
 */
@ExtendWith({KafkaServer.class, PostgresServer.class})
class StatusKafkaJobTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    static final String DATE = "2026-11-20";

    @Test
    void an_upload_job_with_the_kafka_transport_delivers_its_status_and_the_service_says_succeeded() throws Exception {
        TestDatabase db = TestDatabase.POSTGRES;
        String ledger = db.newUrl();
        String source = db.newUrl();
        try (Connection c = DriverManager.getConnection(source, db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE sales (sale_id VARCHAR(40) PRIMARY KEY, sale_date DATE NOT NULL, amount NUMERIC(12,2))");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sales VALUES (?, ?, ?)")) {
                for (int i = 0; i < 250; i++) {
                    ps.setString(1, String.format("s-%05d", i));
                    ps.setDate(2, java.sql.Date.valueOf(DATE));
                    ps.setBigDecimal(3, new java.math.BigDecimal(i + ".25"));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        String topic = "status-" + UUID.randomUUID();

        Map<String, String> job = new LinkedHashMap<>(StatusTransportTest.kafkaSettings(db, topic));
        job.put("flowledger.db.url", ledger);
        job.put("flowledger.status.enabled", "false"); // the job only emits; the service processes
        job.put("flowledger.roket-upload.enabled", "true");
        job.put("flowledger.roket.source.url", source);
        job.put("flowledger.roket.source.user", db.user());
        job.put("flowledger.roket.source.password", db.password());
        job.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date ORDER BY sale_id");
        job.put("flowledger.roket.id-column", "sale_id");
        job.put("flowledger.roket.api.url", WireMockServers.url(roket) + "/api/records");
        job.put("flowledger.roket.api.token", "t");
        job.put("flowledger.roket.batch-size", "50");

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        job.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("routes.app.FlowledgerCli", "upload", "--date", DATE));
        Path log = Files.createTempFile("status-kafka-job-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOWLEDGER_"));
        Process child = pb.start();
        try {
            assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("the job exits").isTrue();
        } finally {
            child.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).doesNotContain("undelivered status event", "workerPool");
        // the job published its events to the topic (the transport worked while the job ran and exited)
        var published = StatusTransportTest.readAll(topic, 3);
        assertThat(published).as(output).isNotEmpty();

        // The service starts after the job has gone: the topic holds everything the job said.
        Map<String, String> service = new LinkedHashMap<>(StatusTransportTest.kafkaSettings(db, topic));
        service.put("flowledger.db.url", ledger);
        try (FlowledgerApp app = TestApp.start(service)) {
            String[] id = new String[1];
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode items = StatusApiTest.get(app, "/api/dataflows?dataSetId=roket-upload/" + DATE, 200).path("items");
                assertThat(items.size()).isEqualTo(1);
                id[0] = items.get(0).path("correlationId").asText();
            });
            JsonNode v = TestApp.awaitFinishedDataflow(app, id[0]);
            assertThat(v.path("state").asText()).as(v.toString()).isEqualTo("SUCCEEDED");
            assertThat(v.path("stage").asText()).isEqualTo("ROKET_UPLOAD");
            assertThat(v.path("recordCount").asLong()).isEqualTo(250);
            assertThat(published).allSatisfy(r -> assertThat(r.key()).isEqualTo(id[0]));
        }
    }
}
