package routes.patterns;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;

/**
 * The share side's rules (bean {@code patternsShare}): optimistic locking (write an entity only when the target's
 * current version is the one this pipe last wrote, else record a conflict) and the capture-response ledger (each
 * entity version is sent at most once: a send is recorded before the request leaves and completed, with the
 * target's response written into a dataset, in one transaction afterwards).
 * The entity being shared is the exchange property {@code entity} (a dataset change with {@code _id}, {@code _hash},
 * {@code _deleted}, {@code _seq}).
 */
public class ShareLedger {

    private final Jdbc jdbc;

    public ShareLedger(DataSource ds) {
        this.jdbc = new Jdbc(ds);
    }

    // ------------------------------------------------------------------ optimistic locking

    /**
     * Decides what to do with the entity given the target's current version (property {@code target}: a row Map, a
     * JSON text, or null/empty when the target has none): {@code insert}, {@code update}, {@code delete},
     * {@code skip} (nothing to do) or {@code conflict} (recorded, not written, watermark moved on).
     */
    public String decide(Exchange ex) {
        String pipe = Datasets.prop(ex, Datasets.PIPE);
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        String id = String.valueOf(entity.get("_id"));
        boolean deleted = Boolean.TRUE.equals(entity.get("_deleted"));
        String entityHash = String.valueOf(entity.get("_hash"));
        String targetHash = targetHash(ex.getProperty("target"));
        String action = jdbc.tx(c -> {
            Map<String, Object> last = Jdbc.one(c, "SELECT * FROM patterns_written WHERE pipe = ? AND entity_id = ?", pipe, id);
            String lastTarget = last == null ? null : (String) last.get("target_hash");
            if (last != null && entityHash.equals(last.get("entity_hash")) && !deleted
                    && java.util.Objects.equals(lastTarget, targetHash)) {
                Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
                return "skip";
            }
            boolean sharesDeletes = !ex.getProperty("deleteSql", "", String.class).isBlank();
            if (deleted && (targetHash == null || !sharesDeletes)) {
                Jdbc.update(c, "DELETE FROM patterns_written WHERE pipe = ? AND entity_id = ?", pipe, id);
                Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
                return "skip";
            }
            String reason = null;
            boolean adopt = Boolean.parseBoolean(ex.getProperty("adoptUnknown", "false", String.class));
            if (last == null && targetHash != null && !adopt) {
                reason = "the target already holds a version this pipe never wrote";
            } else if (last != null && !java.util.Objects.equals(lastTarget, targetHash)) {
                reason = targetHash == null ? "the target's version was removed since this pipe wrote it"
                        : "the target's version changed since this pipe wrote it";
            }
            if (reason != null && holds(ex.getProperty("target"), entity)) {
                // The target already holds exactly this entity (a write whose record was lost in a crash, or data
                // that was equal before the first sync): nothing to write, and nothing lost. Remember it as written.
                if (Jdbc.update(c, "UPDATE patterns_written SET target_hash = ?, entity_hash = ?, written_at = CURRENT_TIMESTAMP"
                        + " WHERE pipe = ? AND entity_id = ?", targetHash, entityHash, pipe, id) == 0) {
                    Jdbc.update(c, "INSERT INTO patterns_written (pipe, entity_id, target_hash, entity_hash, written_at)"
                            + " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)", pipe, id, targetHash, entityHash);
                }
                Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
                return "skip";
            }
            if (reason != null) {
                Jdbc.update(c, "INSERT INTO patterns_conflicts (pipe, entity_id, expected_hash, actual_hash, reason, recorded_at)"
                        + " VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)", pipe, id, lastTarget, targetHash, reason);
                Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
                ex.setProperty("conflictReason", reason);
                return "conflict";
            }
            return deleted ? "delete" : targetHash == null ? "insert" : "update";
        });
        PatternsMetrics.count(ex.getContext(), "share.decisions", pipe, 1, "action", action);
        if ("conflict".equals(action)) {
            Datasets.emit(ex, StatusEvent.recordStatus(ex.getProperty("correlationId", String.class), id,
                    String.valueOf(entity.get("_version")), Datasets.stage(pipe), State.SKIPPED,
                    "conflict, not written: " + ex.getProperty("conflictReason"), null));
        }
        return action;
    }

    /**
     * After a write: remembers the hash of the target's version as it is now (property {@code target}, read back
     * after the write) and of the entity written, and moves the pipe's watermark past the entity.
     */
    public void written(Exchange ex) {
        String pipe = Datasets.prop(ex, Datasets.PIPE);
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        String id = String.valueOf(entity.get("_id"));
        String targetHash = targetHash(ex.getProperty("target"));
        jdbc.tx(c -> {
            if (Boolean.TRUE.equals(entity.get("_deleted"))) {
                Jdbc.update(c, "DELETE FROM patterns_written WHERE pipe = ? AND entity_id = ?", pipe, id);
            } else if (Jdbc.update(c, "UPDATE patterns_written SET target_hash = ?, entity_hash = ?, written_at = CURRENT_TIMESTAMP"
                    + " WHERE pipe = ? AND entity_id = ?", targetHash, entity.get("_hash"), pipe, id) == 0) {
                Jdbc.update(c, "INSERT INTO patterns_written (pipe, entity_id, target_hash, entity_hash, written_at)"
                        + " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)", pipe, id, targetHash, entity.get("_hash"));
            }
            return Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
        });
    }

