package routes.status;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;
import routes.common.status.DataflowRules;

/**
 * Answers "where does this dataflow stand?" from the status store's summaries (status_dataflow, status_stage,
 * status_counter), never by scanning the raw status rows; only the failures page reads raw rows, through an
 * index, one page at a time. The views are plain maps so that the API, the page and the {@code status}
 * command show the same thing.
 */
public class StatusQuery {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;
    private static final Set<String> STATES = Set.of("RUNNING", "SUCCEEDED", "FAILED");

    private final DataSource dataSource;
    private final Duration staleAfter;
    private final Clock clock;
    private final DataflowPipelines pipelines;

    public StatusQuery(DataSource dataSource, Duration staleAfter) {
        this(dataSource, staleAfter, Clock.systemUTC());
    }

    public StatusQuery(DataSource dataSource, Duration staleAfter, Clock clock) {
        this(dataSource, staleAfter, clock, new DataflowPipelines(Map.of(), staleAfter));
    }

    /** {@code pipelines} says which pipeline a dataflow is of and when a running one is stalled. */
    public StatusQuery(DataSource dataSource, Duration staleAfter, Clock clock, DataflowPipelines pipelines) {
        this.dataSource = dataSource;
        this.staleAfter = staleAfter;
        this.clock = clock;
        this.pipelines = pipelines;
    }

    /**
     * The list's filters, each optional: state, current stage, pipeline ({@link DataflowPipelines#ALL}), last heard
     * from {@code since} to {@code until} (instants or dates; a date {@code until} includes its whole day), and
     * {@code q}, a case-insensitive piece of the correlationId or of a dataset id.
     */
    public record Filter(String state, String dataSetId, String since, String until, String stage, String pipeline,
                         String q) {
    }

    /** A bad request parameter; the API answers 400 with the message. */
    public static final class BadRequest extends RuntimeException {
        public BadRequest(String message) {
            super(message);
        }
    }

