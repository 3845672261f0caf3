package routes.patterns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import routes.common.http.BadRequest;
import routes.common.http.QueryParams;
import routes.common.status.StatusEmitter;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;

/**
 * The datasets and pipes of the patterns (bean {@code patternsDatasets}): a collecting run's entities become
 * changes of its dataset (hash, version, deleted flag) in one transaction with the pipe's watermark, unless the
 * circuit breaker holds them back; downstream pipes read a dataset's changes since a sequence number. The YAML
 * templates call the {@code Exchange} methods; the API calls the others.
 */
public class Datasets {

    /** Exchange properties the templates set. */
    public static final String PIPE = "pipe";
    public static final String DATASET = "dataset";

    private final Jdbc jdbc;
    private final double defaultMaxChangeRatio;
    private final PipeClaims claims = new PipeClaims();
    /** Set when another instance runs the pipe: this run does nothing, says nothing and counts no run. */
    static final String BUSY = "pipeBusy";

    public Datasets(DataSource ds, double defaultMaxChangeRatio) {
        this.jdbc = new Jdbc(ds);
        this.defaultMaxChangeRatio = defaultMaxChangeRatio;
    }

    /** One entity change: an upsert (deleted=false) or a deletion of {@code id}. */
    record Change(String id, String json, String hash, boolean deleted) {
    }

    // ------------------------------------------------------------------ a run of a pipe

    /**
     * Starts a run: registers the pipe, counts the run, and sets {@code halted} (the breaker holds the pipe: this
     * run does nothing), {@code watermark} (where the last stored run ended, "" for none) and {@code correlationId}.
     */
    public void begin(Exchange ex) {
        String pipe = prop(ex, PIPE);
        String dataset = ex.getProperty(DATASET, String.class);
        boolean durable = Boolean.TRUE.equals(ex.getProperty("durable", Boolean.class));
        Map<String, Object> row = jdbc.tx(c -> {
            // Two instances registering a new pipe at once: one inserts, the other waits for it and does nothing.
            Jdbc.update(c, "INSERT INTO patterns_pipes (pipe, dataset, durable, runs, updated_at)"
                    + " VALUES (?, ?, ?, 0, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING", pipe, dataset, durable);
            if (!claims.claim(c, pipe)) {
                return null;
            }
            Jdbc.update(c, "UPDATE patterns_pipes SET runs = runs + 1, dataset = COALESCE(?, dataset), durable = ?,"
                    + " updated_at = CURRENT_TIMESTAMP WHERE pipe = ?", dataset, durable, pipe);
            return Jdbc.one(c, "SELECT * FROM patterns_pipes WHERE pipe = ?", pipe);
        });
        if (row == null) {
            ex.setProperty(BUSY, true);
            ex.setProperty("halted", true); // the collecting templates stop here; the sharing ones find no changes
            return;
        }
        String correlationId = pipe + "-run-" + row.get("runs");
        ex.setProperty("correlationId", correlationId);
        String wm = (String) row.get("watermark");
        ex.setProperty("watermark", wm == null ? "" : wm);
        boolean halted = "halted".equals(row.get("state"));
        ex.setProperty("halted", halted);
        PatternsLineage.describe(ex, pipe, correlationId);
        if (halted) {
            release(pipe); // the templates stop a halted run here, with nothing to end
        }
        emit(ex, StatusEvent.status(correlationId, stage(pipe), halted ? State.SKIPPED : State.IN_PROGRESS,
                halted ? "halted by its circuit breaker: " + row.get("halted_reason")
                        + " (commit or roll back the staged changes)" : "run started"));
    }

