package routes.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.replay.ReplayLedger.Backup;
import routes.replay.ReplayLedger.BackupState;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;

/**
 * A replay run as a whole (bean {@code replayRuns}): records a new run, takes one (claim and heartbeat) and lists its
 * unfinished days, ends it with the per-day table; and finds runs a dead process abandoned.
 */
public class ReplayRuns implements org.apache.camel.CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Config config;
    private final ReplayLedger ledger;
    private final ActiveRun.Registry runs;
    private final ReplayEvents events;
    private final ReplayOverlap overlap;
    private final String owner;
    private final Duration lease;
    private org.apache.camel.CamelContext camel;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "replay-heartbeat");
        t.setDaemon(true);
        return t;
    });

    ReplayRuns(Config config, ReplayLedger ledger, ReplayOverlap overlap, ActiveRun.Registry runs, ReplayEvents events) {
        this.config = config;
        this.overlap = overlap;
        this.ledger = ledger;
        this.runs = runs;
        this.events = events;
        this.owner = routes.common.ClaimOwner.current(UUID.randomUUID().toString().substring(0, 8));
        this.lease = config.getDuration("flowledger.replay.lease");
    }

    @Override
    public void setCamelContext(org.apache.camel.CamelContext camelContext) {
        this.camel = camelContext;
    }

    @Override
    public org.apache.camel.CamelContext getCamelContext() {
        return camel;
    }

    public ReplayLedger ledger() {
        return ledger;
    }

    public Duration lease() {
        return lease;
    }

    /**
     * Checks the parameters (nothing changes when they are bad) and records a new run; returns its id. A run whose
     * days an unfinished run (from this or any other instance on the metadata DB) already replays into the same topic
     * is refused with {@link ReplayOverlap.Overlapping}: a second run would send those days into the topic again.
     */
    public String submit(ReplayParams params) throws ReplayParams.Invalid {
        ReplayParams.Plan plan = params.resolve(config);
        if (!plan.dryRun()) {
            overlap.refuse(plan);
        }
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

    /** Takes the run and returns the days still to do, in order. An empty list when another instance holds it. */
    public List<String> start(@ExchangeProperty("runId") String runId, Exchange exchange) throws Exception {
        ReplayLedger.Run run = ledger.run(runId).orElseThrow(() -> new IllegalArgumentException("no replay run " + runId));
        if (!ledger.claim(runId, owner, Instant.now().minus(lease))) {
            LOG.info("Replay run {} is being worked on by {}; not taking it", runId, run.owner());
            exchange.setProperty("replayClaimed", false);
            return List.of();
        }
        exchange.setProperty("replayClaimed", true);
        ReplayParams.Plan plan = JSON.readValue(run.params(), ReplayParams.class).resolve(config);
        ActiveRun active = new ActiveRun(runId, plan, ReplayStores.create(config, camel));
        long beat = Math.max(200, lease.toMillis() / 3);
        active.heartbeat = heartbeats.scheduleAtFixedRate(() -> {
            try {
                ledger.heartbeat(runId, owner);
            } catch (RuntimeException e) {
                LOG.warn("Replay run {}: heartbeat not recorded: {}", runId, e.getMessage());
            }
        }, beat, beat, TimeUnit.MILLISECONDS);
        runs.put(active);
        List<String> todo = ledger.days(runId).stream()
                .filter(d -> d.status() != DayStatus.SUCCEEDED && d.status() != DayStatus.FAILED)
                .map(Day::day).toList();
        LOG.info("Replay run {}{}: {} of {} day(s) to do, prefix '{}'{}, topic {}, store {}", runId,
                plan.dryRun() ? " (dry run)" : "", todo.size(), plan.days().size(), plan.entryName(),
                plan.fileMode() ? " file " + plan.params().filePath() : "", plan.params().topic(), active.store.kind());
        try {
            events.describe(runId, ReplayLineage.job(config, plan));
        } catch (RuntimeException e) {
            LOG.debug("Replay run {}: no lineage description: {}", runId, e.getMessage());
        }
        events.emit(StatusEvent.status(runId, DayFailure.REPLAY, State.IN_PROGRESS, "replay of " + plan.params().startDate()
                + ".." + plan.params().endDate() + " into " + plan.params().topic() + ": " + todo.size() + " day(s) to do"));
        return todo;
    }

    /** Ends the run (every day SUCCEEDED = succeeded) and returns the per-day table. */
    public String finish(@ExchangeProperty("runId") String runId, Exchange exchange) {
        ActiveRun active = runs.find(runId);
        if (active == null) {
            return summary(runId);
        }
        active.heartbeat.cancel(false);
        try {
            active.store.close();
        } catch (Exception e) {
            LOG.debug("closing store: {}", e.getMessage());
        }
        Throwable crash = exchange.getException();
        List<Day> days = ledger.days(runId);
        long failed = days.stream().filter(d -> d.status() != DayStatus.SUCCEEDED).count();
        String error = crash != null ? crash.getMessage() : failed > 0 ? failed + " of " + days.size() + " day(s) did not succeed" : null;
        ledger.finishRun(runId, owner, failed == 0 && crash == null, error);
        String table = summary(runId);
        runs.remove(runId);
        LOG.info("Replay run {} {}\n{}", runId, error == null ? "SUCCEEDED" : "FAILED: " + error, table);
        events.emit(StatusEvent.status(runId, DayFailure.REPLAY, error == null ? State.SUCCESS : State.FAILED,
                error == null ? "all " + days.size() + " day(s) replayed" : error));
        return table;
    }

    /** The day's recorded state (the route sends a day left in RESTORE straight to the restore). */
    public String dayState(@ExchangeProperty("runId") String runId, @ExchangeProperty("day") String day) {
        return ledger.day(runId, day).status().name();
    }

    /** Files deleted per dependent source for the day (what a dry run would delete). */
    public Map<String, Integer> filesDeleted(String runId, String day) {
        ActiveRun active = runs.find(runId);
        if (active != null && active.dryRunFiles.containsKey(day)) {
            return active.dryRunFiles.get(day);
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
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s  %-9s  %-9s  %10s  %6s  %-40s  %8s  %9s%n", "day", "status", "stage",
                "records", "bad", "files deleted", "segments", "duration"));
        for (Day d : ledger.days(runId)) {
            Map<String, Integer> files = filesDeleted(runId, d.day());
            sb.append(String.format(Locale.ROOT, "%-10s  %-9s  %-9s  %10d  %6d  %-40s  %8d  %8ss%n", d.day(), d.status(),
                    d.failedStage() == null ? "" : d.failedStage(), d.records(), d.badRecords(),
                    files.isEmpty() ? "-" : format(files), d.segmentsRemoved(), seconds(d.durationMs())));
            if (d.error() != null) {
                sb.append("            ").append(d.error()).append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    static String format(Map<String, Integer> files) {
        StringBuilder sb = new StringBuilder();
        files.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return sb.toString();
    }

    static String seconds(Long ms) {
        return ms == null ? "-" : String.format(Locale.ROOT, "%.1f", ms / 1000.0);
    }

    public void close() {
        heartbeats.shutdownNow();
    }
}
