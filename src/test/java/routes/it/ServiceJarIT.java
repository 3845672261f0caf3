package routes.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.sandbox.Ports;

/** The packaged jar, started the way the README says. */
class ServiceJarIT {

    @TempDir
    Path dir;

    private static int status(String url) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void starts_on_defaults_and_reports_healthy_within_20_seconds() throws Exception {
        int http = Ports.free();
        int mgmt = Ports.free();
        long started = System.nanoTime();
        try (JarProcess jar = JarProcess.start(dir, Map.of("FLOWLEDGER_MANAGEMENT_PORT", String.valueOf(mgmt)),
                List.of("-Dflowledger.http.port=" + http))) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .until(() -> status("http://127.0.0.1:" + mgmt + "/observe/health") == 200);
            System.out.printf("service healthy after %.1f s%n", (System.nanoTime() - started) / 1e9);
            assertThat(status("http://127.0.0.1:" + http + "/api/info")).isEqualTo(200);
            // the console is on by default, and the service says where it is
            assertThat(status("http://127.0.0.1:" + http + "/dataflows")).isEqualTo(200);
            assertThat(status("http://127.0.0.1:" + http + "/api/dataflows")).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> jar.output().contains("flowledger console: http://localhost:"
                    + http + "/dataflows"));
            assertThat(Files.exists(dir.resolve("data"))).as("default H2 file under ./data").isTrue();

            // The default ledger URL has AUTO_SERVER=TRUE (so `status ID` works while the service runs): its TCP
            // server answers on loopback only, never on the host's other addresses (user sa, empty password).
            java.util.Properties lock = new java.util.Properties();
            try (var in = Files.newInputStream(dir.resolve("data/flowledger.lock.db"))) {
                lock.load(in);
            }
            String server = lock.getProperty("server");
            assertThat(server).as("auto-server address in the lock file").matches("(localhost|127\\.0\\.0\\.1):\\d+");
            int port = Integer.parseInt(server.substring(server.lastIndexOf(':') + 1));
            assertThat(connects(java.net.InetAddress.getLoopbackAddress(), port)).isTrue();
            for (java.net.InetAddress other : nonLoopbackAddresses()) {
                assertThat(connects(other, port)).as("H2 auto-server reachable on " + other).isFalse();
            }
        }
    }

    private static boolean connects(java.net.InetAddress address, int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(address, port), 2000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static List<java.net.InetAddress> nonLoopbackAddresses() throws java.net.SocketException {
        return java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress()).toList();
    }

    @Test
    void json_logs_never_show_a_secret() throws Exception {
        int http = Ports.free();
        int mgmt = Ports.free();
        try (JarProcess jar = JarProcess.start(dir, Map.of("FLOWLEDGER_MANAGEMENT_PASSWORD", "mgmt-pass-4711",
                "FLOWLEDGER_ROKET_API_TOKEN", "roket-token-0815", "FLOWLEDGER_LOG_FORMAT", "json"),
                List.of("-Dflowledger.http.port=" + http, "-Dflowledger.management.port=" + mgmt))) {
            // what is checked here is the log, not the start-up time (that is the first test's)
            await().atMost(Duration.ofSeconds(60)).until(() -> status("http://127.0.0.1:" + mgmt + "/observe/health") == 200);
            jar.close();
            String out = jar.output();
            assertThat(out).doesNotContain("mgmt-pass-4711").doesNotContain("roket-token-0815");
            ObjectMapper json = new ObjectMapper();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    assertThat(json.readTree(line).has("message")).as(line).isTrue();
                }
            }
        }
    }

    @Test
    void a_bad_value_gives_one_line_and_exit_2() throws Exception {
        try (JarProcess jar = JarProcess.start(dir, Map.of("FLOWLEDGER_ROUTES_RELOAD", "maybe"), List.of())) {
            assertThat(jar.waitFor(30)).isEqualTo(2);
            assertThat(jar.output().strip())
                    .isEqualTo("flowledger: configuration error: flowledger.routes.reload: value 'maybe' must be true or false"
                            + " (from environment FLOWLEDGER_ROUTES_RELOAD)");
        }
    }

    @Test
    void help_lists_the_commands() throws Exception {
        try (JarProcess jar = JarProcess.start(dir, Map.of(), List.of(), "--help")) {
            assertThat(jar.waitFor(30)).isEqualTo(0);
            assertThat(jar.output()).contains("Commands:").contains("demo");
        }
    }
}
