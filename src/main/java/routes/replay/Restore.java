package routes.replay;

import java.io.IOException;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.Backup;
import routes.replay.ReplayLedger.BackupState;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;
import routes.replay.ReplayStore.BlobInfo;

/**
 * Step 3 on failure (bean {@code replayRestore}): the day's Kafka transaction is aborted (fenced), every backed-up
 * blob is put back (size and Content-MD5 checked against what was recorded), and the day fails; the run goes on with
 * the next day. Never throws: a restore that cannot finish leaves the day in RESTORE, with its backups, for --resume.
 */
public class Restore {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");

    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayEvents events;
    private final OpenTransactions kafka;

    Restore(ReplayLedger ledger, ActiveRun.Registry runs, ReplayEvents events, OpenTransactions kafka) {
        this.ledger = ledger;
        this.runs = runs;
        this.events = events;
        this.kafka = kafka;
    }

    public void run(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day, Exchange exchange) {
        ActiveRun run = runs.get(runId);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Day d = ledger.day(runId, day);
        String stage = cause instanceof DayFailure f ? f.stage : d.failedStage() != null ? d.failedStage() : DayFailure.REPLAY;
        String error = cause != null ? DayFailure.describe(cause) : d.error();
        if (cause != null) {
            LOG.warn("Replay {} {}: {} failed: {}", runId, day, stage, error);
            events.dayFailed(runId, day, stage, error, Math.max(d.records(),
                    run == null ? 0 : run.dayRecords.getOrDefault(day, 0L)));
        }
        if (DayFailure.CLEANUP.equals(stage) || d.status() == DayStatus.CLEANUP) {
            // The day is committed in the topic: finishing the clean-up is the way forward, not a restore.
            ledger.error(runId, day, DayFailure.CLEANUP, error + " (resume the run to finish the clean-up)");
            return;
        }
        ledger.error(runId, day, stage, error);
        kafka.abortLeftOpen(run, day);
        if (ledger.backups(runId, day).isEmpty()) {
            ledger.finishDay(runId, day, DayStatus.FAILED, stage, error); // nothing was moved: nothing to restore
            events.count("flowledger.replay.days", 1, "status", "failed");
            return;
        }
        ledger.dayStatus(runId, day, DayStatus.RESTORE);
        events.day(runId, day, DayFailure.RESTORE, State.IN_PROGRESS, "restoring the downstream blobs of " + day, 0);
        try {
            int restored = restoreBlobs(run, day);
            ledger.finishDay(runId, day, DayStatus.FAILED, stage, error);
            events.count("flowledger.replay.days", 1, "status", "failed");
            events.count("flowledger.replay.restored.blobs", restored, "stage", stage);
            events.day(runId, day, DayFailure.RESTORE, State.SUCCESS, restored + " blob(s) restored", 0);
        } catch (Exception e) {
            String why = "restore failed: " + DayFailure.describe(e) + " (backups kept; resume the run to finish the restore)";
            LOG.error("Replay {} {}: {}", runId, day, why);
            ledger.error(runId, day, stage, error + "; " + why);
            events.day(runId, day, DayFailure.RESTORE, State.FAILED, why, 0);
        }
    }

    /** Puts back every blob of the day that was deleted, and drops backup copies of blobs that were never deleted. */
    int restoreBlobs(ActiveRun run, String day) throws IOException {
        int restored = 0;
        for (Backup b : ledger.backups(run.runId, day)) {
            if (b.state() == BackupState.RESTORED || b.state() == BackupState.CLEANED || b.state() == BackupState.KEPT) {
                continue;
            }
            if (run.store.stat(run.bucket(), b.blobName()).isEmpty()) {
                if (run.store.stat(run.bucket(), b.backupName()).isEmpty()) {
                    throw new IOException(b.blobName() + " is deleted and its backup " + b.backupName() + " is missing");
                }
                BlobInfo back = run.store.copy(run.bucket(), b.backupName(), b.blobName());
                if (!ReplayStore.sameContent(original(b), back)) {
                    throw new IOException("restored " + b.blobName() + " differs from the original (size " + back.size()
                            + " vs " + b.size() + ")");
                }
                restored++;
            }
            run.store.delete(run.bucket(), b.backupName());
            ledger.backupState(run.runId, b.blobName(), BackupState.RESTORED);
        }
        return restored;
    }

    static BlobInfo original(Backup b) {
        return new BlobInfo(b.blobName(), b.size(), b.etag(), b.md5());
    }
}