    /** True when every field of the target's version (a row or a JSON object) equals the entity's field of that name. */
    static boolean holds(Object target, Map<?, ?> entity) {
        if (target instanceof java.util.List<?> list) {
            target = list.isEmpty() ? null : list.get(0);
        }
        if (target instanceof byte[] b) {
            target = new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }
        Map<?, ?> fields;
        if (target instanceof Map<?, ?> m) {
            fields = m;
        } else if (target instanceof String text && !text.isBlank()) {
            fields = EntityHash.JSON.convertValue(Datasets.parse(text).get(0), Map.class);
        } else {
            return false;
        }
        Map<String, Object> byName = new java.util.HashMap<>();
        entity.forEach((k, v) -> byName.put(String.valueOf(k).toLowerCase(java.util.Locale.ROOT), v));
        for (Map.Entry<?, ?> f : fields.entrySet()) {
            String name = String.valueOf(f.getKey()).toLowerCase(java.util.Locale.ROOT);
            if (!byName.containsKey(name) || !String.valueOf(byName.get(name)).equals(String.valueOf(f.getValue()))) {
                return false;
            }
        }
        return !fields.isEmpty();
    }

    /** The hash of the target's version: a JDBC row (column names lower-cased, values as text) or a JSON document. */
    static String targetHash(Object target) {
        if (target == null) {
            return null;
        }
        if (target instanceof byte[] b) {
            target = new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }
        if (target instanceof String s) {
            if (s.isBlank()) {
                return null;
            }
            return EntityHash.of(Datasets.parse(s).get(0));
        }
        if (target instanceof java.util.List<?> list) {
            return list.isEmpty() ? null : targetHash(list.get(0));
        }
        if (target instanceof Map<?, ?> row) {
            Map<String, Object> norm = new LinkedHashMap<>();
            row.forEach((k, v) -> norm.put(String.valueOf(k).toLowerCase(java.util.Locale.ROOT), v == null ? null : String.valueOf(v)));
            return EntityHash.sha256(EntityHash.canonical(norm));
        }
        return EntityHash.of(target);
    }

    // ------------------------------------------------------------------ capture response

    /**
     * Before sending the entity: {@code send} (a 'sending' row is committed first), {@code sent} (this version
     * was delivered before: skip), or {@code uncertain} (an earlier attempt left without an answer, so the target
     * may have it: never sent again; recorded, and the watermark moves on).
     */
    public String claim(Exchange ex) {
        String pipe = Datasets.prop(ex, Datasets.PIPE);
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        String id = String.valueOf(entity.get("_id"));
        String hash = String.valueOf(entity.get("_hash"));
        String decision = jdbc.tx(c -> {
            Map<String, Object> row = Jdbc.one(c, "SELECT state FROM patterns_sends WHERE pipe = ? AND entity_id = ?"
                    + " AND entity_hash = ? FOR UPDATE", pipe, id, hash);
            if (row == null) {
                Jdbc.update(c, "INSERT INTO patterns_sends (pipe, entity_id, entity_hash, state, started_at)"
                        + " VALUES (?, ?, ?, 'sending', CURRENT_TIMESTAMP)", pipe, id, hash);
                return "send";
            }
            String state = (String) row.get("state");
            if ("failed".equals(state)) {
                // The target answered with an error last time: it did not take the entity, so it may be sent again.
                Jdbc.update(c, "UPDATE patterns_sends SET state = 'sending', started_at = CURRENT_TIMESTAMP,"
                        + " finished_at = NULL WHERE pipe = ? AND entity_id = ? AND entity_hash = ?", pipe, id, hash);
                return "send";
            }
            if ("sending".equals(state)) {
                Jdbc.update(c, "UPDATE patterns_sends SET state = 'uncertain', finished_at = CURRENT_TIMESTAMP"
                        + " WHERE pipe = ? AND entity_id = ? AND entity_hash = ?", pipe, id, hash);
                state = "uncertain";
            }
            Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
            return state;
        });
        if (!"send".equals(decision)) {
            PatternsMetrics.count(ex.getContext(), "sends", pipe, 1, "state", decision);
        }
        if ("uncertain".equals(decision)) {
            Datasets.emit(ex, StatusEvent.recordStatus(ex.getProperty("correlationId", String.class), id,
                    String.valueOf(entity.get("_version")), Datasets.stage(pipe), State.FAILED,
                    "an earlier send got no answer: the target may hold it, so it is not sent again (check by hand)", null));
        }
        return decision;
    }

