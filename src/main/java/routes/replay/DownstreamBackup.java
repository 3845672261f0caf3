package routes.replay;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.BackupState;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;
import routes.replay.ReplayStore.BlobInfo;

/**
 * Step 1 (bean {@code replayBackup}): records the day's existing Druid segments, then copies every azure dependent
 * blob of the day to this run's backup prefix (name, size, ETag recorded first), verifies each copy, and only then
 * deletes the originals. A dry run only counts what it would do.
 */
public class DownstreamBackup {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");

    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayEvents events;
    private final DruidSegments druid;
    private final Restore restore;
    private final String backupPrefix;

    DownstreamBackup(Config config, ReplayLedger ledger, ActiveRun.Registry runs, ReplayEvents events, DruidSegments druid,
           Restore restore) {
        this.ledger = ledger;
        this.runs = runs;
        this.events = events;
        this.druid = druid;
        this.restore = restore;
        this.backupPrefix = config.get("flowledger.replay.backup-prefix").replaceAll("/+$", "");
    }

    public void run(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) throws Exception {
        ActiveRun run = runs.get(runId);
        Day d = ledger.day(runId, day);
        if (d.status() == DayStatus.BACKUP) {
            // Interrupted mid-backup: put back what was moved, then start the backup over.
            LOG.info("Replay {} {}: backup was interrupted; restoring it before starting over", runId, day);
            restore.restoreBlobs(run, day);
            ledger.forgetDayWork(runId, day);
        } else if (d.status() != DayStatus.PREFLIGHT) {
            return;
        }
        ReplayParams.Plan plan = run.plan;
        if (plan.dryRun()) {
            dryRun(run, day);
            return;
        }
        ledger.dayStatus(runId, day, DayStatus.BACKUP);
        events.day(runId, day, DayFailure.BACKUP, State.IN_PROGRESS, "backing up " + plan.azureDependents()
                + ", recording Druid segments of " + plan.druidDependents(), 0);
        try {
            for (String ds : plan.druidDependents()) {
                for (String id : druid.segmentsOf(ds, day)) {
                    ledger.recordSegment(runId, day, ds, id);
                }
            }
            String backupRoot = backupPrefix + "/" + runId + "/";
            List<ReplayLedger.Backup> planned = new ArrayList<>();
            for (String prefix : plan.azureDependents()) {
                for (BlobInfo b : run.store.list(run.bucket(), ReplayParams.dayPrefix(prefix, day))) {
                    ReplayLedger.Backup row = new ReplayLedger.Backup(runId, day, prefix, b.name(), backupRoot + b.name(),
                            b.size(), b.etag(), b.md5(), BackupState.PLANNED);
                    ledger.planBackup(row);
                    planned.add(row);
                }
            }
            for (ReplayLedger.Backup b : planned) {
                BlobInfo copy = run.store.copy(run.bucket(), b.blobName(), b.backupName());
                if (!ReplayStore.sameContent(Restore.original(b), copy)) {
                    throw new IOException("backup copy of " + b.blobName() + " differs from the original (size "
                            + copy.size() + " vs " + b.size() + ")");
                }
                ledger.backupState(runId, b.blobName(), BackupState.COPIED);
            }
            for (ReplayLedger.Backup b : planned) {
                run.store.delete(run.bucket(), b.blobName());
                ledger.backupState(runId, b.blobName(), BackupState.DELETED);
            }
            Map<String, Long> perSource = new LinkedHashMap<>();
            planned.forEach(b -> perSource.merge(b.sourcePrefix(), 1L, Long::sum));
            events.day(runId, day, DayFailure.BACKUP, State.SUCCESS, "backed up and deleted " + perSource + "; "
                    + ledger.segments(runId, day).size() + " Druid segment(s) recorded", 0);
        } catch (Exception e) {
            throw new DayFailure(DayFailure.BACKUP, DayFailure.describe(e), e);
        }
    }

    private void dryRun(ActiveRun run, String day) throws Exception {
        Map<String, Integer> files = new LinkedHashMap<>();
        for (String prefix : run.plan.azureDependents()) {
            files.put(prefix, run.store.list(run.bucket(), ReplayParams.dayPrefix(prefix, day)).size());
        }
        int segments = 0;
        for (String ds : run.plan.druidDependents()) {
            segments += druid.segmentsOf(ds, day).size();
        }
        run.dryRunFiles.put(day, files);
        ledger.segmentsRemoved(run.runId, day, segments);
        LOG.info("Replay {} {} (dry run): would back up and delete {}, mark {} Druid segment(s) unused", run.runId, day,
                files, segments);
    }
}
