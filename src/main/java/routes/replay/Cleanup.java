package routes.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.ExchangeProperty;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.Backup;
import routes.replay.ReplayLedger.BackupState;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;

/**
 * Step 3 on success (bean {@code replayCleanup}), only after the day's Kafka transaction committed: deletes the
 * backup (unless --delete-backups false) and marks exactly the recorded old Druid segments unused. Recorded as
 * CLEANUP first; a failure here leaves the day in CLEANUP for --resume (the records are in the topic: restoring
 * would bring the old data back next to the new).
 */
public class Cleanup {

    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayEvents events;
    private final DruidSegments druid;

    Cleanup(ReplayLedger ledger, ActiveRun.Registry runs, ReplayEvents events, DruidSegments druid) {
        this.ledger = ledger;
        this.runs = runs;
        this.events = events;
        this.druid = druid;
    }

    public void run(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) throws Exception {
        ActiveRun run = runs.get(runId);
        Day d = ledger.day(runId, day);
        if (run.plan.dryRun()) {
            ledger.finishDay(runId, day, DayStatus.SUCCEEDED, null, null);
            return;
        }
        if (d.status() != DayStatus.REPLAY && d.status() != DayStatus.CLEANUP) {
            return;
        }
        ledger.dayStatus(runId, day, DayStatus.CLEANUP);
        events.day(runId, day, DayFailure.CLEANUP, State.IN_PROGRESS, "removing backups and old Druid segments", 0);
        try {
            for (Backup b : ledger.backups(runId, day)) {
                if (b.state() == BackupState.DELETED || b.state() == BackupState.COPIED) {
                    if (Boolean.TRUE.equals(run.plan.params().deleteBackups())) {
                        run.store.delete(run.bucket(), b.backupName());
                        ledger.backupState(runId, b.blobName(), BackupState.CLEANED);
                    } else {
                        ledger.backupState(runId, b.blobName(), BackupState.KEPT);
                    }
                }
            }
            Map<String, List<String>> byDataSource = new LinkedHashMap<>();
            for (var s : ledger.segments(runId, day)) {
                if ("RECORDED".equals(s.state())) {
                    byDataSource.computeIfAbsent(s.datasource(), k -> new ArrayList<>()).add(s.segmentId());
                }
            }
            for (var e : byDataSource.entrySet()) {
                druid.markUnused(e.getKey(), e.getValue());
                ledger.segmentsUnused(runId, e.getKey(), e.getValue());
            }
            int removed = (int) ledger.segments(runId, day).stream().filter(s -> "UNUSED".equals(s.state())).count();
            ledger.segmentsRemoved(runId, day, removed);
        } catch (Exception e) {
            throw new DayFailure(DayFailure.CLEANUP, DayFailure.describe(e), e);
        }
        ledger.finishDay(runId, day, DayStatus.SUCCEEDED, null, null);
        events.count("flowledger.replay.days", 1, "status", "succeeded");
        events.day(runId, day, DayFailure.CLEANUP, State.SUCCESS, "day replayed and cleaned up", ledger.day(runId, day).records());
    }
}
