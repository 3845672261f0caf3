package routes.common.lineage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import routes.common.status.DataflowRules;
import routes.common.status.StatusEvent;

/**
 * Follows each dataflow (correlationId) through its status events and says when lineage has something to send: the
 * run's START at its first event, its COMPLETE or FAIL once {@link DataflowRules} (the rules the status API answers
 * with) says the dataflow finished. A verdict is only looked for after a run-level terminal event or a failed record
 * (the events that can finish a dataflow), so most events cost a map lookup.
 * <p>
 * In memory and bounded ({@link #MAX_RUNS}, least recently seen dropped): lineage is a report, not a ledger. A run
 * taken over by another instance (a cubic load after a restart) starts there again; the backend sees a second START
 * of the same runId, which OpenLineage allows.
 */
final class LineageRuns {

    static final int MAX_RUNS = 10_000;

    /** What lineage sends for one event: START, COMPLETE or FAIL of a run, with the run's description. */
    record Transition(String type, String correlationId, LineageJob job, String firstStage, Instant at, String message) {
    }

    private static final class Run {
        LineageJob job;
        String firstStage;
        boolean started;
        String verdict;
        final Map<String, DataflowRules.Stage> stages = new LinkedHashMap<>();
        long recordsFailed;
        long recordsFailedSince;
        Instant runFailedTs;
        String lastFailure;
    }

    private final Map<String, Run> runs = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Run> eldest) {
            return size() > MAX_RUNS;
        }
    };

    /** A pipeline's description of a run; sent with its START (and its COMPLETE/FAIL, if START went out before). */
    synchronized void describe(String correlationId, LineageJob job) {
        runs.computeIfAbsent(correlationId, k -> new Run()).job = job;
    }

    /** The lineage transitions one status event causes (none, START, a verdict, or both). */
    synchronized List<Transition> observe(StatusEvent event) {
        StatusEvent.Props p = event.properties();
        if (p == null || p.correlationId() == null || p.timestamp() == null) {
            return List.of();
        }
        if (!StatusEvent.STATUS.equals(event.kind()) || p.stage() == null) {
            return List.of(); // dataSetDetails: no stage, and a run's first status event follows it
        }
        Run run = runs.computeIfAbsent(p.correlationId(), k -> new Run());
        List<Transition> out = new ArrayList<>(2);
        if (!run.started) {
            run.started = true;
            run.firstStage = p.stage();
            out.add(new Transition("START", p.correlationId(), run.job, run.firstStage, p.timestamp(), null));
        }
        run.stages.put(p.stage(), DataflowRules.merge(run.stages.get(p.stage()), p));
        boolean failed = "FAILED".equals(p.status());
        if (failed && p.message() != null) {
            run.lastFailure = p.message();
        }
        if (event.isRunLevel()) {
            if (failed && (run.runFailedTs == null || p.timestamp().isAfter(run.runFailedTs))) {
                run.runFailedTs = p.timestamp();
                run.recordsFailedSince = 0;
            }
        } else if (failed) {
            run.recordsFailed += event.records();
            if (run.runFailedTs != null && p.timestamp().isAfter(run.runFailedTs)) {
                run.recordsFailedSince += event.records();
            }
        }
        if (!(event.isRunLevel() && DataflowRules.isTerminal(p.status())) && !failed) {
            return out;
        }
        // Only the state matters here, not the stage a failed dataflow is shown at: no failed-record stage given.
        DataflowRules.Verdict v = DataflowRules.evaluate(new ArrayList<>(run.stages.values()), run.recordsFailed,
                run.runFailedTs, run.recordsFailedSince, null);
        if (!v.finished()) {
            run.verdict = null; // a retry is under way (a cubic load retried by an operator): its verdict is sent again
            return out;
        }
        String type = v.state() == DataflowRules.State.SUCCEEDED ? "COMPLETE" : "FAIL";
        if (!type.equals(run.verdict)) {
            run.verdict = type;
            out.add(new Transition(type, p.correlationId(), run.job, run.firstStage, p.timestamp(),
                    "FAIL".equals(type) ? run.lastFailure : null));
        }
        return out;
    }
}
