package routes.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import routes.app.FlowledgerApp;
import routes.common.MetadataDb;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;

/**
 * The status pipeline in the demo: two dataflows move through EXTRACT, VALIDATE and LOAD while the
 * /dataflows page and GET /api/dataflows/{id} follow them; one ends SUCCEEDED, one FAILED with its reasons.
 * Runs first, so every later pipeline's dataflows show up on the same page.
 */
public class StatusDemo implements DemoScenario {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 20;

    @Override
    public String pipeline() {
        return "status";
    }

    @Override
    public boolean run(Sandbox sandbox, FlowledgerApp app, PrintStream out) throws Exception {
        StatusEmitter emitter = app.camelContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
        String base = "http://localhost:" + app.httpPort();
        String ok = "demo-orders-" + System.currentTimeMillis() % 100000;
        String bad = "demo-invoices-" + System.currentTimeMillis() % 100000;
        out.println("Watch them move: " + base + "/dataflows  (refreshes every 2 s)");
        out.println("Two dataflows of " + RECORDS + " records each go through EXTRACT, VALIDATE and LOAD (transport: "
                + app.config().get("flowledger.status.transport") + ").");
        emitter.emit(StatusEvent.dataSetDetails(ok, "orders", "1", StatusEvent.DataSetType.TABLE, RECORDS));
        emitter.emit(StatusEvent.dataSetDetails(bad, "invoices", "1", StatusEvent.DataSetType.FILE, RECORDS));
        HttpClient http = HttpClient.newHttpClient();
        boolean badStopped = false;
        String previous = null;
        String[] stages = {"EXTRACT", "VALIDATE", "LOAD"};
        for (String stage : stages) {
            // The next stage begins before the previous one reports SUCCESS, so the dataflow never looks finished
            // between two stages.
            emitter.emit(StatusEvent.status(ok, stage, State.IN_PROGRESS, null));
            if (previous != null) {
                emitter.emit(StatusEvent.status(ok, previous, State.SUCCESS, null));
            }
            if (!badStopped) {
                emitter.emit(StatusEvent.status(bad, stage, State.IN_PROGRESS, null));
                if (previous != null) {
                    emitter.emit(StatusEvent.status(bad, previous, State.SUCCESS, null));
                }
            }
            for (int i = 1; i <= RECORDS; i++) {
                emitter.emit(StatusEvent.recordStatus(ok, "order-" + i, "1", stage, State.SUCCESS, null, null));
                if (!badStopped) {
                    boolean fails = stage.equals("VALIDATE") && i % 7 == 0;
                    emitter.emit(StatusEvent.recordStatus(bad, "invoice-" + i, "1", stage,
                            fails ? State.FAILED : State.SUCCESS, fails ? "amount is negative" : null, fails ? 422 : null));
                }
                if (i % 5 == 0) {
                    Thread.sleep(150);
                }
            }
            if (!badStopped && stage.equals("VALIDATE")) {
                emitter.emit(StatusEvent.status(bad, stage, State.FAILED, "2 invoices rejected"));
                badStopped = true;
            }
            if (stage.equals("LOAD")) {
                emitter.emit(StatusEvent.status(ok, stage, State.SUCCESS, null));
            }
            out.println("after " + stage + ":");
            awaitStage(http, base, ok, stage);
            print(out, http, base, ok);
            print(out, http, base, bad);
            previous = stage;
        }
        JsonNode okView = await(http, base, ok, "SUCCEEDED");
        JsonNode badView = await(http, base, bad, "FAILED");
        out.println("Ask one:   curl " + base + "/api/dataflows/" + bad);
        out.println("Failures:  curl '" + base + "/api/dataflows/" + bad + "/failures?stage=VALIDATE'");
        // The exact command, pointed at the demo's own ledger: it works as printed, while the demo runs and after.
        out.println("Command:   java -Dflowledger.db.url='" + MetadataDb.redactUrl(app.config().get("flowledger.db.url"))
                + "' -jar target/flowledger.jar status " + bad);
        return okView != null && badView != null;
    }

    private static JsonNode await(HttpClient http, String base, String id, String state) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            JsonNode v = view(http, base, id);
            if (v != null && state.equals(v.path("state").asText())) {
                return v;
            }
            Thread.sleep(200);
        }
        return null;
    }

    private static void awaitStage(HttpClient http, String base, String id, String stage) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            JsonNode v = view(http, base, id);
            if (v != null && stage.equals(v.path("stage").asText()) && v.path("finished").asBoolean()
                    == stage.equals("LOAD")) {
                return;
            }
            Thread.sleep(200);
        }
    }

    private static JsonNode view(HttpClient http, String base, String id) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/dataflows/" + id))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static void print(PrintStream out, HttpClient http, String base, String id) throws Exception {
        JsonNode v = view(http, base, id);
        if (v == null) {
            out.println("  " + id + ": not stored yet");
            return;
        }
        JsonNode failure = v.path("failures").path("items").path(0);
        out.printf("  %-22s %-9s stage %-9s %s/%s records done, %s failed%s%n", id, v.path("state").asText(),
                v.path("stage").asText(), v.path("recordsDone").asText(), v.path("recordCount").asText(),
                v.path("recordsFailed").asText(),
                failure.isMissingNode() ? "" : "  (first failure: " + failure.path("recordId").asText() + " "
                        + failure.path("message").asText() + ")");
    }
}
