package routes.replay;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.Reachability;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;
import routes.replay.ReplayStore.BlobInfo;

/**
 * Step 0 (bean {@code replayPreflight}): reads the whole day's backup once (decompress, split lines, parse JSON)
 * before anything changes. A day that cannot be read fails here, with nothing deleted and nothing sent.
 */
public class Preflight {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");

    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayEvents events;
    private final double maxBadRatio;

    Preflight(ReplayLedger ledger, ActiveRun.Registry runs, ReplayEvents events, double maxBadRatio) {
        this.ledger = ledger;
        this.runs = runs;
        this.events = events;
        this.maxBadRatio = maxBadRatio;
    }

    public void run(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) {
        ActiveRun run = runs.get(runId);
        Day d = ledger.day(runId, day);
        if (d.status() != DayStatus.PENDING && d.status() != DayStatus.PREFLIGHT) {
            return; // a resumed day past its pre-flight
        }
        ledger.dayStatus(runId, day, DayStatus.PREFLIGHT);
        events.day(runId, day, DayFailure.PREFLIGHT, State.IN_PROGRESS, "reading the backup of " + day, 0);
        long t0 = System.nanoTime();
        requireReachable(run);
        List<BlobInfo> blobs;
        long good = 0;
        long bad = 0;
        Map<String, BitSet> badLines = new HashMap<>();
        try {
            blobs = sourceBlobs(run, day);
            for (BlobInfo b : blobs) {
                try (BufferedReader r = BackupLines.reader(run.store, run.bucket(), b.name())) {
                    String line;
                    int lineNo = 0;
                    BitSet badHere = new BitSet();
                    while ((line = r.readLine()) != null) {
                        lineNo++;
                        if (line.isBlank()) {
                            continue;
                        }
                        if (BackupLines.jsonProblem(line) == null) {
                            good++;
                        } else {
                            bad++;
                            badHere.set(lineNo);
                        }
                    }
                    badLines.put(b.name(), badHere);
                } catch (IOException | RuntimeException e) {
                    throw new DayFailure(DayFailure.PREFLIGHT, "cannot read " + b.name() + ": " + DayFailure.describe(e), e);
                }
            }
        } catch (DayFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DayFailure(DayFailure.PREFLIGHT, "cannot list the backup of " + day + " in " + run.bucket() + ": "
                    + DayFailure.describe(e), e);
        }
        ledger.counts(runId, day, run.plan.dryRun() ? good : 0, bad, blobs.size());
        run.dayRecords.put(day, good);
        if (BackupLines.tooManyBad(good, bad, maxBadRatio)) {
            throw new DayFailure(DayFailure.PREFLIGHT, bad + " of " + (good + bad) + " line(s) are not JSON, more than "
                    + "flowledger.replay.max-bad-ratio=" + maxBadRatio + " allows", null);
        }
        run.dayBlobs.put(day, blobs);
        run.badLines.put(day, badLines);
        LOG.info("Replay {} {}: pre-flight read {} file(s), {} record(s), {} malformed, in {} ms", runId, day,
                blobs.size(), good, bad, (System.nanoTime() - t0) / 1_000_000);
        events.day(runId, day, DayFailure.PREFLIGHT, State.SUCCESS, blobs.size() + " file(s), " + good + " record(s), "
                + bad + " malformed", good);
        // The day's expected records as soon as they are known (the replay's own count replaces it when it is done).
        events.emit(routes.common.status.StatusEvent.dataSetDetails(runId, run.plan.entryName() + "/" + day, "1",
                routes.common.status.StatusEvent.DataSetType.FILE, good));
    }

    /**
     * The store, and the broker the day will be sent to (not for a dry run), answer: checked before the day changes
     * anything, so an outage fails it in seconds with one line naming what is down. Once one day found something
     * down, the run's later days fail with the same reason without waiting again.
     */
    private static void requireReachable(ActiveRun run) {
        if (run.unreachable == null) {
            try {
                run.store.requireReachable();
                if (!run.plan.dryRun()) {
                    Reachability.requireAny("Kafka broker", run.plan.params().brokerList());
                }
            } catch (Reachability.Unreachable e) {
                run.unreachable = e.getMessage();
            }
        }
        if (run.unreachable != null) {
            throw new DayFailure(DayFailure.PREFLIGHT, run.unreachable, null);
        }
    }

    /** The day's backup blobs under the prefix (or the one --file-path file). */
    static List<BlobInfo> sourceBlobs(ActiveRun run, String day) {
        ReplayParams p = run.plan.params();
        if (run.plan.fileMode()) {
            BlobInfo file = run.store.stat(p.bucket(), p.filePath()).orElseThrow(() -> new DayFailure(DayFailure.PREFLIGHT,
                    "file " + p.filePath() + " does not exist in " + p.bucket(), null));
            return List.of(file);
        }
        List<BlobInfo> blobs = run.store.list(p.bucket(), ReplayParams.dayPrefix(p.prefix(), day));
        if (blobs.isEmpty()) {
            throw new DayFailure(DayFailure.PREFLIGHT, "no backup blobs under " + p.bucket() + "/"
                    + ReplayParams.dayPrefix(p.prefix(), day), null);
        }
        return blobs;
    }
}
