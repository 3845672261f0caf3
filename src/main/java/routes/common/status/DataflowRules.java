package routes.common.status;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * When a dataflow is finished and how it ended, from its stages' run-level statuses and its failed records.
 * <ul>
 * <li>The current stage is the one begun last (latest first event timestamp).</li>
 * <li>A retry that succeeded: the latest run-level verdict of all stages is SUCCESS (or SKIPPED) and it came after
 * the latest run-level FAILED (a cubic load that errored, was retried and archived). The failure it answered and
 * the records failed up to it no longer decide the state (they stay listed); records failing after it still do.
 * A run whose own last word is FAILED (a roket run with refused records) is not a retry: it stays FAILED.</li>
 * <li>FAILED: a run-level FAILED not answered by such a retry, or records failed (since the retry, if one) and the
 * current stage has ended.</li>
 * <li>SUCCEEDED: the current stage reported run-level SUCCESS (or SKIPPED) and no record failed (since the retry).</li>
 * <li>RUNNING: otherwise.</li>
 * </ul>
 * A FAILED dataflow's stage is the one its latest failed record failed in (a replay day failed in PREFLIGHT, not the
 * CLEANUP of a day before it); without failed records, the current stage.
 * <p>
 * Counting (see {@link RecordTally}): a record counts once in its dataflow, done when it first reaches a terminal
 * status in any stage (a record SKIPPED because it was already done counts as done), failed when it first fails.
 * Progress is records done / the records its dataSetDetails announce.
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

    /** The latest run-level terminal verdict of any stage (by event time), or null when none is known. */
    public static Stage latestVerdict(List<Stage> stages) {
        return stages.stream().filter(s -> isTerminal(s.runStatus()))
                .max(Comparator.comparing(Stage::runTs).thenComparing(s -> "FAILED".equals(s.runStatus()) ? 1 : 0))
                .orElse(null);
    }

    /**
     * @param runFailedTs latest run-level FAILED ever received for the dataflow (null: none)
     * @param recordsFailedSince records failed after {@code runFailedTs}
     * @param recordFailStage the stage the latest failed record failed in (null: none failed)
     */
    public static Verdict evaluate(List<Stage> stages, long recordsFailed, Instant runFailedTs, long recordsFailedSince,
                                   String recordFailStage) {
        Stage current = current(stages);
        if (current == null) {
            return new Verdict(State.RUNNING, null);
        }
        // A failed dataflow is shown at the stage its records failed in, not at a clean-up or restore begun later.
        String failedAt = recordFailStage != null ? recordFailStage : current.name();
        if (runFailedTs != null) {
            Stage latest = latestVerdict(stages);
            boolean retried = latest != null && !"FAILED".equals(latest.runStatus())
                    && latest.runTs().isAfter(runFailedTs);
            if (!retried) {
                return new Verdict(State.FAILED, failedAt);
            }
            recordsFailed = recordsFailedSince;
        }
        if (recordsFailed > 0 && isTerminal(current.runStatus())) {
            return new Verdict(State.FAILED, failedAt);
        }
        if ("SUCCESS".equals(current.runStatus()) || "SKIPPED".equals(current.runStatus())) {
            return new Verdict(State.SUCCEEDED, current.name());
        }
        return new Verdict(State.RUNNING, current.name());
    }
}