    /** The view of one dataflow, or null when nothing is known about it. */
    public Map<String, Object> dataflow(String correlationId, int failuresLimit) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Map<String, Object> view;
            try (PreparedStatement ps = c.prepareStatement(FLOW_COLUMNS + " WHERE d.correlation_id = ?")) {
                ps.setString(1, correlationId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    view = flowRow(rs);
                }
            }
            Map<String, Map<String, Long>> counts = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT stage, status, n FROM status_counter WHERE correlation_id = ?")) {
                ps.setString(1, correlationId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        counts.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getLong(3));
                    }
                }
            }
            List<DataflowRules.Stage> stageRows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT stage, first_ts, last_ts, run_status, run_ts, "
                    + "run_message, run_error_code FROM status_stage WHERE correlation_id = ?")) {
                ps.setString(1, correlationId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int c7 = rs.getInt(7);
                        Integer code = rs.wasNull() ? null : c7; // asked right after the read it is about
                        stageRows.add(new DataflowRules.Stage(rs.getString(1), ts(rs, 2), ts(rs, 3), rs.getString(4),
                                ts(rs, 5), rs.getString(6), code));
                    }
                }
            }
            stageRows.sort((a, b) -> a.firstTs().compareTo(b.firstTs()) != 0 ? a.firstTs().compareTo(b.firstTs())
                    : a.name().compareTo(b.name()));
            List<Map<String, Object>> stages = new ArrayList<>();
            for (DataflowRules.Stage s : stageRows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("stage", s.name());
                m.put("status", s.runStatus());
                m.put("message", s.runMessage());
                m.put("errorCode", s.runErrorCode());
                m.put("firstTimestamp", iso(s.firstTs()));
                m.put("lastTimestamp", iso(s.lastTs()));
                m.put("counts", counts.getOrDefault(s.name(), Map.of()));
                stages.add(m);
            }
            List<Map<String, Object>> dataSets = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT data_set_id, data_set_version_id, data_set_type, "
                    + "record_count, event_ts FROM dataset_details WHERE correlation_id = ? ORDER BY data_set_id, "
                    + "data_set_version_id")) {
                ps.setString(1, correlationId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("dataSetId", rs.getString(1));
                        m.put("dataSetVersionId", rs.getString(2));
                        m.put("dataSetType", rs.getString(3));
                        long rc = rs.getLong(4);
                        m.put("recordCount", rs.wasNull() ? null : rc);
                        m.put("timestamp", iso(ts(rs, 5)));
                        dataSets.add(m);
                    }
                }
            }
            view.put("counts", counts);
            view.put("stages", stages);
            view.put("dataSets", dataSets);
            view.put("failures", failures(c, correlationId, null, failuresLimit, null));
            return view;
        }
    }

    /** Recent dataflows, newest first, filtered; {@code cursor} is the previous page's {@code nextCursor}. */
    public Map<String, Object> list(String state, String dataSetId, String since, Integer limit, String cursor)
            throws SQLException {
        return list(new Filter(state, dataSetId, since, null, null, null, null), limit, cursor);
    }

    /** Recent dataflows (last heard first), filtered; {@code cursor} is the previous page's {@code nextCursor}. */
    public Map<String, Object> list(Filter f, Integer limit, String cursor) throws SQLException {
        String state = f.state();
        String dataSetId = f.dataSetId();
        String since = f.since();
        int n = limit(limit);
        StringBuilder sql = new StringBuilder(FLOW_COLUMNS + " WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (f.until() != null && !f.until().isBlank()) {
            String u = f.until().trim();
            Instant until = parseInstant("until", u);
            if (u.length() == 10) {
                until = until.plus(Duration.ofDays(1)); // a date: the whole day
                sql.append(" AND d.last_ts < ?");
            } else {
                sql.append(" AND d.last_ts <= ?");
            }
            args.add(odt(until));
        }
        if (f.stage() != null && !f.stage().isBlank()) {
            sql.append(" AND d.stage = ?");
            args.add(f.stage().trim());
        }
        if (f.pipeline() != null && !f.pipeline().isBlank()) {
            sql.append(" AND ").append(DataflowPipelines.sqlCondition(DataflowPipelines.parse(f.pipeline())));
        }
        if (f.q() != null && !f.q().isBlank()) {
            String like = "%" + f.q().trim().toLowerCase(java.util.Locale.ROOT).replace("!", "!!")
                    .replace("%", "!%").replace("_", "!_") + "%"; // '!' escapes: the same on H2 and PostgreSQL
            sql.append(" AND (LOWER(d.correlation_id) LIKE ? ESCAPE '!' OR EXISTS (SELECT 1 FROM dataset_details x "
                    + "WHERE x.correlation_id = d.correlation_id AND LOWER(x.data_set_id) LIKE ? ESCAPE '!'))");
            args.add(like);
            args.add(like);
        }
        if (state != null && !state.isBlank()) {
            String s = state.trim().toUpperCase(java.util.Locale.ROOT);
            if (!STATES.contains(s)) {
                throw new BadRequest("state must be RUNNING, SUCCEEDED or FAILED");
            }
            sql.append(" AND ").append(STATE).append(" = ?");
            args.add(s);
        }
        if (dataSetId != null && !dataSetId.isBlank()) {
            sql.append(" AND EXISTS (SELECT 1 FROM dataset_details x WHERE x.correlation_id = d.correlation_id "
                    + "AND x.data_set_id = ?)");
            args.add(dataSetId);
        }
        if (since != null && !since.isBlank()) {
            sql.append(" AND d.last_ts >= ?");
            args.add(odt(parseInstant("since", since)));
        }
        if (cursor != null && !cursor.isBlank()) {
            String[] k = decodeCursor(cursor);
            sql.append(" AND (d.last_ts < ? OR (d.last_ts = ? AND d.correlation_id < ?))");
            OffsetDateTime t = odt(Instant.parse(k[0]));
            args.add(t);
            args.add(t);
            args.add(k[1]);
        }
        sql.append(" AND d.last_ts IS NOT NULL ORDER BY d.last_ts DESC, d.correlation_id DESC FETCH FIRST ")
                .append(n + 1).append(" ROWS ONLY");
        List<Map<String, Object>> items = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    items.add(flowRow(rs));
                }
            }
        }
        String next = null;
        if (items.size() > n) {
            items.remove(n);
            Map<String, Object> last = items.get(n - 1);
            next = encodeCursor((String) last.get("lastTimestamp"), (String) last.get("correlationId"));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("nextCursor", next);
        return out;
    }

    /** Failed status messages of a dataflow (optionally of one stage), oldest first, one page. */
    public Map<String, Object> failures(String correlationId, String stage, Integer limit, String cursor)
            throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return failures(c, correlationId, stage, limit(limit), cursor);
        }
    }

    private Map<String, Object> failures(Connection c, String correlationId, String stage, int n, String cursor)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT event_id, record_id, record_id_version, stage, message, "
                + "error_code, event_ts, record_count FROM status WHERE correlation_id = ? AND status = 'FAILED'");
        List<Object> args = new ArrayList<>();
        args.add(correlationId);
        if (stage != null && !stage.isBlank()) {
            sql.append(" AND stage = ?");
            args.add(stage);
        }
        if (cursor != null && !cursor.isBlank()) {
            String[] k = decodeCursor(cursor);
            sql.append(" AND (event_ts > ? OR (event_ts = ? AND event_id > ?))");
            OffsetDateTime t = odt(Instant.parse(k[0]));
            args.add(t);
            args.add(t);
            args.add(k[1]);
        }
        sql.append(" ORDER BY event_ts, event_id FETCH FIRST ").append(n + 1).append(" ROWS ONLY");
        List<Map<String, Object>> items = new ArrayList<>();
        List<String[]> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("recordId", rs.getString(2));
                    m.put("recordIdVersion", rs.getString(3));
                    m.put("stage", rs.getString(4));
                    m.put("message", rs.getString(5));
                    int code = rs.getInt(6);
                    m.put("errorCode", rs.wasNull() ? null : code);
                    String t = iso(ts(rs, 7));
                    m.put("timestamp", t);
                    long rc = rs.getLong(8);
                    boolean one = rs.wasNull();
                    // records this failure covers (a refused batch counts its rows); run-level failures: none
                    m.put("recordCount", m.get("recordId") == null ? null : one ? 1L : rc);
                    items.add(m);
                    keys.add(new String[] {t, rs.getString(1)});
                }
            }
        }
        String next = null;
        if (items.size() > n) {
            items.remove(n);
            next = encodeCursor(keys.get(n - 1)[0], keys.get(n - 1)[1]);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("nextCursor", next);
        return out;
    }

    /**
     * A pattern pipe's run whose pipe its circuit breaker holds now (patterns_pipes.state = 'halted'), when its own
     * last word was SKIPPED (a run the breaker held back) or it is the pipe's latest run (the one that tripped it,
     * FAILED): it needs a person (commit or roll back), so the API says FAILED with {@code halted: true}, not the
     * SUCCEEDED a SKIPPED stage would otherwise give. Earlier FAILED runs keep their own reason. Once the breaker
     * is committed or rolled back, the stored state applies again.
     */
    static final String HALTED = "(d.stage LIKE 'PATTERNS:%' AND EXISTS (SELECT 1 FROM patterns_pipes hp "
            + "WHERE d.stage = CONCAT('PATTERNS:', hp.pipe) AND hp.state = 'halted' AND ((SELECT hs.run_status "
            + "FROM status_stage hs WHERE hs.correlation_id = d.correlation_id AND hs.stage = d.stage) = 'SKIPPED' "
            + "OR d.correlation_id = CONCAT(hp.pipe, '-run-', hp.runs))))";
    private static final String STATE = "(CASE WHEN " + HALTED + " THEN 'FAILED' ELSE d.state END)";

    private static final String FLOW_COLUMNS = "SELECT d.correlation_id, " + STATE + ", d.finished, d.stage, "
            + "d.record_count, d.records_done, d.records_failed, d.last_failure_stage, d.last_failure_message, "
            + "d.last_failure_code, d.first_ts, d.last_ts, d.run_failed_ts, (SELECT MIN(x.data_set_id) FROM dataset_details x "
            + "WHERE x.correlation_id = d.correlation_id), (SELECT s.run_message FROM status_stage s "
            + "WHERE s.correlation_id = d.correlation_id AND s.stage = d.stage), (CASE WHEN " + HALTED
            + " THEN 1 ELSE 0 END) FROM status_dataflow d";

    private Map<String, Object> flowRow(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("correlationId", rs.getString(1));
        String state = rs.getString(2);
        boolean halted = rs.getInt(16) == 1;
        boolean finished = rs.getBoolean(3) || halted;
        Instant last = ts(rs, 12);
        m.put("finished", finished);
        m.put("state", state);
        m.put("halted", halted); // a pattern pipe's run held by its circuit breaker: commit or roll back
        m.put("stale", !finished && last != null && last.plus(staleAfter).isBefore(clock.instant()));
        m.put("stage", rs.getString(4));
        long rc = rs.getLong(5);
        Long recordCount = rs.wasNull() ? null : rc;
        long done = rs.getLong(6);
        m.put("recordCount", recordCount);
        m.put("recordsTotal", recordCount);
        m.put("recordsDone", done);
        m.put("recordsFailed", rs.getLong(7));
        Double progress = null;
        if (recordCount != null && recordCount > 0) {
            progress = Math.min(1.0, (double) done / recordCount);
        } else if (finished) {
            progress = 1.0;
        }
        m.put("progress", progress);
        Map<String, Object> lastFailure = null;
        if (rs.getString(9) != null || rs.getString(8) != null) {
            lastFailure = new LinkedHashMap<>();
            lastFailure.put("stage", rs.getString(8));
            lastFailure.put("message", rs.getString(9));
            int code = rs.getInt(10);
            lastFailure.put("errorCode", rs.wasNull() ? null : code);
        }
        m.put("lastFailure", lastFailure);
        Instant first = ts(rs, 11);
        m.put("firstTimestamp", iso(first));
        m.put("lastTimestamp", iso(last));
        String pipeline = DataflowPipelines.of(m.get("correlationId").toString(), (String) m.get("stage"));
        m.put("pipeline", pipeline);
        m.put("dataSetId", rs.getString(14));
        m.put("stageMessage", rs.getString(15)); // what the current stage said last (e.g. why a pipe is halted)
        // waiting: its process did its part and waits for input (StatusEvent.waiting): unfinished, not running
        String said = rs.getString(15);
        boolean waiting = !finished && "RUNNING".equals(state) && said != null
                && said.startsWith(routes.common.status.StatusEvent.WAITING_FOR);
        m.put("waiting", waiting);
        m.put("waitingFor", waiting ? said.substring(routes.common.status.StatusEvent.WAITING_FOR.length()) : null);
        if (waiting) {
            m.put("stale", false); // quiet is what a waiting dataflow is expected to be
        }
        if (halted && lastFailure == null) { // why it needs a person: what the held run said
            lastFailure = new LinkedHashMap<>();
            lastFailure.put("stage", m.get("stage"));
            lastFailure.put("message", m.get("stageMessage"));
            lastFailure.put("errorCode", null);
            m.put("lastFailure", lastFailure);
        }
        Duration heartbeat = pipelines.heartbeat(pipeline);
        m.put("heartbeatSeconds", heartbeat.toSeconds());
        // stalled: still running, yet no news for longer than its pipeline's heartbeat
        m.put("stalled", !finished && !waiting && last != null && last.plus(heartbeat).isBefore(clock.instant()));
        m.put("durationMs", first == null || last == null ? null
                : Duration.between(first, finished ? last : clock.instant()).toMillis());
        // SUCCEEDED after an earlier run-level FAILED (a retried load): the failure stays listed.
        m.put("retried", "SUCCEEDED".equals(state) && ts(rs, 13) != null);
        return m;
    }

    // ------------------------------------------------------------------ helpers

    static int limit(Integer limit) {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BadRequest("limit must be between 1 and " + MAX_LIMIT);
        }
        return limit;
    }

    static Instant parseInstant(String name, String value) {
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            try {
                return java.time.LocalDate.parse(value.trim()).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw new BadRequest(name + " must be an ISO-8601 instant (2026-11-20T10:00:00Z) or date (2026-11-20)");
            }
        }
    }

    static String encodeCursor(String ts, String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((ts + "|" + key).getBytes(StandardCharsets.UTF_8));
    }

    static String[] decodeCursor(String cursor) {
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor.trim()), StandardCharsets.UTF_8);
            int i = s.indexOf('|');
            Instant.parse(s.substring(0, i));
            return new String[] {s.substring(0, i), s.substring(i + 1)};
        } catch (RuntimeException e) {
            throw new BadRequest("cursor is not one this API gave out");
        }
    }

    private static Instant ts(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static OffsetDateTime odt(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static String iso(Instant i) {
        return i == null ? null : i.toString();
    }
}
