package routes.replay;

import java.util.Map;
import org.apache.camel.ExchangeProperty;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;

/**
 * The day's Slack report (bean {@code replaySlackReport}): date, records replayed, files deleted per data source,
 * segments removed, time taken, or the failure and what became of the downstream data. The route posts it with
 * camel-slack to the incoming webhook.
 */
public class SlackReport {

    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayRuns runLevel;

    SlackReport(ReplayLedger ledger, ActiveRun.Registry runs, ReplayRuns runLevel) {
        this.ledger = ledger;
        this.runs = runs;
        this.runLevel = runLevel;
    }

    /** The message text, or null for a dry run (nothing to report). */
    public String text(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) {
        ActiveRun run = runs.get(runId);
        if (run.plan.dryRun()) {
            return null;
        }
        Day d = ledger.day(runId, day);
        ReplayParams p = run.plan.params();
        StringBuilder t = new StringBuilder();
        boolean ok = d.status() == DayStatus.SUCCEEDED;
        t.append(ok ? ":white_check_mark: Replay completed" : ":x: Replay FAILED").append(" for ").append(day)
                .append(" (").append(run.plan.fileMode() ? p.filePath() : p.prefix()).append(" -> ").append(p.topic())
                .append(", run ").append(runId).append(")\n");
        if (!ok) {
            t.append("Error in ").append(d.failedStage()).append(": ").append(d.error()).append('\n');
            boolean touched = !ledger.backups(runId, day).isEmpty();
            if (d.status() == DayStatus.FAILED) {
                t.append(touched ? "Downstream data restored.\n" : "Downstream data untouched (nothing was deleted).\n");
                t.append("None of the day's records is visible to read_committed consumers (its Kafka transaction was aborted).\n");
            } else {
                t.append("Day left in ").append(d.status()).append(": resume the run to finish it.\n");
            }
        }
        t.append("Records replayed: ").append(d.records());
        if (d.badRecords() > 0) {
            t.append(" (").append(d.badRecords()).append(" malformed, in the dead-letter blob)");
        }
        t.append('\n');
        Map<String, Integer> files = runLevel.filesDeleted(runId, day);
        t.append("Files deleted: ").append(files.isEmpty() ? "none" : ReplayRuns.format(files))
                .append(ok || files.isEmpty() ? "" : " (restored)").append('\n');
        t.append("Druid segments removed: ").append(d.segmentsRemoved()).append('\n');
        t.append("Time taken: ").append(ReplayRuns.seconds(d.durationMs())).append(" s");
        return t.toString();
    }
}
