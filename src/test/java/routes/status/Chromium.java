package routes.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium for page tests: one-shot {@link #dumpDom} and {@link #screenshot}, and a
 * {@link Session} driven over the DevTools protocol (navigate, evaluate JavaScript, wait for a condition) for
 * tests that click. Debian's {@code chromium} package (listed in {@code .ci/apt-packages}).
 */
final class Chromium {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Chromium() {
    }

    static String binary() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (new File(c).canExecute()) {
                return c;
            }
        }
        throw new IllegalStateException("No headless Chromium: install Debian's chromium package (listed in .ci/apt-packages)");
    }

    private static List<String> base(Path profile) {
        return new java.util.ArrayList<>(List.of(binary(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile));
    }

    static String dumpDom(String url) throws Exception {
        Path profile = Files.createTempDirectory("chromium-");
        List<String> cmd = base(profile);
        cmd.addAll(List.of("--virtual-time-budget=5000", "--dump-dom", url));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] dom = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish");
        }
        return new String(dom, StandardCharsets.UTF_8);
    }

    /** A PNG of the page as a browser window of width x height shows it. */
    static void screenshot(String url, Path png, int width, int height) throws Exception {
        Path profile = Files.createTempDirectory("chromium-");
        Files.createDirectories(png.toAbsolutePath().getParent());
        List<String> cmd = base(profile);
        cmd.addAll(List.of("--hide-scrollbars", "--window-size=" + width + "," + height, "--virtual-time-budget=5000",
                "--screenshot=" + png.toAbsolutePath(), url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not finish");
        }
    }

    static Session open(int width, int height) throws Exception {
        return new Session(width, height);
    }

    /** One browser tab under test control (DevTools protocol over a WebSocket). */
    static final class Session implements AutoCloseable {

        private final Process process;
        private final WebSocket ws;
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

        Session(int width, int height) throws Exception {
            Path profile = Files.createTempDirectory("chromium-");
            List<String> cmd = base(profile);
            cmd.addAll(List.of("--remote-debugging-port=0", "--remote-allow-origins=*",
                    "--window-size=" + width + "," + height, "about:blank"));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Path portFile = profile.resolve("DevToolsActivePort");
            Instant until = Instant.now().plusSeconds(30);
            while (!Files.exists(portFile) || Files.readAllLines(portFile).size() < 2) {
                if (Instant.now().isAfter(until)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("chromium did not open its DevTools port");
                }
                Thread.sleep(100);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            HttpClient http = HttpClient.newHttpClient();
            String wsUrl = null;
            while (wsUrl == null) {
                JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode t : targets) {
                    if ("page".equals(t.path("type").asText())) {
                        wsUrl = t.path("webSocketDebuggerUrl").asText();
                    }
                }
                if (wsUrl == null) {
                    Thread.sleep(100);
                }
            }
            ws = http.newWebSocketBuilder().buildAsync(URI.create(wsUrl), new WebSocket.Listener() {
                private final StringBuilder buf = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    buf.append(data);
                    if (last) {
                        try {
                            JsonNode msg = JSON.readTree(buf.toString());
                            CompletableFuture<JsonNode> f = msg.has("id") ? pending.remove(msg.get("id").asInt()) : null;
                            if (f != null) {
                                f.complete(msg);
                            }
                        } catch (Exception e) {
                            // not ours
                        }
                        buf.setLength(0);
                    }
                    socket.request(1);
                    return null;
                }
            }).get(30, TimeUnit.SECONDS);
            send("Page.enable", JSON.createObjectNode());
        }

        JsonNode send(String method, ObjectNode params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            ObjectNode msg = JSON.createObjectNode();
            msg.put("id", id);
            msg.put("method", method);
            msg.set("params", params);
            ws.sendText(JSON.writeValueAsString(msg), true).get(10, TimeUnit.SECONDS);
            JsonNode answer = f.get(30, TimeUnit.SECONDS);
            if (answer.has("error")) {
                throw new IllegalStateException(method + ": " + answer.get("error"));
            }
            return answer.path("result");
        }

        /** Sends this header with every request of the tab (e.g. Authorization for a basic-auth login). */
        void header(String name, String value) throws Exception {
            send("Network.enable", JSON.createObjectNode());
            ObjectNode p = JSON.createObjectNode();
            p.putObject("headers").put(name, value);
            send("Network.setExtraHTTPHeaders", p);
        }

        void navigate(String url) throws Exception {
            ObjectNode p = JSON.createObjectNode();
            p.put("url", url);
            send("Page.navigate", p);
            waitFor("document.readyState === 'complete'", Duration.ofSeconds(30));
        }

        /** The value of a JavaScript expression (awaited when it is a promise). */
        JsonNode eval(String expression) throws Exception {
            ObjectNode p = JSON.createObjectNode();
            p.put("expression", expression);
            p.put("returnByValue", true);
            p.put("awaitPromise", true);
            JsonNode r = send("Runtime.evaluate", p);
            if (r.has("exceptionDetails")) {
                throw new IllegalStateException(expression + ": " + r.get("exceptionDetails"));
            }
            return r.path("result").path("value");
        }

        /** Waits until the expression is true in the page, or fails with the page's text. */
        void waitFor(String expression, Duration timeout) throws Exception {
            Instant until = Instant.now().plus(timeout);
            while (true) {
                JsonNode v;
                try {
                    v = eval("!!(" + expression + ")");
                } catch (IllegalStateException e) {
                    v = null;
                }
                if (v != null && v.asBoolean()) {
                    return;
                }
                if (Instant.now().isAfter(until)) {
                    String text;
                    try {
                        text = eval("document.body ? document.body.innerText : ''").asText();
                    } catch (Exception e) {
                        text = "(no page)";
                    }
                    throw new AssertionError("page never satisfied " + expression + "; it shows:\n" + text);
                }
                Thread.sleep(200);
            }
        }

        void click(String selector) throws Exception {
            eval("(function(){var e=document.querySelector(" + JSON.writeValueAsString(selector) + ");"
                    + "if(!e){throw new Error('no element " + selector.replace("'", "") + "');}e.click();return true;})()");
        }

        void screenshot(Path png) throws Exception {
            ObjectNode p = JSON.createObjectNode();
            p.put("format", "png");
            String data = send("Page.captureScreenshot", p).path("data").asText();
            Files.createDirectories(png.toAbsolutePath().getParent());
            Files.write(png, java.util.Base64.getDecoder().decode(data));
        }

        @Override
        public void close() {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the process goes anyway
            }
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
