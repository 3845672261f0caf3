package routes.cubic;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent;

/**
 * The DMAP fetch's rules (ADR 5's py_cubic_dmap_fetch; the HTTP call and the upload are the cubic-ingestion
 * route's http and aws2-s3 steps): for each configured dataset, the day's file from the DMAP API ({@code GET <url>/datasets/<dataset>/<yyyy-MM-dd>} with header {@code x-api-key}) and uploads it to
 * {@code cubic/dmap/<table>/<yyyyMMdd>.csv} in the incoming bucket. A ledger row per dataset and day makes a re-run
 * skip what was fetched; 408/429/5xx and connection errors are retried with backoff; 401/403 is a clear error.
 */
public class CubicDmapFetcher {

    private static final Logger LOG = LoggerFactory.getLogger(CubicDmapFetcher.class);
    public static final String STAGE = "CUBIC_DMAP_FETCH";
    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

    /** datasets: dataset name to table name. */
    public record Settings(String url, String apiKey, Map<String, String> datasets, int attempts, Duration backoff,
                           Duration checkInterval) {
        public static Settings from(Config c) {
            Map<String, String> ds = new LinkedHashMap<>();
            for (String pair : c.get("flowledger.cubic.dmap.datasets").split(",")) {
                String p = pair.trim();
                if (p.isEmpty()) {
                    continue;
                }
                String[] kv = p.split("=", 2);
                String dataset = kv[0].trim();
                String table = kv.length == 2 ? kv[1].trim() : dataset;
                if (!dataset.matches("[A-Za-z0-9._-]+") || !table.matches("[a-z0-9_]+")) {
                    throw c.invalid("flowledger.cubic.dmap.datasets",
                            "must be dataset[=table] entries separated by commas (agg_sample=agg_sample)");
                }
                ds.put(dataset, table);
            }
            String url = ds.isEmpty() ? c.get("flowledger.cubic.dmap.url") : c.getUrl("flowledger.cubic.dmap.url");
            if (!ds.isEmpty()) {
                c.require("flowledger.cubic.dmap.api-key");
            }
            return new Settings(url.endsWith("/") ? url.substring(0, url.length() - 1) : url,
                    c.get("flowledger.cubic.dmap.api-key"), ds,
                    c.getInt("flowledger.cubic.dmap.attempts", 1, 20), c.getDuration("flowledger.cubic.dmap.backoff"),
                    c.getDuration("flowledger.cubic.dmap.check-interval"));
        }
    }

    /** The outcome for one dataset and day. */
    public enum Outcome { FETCHED, ALREADY_FETCHED, NOT_AVAILABLE, REFUSED, FAILED }

    /** One dataset's file of one day: where it is asked for and where it goes. */
    public record Fetch(String dataset, String table, LocalDate day) {
        public String getKey() {
            return "cubic/dmap/" + table + "/" + DAY.format(day) + ".csv";
        }

        public String getCorrelationId() {
            return "cubic-dmap-" + dataset + "-" + DAY.format(day);
        }
    }

    /** Exchange properties of one fetch: the fetch, its outcome once decided, the attempts made. */
    public static final String FETCH = "dmapFetch";
    public static final String OUTCOME = "dmapOutcome";
    public static final String OUTCOMES = "dmapOutcomes";
    private static final String ATTEMPT = "dmapAttempt";
    private static final String ERROR = "dmapLastError";
    /** Not an outcome: the file is downloaded and waits for its upload. */
    public static final String DOWNLOADED = "DOWNLOADED";

    private final Settings settings;
    private final DataSource ds;
    private final Consumer<StatusEvent> status;

    public CubicDmapFetcher(Settings settings, DataSource ds, Consumer<StatusEvent> status) {
        this.settings = settings;
        this.ds = ds;
        this.status = status;
    }

    /** For the route's autoStartup: enabled, and not in a one-off job. */
    public boolean autoStart() {
        return enabled() && !job;
    }

    /** Set for one-off job commands, where schedules stay stopped. */
    public volatile boolean job;

    public long checkIntervalMs() {
        return Math.max(1000, settings.checkInterval().toMillis());
    }

    public boolean enabled() {
        return !settings.datasets().isEmpty();
    }