    /** Records a failed run (the watermark stays where it was, so the next run reads the same changes again). */
    public void failed(Exchange ex) {
        if (busy(ex)) {
            return;
        }
        String pipe = prop(ex, PIPE);
        release(pipe);
        Exception e = ex.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = e == null ? "failed" : e.getClass().getSimpleName() + ": " + e.getMessage();
        String shortReason = reason.length() > 1900 ? reason.substring(0, 1900) : reason;
        jdbc.tx(c -> Jdbc.update(c, "UPDATE patterns_pipes SET last_error = ?, last_run_at = CURRENT_TIMESTAMP,"
                + " updated_at = CURRENT_TIMESTAMP WHERE pipe = ?", shortReason, pipe));
        emit(ex, StatusEvent.status(ex.getProperty("correlationId", String.class), stage(pipe), State.FAILED, shortReason));
        PatternsMetrics.count(ex.getContext(), "runs.failed", pipe, 1);
    }

    /** Ends a share run: SUCCESS with what it did ({@code sent}, {@code conflicts}, ... properties summed by the route). */
    public Map<String, Object> finished(Exchange ex) {
        String pipe = prop(ex, PIPE);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("pipe", pipe);
        summary.put("entities", ex.getProperty("entityCount", 0, Integer.class));
        if (busy(ex)) {
            return summary;
        }
        jdbc.tx(c -> {
            claims.release(c, pipe);
            return Jdbc.update(c, "UPDATE patterns_pipes SET last_error = NULL, last_run_at = CURRENT_TIMESTAMP,"
                    + " updated_at = CURRENT_TIMESTAMP WHERE pipe = ?", pipe);
        });
        emit(ex, StatusEvent.status(ex.getProperty("correlationId", String.class), stage(pipe), State.SUCCESS,
                "run finished: " + summary.get("entities") + " entities"));
        return summary;
    }

    private static boolean busy(Exchange ex) {
        return Boolean.TRUE.equals(ex.getProperty(BUSY, Boolean.class));
    }

    private void release(String pipe) {
        jdbc.tx(c -> {
            claims.release(c, pipe);
            return null;
        });
    }

    // ------------------------------------------------------------------ collect

