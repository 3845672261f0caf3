package routes.cubic;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The DMAP fetch (ADR 5's py_cubic_dmap_fetch): for each configured dataset, downloads the day's file from
 * the DMAP API ({@code GET <url>/datasets/<dataset>/<yyyy-MM-dd>} with header {@code x-api-key}) and uploads it to
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

    private final Settings settings;
    private final DataSource ds;
    private final S3Client s3;
    private final String bucket;
    private final Consumer<StatusEvent> status;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public CubicDmapFetcher(Settings settings, DataSource ds, S3Client s3, String bucket, Consumer<StatusEvent> status) {
        this.settings = settings;
        this.ds = ds;
        this.s3 = s3;
        this.bucket = bucket;
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

    /** The scheduled check: yesterday's file (UTC) of every dataset, unless already fetched. */
    public Map<String, Outcome> fetchYesterday() {
        return fetchDay(LocalDate.now(ZoneOffset.UTC).minusDays(1));
    }

    public Map<String, Outcome> fetchDay(LocalDate day) {
        Map<String, Outcome> out = new LinkedHashMap<>();
        settings.datasets().forEach((dataset, table) -> out.put(dataset, fetch(dataset, table, day)));
        return out;
    }

    Outcome fetch(String dataset, String table, LocalDate day) {
        if ("done".equals(ledgerStatus(dataset, day))) {
            return Outcome.ALREADY_FETCHED;
        }
        String key = "cubic/dmap/" + table + "/" + DAY.format(day) + ".csv";
        String correlation = "cubic-dmap-" + dataset + "-" + DAY.format(day);
        URI uri = URI.create(settings.url() + "/datasets/" + dataset + "/" + day);
        String lastError = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            Path tmp = null;
            try {
                tmp = Files.createTempFile("cubic-dmap-", ".csv");
                HttpResponse<Path> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10))
                        .header("x-api-key", settings.apiKey()).GET().build(), HttpResponse.BodyHandlers.ofFile(tmp));
                int code = r.statusCode();
                if (code == 200) {
                    long bytes = Files.size(tmp);
                    Path file = tmp;
                    s3.putObject(b -> b.bucket(bucket).key(key).contentType("text/csv"), RequestBody.fromFile(file));
                    record(dataset, day, "done", key, bytes, attempt, null);
                    LOG.info("DMAP {} for {}: {} bytes to s3://{}/{}", dataset, day, bytes, bucket, key);
                    status.accept(StatusEvent.recordStatus(correlation, key, null, STAGE, StatusEvent.State.SUCCESS,
                            "fetched " + bytes + " bytes", null));
                    return Outcome.FETCHED;
                }
                if (code == 404) {
                    record(dataset, day, "not_available", null, null, attempt, "the DMAP API has no file for this day yet");
                    LOG.info("DMAP {} for {}: not available yet (404); the next run asks again", dataset, day);
                    return Outcome.NOT_AVAILABLE;
                }
                if (code == 401 || code == 403) {
                    String msg = "the DMAP API refused the API key (HTTP " + code + "): check flowledger.cubic.dmap.api-key";
                    record(dataset, day, "refused", null, null, attempt, msg);
                    LOG.error("DMAP {} for {}: {}", dataset, day, msg);
                    status.accept(StatusEvent.recordStatus(correlation, key, null, STAGE, StatusEvent.State.FAILED, msg, code));
                    return Outcome.REFUSED;
                }
                lastError = "HTTP " + code;
                if (code != 408 && code != 429 && code < 500) {
                    break; // any other 4xx: asking again will not help
                }
            } catch (IOException e) {
                lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                lastError = "interrupted";
                break;
            } finally {
                if (tmp != null) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // temp file
                    }
                }
            }
            if (attempt < settings.attempts()) {
                try {
                    Thread.sleep(settings.backoff().toMillis() * attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        String msg = "DMAP fetch failed after " + settings.attempts() + " attempt(s): " + lastError;
        record(dataset, day, "failed", null, null, settings.attempts(), msg);
        LOG.error("DMAP {} for {}: {}", dataset, day, msg);
        status.accept(StatusEvent.recordStatus(correlation, key, null, STAGE, StatusEvent.State.FAILED, msg, null));
        return Outcome.FAILED;
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
