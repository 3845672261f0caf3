package routes.roket;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Clob;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * What the sink takes (a source row, a Map, a JSON object, or a List / stream of them) as {@link RoketBatch.Row}s:
 * the record's id (its {@code idField}, matched case-insensitively) and the record as a JSON object, dates and
 * times as ISO-8601 strings.
 */
final class RoketRecords {

    /** Marks the end of an upload's stream: completes the batch being formed (never sent itself). */
    static final RoketBatch.Row END = new RoketBatch.Row("\u0000end", "");

    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RoketRecords() {
    }

    /**
     * The body's records in chunks of at most {@code size}, read lazily: one exchange per chunk after the sink's split,
     * not one per record. With {@code end} the last chunk is marked as the stream's end (possibly with no rows).
     */
    static Iterator<RoketBatch.Chunk> chunks(Object body, String idField, RoketRun run, boolean end, int size) {
        Iterator<RoketBatch.Row> rows = rows(body, idField, run, end);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public RoketBatch.Chunk next() {
                List<RoketBatch.Row> chunk = new ArrayList<>(size);
                while (chunk.size() < size && rows.hasNext()) {
                    RoketBatch.Row r = rows.next();
                    if (r == END) {
                        return new RoketBatch.Chunk(chunk, true);
                    }
                    chunk.add(r);
                }
                if (chunk.isEmpty()) {
                    throw new NoSuchElementException();
                }
                return new RoketBatch.Chunk(chunk, false);
            }
        };
    }

    /**
     * The body's records, read lazily (a source stream stays a stream); {@code end} appends {@link #END}. Stops early
     * when the run is stopping.
     */
    static Iterator<RoketBatch.Row> rows(Object body, String idField, RoketRun run, boolean end) {
        Iterator<?> records = records(body);
        return new Iterator<>() {
            private boolean ended;

            @Override
            public boolean hasNext() {
                return !ended && (records.hasNext() && !run.isStopping() || end);
            }

            @Override
            public RoketBatch.Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                if (run.isStopping() || !records.hasNext()) {
                    ended = true;
                    return END;
                }
                try {
                    RoketBatch.Row r = row(records.next(), idField);
                    run.rowsRead.increment();
                    return r;
                } catch (RuntimeException e) {
                    // A record that cannot be tracked stops the run: nothing of it is sent.
                    run.abort(e.getMessage());
                    ended = true;
                    if (end) {
                        return END;
                    }
                    throw e;
                }
            }
        };
    }

    private static Iterator<?> records(Object body) {
        if (body == null) {
            return List.of().iterator();
        }
        if (body instanceof Iterator<?> it) {
            return it;
        }
        if (body instanceof Iterable<?> it) {
            return it.iterator();
        }
        if (body instanceof String s && s.trim().startsWith("[")) {
            try {
                return MAPPER.readTree(s).iterator();
            } catch (IOException e) {
                throw new IllegalArgumentException("the body is not a JSON array of records: " + e.getMessage());
            }
        }
        if (body instanceof JsonNode n && n.isArray()) {
            return n.iterator();
        }
        return List.of(body).iterator();
    }

    /** One record as a row to send. */
    @SuppressWarnings("unchecked")
    static RoketBatch.Row row(Object record, String idField) {
        Map<String, Object> map;
        if (record instanceof Map<?, ?> m) {
            map = (Map<String, Object>) m;
        } else if (record instanceof JsonNode n && n.isObject()) {
            map = MAPPER.convertValue(n, Map.class);
        } else if (record instanceof String s && s.trim().startsWith("{")) {
            try {
                map = MAPPER.readValue(s, Map.class);
            } catch (IOException e) {
                throw new IllegalArgumentException("a record is not a JSON object: " + e.getMessage());
            }
        } else {
            throw new IllegalArgumentException("a record must be a Map or a JSON object, not "
                    + (record == null ? "null" : record.getClass().getSimpleName()));
        }
        Object id = map.get(idField);
        if (id == null) {
            id = caseInsensitive(map).get(idField);
        }
        if (id == null) {
            if (!caseInsensitive(map).containsKey(idField)) {
                throw new IllegalArgumentException("the id field '" + idField + "' is not a field of the records"
                        + " (fields: " + String.join(", ", map.keySet()) + ")");
            }
            throw new IllegalArgumentException("a record has no value in its id field '" + idField
                    + "': it cannot be tracked, so nothing of it is sent");
        }
        return new RoketBatch.Row(id.toString(), json(map));
    }

    private static Map<String, Object> caseInsensitive(Map<String, Object> m) {
        Map<String, Object> ci = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ci.putAll(m);
        return ci;
    }

    private static String json(Map<String, Object> map) {
        StringWriter w = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            for (Map.Entry<String, Object> e : map.entrySet()) {
                g.writeFieldName(e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } catch (IOException | SQLException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException, SQLException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof BigDecimal n) {
            g.writeNumber(n);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof java.sql.Date d) {
            g.writeString(d.toLocalDate().toString());
        } else if (v instanceof Timestamp t) {
            g.writeString(t.toLocalDateTime().toString());
        } else if (v instanceof Time t) {
            g.writeString(t.toLocalTime().toString());
        } else if (v instanceof TemporalAccessor t) {
            g.writeString(t.toString());
        } else if (v instanceof Clob c) {
            g.writeString(c.getSubString(1, (int) c.length()));
        } else if (v instanceof byte[] bytes) {
            g.writeString(Base64.getEncoder().encodeToString(bytes));
        } else if (v instanceof Map<?, ?> || v instanceof List<?> || v instanceof JsonNode) {
            g.writeRawValue(MAPPER.writeValueAsString(v));
        } else {
            g.writeString(v.toString());
        }
    }
}
