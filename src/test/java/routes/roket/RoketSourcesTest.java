package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.app.FlowledgerApp;
import routes.testkit.CapturedCli;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** Sources beyond the test database: Snowflake's shipped driver, and a driver jar dropped into drivers.dir. */
class RoketSourcesTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = RoketFixture.DATE;
    @RegisterExtension
    final CapturedCli captured = new CapturedCli();
    private final ByteArrayOutputStream out = captured.out();
    private final ByteArrayOutputStream err = captured.err();

    @TempDir
    Path dir;

    @BeforeEach
    void roketStoresEveryBatch() {
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
    }

    @Test
    void a_snowflake_account_that_cannot_be_reached_fails_the_run_with_one_clear_line_and_no_secret() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2);
        Map<String, String> settings = f.settings(roket);
        // Nothing listens on port 1 of the loopback: the shipped Snowflake driver gives up within its login timeout.
        settings.put("flowledger.roket.source.url",
                "jdbc:snowflake://127.0.0.1:1/?account=flowledger_test&loginTimeout=2&networkTimeout=2");
        settings.put("flowledger.roket.source.user", "LOADER");
        settings.put("flowledger.roket.source.password", "");
        settings.put("flowledger.roket.source.properties",
                "private_key_file_pwd=never-print-this-passphrase,ssl=on");
        long t0 = System.nanoTime();
        int code = captured.run(settings, "upload", "--date", DATE);
        long seconds = (System.nanoTime() - t0) / 1_000_000_000;
        String printed = out.toString(StandardCharsets.UTF_8);
        String all = printed + err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(all).isEqualTo(1);
        assertThat(seconds).as("fails fast").isLessThan(120);
        List<String> reason = printed.lines().filter(l -> l.contains("cannot connect to the source")).toList();
        assertThat(reason).as(printed).hasSize(1);
        assertThat(reason.get(0)).contains("jdbc:snowflake://127.0.0.1:1/").doesNotContain("account=");
        assertThat(all).doesNotContain("never-print-this-passphrase");
        assertThat(RoketFixture.requests(roket)).isZero();
    }

    @Test
    void a_driver_jar_dropped_into_drivers_dir_is_used_for_the_source() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 30);
        Path drivers = Files.createDirectories(dir.resolve("drivers"));
        tinyDriverJar(drivers.resolve("tiny-jdbc.jar"));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.drivers.dir", drivers.toString());
        // jdbc:tiny: is only known to the jar in drivers.dir (it hands the rest of the URL to H2).
        settings.put("flowledger.roket.source.url", "jdbc:tiny:" + f.sourceUrl);
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketRun.Summary s = RoketFixture.uploads(app).upload(DATE, "test", false);
            assertThat(s.succeeded()).as(s.format()).isTrue();
            assertThat(s.delivered()).isEqualTo(30);
        }
        assertThat(RoketFixture.stored(roket)).containsOnlyKeys(RoketFixture.ids(0, 30));
    }

    /** A JDBC driver for jdbc:tiny:<url>, compiled here, in a jar that is on no class path. */
    private void tinyDriverJar(Path jar) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/tiny"));
        Files.writeString(src.resolve("TinyDriver.java"), """
                package tiny;
                import java.sql.*;
                import java.util.Properties;
                public class TinyDriver implements Driver {
                    public Connection connect(String url, Properties info) throws SQLException {
                        return acceptsURL(url) ? DriverManager.getConnection(url.substring("jdbc:tiny:".length()), info) : null;
                    }
                    public boolean acceptsURL(String url) { return url.startsWith("jdbc:tiny:"); }
                    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) { return new DriverPropertyInfo[0]; }
                    public int getMajorVersion() { return 1; }
                    public int getMinorVersion() { return 0; }
                    public boolean jdbcCompliant() { return false; }
                    public java.util.logging.Logger getParentLogger() { return java.util.logging.Logger.getGlobal(); }
                }
                """);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        Path classes = Files.createDirectories(dir.resolve("classes"));
        assertThat(javac.run(null, null, null, "-d", classes.toString(), src.resolve("TinyDriver.java").toString()))
                .isZero();
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o)) {
            j.putNextEntry(new JarEntry("tiny/TinyDriver.class"));
            j.write(Files.readAllBytes(classes.resolve("tiny/TinyDriver.class")));
            j.closeEntry();
            j.putNextEntry(new JarEntry("META-INF/services/java.sql.Driver"));
            j.write("tiny.TinyDriver\n".getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
    }
}
