package routes.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.Backup;
import routes.replay.ReplayLedger.BackupState;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;
import routes.replay.ReplayStore.BlobInfo;

/**
 * The replay plan: what the {@code replay} route does for a run and for each of its days, one method a step
 * (pre-flight, backup, replay, cleanup, or restore on failure). Each step reads the day's state from the ledger
 * first and records its own state before it changes anything, so the same methods finish or restore a day an
 * earlier process left half done.
 */
public class ReplayService {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    /** Kafka header on every replayed record: "runId day fileIndex line", how a resume finds what already arrived. */
    public static final String HEADER = "flowledger-replay";

    public static final String PREFLIGHT = "PREFLIGHT";
    public static final String BACKUP = "BACKUP";
    public static final String REPLAY = "REPLAY";
    public static final String CLEANUP = "CLEANUP";
    public static final String RESTORE = "RESTORE";

    /** A day's failure, with the stage it happened in. */
    public static class DayFailure extends RuntimeException {
        final String stage;

        public DayFailure(String stage, String message, Throwable cause) {
            super(message, cause);
            this.stage = stage;
        }
    }

    /** What a run keeps in memory while this process works on it. */
    static final class RunContext {
        final String runId;
        final ReplayParams.Plan plan;
        final ReplayStore store;
        final Map<String, List<BlobInfo>> dayBlobs = new ConcurrentHashMap<>();
        final Map<String, Map<String, Integer>> dryRunFiles = new ConcurrentHashMap<>();
        ScheduledFuture<?> heartbeat;

        RunContext(String runId, ReplayParams.Plan plan, ReplayStore store) {
            this.runId = runId;
            this.plan = plan;
            this.store = store;
        }
    }

