package routes.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.CommandProcess;
import routes.testkit.WireMockServers;

/**
 * Commands are scriptable and quiet when healthy: a job's logs go to stderr and its result to stdout (so
 * {@code status ID --json | jq .} works), and a healthy run logs nothing alarming (no WARN or ERROR line, no Flyway
 * out-of-order or H2 version warning, no Quartz banner). Run as a user runs them: child JVMs, production logging.
 */
class CommandOutputTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = "2026-11-20";

    @TempDir
    Path dir;

    private Map<String, String> healthyUpload() throws Exception {
        String sourceUrl = "jdbc:h2:file:" + dir.resolve("source") + ";DATABASE_TO_LOWER=TRUE";
        try (Connection c = DriverManager.getConnection(sourceUrl, "sa", ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE sales (sale_id VARCHAR(40) PRIMARY KEY, sale_date DATE NOT NULL)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sales VALUES (?, ?)")) {
                for (int i = 0; i < 30; i++) {
                    ps.setString(1, "s-" + i);
                    ps.setDate(2, java.sql.Date.valueOf(DATE));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("flowledger.roket-upload.enabled", "true");
        settings.put("flowledger.db.url", "jdbc:h2:file:" + dir.resolve("ledger"));
        settings.put("flowledger.roket.source.url", sourceUrl);
        settings.put("flowledger.roket.source.user", "sa");
        settings.put("flowledger.roket.source.query", "SELECT * FROM sales WHERE sale_date = :#date");
        settings.put("flowledger.roket.id-column", "sale_id");
        settings.put("flowledger.roket.api.url", WireMockServers.url(roket) + "/api/records");
        settings.put("flowledger.roket.api.token", "test-roket-token");
        settings.put("flowledger.roket.batch-size", "10");
        return settings;
    }

    @Test
    void a_healthy_upload_prints_its_result_on_stdout_and_nothing_alarming_anywhere() throws Exception {
        Map<String, String> settings = healthyUpload();
        CommandProcess upload = CommandProcess.run(dir.resolve("upload"), settings, "upload", "--date", DATE);
        assertThat(upload.exitCode()).as(upload.describe()).isZero();
        assertThat(upload.stdout()).as("the result").contains("SUCCEEDED").contains("delivered 30")
                .as("no log line on stdout").doesNotContainPattern("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ");
        String all = upload.stdout() + upload.stderr();
        assertThat(all).as("a healthy run prints nothing alarming:\n" + all)
                .doesNotContainPattern("(?m)^\\S+ +(WARN|ERROR) ")
                .doesNotContain("outOfOrder").doesNotContain("newer than the version Flyway")
                .as("no Quartz banner").doesNotContain("Quartz Scheduler v").doesNotContain("Scheduler meta-data");
    }

    @Test
    void status_json_on_stdout_parses_as_json_with_the_logs_on_stderr() throws Exception {
        Map<String, String> settings = healthyUpload();
        CommandProcess upload = CommandProcess.run(dir.resolve("upload"), settings, "upload", "--date", DATE);
        assertThat(upload.exitCode()).as(upload.describe()).isZero();
        Matcher run = Pattern.compile("run (\\S+) \\(correlationId").matcher(upload.stdout());
        assertThat(run.find()).as(upload.describe()).isTrue();

        CommandProcess status = CommandProcess.run(dir.resolve("status"), settings, "status", run.group(1), "--json");
        assertThat(status.exitCode()).as(status.describe()).isZero();
        JsonNode view = new ObjectMapper().readTree(status.stdout()); // what `| jq .` needs: stdout is the JSON alone
        assertThat(view.path("correlationId").asText()).isEqualTo(run.group(1));
        assertThat(view.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.stderr()).as("the logs went to stderr").contains("Metadata DB");
    }
}
