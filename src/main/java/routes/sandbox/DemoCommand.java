package routes.sandbox;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.FlowledgerCli;

/**
 * {@code demo}: starts the sandbox (H2, Kafka, S3, Roket/Druid/Slack simulators), runs the service against
 * it, lets each pipeline show its job, then keeps running so a person can look around (or exits with
 * {@code --exit}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Runs every pipeline in an embedded sandbox and shows each one doing its job.",
        description = {"Runs every pipeline on embedded defaults (H2, in-process Kafka and S3 servers, built-in",
            "Roket, Druid and Slack simulators) and shows each one doing its job."})
public class DemoCommand implements Callable<Integer> {

    /**
     * The pipelines' demo scenarios, in the order they are shown (status first, so every later dataflow shows
     * up on its page). Each pipeline adds its class under this name when it lands; absent ones are skipped.
     */
    static final List<String> SCENARIO_CLASSES = List.of(
            "routes.sandbox.StatusDemo",
            "routes.sandbox.RoketUploadDemo",
            "routes.sandbox.CubicIngestionDemo",
            "routes.sandbox.ReplayDemo",
            "routes.sandbox.PatternsDemo");

    static final List<DemoScenario> SCENARIOS = loadScenarios();

    private static List<DemoScenario> loadScenarios() {
        List<DemoScenario> out = new java.util.ArrayList<>();
        for (String name : SCENARIO_CLASSES) {
            try {
                out.add((DemoScenario) Class.forName(name).getDeclaredConstructor().newInstance());
            } catch (ClassNotFoundException e) {
                // that pipeline has not landed yet
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot create demo scenario " + name + ": " + e, e);
            }
        }
        return List.copyOf(out);
    }

    @ParentCommand
    FlowledgerCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--exit", description = "Stop once the scenarios have run (exit 0 when every one succeeded).")
    boolean exit;

    @Override
    public Integer call() throws Exception {
        PrintStream out = spec.commandLine().getOut() == null ? System.out : new PrintStream(System.out, true);
        out.println("flowledger demo: starting the sandbox (Kafka broker, S3 server, Roket/Druid/Slack simulators)...");
        // The ledger's H2 auto-server (for the printed commands) listens on loopback only, like the rest of the sandbox.
        System.setProperty("h2.bindAddress", System.getProperty("h2.bindAddress", "127.0.0.1"));
        try (Sandbox sandbox = Sandbox.start()) {
            Map<String, String> overlay = new LinkedHashMap<>(sandbox.config());
            String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
            overlay.put("flowledger.management.password", password);
            overlay.put("flowledger.api.password", password);
            overlay.put("flowledger.hawtio.enabled", "true");
            for (DemoScenario s : SCENARIOS) {
                overlay.put("flowledger." + s.pipeline() + ".enabled", "true");
                overlay.putAll(s.config(sandbox));
                s.prepare(sandbox);
            }
            Config config = parent.loadConfig(overlay);
            try (FlowledgerApp app = new FlowledgerApp(config).start()) {
                printWhereToLook(out, sandbox, app, config);
                boolean ok = waitForHealth(out, app);
                for (DemoScenario s : SCENARIOS) {
                    out.println();
                    out.println("== " + s.pipeline() + " ==");
                    boolean done = s.run(sandbox, app, out);
                    out.println("== " + s.pipeline() + ": " + (done ? "did its job" : "FAILED") + " ==");
                    ok &= done;
                }
                if (SCENARIOS.isEmpty()) {
                    out.println("No pipeline is built yet: the service, its ledger and the sandbox are up.");
                }
                out.println();
                out.println(ok ? "Demo finished: everything did its job." : "Demo finished: something failed (see above).");
                if (!exit) {
                    out.println("The service keeps running; press Ctrl+C to stop.");
                    CountDownLatch stop = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                    stop.await();
                }
                return ok ? FlowledgerCli.OK : FlowledgerCli.FAILED;
            }
        }
    }

    private static void printWhereToLook(PrintStream out, Sandbox sandbox, FlowledgerApp app, Config config) {
        String api = "http://localhost:" + app.httpPort();
        String mgmt = "http://localhost:" + app.managementPort();
        out.println();
        out.println("Where to look:");
        out.println("  console      " + api + "/dataflows  (actions: user " + config.get("flowledger.api.user")
                + ", password " + config.get("flowledger.api.password") + ")");
        out.println("  API          " + api + "/api/info");
        if (config.getBoolean("flowledger.hawtio.enabled")) {
            out.println("  Hawtio       " + mgmt + "/hawtio/  (user " + config.get("flowledger.management.user")
                    + ", password " + config.get("flowledger.management.password") + ")");
        }
        out.println("  health       " + mgmt + "/observe/health");
        out.println("  metrics      " + mgmt + "/observe/metrics");
        out.println("  Jolokia      " + mgmt + FlowledgerApp.JOLOKIA_PATH + "  (user "
                + config.get("flowledger.management.user") + ", password " + config.get("flowledger.management.password")
                + ", made up for this demo)");
        out.println("  Kafka        " + sandbox.kafka.bootstrapServers());
        out.println("  S3           " + sandbox.s3.endpoint() + "  (access key " + S3Sandbox.ACCESS_KEY + ")");
        out.println("  Roket sim    " + sandbox.http.roketUrl() + "  (GET shows what it stored)");
        out.println("  Slack sim    " + sandbox.http.slackUrl() + "  (GET shows the messages)");
        out.println("  Druid sim    " + sandbox.http.druidUrl());
        out.println("  Ledger       " + sandbox.ledgerDir + "  (H2 file, kept after the demo)");
    }

    private static boolean waitForHealth(PrintStream out, FlowledgerApp app) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.managementPort() + "/observe/health")).build();
        long deadline = System.currentTimeMillis() + 20_000;
        String body = "";
        while (System.currentTimeMillis() < deadline) {
            HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
            body = r.body();
            if (r.statusCode() == 200 && body.contains("UP")) {
                out.println("Health: " + body.trim());
                return true;
            }
            Thread.sleep(200);
        }
        out.println("Health did not report UP within 20 s: " + body);
        return false;
    }
}