    /** The scheduled check's day: yesterday (UTC). */
    public LocalDate yesterday() {
        return LocalDate.now(ZoneOffset.UTC).minusDays(1);
    }

    /**
     * The fetches of one day the route makes (datasets already fetched for it are left out and reported as such in
     * the exchange property {@link #OUTCOMES}, where the route collects every dataset's outcome).
     */
    public List<Fetch> fetches(Exchange exchange) {
        LocalDate day = exchange.getMessage().getBody(LocalDate.class);
        Map<String, Outcome> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
        exchange.setProperty(OUTCOMES, outcomes);
        List<Fetch> out = new ArrayList<>();
        settings.datasets().forEach((dataset, table) -> {
            if ("done".equals(ledgerStatus(dataset, day))) {
                outcomes.put(dataset, Outcome.ALREADY_FETCHED);
            } else {
                out.add(new Fetch(dataset, table, day));
            }
        });
        return out;
    }

    /** The HTTP endpoint of one fetch ({@code GET <url>/datasets/<dataset>/<yyyy-MM-dd>}; answers judged below). */
    public String uri(Fetch f) {
        return settings.url() + "/datasets/" + f.dataset() + "/" + f.day() + "?throwExceptionOnFailure=false";
    }

    /** Before each attempt: the API key header (set here, so it never shows in a route definition), no body. */
    public void prepare(Exchange exchange) {
        exchange.getMessage().setHeaders(new java.util.HashMap<>());
        exchange.getMessage().setHeader("x-api-key", settings.apiKey());
        exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "GET");
        exchange.getMessage().setBody(null);
        exchange.setProperty("dmapUri", uri(exchange.getProperty(FETCH, Fetch.class)));
        exchange.setProperty(ATTEMPT, exchange.getProperty(ATTEMPT, 0, Integer.class) + 1);
    }

    /**
     * The DMAP API's answer: 200 spools the file to local disk for the upload, 404 (not yet available) and 401/403
     * (key refused) end the fetch, 408/429/5xx are tried again with backoff, any other 4xx ends it as failed.
     */
    public void answered(Exchange exchange) throws IOException {
        Fetch f = exchange.getProperty(FETCH, Fetch.class);
        int attempt = exchange.getProperty(ATTEMPT, Integer.class);
        int code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (code == 200) {
            Path tmp = Files.createTempFile("cubic-dmap-", ".csv");
            try (InputStream in = exchange.getMessage().getBody(InputStream.class)) {
                if (in != null) {
                    Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            exchange.getMessage().setHeaders(new java.util.HashMap<>());
            exchange.getMessage().setBody(tmp.toFile());
            exchange.setProperty(OUTCOME, DOWNLOADED);
            return;
        }
        if (code == 404) {
            record(f.dataset(), f.day(), "not_available", null, null, attempt, "the DMAP API has no file for this day yet");
            LOG.info("DMAP {} for {}: not available yet (404); the next run asks again", f.dataset(), f.day());
            status.accept(StatusEvent.waiting(f.getCorrelationId(), STAGE, "the DMAP API to publish " + f.dataset()
                    + " of " + f.day() + " (the next check asks again)"));
            end(exchange, f, Outcome.NOT_AVAILABLE);
            return;
        }
        if (code == 401 || code == 403) {
            String msg = "the DMAP API refused the API key (HTTP " + code + "): check flowledger.cubic.dmap.api-key";
            record(f.dataset(), f.day(), "refused", null, null, attempt, msg);
            LOG.error("DMAP {} for {}: {}", f.dataset(), f.day(), msg);
            status.accept(StatusEvent.recordStatus(f.getCorrelationId(), f.getKey(), null, STAGE, StatusEvent.State.FAILED, msg, code));
            status.accept(StatusEvent.status(f.getCorrelationId(), STAGE, StatusEvent.State.FAILED, msg)); // the day's verdict
            end(exchange, f, Outcome.REFUSED);
            return;
        }
        exchange.setProperty(ERROR, "HTTP " + code);
        if (code != 408 && code != 429 && code < 500) {
            giveUp(exchange, f); // any other 4xx: asking again will not help
            return;
        }
        again(exchange, f);
    }

    /** The API could not be reached (connection refused, timeout): tried again with backoff. */
    public void unreachable(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.setProperty(ERROR, e == null ? "unreachable" : e.getClass().getSimpleName() + ": " + e.getMessage());
        again(exchange, exchange.getProperty(FETCH, Fetch.class));
    }

    private void again(Exchange exchange, Fetch f) {
        int attempt = exchange.getProperty(ATTEMPT, Integer.class);
        if (attempt >= settings.attempts()) {
            giveUp(exchange, f);
            return;
        }
        try {
            Thread.sleep(settings.backoff().toMillis() * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.setProperty(ERROR, "interrupted");
            giveUp(exchange, f);
        }
    }

    private void giveUp(Exchange exchange, Fetch f) {
        int attempt = exchange.getProperty(ATTEMPT, Integer.class);
        String msg = "DMAP fetch failed after " + attempt + " attempt(s): " + exchange.getProperty(ERROR, String.class);
        record(f.dataset(), f.day(), "failed", null, null, attempt, msg);
        LOG.error("DMAP {} for {}: {}", f.dataset(), f.day(), msg);
        status.accept(StatusEvent.recordStatus(f.getCorrelationId(), f.getKey(), null, STAGE, StatusEvent.State.FAILED, msg, null));
        status.accept(StatusEvent.status(f.getCorrelationId(), STAGE, StatusEvent.State.FAILED, msg)); // the day's verdict
        end(exchange, f, Outcome.FAILED);
    }

    /** The file is in the incoming bucket (and registered as a load): the day is done. */
    public void uploaded(Exchange exchange) throws IOException {
        Fetch f = exchange.getProperty(FETCH, Fetch.class);
        java.io.File file = exchange.getProperty("dmapFile", java.io.File.class);
        long bytes = file.length();
        Files.deleteIfExists(file.toPath());
        record(f.dataset(), f.day(), "done", f.getKey(), bytes, exchange.getProperty(ATTEMPT, Integer.class), null);
        LOG.info("DMAP {} for {}: {} bytes to s3://.../{}", f.dataset(), f.day(), bytes, f.getKey());
        status.accept(StatusEvent.recordStatus(f.getCorrelationId(), f.getKey(), null, STAGE, StatusEvent.State.SUCCESS,
                "fetched " + bytes + " bytes", null));
        // The fetch is this dataflow's last stage (the file's ingest is a load's own dataflow): without a verdict
        // it would stay RUNNING for ever.
        status.accept(StatusEvent.status(f.getCorrelationId(), STAGE, StatusEvent.State.SUCCESS,
                "fetched " + f.getKey() + " (" + bytes + " bytes)"));
        end(exchange, f, Outcome.FETCHED);
    }

    @SuppressWarnings("unchecked")
    private static void end(Exchange exchange, Fetch f, Outcome o) {
        exchange.setProperty(OUTCOME, o.name());
        Map<String, Outcome> all = exchange.getProperty(OUTCOMES, Map.class);
        if (all != null) {
            all.put(f.dataset(), o);
        }
    }

    private String ledgerStatus(String dataset, LocalDate day) {
        return Sql.run(ds, c -> {
            try (var ps = Sql.prepare(c, "SELECT status FROM cubic_dmap_fetches WHERE dataset = ? AND fetch_day = ?", dataset, day);
                 var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        });
    }

    private void record(String dataset, LocalDate day, String st, String key, Long bytes, int attempts, String error) {
        Sql.tx(ds, c -> {
            Instant now = Instant.now();
            int n = Sql.update(c, "UPDATE cubic_dmap_fetches SET status = ?, s3_key = ?, bytes = ?, attempts = attempts + ?,"
                    + " error = ?, updated_at = ? WHERE dataset = ? AND fetch_day = ?", st, key, bytes, attempts,
                    Sql.truncate(error, 4000), now, dataset, day);
            if (n == 0) {
                Sql.update(c, "INSERT INTO cubic_dmap_fetches (dataset, fetch_day, status, s3_key, bytes, attempts, error, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", dataset, day, st, key, bytes, attempts,
                        Sql.truncate(error, 4000), now);
            }
            return null;
        });
    }
}
