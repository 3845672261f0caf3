package routes.common.status;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * When a dataflow is finished and how it ended, from its stages' run-level statuses and its failed records.
 * <ul>
 * <li>The current stage is the one begun last (latest first event timestamp).</li>
 * <li>FAILED: a stage reported run-level FAILED, or records failed and the current stage has ended.</li>
 * <li>SUCCEEDED: the current stage reported run-level SUCCESS (or SKIPPED) and no record failed.</li>
 * <li>RUNNING: otherwise.</li>
 * </ul>
 * A stage's run-level status is its latest terminal one (SUCCESS, FAILED, SKIPPED) by event time, whatever
 * order they arrive in; IN_PROGRESS only while no terminal one is known.
 */
public final class DataflowRules {

    public enum State { RUNNING, SUCCEEDED, FAILED }

    private static final Set<String> TERMINAL = Set.of("SUCCESS", "FAILED", "SKIPPED");

    /** One stage of a dataflow as the store keeps it. */
    public record Stage(String name, Instant firstTs, Instant lastTs, String runStatus, Instant runTs,
                        String runMessage, Integer runErrorCode) {
    }

    public record Verdict(State state, String stage) {
        public boolean finished() {
            return state != State.RUNNING;
        }
    }

    private DataflowRules() {
    }

    public static boolean isTerminal(String status) {
        return status != null && TERMINAL.contains(status);
    }

    /** The stage after one more status message of it ({@code existing} may be null: first message). */
    public static Stage merge(Stage existing, StatusEvent.Props event) {
        Instant ts = event.timestamp();
        Stage s = existing != null ? existing : new Stage(event.stage(), ts, ts, null, null, null, null);
        Instant first = ts.isBefore(s.firstTs()) ? ts : s.firstTs();
        Instant last = ts.isAfter(s.lastTs()) ? ts : s.lastTs();
        String run = s.runStatus();
        Instant runTs = s.runTs();
        String msg = s.runMessage();
        Integer code = s.runErrorCode();
        if (event.recordId() == null) {
            boolean take;
            if (isTerminal(event.status())) {
                take = !isTerminal(run) || !ts.isBefore(runTs);
            } else {
                take = run == null;
            }
            if (take) {
                run = event.status();
                runTs = ts;
                msg = event.message();
                code = event.errorCode();
            }
        }
        return new Stage(s.name(), first, last, run, runTs, msg, code);
    }

    /** The stage begun last, or null when none is known. */
    public static Stage current(List<Stage> stages) {
        return stages.stream().max(Comparator.comparing(Stage::firstTs).thenComparing(Stage::lastTs)
                .thenComparing(Stage::name)).orElse(null);
    }

    public static Verdict evaluate(List<Stage> stages, long recordsFailed) {
        Stage current = current(stages);
        if (current == null) {
            return new Verdict(State.RUNNING, null);
        }
        if (stages.stream().anyMatch(s -> "FAILED".equals(s.runStatus()))) {
            return new Verdict(State.FAILED, current.name());
        }
        if (recordsFailed > 0 && isTerminal(current.runStatus())) {
            return new Verdict(State.FAILED, current.name());
        }
        if ("SUCCESS".equals(current.runStatus()) || "SKIPPED".equals(current.runStatus())) {
            return new Verdict(recordsFailed > 0 ? State.FAILED : State.SUCCEEDED, current.name());
        }
        return new Verdict(State.RUNNING, current.name());
    }
}
