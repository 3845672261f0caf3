package routes.replay;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.camel.ExchangeProperty;
import org.apache.kafka.common.errors.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;
import routes.replay.ReplayStore.BlobInfo;

/**
 * Step 2 (bean {@code replayDay}): streams the day's backup into the topic in one Kafka transaction
 * ({@link DayTransactions}), committed before the clean-up starts. A day resumed after a crash first fences its
 * transactional.id (which aborts what the dead process left open), then finds out whether the day had committed
 * before the crash: if so it goes on to the clean-up, otherwise the whole day is sent again in a new transaction.
 */
public class DayReplay {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");

    private final Config config;
    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayEvents events;
    private final DayTransactions kafka;
    private final OpenTransactions open;
    private final double maxBadRatio;
    private final Duration progressInterval;

    DayReplay(Config config, ReplayLedger ledger, ActiveRun.Registry runs, ReplayEvents events, DayTransactions kafka,
              OpenTransactions open) {
        this.config = config;
        this.ledger = ledger;
        this.runs = runs;
        this.events = events;
        this.kafka = kafka;
        this.open = open;
        this.maxBadRatio = Double.parseDouble(config.get("flowledger.replay.max-bad-ratio"));
        this.progressInterval = config.getDuration("flowledger.replay.progress-interval");
    }

    public void run(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) throws Exception {
        ActiveRun run = runs.get(runId);
        if (run.plan.dryRun()) {
            return;
        }
        Day d = ledger.day(runId, day);
        String brokers = run.plan.params().brokerList();
        open.fenceFailedDays();
        try {
            if (d.status() == DayStatus.REPLAY) {
                kafka.fence(brokers, run.topic(), runId, day, true);
                if (kafka.committed(brokers, run.topic(), d.startOffsets(), runId, day)) {
                    LOG.info("Replay {} {}: the day's transaction had committed before the interruption", runId, day);
                    ledger.kafkaTransaction(runId, day, "committed");
                    return;
                }
                LOG.info("Replay {} {}: resuming; the interrupted transaction is aborted, the day is sent again", runId, day);
            } else if (d.status() == DayStatus.BACKUP || d.status() == DayStatus.PREFLIGHT) {
                ledger.startReplay(runId, day, kafka.endOffsets(brokers, run.topic()));
            } else {
                return;
            }
        } catch (DayFailure e) {
            throw e;
        } catch (Exception e) {
            throw new DayFailure(DayFailure.REPLAY, "Kafka: " + describe(e), e);
        }
        List<BlobInfo> blobs = run.dayBlobs.containsKey(day) ? run.dayBlobs.get(day) : Preflight.sourceBlobs(run, day);
        events.day(runId, day, DayFailure.REPLAY, State.IN_PROGRESS, "replaying into " + run.topic(), 0);
        ledger.kafkaTransaction(runId, day, "open");
        long t0 = System.nanoTime();
        DayRecords records = new DayRecords(run, blobs, run.dayBlobs.containsKey(day) ? run.badLines.get(day) : null,
                maxBadRatio, progress(run, day, blobs.size(), t0));
        boolean committed = false;
        try (records) {
            kafka.send(brokers, run.topic(), runId, day, records);
            committed = true;
        } catch (DayFailure e) {
            throw e;
        } catch (Exception e) {
            throw new DayFailure(DayFailure.REPLAY, e instanceof DayFailure ? e.getMessage() : describe(e), e);
        } finally {
            ledger.counts(runId, day, committed ? records.records() : 0, records.bad(), blobs.size());
            if (committed) {
                ledger.kafkaTransaction(runId, day, "committed");
            }
            deadLetters(run, day, records);
        }
        double secs = Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
        LOG.info("Replay {} {}: {} record(s) committed into {} in {} s ({} records/s)", runId, day, records.records(),
                run.topic(), String.format(Locale.ROOT, "%.1f", secs), Math.round(records.records() / secs));
        events.day(runId, day, DayFailure.REPLAY, State.SUCCESS, records.records() + " record(s) into " + run.topic()
                + (records.bad() > 0 ? ", " + records.bad() + " malformed to the dead-letter blob" : ""), records.records());
        events.emit(StatusEvent.dataSetDetails(runId, run.plan.entryName() + "/" + day, "1", StatusEvent.DataSetType.FILE,
                records.records()));
        events.count("flowledger.replay.records", records.records(), "topic", run.topic());
        events.count("flowledger.replay.malformed.records", records.bad(), "topic", run.topic());
    }

    /** Logs records/s and writes the count so far (in the open transaction) to the ledger, every progress-interval. */
    private DayRecords.Progress progress(ActiveRun run, String day, int files, long t0) {
        long[] last = {t0, 0, t0 + progressInterval.toNanos()};
        return (sent, bad, file) -> {
            long now = System.nanoTime();
            if (now < last[2]) {
                return;
            }
            double rate = (sent - last[1]) / ((now - last[0]) / 1e9);
            LOG.info("Replay {} {}: {} record(s) sent into {} ({} records/s), file {}/{}, transaction open", run.runId, day,
                    sent, run.topic(), Math.round(rate), file + 1, files);
            ledger.counts(run.runId, day, sent, bad, files);
            last[0] = now;
            last[1] = sent;
            last[2] = now + progressInterval.toNanos();
        };
    }

    /** Uploads the day's malformed lines (with their positions) next to the backup, under dead-letter-prefix. */
    private void deadLetters(ActiveRun run, String day, DayRecords records) {
        Path file = records.deadLetterFile();
        if (file == null) {
            return;
        }
        String name = config.get("flowledger.replay.dead-letter-prefix").replaceAll("/+$", "") + "/" + run.runId + "/"
                + day + ".ndjson";
        try {
            run.store.upload(run.bucket(), name, file);
            Files.deleteIfExists(file);
            LOG.warn("Replay {} {}: {} malformed line(s) written to {}/{}", run.runId, day, records.bad(), run.bucket(), name);
        } catch (Exception e) {
            LOG.error("Replay {} {}: dead-letter blob {} not written ({}); kept at {}", run.runId, day, name,
                    DayFailure.describe(e), file);
        }
    }

    /** The Kafka error that says why (a refused record's own exception, not the "previous request failed" wrapper). */
    static String describe(Throwable e) {
        Throwable api = null;
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof DayFailure) {
                return t.getMessage();
            }
            if (t instanceof ApiException) {
                api = t;
            }
        }
        return (api != null ? "Kafka: " : "") + DayFailure.describe(api != null ? api : e);
    }
}