    private final Config config;
    private final ReplayLedger ledger;
    private final Supplier<StatusEmitter> emitter;
    private final String owner;
    private final Duration lease;
    private final double maxBadRatio;
    private final Duration progressInterval;
    private final Map<String, RunContext> runs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "replay-heartbeat");
        t.setDaemon(true);
        return t;
    });

    private final Supplier<io.micrometer.core.instrument.MeterRegistry> meters;

    public ReplayService(Config config, ReplayLedger ledger, Supplier<StatusEmitter> emitter,
                         Supplier<io.micrometer.core.instrument.MeterRegistry> meters) {
        this.config = config;
        this.ledger = ledger;
        this.emitter = emitter;
        this.meters = meters;
        this.owner = routes.common.ClaimOwner.current(UUID.randomUUID().toString().substring(0, 8));
        this.lease = config.getDuration("flowledger.replay.lease");
        this.maxBadRatio = Double.parseDouble(config.get("flowledger.replay.max-bad-ratio"));
        this.progressInterval = config.getDuration("flowledger.replay.progress-interval");
    }

    public ReplayLedger ledger() {
        return ledger;
    }

    public Duration lease() {
        return lease;
    }

    // ================================================================== run level

    /** Checks the parameters (nothing changes when they are bad) and records a new run; returns its id. */
    public String submit(ReplayParams params) throws ReplayParams.Invalid {
        ReplayParams.Plan plan = params.resolve(config);
        String id = "replay-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now())
                + "-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            ledger.createRun(id, JSON.writeValueAsString(plan.params()), plan.dryRun(),
                    plan.days().stream().map(Object::toString).toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return id;
    }

    /** Ids of runs whose process died (no heartbeat for a lease): the service finishes or restores them. */
    public List<String> abandonedRuns() {
        return ledger.abandonedRuns(Instant.now().minus(lease));
    }

    /**
     * Takes the run and returns the days still to do, in order. An empty list when another instance holds it.
     */
    public List<String> startRun(@ExchangeProperty("runId") String runId, Exchange exchange) throws Exception {
        ReplayLedger.Run run = ledger.run(runId).orElseThrow(() -> new IllegalArgumentException("no replay run " + runId));
        if (!ledger.claim(runId, owner, Instant.now().minus(lease))) {
            LOG.info("Replay run {} is being worked on by {}; not taking it", runId, run.owner());
            exchange.setProperty("replayClaimed", false);
            return List.of();
        }
        exchange.setProperty("replayClaimed", true);
        ReplayParams params = JSON.readValue(run.params(), ReplayParams.class);
        ReplayParams.Plan plan = params.resolve(config);
        RunContext ctx = new RunContext(runId, plan, ReplayStores.create(config));
        long beat = Math.max(200, lease.toMillis() / 3);
        ctx.heartbeat = heartbeats.scheduleAtFixedRate(() -> {
            try {
                ledger.heartbeat(runId, owner);
            } catch (RuntimeException e) {
                LOG.warn("Replay run {}: heartbeat not recorded: {}", runId, e.getMessage());
            }
        }, beat, beat, TimeUnit.MILLISECONDS);
        runs.put(runId, ctx);
        List<String> todo = ledger.days(runId).stream()
                .filter(d -> d.status() != DayStatus.SUCCEEDED && d.status() != DayStatus.FAILED)
                .map(Day::day).toList();
        LOG.info("Replay run {}{}: {} of {} day(s) to do, prefix '{}'{}, topic {}, store {}", runId,
                plan.dryRun() ? " (dry run)" : "", todo.size(), plan.days().size(), plan.entryName(),
                plan.fileMode() ? " file " + plan.params().filePath() : "", plan.params().topic(), ctx.store.kind());
        emit(StatusEvent.status(runId, REPLAY, State.IN_PROGRESS, "replay of " + plan.params().startDate() + ".."
                + plan.params().endDate() + " into " + plan.params().topic() + ": " + todo.size() + " day(s) to do"));
        return todo;
    }

    /** Ends the run (every day SUCCEEDED = succeeded) and returns the per-day table. */
    public String finishRun(@ExchangeProperty("runId") String runId, Exchange exchange) {
        RunContext ctx = runs.remove(runId);
        if (ctx == null) {
            return summary(runId);
        }
        ctx.heartbeat.cancel(false);
        try {
            ctx.store.close();
        } catch (Exception e) {
            LOG.debug("closing store: {}", e.getMessage());
        }
        Throwable crash = exchange.getException();
        List<Day> days = ledger.days(runId);
        long failed = days.stream().filter(d -> d.status() != DayStatus.SUCCEEDED).count();
        String error = crash != null ? crash.getMessage() : failed > 0 ? failed + " of " + days.size() + " day(s) did not succeed" : null;
        ledger.finishRun(runId, owner, failed == 0 && crash == null, error);
        String table = summary(runId);
        LOG.info("Replay run {} {}\n{}", runId, error == null ? "SUCCEEDED" : "FAILED: " + error, table);
        emit(StatusEvent.status(runId, REPLAY, error == null ? State.SUCCESS : State.FAILED,
                error == null ? "all " + days.size() + " day(s) replayed" : error));
        return table;
    }

    /** The day's recorded state (the route sends a day left in RESTORE straight to {@link #fail}). */
    public String dayState(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) {
        return ledger.day(runId, day).status().name();
    }

    // ================================================================== day steps

    /**
     * Step 0: reads the whole day's backup once (decompress, split lines, parse JSON) before anything changes.
     * A day that cannot be read fails here, with nothing deleted and nothing sent.
     */
    public void preflight(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) {
        RunContext ctx = context(runId);
        Day d = ledger.day(runId, day);
        if (d.status() != DayStatus.PENDING && d.status() != DayStatus.PREFLIGHT) {
            return; // a resumed day past its pre-flight
        }
        ledger.dayStatus(runId, day, DayStatus.PREFLIGHT);
        emitDay(runId, day, PREFLIGHT, State.IN_PROGRESS, "reading the backup of " + day);
        long t0 = System.nanoTime();
        List<BlobInfo> blobs;
        long good = 0;
        long bad = 0;
        try {
            blobs = sourceBlobs(ctx, day);
            for (BlobInfo b : blobs) {
                try (BufferedReader r = reader(ctx.store, ctx.plan.params().bucket(), b.name())) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.isBlank()) {
                            continue;
                        }
                        if (jsonProblem(line) == null) {
                            good++;
                        } else {
                            bad++;
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    throw new DayFailure(PREFLIGHT, "cannot read " + b.name() + ": " + describe(e), e);
                }
            }
        } catch (DayFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DayFailure(PREFLIGHT, "cannot list the backup of " + day + " in " + ctx.plan.params().bucket()
                    + ": " + describe(e), e);
        }
        ledger.counts(runId, day, ctx.plan.dryRun() ? good : 0, bad, blobs.size());
        if (tooManyBad(good, bad)) {
            throw new DayFailure(PREFLIGHT, bad + " of " + (good + bad) + " line(s) are not JSON, more than "
                    + "flowledger.replay.max-bad-ratio=" + maxBadRatio + " allows", null);
        }
        ctx.dayBlobs.put(day, blobs);
        LOG.info("Replay {} {}: pre-flight read {} file(s), {} record(s), {} malformed, in {} ms", runId, day,
                blobs.size(), good, bad, (System.nanoTime() - t0) / 1_000_000);
        emitDay(runId, day, PREFLIGHT, State.SUCCESS, blobs.size() + " file(s), " + good + " record(s), " + bad + " malformed");
    }

    /**
     * Step 1: records the day's existing Druid segments, then copies every azure dependent blob of the day to this
     * run's backup prefix (name, size, ETag recorded first), verifies each copy, and only then deletes the originals.
     */
    public void backup(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) throws Exception {
        RunContext ctx = context(runId);
        Day d = ledger.day(runId, day);
        if (d.status() == DayStatus.BACKUP) {
            // Interrupted mid-backup: put back what was moved, then start the backup over.
            LOG.info("Replay {} {}: backup was interrupted; restoring it before starting over", runId, day);
            restoreBlobs(ctx, day);
            ledger.forgetDayWork(runId, day);
        } else if (d.status() != DayStatus.PREFLIGHT) {
            return;
        }
        ReplayParams.Plan plan = ctx.plan;
        String bucket = plan.params().bucket();
        if (plan.dryRun()) {
            Map<String, Integer> files = new LinkedHashMap<>();
            for (String prefix : plan.azureDependents()) {
                files.put(prefix, ctx.store.list(bucket, ReplayParams.dayPrefix(prefix, day)).size());
            }
            int segments = 0;
            for (String ds : plan.druidDependents()) {
                segments += druid().segmentsOf(ds, day).size();
            }
            ctx.dryRunFiles.put(day, files);
            ledger.segmentsRemoved(runId, day, segments);
            LOG.info("Replay {} {} (dry run): would back up and delete {}, mark {} Druid segment(s) unused", runId, day,
                    files, segments);
            return;
        }
        ledger.dayStatus(runId, day, DayStatus.BACKUP);
        emitDay(runId, day, BACKUP, State.IN_PROGRESS, "backing up " + plan.azureDependents() + ", recording Druid segments of "
                + plan.druidDependents());
        try {
            for (String ds : plan.druidDependents()) {
                for (String id : druid().segmentsOf(ds, day)) {
                    ledger.recordSegment(runId, day, ds, id);
                }
            }
            String backupRoot = config.get("flowledger.replay.backup-prefix").replaceAll("/+$", "") + "/" + runId + "/";
            List<Backup> planned = new ArrayList<>();
            for (String prefix : plan.azureDependents()) {
                for (BlobInfo b : ctx.store.list(bucket, ReplayParams.dayPrefix(prefix, day))) {
                    Backup row = new Backup(runId, day, prefix, b.name(), backupRoot + b.name(), b.size(), b.etag(), b.md5(),
                            BackupState.PLANNED);
                    ledger.planBackup(row);
                    planned.add(row);
                }
            }
            for (Backup b : planned) {
                BlobInfo copy = ctx.store.copy(bucket, b.blobName(), b.backupName());
                if (!ReplayStore.sameContent(original(b), copy)) {
                    throw new IOException("backup copy of " + b.blobName() + " differs from the original (size "
                            + copy.size() + " vs " + b.size() + ")");
                }
                ledger.backupState(runId, b.blobName(), BackupState.COPIED);
            }
            for (Backup b : planned) {
                ctx.store.delete(bucket, b.blobName());
                ledger.backupState(runId, b.blobName(), BackupState.DELETED);
            }
            Map<String, Long> perSource = new LinkedHashMap<>();
            planned.forEach(b -> perSource.merge(b.sourcePrefix(), 1L, Long::sum));
            emitDay(runId, day, BACKUP, State.SUCCESS, "backed up and deleted " + perSource + "; "
                    + ledger.segments(runId, day).size() + " Druid segment(s) recorded");
        } catch (Exception e) {
            throw new DayFailure(BACKUP, describe(e), e);
        }
    }

    /**
     * Step 2: streams the day's backup into the topic, one line one record, with an idempotent acks=all producer.
     * Malformed lines go to a dead-letter blob with their position. A resumed day skips the lines whose records
     * already reached the topic (found by their {@value #HEADER} header after the offsets recorded at the start).
     */
    public void replay(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) throws Exception {
        RunContext ctx = context(runId);
        Day d = ledger.day(runId, day);
        ReplayParams.Plan plan = ctx.plan;
        if (plan.dryRun()) {
            return;
        }
        Map<Integer, BitSet> alreadyThere = Map.of();
        if (d.status() == DayStatus.REPLAY) {
            alreadyThere = recordsInTopic(plan, runId, day, d.startOffsets());
            LOG.info("Replay {} {}: resuming; {} record(s) of this day are already in {}", runId, day,
                    alreadyThere.values().stream().mapToLong(BitSet::cardinality).sum(), plan.params().topic());
        } else if (d.status() == DayStatus.BACKUP || d.status() == DayStatus.PREFLIGHT) {
            String offsets;
            try {
                offsets = endOffsets(plan);
            } catch (Exception e) {
                throw new DayFailure(REPLAY, "Kafka: " + describe(e), e);
            }
            ledger.startReplay(runId, day, offsets);
        } else {
            return;
        }
        emitDay(runId, day, REPLAY, State.IN_PROGRESS, "replaying into " + plan.params().topic());
        try {
            sendDay(ctx, day, alreadyThere);
        } catch (DayFailure e) {
            throw e;
        } catch (Exception e) {
            throw new DayFailure(REPLAY, describe(e), e);
        }
    }

    private void sendDay(RunContext ctx, String day, Map<Integer, BitSet> alreadyThere) throws Exception {
        String runId = ctx.runId;
        ReplayParams.Plan plan = ctx.plan;
        String bucket = plan.params().bucket();
        List<BlobInfo> blobs = ctx.dayBlobs.containsKey(day) ? ctx.dayBlobs.get(day) : sourceBlobs(ctx, day);
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong acked = new AtomicLong();
        AtomicLong answered = new AtomicLong();
        Callback callback = (md, ex) -> {
            if (ex != null) {
                failure.compareAndSet(null, ex);
            } else {
                acked.incrementAndGet();
            }
            answered.incrementAndGet();
        };
        long skipped = 0;
        long bad = 0;
        long sent = 0;
        Path deadLetter = null;
        BufferedWriter dl = null;
        long t0 = System.nanoTime();
        long nextProgress = t0 + progressInterval.toNanos();
        long lastCount = 0;
        long lastTime = t0;
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(plan));
        boolean ok = false;
        try {
            for (int fi = 0; fi < blobs.size(); fi++) {
                BlobInfo blob = blobs.get(fi);
                BitSet skip = alreadyThere.get(fi);
                try (BufferedReader r = reader(ctx.store, bucket, blob.name())) {
                    String line;
                    int lineNo = 0;
                    while ((line = r.readLine()) != null) {
                        lineNo++;
                        if (line.isBlank()) {
                            continue;
                        }
                        Exception f = failure.get();
                        if (f != null) {
                            throw new DayFailure(REPLAY, "Kafka refused a record: " + describe(f), f);
                        }
                        if (skip != null && skip.get(lineNo)) {
                            skipped++;
                            continue;
                        }
                        String problem = jsonProblem(line);
                        if (problem != null) {
                            if (dl == null) {
                                deadLetter = Files.createTempFile("replay-dead-letter-", ".ndjson");
                                dl = Files.newBufferedWriter(deadLetter, StandardCharsets.UTF_8);
                            }
                            Map<String, Object> entry = new LinkedHashMap<>();
                            entry.put("file", blob.name());
                            entry.put("line", lineNo);
                            entry.put("error", problem);
                            entry.put("content", line);
                            dl.write(JSON.writeValueAsString(entry));
                            dl.newLine();
                            bad++;
                            continue;
                        }
                        byte[] where = (runId + " " + day + " " + fi + " " + lineNo).getBytes(StandardCharsets.UTF_8);
                        producer.send(new ProducerRecord<>(plan.params().topic(), null, null, null,
                                line.getBytes(StandardCharsets.UTF_8), List.<Header>of(new RecordHeader(HEADER, where))), callback);
                        sent++;
                        if ((sent & 1023) == 0) {
                            long now = System.nanoTime();
                            if (now >= nextProgress) {
                                long done = acked.get() + skipped;
                                double rate = (acked.get() - lastCount) / ((now - lastTime) / 1e9);
                                LOG.info("Replay {} {}: {} record(s) in {} ({} records/s), file {}/{}", runId, day, done,
                                        plan.params().topic(), Math.round(rate), fi + 1, blobs.size());
                                ledger.counts(runId, day, done, bad, blobs.size());
                                lastCount = acked.get();
                                lastTime = now;
                                nextProgress = now + progressInterval.toNanos();
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new DayFailure(REPLAY, "cannot read " + blob.name() + ": " + describe(e), e);
                }
            }
            producer.flush();
            // Every record must have its answer before the day counts as replayed.
            long waitUntil = System.nanoTime() + config.getDuration("flowledger.replay.delivery-timeout").toNanos();
            while (answered.get() < sent && failure.get() == null && System.nanoTime() < waitUntil) {
                Thread.sleep(10);
            }
            Exception f = failure.get();
            if (f != null) {
                throw new DayFailure(REPLAY, "Kafka refused a record: " + describe(f), f);
            }
            if (acked.get() < sent) {
                throw new DayFailure(REPLAY, "Kafka acknowledged " + acked.get() + " of " + sent + " record(s)", null);
            }
            ok = true;
        } finally {
            producer.close(ok ? Duration.ofSeconds(30) : Duration.ZERO);
            if (dl != null) {
                dl.close();
            }
            long records = acked.get() + skipped;
            ledger.counts(runId, day, records, bad, blobs.size());
            if (deadLetter != null) {
                String name = config.get("flowledger.replay.dead-letter-prefix").replaceAll("/+$", "") + "/" + runId + "/"
                        + day + ".ndjson";
                try {
                    ctx.store.upload(bucket, name, deadLetter);
                    LOG.warn("Replay {} {}: {} malformed line(s) written to {}/{}", runId, day, bad, bucket, name);
                } catch (RuntimeException e) {
                    LOG.error("Replay {} {}: dead-letter blob {} not written ({}); kept at {}", runId, day, name,
                            describe(e), deadLetter);
                    deadLetter = null;
                }
                if (deadLetter != null) {
                    Files.deleteIfExists(deadLetter);
                }
            }
            double secs = Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
            LOG.info("Replay {} {}: {} record(s) into {} in {} s ({} records/s){}", runId, day, records,
                    plan.params().topic(), String.format(Locale.ROOT, "%.1f", secs), Math.round(acked.get() / secs),
                    skipped > 0 ? ", " + skipped + " already there from before the interruption" : "");
        }
        if (tooManyBad(acked.get() + skipped, bad)) {
            throw new DayFailure(REPLAY, bad + " malformed line(s): more than flowledger.replay.max-bad-ratio=" + maxBadRatio, null);
        }
        emitDay(runId, day, REPLAY, State.SUCCESS, (acked.get() + skipped) + " record(s) into " + plan.params().topic()
                + (bad > 0 ? ", " + bad + " malformed to the dead-letter blob" : ""));
        emit(StatusEvent.dataSetDetails(runId, plan.entryName() + "/" + day, "1", StatusEvent.DataSetType.FILE,
                acked.get() + skipped));
        count("flowledger.replay.records", acked.get(), "topic", plan.params().topic());
        count("flowledger.replay.malformed.records", bad, "topic", plan.params().topic());
    }

    /**
     * Step 3 on success: deletes the backup (unless --delete-backups false) and marks exactly the recorded old
     * Druid segments unused. Recorded as CLEANUP first; a failure here leaves the day in CLEANUP for --resume
     * (the replay is done, restoring would bring the old data back next to the new).
     */
    public void cleanup(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) throws Exception {
        RunContext ctx = context(runId);
        ReplayParams.Plan plan = ctx.plan;
        Day d = ledger.day(runId, day);
        if (plan.dryRun()) {
            ledger.finishDay(runId, day, DayStatus.SUCCEEDED, null, null);
            return;
        }
        if (d.status() != DayStatus.REPLAY && d.status() != DayStatus.CLEANUP) {
            return;
        }
        ledger.dayStatus(runId, day, DayStatus.CLEANUP);
        emitDay(runId, day, CLEANUP, State.IN_PROGRESS, "removing backups and old Druid segments");
        try {
            String bucket = plan.params().bucket();
            for (Backup b : ledger.backups(runId, day)) {
                if (b.state() == BackupState.DELETED || b.state() == BackupState.COPIED) {
                    if (Boolean.TRUE.equals(plan.params().deleteBackups())) {
                        ctx.store.delete(bucket, b.backupName());
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
                druid().markUnused(e.getKey(), e.getValue());
                ledger.segmentsUnused(runId, e.getKey(), e.getValue());
            }
            int removed = (int) ledger.segments(runId, day).stream().filter(s -> "UNUSED".equals(s.state())).count();
            ledger.segmentsRemoved(runId, day, removed);
        } catch (Exception e) {
            throw new DayFailure(CLEANUP, describe(e), e);
        }
        ledger.finishDay(runId, day, DayStatus.SUCCEEDED, null, null);
        count("flowledger.replay.days", 1, "status", "succeeded");
        emitDay(runId, day, CLEANUP, State.SUCCESS, "day replayed and cleaned up");
    }

    /**
     * Step 3 on failure: puts every backed-up blob back (verifying size and Content-MD5 against what was recorded),
     * then fails the day; the run goes on with the next day. Never throws: a restore that cannot finish leaves the
     * day in RESTORE, with its backups, for --resume.
     */
    public void fail(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day, Exchange exchange) {
        RunContext ctx = context(runId);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Day d = ledger.day(runId, day);
        String stage = cause instanceof DayFailure f ? f.stage : d.failedStage() != null ? d.failedStage() : REPLAY;
        String error = cause != null ? describe(cause) : d.error();
        if (cause != null) {
            LOG.warn("Replay {} {}: {} failed: {}", runId, day, stage, error);
            emitDay(runId, day, stage, State.FAILED, error);
        }
        if (CLEANUP.equals(stage) || d.status() == DayStatus.CLEANUP) {
            // The records are in the topic: finishing the clean-up is the way forward, not a restore.
            ledger.error(runId, day, CLEANUP, error + " (resume the run to finish the clean-up)");
            return;
        }
        ledger.error(runId, day, stage, error);
        if (ledger.backups(runId, day).isEmpty()) {
            ledger.finishDay(runId, day, DayStatus.FAILED, stage, error); // nothing was moved: nothing to restore
            count("flowledger.replay.days", 1, "status", "failed");
            return;
        }
        ledger.dayStatus(runId, day, DayStatus.RESTORE);
        emitDay(runId, day, RESTORE, State.IN_PROGRESS, "restoring the downstream blobs of " + day);
        try {
            int restored = restoreBlobs(ctx, day);
            ledger.finishDay(runId, day, DayStatus.FAILED, stage, error);
            count("flowledger.replay.days", 1, "status", "failed");
            count("flowledger.replay.restored.blobs", restored, "stage", stage);
            emitDay(runId, day, RESTORE, State.SUCCESS, restored + " blob(s) restored");
        } catch (Exception e) {
            String why = "restore failed: " + describe(e) + " (backups kept; resume the run to finish the restore)";
            LOG.error("Replay {} {}: {}", runId, day, why);
            ledger.error(runId, day, stage, error + "; " + why);
            emitDay(runId, day, RESTORE, State.FAILED, why);
        }
    }

    /** Puts back every blob of the day that was deleted, and drops backup copies of blobs that were never deleted. */
    private int restoreBlobs(RunContext ctx, String day) throws IOException {
        String bucket = ctx.plan.params().bucket();
        int restored = 0;
        for (Backup b : ledger.backups(ctx.runId, day)) {
            if (b.state() == BackupState.RESTORED || b.state() == BackupState.CLEANED || b.state() == BackupState.KEPT) {
                continue;
            }
            var current = ctx.store.stat(bucket, b.blobName());
            if (current.isEmpty()) {
                var backup = ctx.store.stat(bucket, b.backupName());
                if (backup.isEmpty()) {
                    throw new IOException(b.blobName() + " is deleted and its backup " + b.backupName() + " is missing");
                }
                BlobInfo back = ctx.store.copy(bucket, b.backupName(), b.blobName());
                if (!ReplayStore.sameContent(original(b), back)) {
                    throw new IOException("restored " + b.blobName() + " differs from the original (size " + back.size()
                            + " vs " + b.size() + ")");
                }
                restored++;
            }
            ctx.store.delete(bucket, b.backupName());
            ledger.backupState(ctx.runId, b.blobName(), BackupState.RESTORED);
        }
        return restored;
    }

    // ================================================================== reports

    /** The day's Slack message ({"text": ...}), or null when there is no webhook or it is a dry run. */
    public Map<String, Object> slackMessage(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day,
                                            Exchange exchange) {
        RunContext ctx = context(runId);
        String url = config.get("flowledger.slack.webhook-url");
        if (url.isBlank() || ctx.plan.dryRun()) {
            return null;
        }
        exchange.setProperty("slackUrl", url);
        Day d = ledger.day(runId, day);
        ReplayParams p = ctx.plan.params();
        StringBuilder t = new StringBuilder();
        boolean ok = d.status() == DayStatus.SUCCEEDED;
        t.append(ok ? ":white_check_mark: Replay completed" : ":x: Replay FAILED").append(" for ").append(day)
                .append(" (").append(ctx.plan.fileMode() ? p.filePath() : p.prefix()).append(" -> ").append(p.topic())
                .append(", run ").append(runId).append(")\n");
        if (!ok) {
            t.append("Error in ").append(d.failedStage()).append(": ").append(d.error()).append('\n');
            boolean touched = !ledger.backups(runId, day).isEmpty();
            if (d.status() == DayStatus.FAILED) {
                t.append(touched ? "Downstream data restored.\n" : "Downstream data untouched (nothing was deleted).\n");
            } else {
                t.append("Day left in ").append(d.status()).append(": resume the run to finish it.\n");
            }
        }
        t.append("Records replayed: ").append(d.records());
        if (d.badRecords() > 0) {
            t.append(" (").append(d.badRecords()).append(" malformed, in the dead-letter blob)");
        }
        t.append('\n');
        Map<String, Integer> files = filesDeleted(runId, day, ctx);
        t.append("Files deleted: ").append(files.isEmpty() ? "none" : format(files))
                .append(ok || files.isEmpty() ? "" : " (restored)").append('\n');
        t.append("Druid segments removed: ").append(d.segmentsRemoved()).append('\n');
        t.append("Time taken: ").append(seconds(d.durationMs())).append(" s");
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("text", t.toString());
        return msg;
    }

    /** Files deleted per dependent source for the day (what a dry run would delete). */
    Map<String, Integer> filesDeleted(String runId, String day, RunContext ctx) {
        if (ctx != null && ctx.dryRunFiles.containsKey(day)) {
            return ctx.dryRunFiles.get(day);
        }
        Map<String, Integer> files = new LinkedHashMap<>();
        for (Backup b : ledger.backups(runId, day)) {
            if (b.state() != BackupState.PLANNED && b.state() != BackupState.COPIED) {
                files.merge(b.sourcePrefix(), 1, Integer::sum);
            }
        }
        return files;
    }

    /** The final per-day table: status, records, files deleted per source, segments removed, duration. */
    public String summary(String runId) {
        RunContext ctx = runs.get(runId);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s  %-9s  %-9s  %10s  %6s  %-40s  %8s  %9s%n", "day", "status", "stage",
                "records", "bad", "files deleted", "segments", "duration"));
        for (Day d : ledger.days(runId)) {
            Map<String, Integer> files = filesDeleted(runId, d.day(), ctx);
            sb.append(String.format(Locale.ROOT, "%-10s  %-9s  %-9s  %10d  %6d  %-40s  %8d  %8ss%n", d.day(), d.status(),
                    d.failedStage() == null ? "" : d.failedStage(), d.records(), d.badRecords(),
                    files.isEmpty() ? "-" : format(files), d.segmentsRemoved(), seconds(d.durationMs())));
            if (d.error() != null) {
                sb.append("            ").append(d.error()).append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    // ================================================================== helpers

    RunContext context(String runId) {
        RunContext ctx = runs.get(runId);
        if (ctx == null) {
            throw new IllegalStateException("replay run " + runId + " is not running in this process");
        }
        return ctx;
    }

    private List<BlobInfo> sourceBlobs(RunContext ctx, String day) {
        ReplayParams p = ctx.plan.params();
        if (ctx.plan.fileMode()) {
            BlobInfo file = ctx.store.stat(p.bucket(), p.filePath()).orElseThrow(() -> new DayFailure(PREFLIGHT,
                    "file " + p.filePath() + " does not exist in " + p.bucket(), null));
            return List.of(file);
        }
        List<BlobInfo> blobs = ctx.store.list(p.bucket(), ReplayParams.dayPrefix(p.prefix(), day));
        if (blobs.isEmpty()) {
            throw new DayFailure(PREFLIGHT, "no backup blobs under " + p.bucket() + "/"
                    + ReplayParams.dayPrefix(p.prefix(), day), null);
        }
        return blobs;
    }

    static BufferedReader reader(ReplayStore store, String bucket, String name) throws IOException {
        InputStream in = store.open(bucket, name);
        try {
            if (name.endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16);
            }
        } catch (IOException e) {
            in.close();
            throw e;
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }

    /** Null when the line is one JSON value; otherwise why not. */
    static String jsonProblem(String line) {
        try (JsonParser p = JSON_FACTORY.createParser(line)) {
            if (p.nextToken() == null) {
                return "empty";
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                return "more than one JSON value on the line";
            }
            return null;
        } catch (IOException e) {
            String m = e.getMessage();
            return "not JSON: " + (m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m));
        }
    }

    private boolean tooManyBad(long good, long bad) {
        return bad > 0 && (double) bad / (good + bad) > maxBadRatio;
    }

    private Properties producerProps(ReplayParams.Plan plan) {
        long delivery = config.getDuration("flowledger.replay.delivery-timeout").toMillis();
        int linger = config.getInt("flowledger.replay.linger-ms", 0, 60_000);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, plan.params().brokerList());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(linger));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(config.getInt("flowledger.replay.batch-size", 1, 16 << 20)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(delivery));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(1, Math.min(30_000, delivery - linger - 1))));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(delivery));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "flowledger-replay");
        return p;
    }

    private Properties consumerProps(ReplayParams.Plan plan) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, plan.params().brokerList());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                String.valueOf(config.getDuration("flowledger.replay.delivery-timeout").toMillis()));
        return p;
    }

    /** The topic's end offsets now, as "partition:offset,..." (empty when the topic does not exist yet). */
    private String endOffsets(ReplayParams.Plan plan) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(plan))) {
            List<PartitionInfo> parts = c.partitionsFor(plan.params().topic());
            if (parts == null || parts.isEmpty()) {
                return "";
            }
            List<TopicPartition> tps = parts.stream().map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            StringBuilder sb = new StringBuilder();
            c.endOffsets(tps).forEach((tp, off) -> sb.append(sb.length() == 0 ? "" : ",").append(tp.partition()).append(':').append(off));
            return sb.toString();
        }
    }

    /** Lines of this run's day already in the topic: file index -> line numbers, from the records' headers. */
    private Map<Integer, BitSet> recordsInTopic(ReplayParams.Plan plan, String runId, String day, String startOffsets) {
        Map<Integer, Long> start = new HashMap<>();
        if (startOffsets != null && !startOffsets.isBlank()) {
            for (String part : startOffsets.split(",")) {
                String[] kv = part.split(":");
                start.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
            }
        }
        String prefix = runId + " " + day + " ";
        Map<Integer, BitSet> seen = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(plan))) {
            List<PartitionInfo> parts = c.partitionsFor(plan.params().topic());
            if (parts == null || parts.isEmpty()) {
                return seen;
            }
            List<TopicPartition> tps = parts.stream().map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            c.assign(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            for (TopicPartition tp : tps) {
                c.seek(tp, start.getOrDefault(tp.partition(), 0L));
            }
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    Header h = r.headers().lastHeader(HEADER);
                    if (h == null) {
                        continue;
                    }
                    String v = new String(h.value(), StandardCharsets.UTF_8);
                    if (v.startsWith(prefix)) {
                        String[] fl = v.substring(prefix.length()).split(" ");
                        seen.computeIfAbsent(Integer.parseInt(fl[0]), k -> new BitSet()).set(Integer.parseInt(fl[1]));
                    }
                }
            }
        }
        return seen;
    }

    private DruidClient druid() {
        return new DruidClient(config.require("flowledger.druid.url"), Duration.ofSeconds(30));
    }

    private static BlobInfo original(Backup b) {
        return new BlobInfo(b.blobName(), b.size(), b.etag(), b.md5());
    }

    /** Micrometer counters, scraped as flowledger_replay_..._total on /observe/metrics (none in a job command). */
    private void count(String name, long amount, String tag, String value) {
        try {
            var registry = meters.get();
            if (registry != null && amount > 0) {
                registry.counter(name, tag, value).increment(amount);
            }
        } catch (RuntimeException e) {
            LOG.debug("metric {} not counted: {}", name, e.getMessage());
        }
    }

    private void emitDay(String runId, String day, String stage, State state, String message) {
        emit(StatusEvent.recordStatus(runId, day, "1", stage, state, message, null));
    }

    private void emit(StatusEvent e) {
        try {
            StatusEmitter em = emitter.get();
            if (em != null) {
                em.emit(e);
            }
        } catch (RuntimeException ex) {
            LOG.warn("status message not emitted: {}", ex.getMessage());
        }
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while (t instanceof DayFailure && t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof DayFailure) {
            return m;
        }
        if (t instanceof com.azure.storage.blob.models.BlobStorageException b) {
            return "Azure Blob " + b.getErrorCode() + " (HTTP " + b.getStatusCode() + ")"; // its message is the XML body
        }
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(m));
    }

    private static String format(Map<String, Integer> files) {
        StringBuilder sb = new StringBuilder();
        files.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return sb.toString();
    }

    private static String seconds(Long ms) {
        return ms == null ? "-" : String.format(Locale.ROOT, "%.1f", ms / 1000.0);
    }

    public void close() {
        heartbeats.shutdownNow();
    }
}
