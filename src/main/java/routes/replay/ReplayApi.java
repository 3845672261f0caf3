package routes.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.apache.camel.Exchange;
import routes.common.http.StrictJson;

/**
 * {@code POST /api/replays} (starts a run with the command's parameters as JSON) and {@code GET /api/replays/{id}}
 * (the run and its days from the ledger).
 */
public class ReplayApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReplayRuns service;

    public ReplayApi(ReplayRuns service) {
        this.service = service;
    }

    /** Checks and records the run; sets {@code replayRunId} when it is accepted (202), else answers 400. */
    public String create(String body, Exchange exchange) throws Exception {
        // Strict: an unknown field ("dryrun" for dryRun) or a wrong type is a 400, never a guess.
        ReplayParams params = StrictJson.read(body, ReplayParams.class);
        try {
            String id = service.submit(params);
            exchange.setProperty("replayRunId", id);
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
            exchange.getMessage().setHeader("Location", "/api/replays/" + id);
            return id;
        } catch (ReplayOverlap.Overlapping e) {
            return answer(exchange, 409, Map.of("error", e.getMessage()));
        } catch (ReplayParams.Invalid e) {
            return answer(exchange, 400, Map.of("error", e.getMessage()));
        }
    }

    /**
     * {@code POST /api/replays/{id}/resume}: what {@code replay --resume RUN_ID} does, from the service. Sets
     * {@code replayRunId} when the run may be taken (the route queues it; the runner's claim is the guard, so a run
     * another process holds is never worked twice); 404 for no such run, 409 when it succeeded or is being worked on.
     * A resumed run finishes or restores the days a crash left half done; days that ended FAILED stay failed.
     */
    public String resume(String id, Exchange exchange) throws Exception {
        var run = service.ledger().run(id);
        if (run.isEmpty()) {
            return answer(exchange, 404, Map.of("error", "no replay run " + id));
        }
        var r = run.get();
        if ("SUCCEEDED".equals(r.status())) {
            return answer(exchange, 409, Map.of("error", "replay run " + id + " succeeded; nothing to resume"));
        }
        java.time.Instant staleBefore = java.time.Instant.now().minus(service.lease());
        if (r.owner() != null && r.heartbeatAt() != null && r.heartbeatAt().isAfter(staleBefore)) {
            return answer(exchange, 409, Map.of("error", "replay run " + id + " is being worked on (heartbeat "
                    + r.heartbeatAt() + "); try again when it has stopped"));
        }
        exchange.setProperty("replayRunId", id);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return id;
    }

    /** The run as JSON; 404 when there is none. */
    public String view(String id, Exchange exchange) throws Exception {
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        var run = service.ledger().run(id);
        if (run.isEmpty()) {
            return answer(exchange, 404, Map.of("error", "no replay run " + id));
        }
        var r = run.get();
        ObjectNode out = JSON.createObjectNode();
        out.put("id", r.id());
        out.put("status", r.status());
        out.put("finished", r.status().equals("SUCCEEDED") || r.status().equals("FAILED"));
        out.put("dryRun", r.dryRun());
        out.set("params", JSON.readTree(r.params()));
        out.put("createdAt", String.valueOf(r.createdAt()));
        if (r.finishedAt() != null) {
            out.put("finishedAt", r.finishedAt().toString());
        }
        if (r.error() != null) {
            out.put("error", r.error());
        }
        ArrayNode days = out.putArray("days");
        for (var d : service.ledger().days(id)) {
            ObjectNode n = days.addObject();
            n.put("day", d.day());
            n.put("status", d.status().name());
            if (d.failedStage() != null) {
                n.put("failedStage", d.failedStage());
            }
            n.put("records", d.records());
            n.put("badRecords", d.badRecords());
            n.put("sourceFiles", d.sourceFiles());
            n.set("filesDeleted", JSON.valueToTree(service.filesDeleted(id, d.day())));
            n.put("segmentsRemoved", d.segmentsRemoved());
            if (d.durationMs() != null) {
                n.put("durationMs", d.durationMs());
            }
            if (d.error() != null) {
                n.put("error", d.error());
            }
        }
        return JSON.writeValueAsString(out);
    }

    private static String answer(Exchange exchange, int status, Map<String, String> body) throws Exception {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        return JSON.writeValueAsString(body);
    }
}
