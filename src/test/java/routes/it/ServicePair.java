package routes.it;

import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import routes.sandbox.Ports;

/**
 * Two {@code java -jar target/flowledger.jar} service processes on one configuration (one metadata DB, one Kafka),
 * each with its own HTTP and management port: what N replicas of the service are, with N = 2. Each keeps its own
 * working directory and output, so a test can tell what each instance did and kill one of them.
 */
final class ServicePair implements AutoCloseable {

    static final String API_USER = "admin";
    static final String API_PASSWORD = "replicas-test-pw";

    /** One service process and its ports. */
    static final class Instance {
        final String name;
        final int http;
        final int management;
        final JarProcess jar;

        Instance(String name, int http, int management, JarProcess jar) {
            this.name = name;
            this.http = http;
            this.management = management;
            this.jar = jar;
        }

        long pid() {
            return jar.process.pid();
        }

        boolean alive() {
            return jar.process.isAlive();
        }

        String url(String path) {
            return "http://127.0.0.1:" + http + path;
        }

        /** SIGKILL, as a node failure or an OOM kill does: no shutdown hook, no drained queue. */
        void kill() throws InterruptedException {
            jar.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }

        String output() {
            try {
                return jar.output();
            } catch (Exception e) {
                return "";
            }
        }

        @Override
        public String toString() {
            return name + " (pid " + pid() + ", http " + http + ")";
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final List<Instance> instances = new ArrayList<>();

    /** Starts the two instances at once (they share the two cores' start-up) and waits until both are healthy. */
    static ServicePair start(Path dir, Map<String, String> env) throws Exception {
        ServicePair pair = new ServicePair();
        try {
            for (String name : List.of("a", "b")) {
                Path work = Files.createDirectories(dir.resolve(name));
                int http = Ports.free();
                int mgmt = Ports.free();
                Map<String, String> own = new HashMap<>(env);
                own.put("FLOWLEDGER_HTTP_PORT", String.valueOf(http));
                own.put("FLOWLEDGER_MANAGEMENT_PORT", String.valueOf(mgmt));
                own.put("FLOWLEDGER_API_PASSWORD", API_PASSWORD);
                pair.instances.add(new Instance(name, http, mgmt,
                        JarProcess.start(work, own, List.of("-Xmx384m", "-XX:TieredStopAtLevel=1"))));
            }
            for (Instance i : pair.instances) {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    if (!i.alive()) {
                        throw new AssertionError("instance " + i + " exited:\n" + i.output());
                    }
                    return status(i.url("/api/info")) == 200
                            && status("http://127.0.0.1:" + i.management + "/observe/health") != -1;
                });
            }
            return pair;
        } catch (Throwable t) {
            pair.close();
            throw t;
        }
    }

    Instance a() {
        return instances.get(0);
    }

    Instance b() {
        return instances.get(1);
    }

    static HttpResponse<String> get(Instance i, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(i.url(path))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(Instance i, String path, String json) throws Exception {
        String auth = Base64.getEncoder().encodeToString((API_USER + ":" + API_PASSWORD).getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(URI.create(i.url(path))).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Basic " + auth).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json == null ? "" : json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Both outputs, for a failing assertion's message. */
    String outputs() {
        StringBuilder sb = new StringBuilder();
        for (Instance i : instances) {
            String out = i.output();
            sb.append("\n----- instance ").append(i).append(" (last 4000 chars) -----\n")
                    .append(out.length() > 4000 ? out.substring(out.length() - 4000) : out);
        }
        return sb.toString();
    }

    @Override
    public void close() throws Exception {
        for (Instance i : instances) {
            i.jar.close();
        }
    }
}