    /**
     * Stores a collecting run's entities (the body: a JSON array/object as text, a List or a Map; empty or blank =
     * nothing). Properties: {@code pipe}, {@code dataset}, {@code idField}, {@code sinceField} (entity field whose
     * largest value becomes the watermark), {@code nextWatermark} (explicit watermark instead), {@code fullRead}
     * (entities not seen are deleted), {@code durable}, {@code maxChangeRatio}. Entities with {@code "_deleted": true}
     * are deletions. Returns the run's summary.
     */
    public Map<String, Object> collect(Exchange ex) {
        String pipe = prop(ex, PIPE);
        String dataset = prop(ex, DATASET);
        String idField = ex.getProperty("idField", "id", String.class);
        String sinceField = ex.getProperty("sinceField", "", String.class);
        String explicitWatermark = ex.getProperty("nextWatermark", "", String.class);
        boolean fullRead = Boolean.TRUE.equals(ex.getProperty("fullRead", Boolean.class))
                || ex.getProperty("watermark", "", String.class).isEmpty() && !sinceField.isEmpty();
        boolean trackDeletions = Boolean.TRUE.equals(ex.getProperty("fullRead", Boolean.class));
        boolean durable = Boolean.TRUE.equals(ex.getProperty("durable", Boolean.class));
        String ratioText = ex.getProperty("maxChangeRatio", "", String.class);
        CircuitBreaker breaker = new CircuitBreaker(ratioText.isBlank() ? defaultMaxChangeRatio : Double.parseDouble(ratioText));

        List<JsonNode> entities = parse(ex.getMessage().getBody());
        Map<String, Object> summary = jdbc.tx(c -> {
            Map<String, Object> pipeRow = Jdbc.one(c, "SELECT * FROM patterns_pipes WHERE pipe = ? FOR UPDATE", pipe);
            Map<String, Object[]> current = current(c, dataset);
            long live = current.values().stream().filter(v -> !(Boolean) v[1]).count();

            Map<String, Change> changes = new LinkedHashMap<>();
            Set<String> seen = new HashSet<>();
            String watermark = explicitWatermark.isEmpty() ? null : explicitWatermark;
            int inserted = 0;
            int updated = 0;
            int deleted = 0;
            for (JsonNode e : entities) {
                JsonNode idNode = e.get(idField);
                if (idNode == null || idNode.isNull() || idNode.asText().isEmpty()) {
                    throw new IllegalArgumentException("an entity of pipe " + pipe + " has no '" + idField + "' field: "
                            + abbreviate(e.toString()));
                }
                String id = idNode.asText();
                seen.add(id);
                if (!sinceField.isEmpty() && e.hasNonNull(sinceField)) {
                    watermark = max(watermark, e.get(sinceField).asText());
                }
                boolean isDeletion = e.path("_deleted").asBoolean(false);
                Object[] cur = current.get(id);
                Change ch;
                if (isDeletion) {
                    if (cur == null || (Boolean) cur[1]) {
                        changes.remove(id);
                        continue;
                    }
                    ch = new Change(id, cur[3].toString(), (String) cur[0], true);
                } else {
                    String json = EntityHash.canonical(e);
                    String hash = EntityHash.sha256(json);
                    if (cur != null && !(Boolean) cur[1] && hash.equals(cur[0])) {
                        changes.remove(id);
                        continue;
                    }
                    ch = new Change(id, json, hash, false);
                }
                changes.put(id, ch);
            }
            if (trackDeletions) {
                for (Map.Entry<String, Object[]> cur : current.entrySet()) {
                    if (!seen.contains(cur.getKey()) && !(Boolean) cur.getValue()[1]) {
                        changes.put(cur.getKey(), new Change(cur.getKey(), cur.getValue()[3].toString(),
                                (String) cur.getValue()[0], true));
                    }
                }
            }
            for (Change ch : changes.values()) {
                Object[] cur = current.get(ch.id());
                if (ch.deleted()) {
                    deleted++;
                } else if (cur == null || (Boolean) cur[1]) {
                    inserted++;
                } else {
                    updated++;
                }
            }
            Long lastCount = pipeRow.get("last_run_count") == null ? null : ((Number) pipeRow.get("last_run_count")).longValue();
            String trip = breaker.check(entities.size(), lastCount, fullRead, live, changes.size());

            Map<String, Object> s = new LinkedHashMap<>();
            s.put("pipe", pipe);
            s.put("dataset", dataset);
            s.put("received", entities.size());
            s.put("inserted", inserted);
            s.put("updated", updated);
            s.put("deleted", deleted);
            if (trip != null) {
                Jdbc.update(c, "DELETE FROM patterns_staged WHERE pipe = ?", pipe);
                for (Change ch : changes.values()) {
                    Jdbc.update(c, "INSERT INTO patterns_staged (pipe, entity_id, entity, hash, deleted) VALUES (?, ?, ?, ?, ?)",
                            pipe, ch.id(), ch.json(), ch.hash(), ch.deleted());
                }
                Jdbc.update(c, "UPDATE patterns_pipes SET state = 'halted', halted_reason = ?, staged_watermark = ?,"
                        + " staged_count = ?, last_run_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE pipe = ?",
                        trip, watermark, (long) entities.size(), pipe);
                s.put("tripped", true);
                s.put("reason", trip);
                return s;
            }
            apply(c, dataset, durable, changes.values(), current);
            String old = (String) pipeRow.get("watermark");
            Jdbc.update(c, "UPDATE patterns_pipes SET watermark = ?, last_run_count = ?, last_error = NULL,"
                    + " last_run_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE pipe = ?",
                    watermark == null ? old : max(old, watermark), (long) entities.size(), pipe);
            s.put("tripped", false);
            return s;
        });
        release(pipe);
        String correlationId = ex.getProperty("correlationId", String.class);
        PatternsMetrics.count(ex.getContext(), "entities.received", pipe, ((Number) summary.get("received")).longValue());
        if (Boolean.TRUE.equals(summary.get("tripped"))) {
            PatternsMetrics.count(ex.getContext(), "breaker.trips", pipe, 1);
        } else {
            for (String change : new String[] {"inserted", "updated", "deleted"}) {
                PatternsMetrics.count(ex.getContext(), "entities.stored", pipe, ((Number) summary.get(change)).longValue(),
                        "change", change);
            }
        }
        if (Boolean.TRUE.equals(summary.get("tripped"))) {
            emit(ex, StatusEvent.status(correlationId, stage(pipe), State.FAILED,
                    "circuit breaker tripped, pipe halted, nothing written: " + summary.get("reason")));
        } else {
            long received = ((Number) summary.get("received")).longValue();
            emit(ex, StatusEvent.dataSetDetails(correlationId, dataset, correlationId, StatusEvent.DataSetType.TABLE,
                    received));
            if (received > 0) { // the run's entities are its records: done, so its progress is received / received
                emit(ex, StatusEvent.recordsStatus(correlationId, "received/" + correlationId, null, stage(pipe),
                        State.SUCCESS, received + " entities received and stored", null, received));
            }
            emit(ex, StatusEvent.status(correlationId, stage(pipe), State.SUCCESS, "stored: " + summary.get("inserted")
                    + " inserted, " + summary.get("updated") + " updated, " + summary.get("deleted") + " deleted"));
        }
        ex.setProperty("tripped", summary.get("tripped"));
        return summary;
    }