    /**
     * After the target answered 2xx: in one transaction, writes the response (the body, a JSON object) into the
     * dataset of property {@code responseDataset} under the entity's id (with {@code _source_seq}), marks the
     * send done, and moves the watermark past the entity.
     */
    public void captured(Exchange ex) {
        String pipe = Datasets.prop(ex, Datasets.PIPE);
        String dataset = Datasets.prop(ex, "responseDataset");
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        String id = String.valueOf(entity.get("_id"));
        String response = ex.getMessage().getBody(String.class);
        Integer code = ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        Map<String, Object> captured = new LinkedHashMap<>();
        var parsed = response == null || response.isBlank() ? java.util.List.<com.fasterxml.jackson.databind.JsonNode>of()
                : Datasets.parse(response);
        if (!parsed.isEmpty()) {
            captured.putAll(EntityHash.JSON.convertValue(parsed.get(0), Map.class));
        }
        captured.put("source_id", id);
        captured.put("status_code", code);
        String json = EntityHash.canonical(captured);
        String hash = EntityHash.sha256(json);
        jdbc.tx(c -> {
            upsertEntity(c, dataset, id, json, hash);
            Jdbc.update(c, "UPDATE patterns_sends SET state = 'sent', status_code = ?, response = ?, finished_at = CURRENT_TIMESTAMP"
                    + " WHERE pipe = ? AND entity_id = ? AND entity_hash = ?", code, response, pipe, id, entity.get("_hash"));
            return Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
        });
        PatternsMetrics.count(ex.getContext(), "sends", pipe, 1, "state", "sent");
    }

    /**
     * After the target refused the entity with an HTTP error status: the send is 'failed' (the target did not take
     * it, so a later run may send it again) and the run stops. Any other failure leaves the row 'sending'.
     */
    public void refused(Exchange ex) throws Exception {
        Exception e = ex.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (!(e instanceof HttpOperationFailedException http)) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        String pipe = Datasets.prop(ex, Datasets.PIPE);
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        jdbc.tx(c -> Jdbc.update(c, "UPDATE patterns_sends SET state = 'failed', status_code = ?, response = ?,"
                + " finished_at = CURRENT_TIMESTAMP WHERE pipe = ? AND entity_id = ? AND entity_hash = ? AND state = 'sending'",
                http.getStatusCode(), http.getResponseBody(), pipe, String.valueOf(entity.get("_id")), entity.get("_hash")));
        throw http;
    }

    /** Records a conflict for the entity with the reason in property {@code conflictReason}, and moves on. */
    public void conflict(Exchange ex) {
        String pipe = Datasets.prop(ex, Datasets.PIPE);
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        String reason = ex.getProperty("conflictReason", "conflict", String.class);
        jdbc.tx(c -> {
            Jdbc.update(c, "INSERT INTO patterns_conflicts (pipe, entity_id, expected_hash, actual_hash, reason, recorded_at)"
                    + " VALUES (?, ?, NULL, NULL, ?, CURRENT_TIMESTAMP)", pipe, String.valueOf(entity.get("_id")), reason);
            return Datasets.advance(c, pipe, String.valueOf(entity.get("_seq")));
        });
        Datasets.emit(ex, StatusEvent.recordStatus(ex.getProperty("correlationId", String.class),
                String.valueOf(entity.get("_id")), String.valueOf(entity.get("_version")), Datasets.stage(pipe),
                State.SKIPPED, "conflict, not written: " + reason, null));
    }

    /** The entity's external reference (its field named by property {@code refField}), or "" when it has none. */
    public String ref(Exchange ex) {
        String field = ex.getProperty("refField", "", String.class);
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        Object v = field.isBlank() ? null : entity.get(field);
        return v == null ? "" : String.valueOf(v);
    }

    /** The entity's own fields, without flowledger's {@code _} metadata: what a target receives. */
    public Map<String, Object> payload(Exchange ex) {
        Map<?, ?> entity = ex.getProperty("entity", Map.class);
        Map<String, Object> out = new LinkedHashMap<>();
        entity.forEach((k, v) -> {
            if (!String.valueOf(k).startsWith("_")) {
                out.put(String.valueOf(k), v);
            }
        });
        return out;
    }

    /** Sends in the capture ledger of a pipe by state, for the API and tests. */
    public java.util.List<Map<String, Object>> sends(String pipe) {
        return jdbc.tx(c -> Jdbc.query(c, "SELECT pipe, entity_id, entity_hash, state, status_code, response, started_at,"
                + " finished_at FROM patterns_sends WHERE pipe = ? ORDER BY started_at, entity_id", pipe));
    }

    private static void upsertEntity(Connection c, String dataset, String id, String json, String hash) throws SQLException {
        long seq = Jdbc.nextSeq(c);
        if (Jdbc.update(c, "UPDATE patterns_entities SET entity = ?, hash = ?, deleted = FALSE, version = version + 1, seq = ?,"
                + " updated_at = CURRENT_TIMESTAMP WHERE dataset = ? AND entity_id = ?", json, hash, seq, dataset, id) == 0) {
            Jdbc.update(c, "INSERT INTO patterns_entities (dataset, entity_id, entity, hash, deleted, version, seq, created_at,"
                    + " updated_at) VALUES (?, ?, ?, ?, FALSE, 1, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", dataset, id, json, hash, seq);
        }
    }
}