    /** id -> {hash, deleted, version, entity json} of every entity of the dataset. */
    private static Map<String, Object[]> current(Connection c, String dataset) throws SQLException {
        Map<String, Object[]> out = new HashMap<>();
        try (var ps = c.prepareStatement("SELECT entity_id, hash, deleted, version, entity FROM patterns_entities WHERE dataset = ?")) {
            ps.setString(1, dataset);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new Object[] {rs.getString(2), rs.getBoolean(3), rs.getLong(4), rs.getString(5)});
                }
            }
        }
        return out;
    }

    private static void apply(Connection c, String dataset, boolean durable, Iterable<Change> changes,
                              Map<String, Object[]> current) throws SQLException {
        try (var upd = c.prepareStatement("UPDATE patterns_entities SET entity = ?, hash = ?, deleted = ?, version = ?,"
                + " seq = ?, updated_at = CURRENT_TIMESTAMP WHERE dataset = ? AND entity_id = ?");
             var ins = c.prepareStatement("INSERT INTO patterns_entities (dataset, entity_id, entity, hash, deleted, version,"
                     + " seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
             var hist = c.prepareStatement("INSERT INTO patterns_entity_versions (dataset, entity_id, version, entity, hash,"
                     + " deleted, seq, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)");
             var nextSeq = c.prepareStatement("SELECT nextval('patterns_seq')")) {
            int n = 0;
            for (Change ch : changes) {
                Object[] cur = current.get(ch.id());
                long version = cur == null ? 1 : (Long) cur[2] + 1;
                long seq;
                try (var rs = nextSeq.executeQuery()) {
                    rs.next();
                    seq = rs.getLong(1);
                }
                if (cur == null) {
                    ins.setString(1, dataset);
                    ins.setString(2, ch.id());
                    ins.setString(3, ch.json());
                    ins.setString(4, ch.hash());
                    ins.setBoolean(5, ch.deleted());
                    ins.setLong(6, version);
                    ins.setLong(7, seq);
                    ins.addBatch();
                } else {
                    upd.setString(1, ch.json());
                    upd.setString(2, ch.hash());
                    upd.setBoolean(3, ch.deleted());
                    upd.setLong(4, version);
                    upd.setLong(5, seq);
                    upd.setString(6, dataset);
                    upd.setString(7, ch.id());
                    upd.addBatch();
                }
                if (durable) {
                    hist.setString(1, dataset);
                    hist.setString(2, ch.id());
                    hist.setLong(3, version);
                    hist.setString(4, ch.json());
                    hist.setString(5, ch.hash());
                    hist.setBoolean(6, ch.deleted());
                    hist.setLong(7, seq);
                    hist.addBatch();
                }
                current.put(ch.id(), new Object[] {ch.hash(), ch.deleted(), version, ch.json()});
                if (++n % 500 == 0) {
                    ins.executeBatch();
                    upd.executeBatch();
                    hist.executeBatch();
                }
            }
            ins.executeBatch();
            upd.executeBatch();
            hist.executeBatch();
        }
    }

    /** The body (JSON object text or Map) as an entity Map tagged with {@code _id} = property {@code fetchId}. */
    public Map<String, Object> tag(Exchange ex) {
        List<JsonNode> nodes = parse(ex.getMessage().getBody());
        if (nodes.size() != 1) {
            throw new IllegalArgumentException("expected one JSON object for id " + ex.getProperty("fetchId")
                    + ", got " + nodes.size());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = EntityHash.JSON.convertValue(nodes.get(0), LinkedHashMap.class);
        m.put("_id", ex.getProperty("fetchId", String.class));
        return m;
    }

    /** The named parameters of a SQL since-query: {@code since} = the watermark, or {@code initial} when there is none. */
    public Map<String, Object> sinceParameters(String watermark, String initial) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("since", watermark == null || watermark.isEmpty() ? initial : watermark);
        return m;
    }

    /** A deletion of the entity whose id is property {@code fetchId}. */
    public Map<String, Object> deletion(Exchange ex) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_id", ex.getProperty("fetchId", String.class));
        m.put("_deleted", true);
        return m;
    }

    /** The entity in the body without flowledger's metadata, except {@code _id}: what a transformation sees. */
    public Map<String, Object> fields(Exchange ex) {
        Map<?, ?> in = ex.getMessage().getBody(Map.class);
        Map<String, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            String key = String.valueOf(k);
            if (!key.startsWith("_") || key.equals("_id")) {
                out.put(key, v);
            }
        });
        return out;
    }

    /** A page of a dataset for the API (since: seq, default 0; limit: default and cap flowledger.patterns.page-size). */
    public List<Map<String, Object>> page(String dataset, String since, String limit) {
        Long from = QueryParams.parseLong("since", since, 0, Long.MAX_VALUE);
        int max = pageSize;
        Long n = QueryParams.parseLong("limit", limit, 1, Integer.MAX_VALUE);
        return read(dataset, from == null ? 0 : from, n == null ? max : (int) Math.min(max, n), true);
    }

    private int pageSize = 1000;

    public void setPageSize(int pageSize) {
        this.pageSize = pageSize;
    }

    /**
     * Runs a pipe now, on the caller's thread, as if its timer fired; returns the pipe's ledger entry afterwards
     * (its run's failure, if any, is in {@code last_error}).
     */
    public Map<String, Object> runNow(String pipe, Exchange exchange) throws Exception {
        org.apache.camel.Route route = exchange.getContext().getRoute(pipe);
        // Only a pipe (a route made from a pattern template) may be run through the API, never any other route.
        if (route == null || !route.isCreatedByRouteTemplate()) {
            throw BadRequest.notFound("no pipe '" + pipe + "'");
        }
        return runPipe(pipe, exchange.getContext());
    }

    /** As {@link #runNow}, given the CamelContext. */
    public Map<String, Object> runPipe(String pipe, org.apache.camel.CamelContext context) throws Exception {
        org.apache.camel.Route route = context.getRoute(pipe);
        if (route == null || route.getConsumer() == null) {
            return result(pipe, "unknown", 0);
        }
        Exchange ex = route.getEndpoint().createExchange();
        ((org.apache.camel.support.DefaultConsumer) route.getConsumer()).getProcessor().process(ex);
        if (ex.getException() != null) {
            throw ex.getException();
        }
        return pipe(pipe);
    }

    // ------------------------------------------------------------------ read (downstream pipes, API)

    /**
     * The changes of the dataset named by property {@code source} after the pipe's {@code watermark} (a sequence
     * number), oldest first, at most {@code batchSize}: each the entity's fields plus {@code _id}, {@code _deleted},
     * {@code _hash}, {@code _version}, {@code _seq}. Sets {@code entityCount} and {@code lastSeq}.
     */
    public List<Map<String, Object>> changes(Exchange ex) {
        if (busy(ex)) {
            ex.setProperty("entityCount", 0);
            return List.of();
        }
        String source = prop(ex, "source");
        String wm = ex.getProperty("watermark", "", String.class);
        long since = wm.isEmpty() ? 0 : Long.parseLong(wm);
        int limit = Integer.parseInt(ex.getProperty("batchSize", "1000", String.class));
        List<Map<String, Object>> out = read(source, since, limit, true);
        ex.setProperty("entityCount", out.size());
        ex.setProperty("lastSeq", out.isEmpty() ? wm : String.valueOf(out.get(out.size() - 1).get("_seq")));
        return out;
    }

    /** Entities of {@code dataset} with seq after {@code since}, oldest change first. */
    public List<Map<String, Object>> read(String dataset, long since, int limit, boolean includeDeleted) {
        return jdbc.tx(c -> {
            List<Map<String, Object>> rows = Jdbc.query(c, "SELECT * FROM patterns_entities WHERE dataset = ? AND seq > ?"
                    + (includeDeleted ? "" : " AND deleted = FALSE") + " ORDER BY seq LIMIT " + Math.max(1, limit), dataset, since);
            List<Map<String, Object>> out = new ArrayList<>();
            for (Map<String, Object> r : rows) {
                out.add(toEntity(r));
            }
            return out;
        });
    }

    /** Every version kept of one entity (durable pipes), oldest first. */
    public List<Map<String, Object>> history(String dataset, String id) {
        return jdbc.tx(c -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Map<String, Object> r : Jdbc.query(c, "SELECT * FROM patterns_entity_versions WHERE dataset = ? AND entity_id = ?"
                    + " ORDER BY version", dataset, id)) {
                out.add(toEntity(r));
            }
            return out;
        });
    }

    static Map<String, Object> toEntity(Map<String, Object> r) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("_id", r.get("entity_id"));
        e.putAll(fromJson((String) r.get("entity")));
        e.put("_deleted", r.get("deleted"));
        e.put("_hash", r.get("hash"));
        e.put("_version", ((Number) r.get("version")).longValue());
        e.put("_seq", ((Number) r.get("seq")).longValue());
        if (r.containsKey("updated_at")) {
            e.put("_updated", r.get("updated_at"));
        }
        return e;
    }

    /** Moves a share pipe's watermark to the {@code _seq} of the entity in property {@code entity}. */
    public void advance(Exchange ex) {
        String pipe = prop(ex, PIPE);
        Object seq = ex.getProperty("entity", Map.class).get("_seq");
        jdbc.tx(c -> advance(c, pipe, String.valueOf(seq)));
    }

    /** Moves a pipe's watermark to {@code value} (never backwards). */
    static int advance(Connection c, String pipe, String value) throws SQLException {
        Map<String, Object> row = Jdbc.one(c, "SELECT watermark FROM patterns_pipes WHERE pipe = ? FOR UPDATE", pipe);
        String next = max(row == null ? null : (String) row.get("watermark"), value);
        return Jdbc.update(c, "UPDATE patterns_pipes SET watermark = ?, updated_at = CURRENT_TIMESTAMP WHERE pipe = ?", next, pipe);
    }

    // ------------------------------------------------------------------ operator actions (API)

    public List<Map<String, Object>> pipes() {
        return jdbc.tx(c -> Jdbc.query(c, "SELECT p.*, (SELECT COUNT(*) FROM patterns_staged s WHERE s.pipe = p.pipe) AS staged"
                + " FROM patterns_pipes p ORDER BY p.pipe"));
    }

    public Map<String, Object> pipe(String pipe) {
        return jdbc.tx(c -> Jdbc.one(c, "SELECT p.*, (SELECT COUNT(*) FROM patterns_staged s WHERE s.pipe = p.pipe) AS staged"
                + " FROM patterns_pipes p WHERE p.pipe = ?", pipe));
    }

    /** Applies the changes the circuit breaker held back, advances the watermark, and lets the pipe run again. */
    public Map<String, Object> commit(String pipe) {
        return jdbc.tx(c -> {
            requirePipe(c, pipe);
            Map<String, Object> p = lockHalted(c, pipe);
            if (p == null) {
                return result(pipe, "not-halted", 0);
            }
            List<Change> staged = new ArrayList<>();
            for (Map<String, Object> r : Jdbc.query(c, "SELECT * FROM patterns_staged WHERE pipe = ? ORDER BY entity_id", pipe)) {
                staged.add(new Change((String) r.get("entity_id"), (String) r.get("entity"), (String) r.get("hash"),
                        (Boolean) r.get("deleted")));
            }
            String dataset = (String) p.get("dataset");
            apply(c, dataset, Boolean.TRUE.equals(p.get("durable")), staged, current(c, dataset));
            String wm = (String) p.get("staged_watermark");
            Jdbc.update(c, "DELETE FROM patterns_staged WHERE pipe = ?", pipe);
            Jdbc.update(c, "UPDATE patterns_pipes SET state = 'running', halted_reason = NULL, watermark = ?,"
                    + " last_run_count = staged_count, staged_watermark = NULL, staged_count = NULL,"
                    + " updated_at = CURRENT_TIMESTAMP WHERE pipe = ?",
                    wm == null ? p.get("watermark") : max((String) p.get("watermark"), wm), pipe);
            return result(pipe, "committed", staged.size());
        });
    }

    /** Drops the changes the circuit breaker held back; the pipe runs again from its old watermark. */
    public Map<String, Object> rollback(String pipe) {
        return jdbc.tx(c -> {
            requirePipe(c, pipe);
            if (lockHalted(c, pipe) == null) {
                return result(pipe, "not-halted", 0);
            }
            int n = Jdbc.update(c, "DELETE FROM patterns_staged WHERE pipe = ?", pipe);
            Jdbc.update(c, "UPDATE patterns_pipes SET state = 'running', halted_reason = NULL, staged_watermark = NULL,"
                    + " staged_count = NULL, updated_at = CURRENT_TIMESTAMP WHERE pipe = ?", pipe);
            return result(pipe, "rolled-back", n);
        });
    }

    /**
     * Resets a pipe: its next run reads its source from the start. A durable pipe keeps its dataset and every
     * version (a delta-stream source cannot send the past again); any other pipe's dataset is emptied to be rebuilt.
     */
    public Map<String, Object> reset(String pipe) {
        return jdbc.tx(c -> {
            Map<String, Object> p = Jdbc.one(c, "SELECT * FROM patterns_pipes WHERE pipe = ? FOR UPDATE", pipe);
            if (p == null) {
                throw BadRequest.notFound("no pipe '" + pipe + "'");
            }
            Jdbc.update(c, "DELETE FROM patterns_staged WHERE pipe = ?", pipe);
            int removed = 0;
            if (!Boolean.TRUE.equals(p.get("durable")) && p.get("dataset") != null) {
                removed = Jdbc.update(c, "DELETE FROM patterns_entities WHERE dataset = ?", p.get("dataset"));
            }
            Jdbc.update(c, "UPDATE patterns_pipes SET watermark = NULL, state = 'running', halted_reason = NULL,"
                    + " staged_watermark = NULL, staged_count = NULL, last_run_count = NULL, last_error = NULL,"
                    + " updated_at = CURRENT_TIMESTAMP WHERE pipe = ?", pipe);
            return result(pipe, "reset", removed);
        });
    }

    public List<Map<String, Object>> conflicts(String pipe) {
        return jdbc.tx(c -> Jdbc.query(c, "SELECT * FROM patterns_conflicts WHERE pipe = ? ORDER BY id", pipe));
    }

    /** An unknown pipe is a 404 for the API, not a 200 that did nothing. */
    private static void requirePipe(Connection c, String pipe) throws SQLException {
        if (Jdbc.one(c, "SELECT pipe FROM patterns_pipes WHERE pipe = ?", pipe) == null) {
            throw BadRequest.notFound("no pipe '" + pipe + "'");
        }
    }

    private static Map<String, Object> lockHalted(Connection c, String pipe) throws SQLException {
        Map<String, Object> p = Jdbc.one(c, "SELECT * FROM patterns_pipes WHERE pipe = ? FOR UPDATE", pipe);
        return p != null && "halted".equals(p.get("state")) ? p : null;
    }

    private static Map<String, Object> result(String pipe, String outcome, int entities) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pipe", pipe);
        m.put("outcome", outcome);
        m.put("entities", entities);
        return m;
    }

    // ------------------------------------------------------------------ helpers

    static List<JsonNode> parse(Object body) {
        List<JsonNode> out = new ArrayList<>();
        if (body == null) {
            return out;
        }
        JsonNode node;
        if (body instanceof byte[] || body instanceof String || body instanceof java.io.InputStream) {
            String text = body instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8)
                    : body instanceof java.io.InputStream in ? readAll(in) : (String) body;
            if (text.isBlank()) {
                return out;
            }
            try {
                node = EntityHash.JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("the source did not answer JSON: " + e.getOriginalMessage());
            }
        } else if (body instanceof List<?> list) {
            for (Object o : list) {
                out.addAll(parse(o));
            }
            return out;
        } else {
            node = EntityHash.JSON.valueToTree(body);
        }
        if (node.isArray()) {
            node.forEach(n -> {
                if (!n.isObject()) {
                    throw new IllegalArgumentException("an entity must be a JSON object: " + abbreviate(n.toString()));
                }
                out.add(n);
            });
        } else if (node.isObject()) {
            out.add(node);
        } else if (!node.isNull() && !node.isMissingNode()) {
            throw new IllegalArgumentException("the source did not answer a JSON array or object");
        }
        return out;
    }

    private static String readAll(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> fromJson(String json) {
        try {
            JsonNode n = EntityHash.JSON.readTree(json);
            return n instanceof ObjectNode ? EntityHash.JSON.convertValue(n, LinkedHashMap.class) : new LinkedHashMap<>();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored entity is not JSON", e);
        }
    }

    /** The larger of two watermarks: numerically when both are numbers, else as text (ISO timestamps sort). */
    static String max(String a, String b) {
        if (a == null || a.isEmpty()) {
            return b;
        }
        if (b == null || b.isEmpty()) {
            return a;
        }
        try {
            return new BigDecimal(a).compareTo(new BigDecimal(b)) >= 0 ? a : b;
        } catch (NumberFormatException e) {
            return a.compareTo(b) >= 0 ? a : b;
        }
    }

    static String stage(String pipe) {
        return "PATTERNS:" + pipe;
    }

    static String prop(Exchange ex, String name) {
        String v = ex.getProperty(name, String.class);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("exchange property '" + name + "' is not set (template parameter missing?)");
        }
        return v;
    }

    static void emit(Exchange ex, StatusEvent event) {
        StatusEmitter emitter = ex.getContext().getRegistry().lookupByNameAndType("statusEmitter", StatusEmitter.class);
        if (emitter != null) {
            emitter.emit(event);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
