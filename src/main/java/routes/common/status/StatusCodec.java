package routes.common.status;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;

/**
 * Status messages to and from JSON (the ADR's shapes, see the JSON Schemas under {@code schemas/}), and the
 * checks a message must pass before it is stored. A message that fails them is malformed: the processor sends
 * it to the dead-letter topic with {@link Malformed#getMessage()} as the reason.
 */
public final class StatusCodec {

    public static final int MAX_ID = 200;
    public static final int MAX_SHORT = 100;
    public static final int MAX_MESSAGE = 2000;

    private static final Set<String> STATUSES = Set.of("IN_PROGRESS", "SUCCESS", "FAILED", "SKIPPED");
    private static final Set<String> TYPES = Set.of("FILE", "TABLE", "STREAM");
    private static final Set<String> DETAILS_FIELDS = Set.of("eventId", "correlationId", "dataSetId",
            "dataSetVersionId", "dataSetType", "recordCount", "timestamp");
    private static final Set<String> STATUS_FIELDS = Set.of("eventId", "correlationId", "recordId", "recordIdVersion",
            "stage", "status", "message", "errorCode", "timestamp", "recordCount");

    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Why a message cannot be stored. */
    public static final class Malformed extends Exception {
        public Malformed(String reason) {
            super(reason);
        }
    }

    private StatusCodec() {
    }

    public static byte[] toJson(StatusEvent event) {
        try {
            return JSON.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads one message. {@code fallbackEventId} is used when the message has no eventId (a producer outside
     * flowledger): a stable id such as topic/partition/offset, so a redelivery still counts once.
     */
    public static StatusEvent fromJson(byte[] json, String fallbackEventId, Instant receivedAt) throws Malformed {
        if (json == null || json.length == 0) {
            throw new Malformed("empty message");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new Malformed("not JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new Malformed("not a JSON object");
        }
        JsonNode kindNode = root.get("kind");
        String kind = kindNode != null && kindNode.isTextual() ? kindNode.asText() : null;
        JsonNode p = root.get("properties");
        if (p == null || !p.isObject()) {
            throw new Malformed("properties missing or not an object");
        }
        Set<String> allowed;
        if (StatusEvent.DATASET_DETAILS.equals(kind)) {
            allowed = DETAILS_FIELDS;
        } else if (StatusEvent.STATUS.equals(kind)) {
            allowed = STATUS_FIELDS;
        } else {
            throw new Malformed("kind must be dataSetDetails or status, was " + (kind == null ? "missing" : "'" + kind + "'"));
        }
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new Malformed("unknown property '" + f + "' for kind " + kind);
            }
        }
        String eventId = id(p, "eventId", MAX_SHORT, false);
        if (eventId == null) {
            eventId = fallbackEventId;
        }
        if (eventId == null || eventId.isBlank()) {
            throw new Malformed("eventId is required");
        }
        String correlationId = id(p, "correlationId", MAX_ID, true);
        Instant ts = timestamp(p.get("timestamp"), receivedAt);
        StatusEvent.Props props;
        if (StatusEvent.DATASET_DETAILS.equals(kind)) {
            String type = id(p, "dataSetType", 16, false);
            if (type != null && !TYPES.contains(type)) {
                throw new Malformed("dataSetType must be FILE, TABLE or STREAM, was '" + type + "'");
            }
            JsonNode rc = p.get("recordCount");
            Long recordCount = null;
            if (rc != null && !rc.isNull()) {
                if (!rc.canConvertToLong() || !rc.isIntegralNumber() || rc.asLong() < 0) {
                    throw new Malformed("recordCount must be a whole number >= 0");
                }
                recordCount = rc.asLong();
            }
            String versionId = id(p, "dataSetVersionId", MAX_SHORT, false);
            props = new StatusEvent.Props(eventId, correlationId, id(p, "dataSetId", MAX_ID, true),
                    versionId == null ? "" : versionId, type, recordCount, null, null, null, null, null, null, ts);
        } else {
            String status = id(p, "status", 16, true);
            if (!STATUSES.contains(status)) {
                throw new Malformed("status must be IN_PROGRESS, SUCCESS, FAILED or SKIPPED, was '" + status + "'");
            }
            JsonNode ec = p.get("errorCode");
            Integer errorCode = null;
            if (ec != null && !ec.isNull()) {
                if (!ec.isIntegralNumber() || !ec.canConvertToInt()) {
                    throw new Malformed("errorCode must be a whole number");
                }
                errorCode = ec.asInt();
            }
            // A status event may say how many records it covers (a batch's outcome); 1 when absent.
            JsonNode rc = p.get("recordCount");
            Long recordCount = null;
            if (rc != null && !rc.isNull()) {
                if (!rc.canConvertToLong() || !rc.isIntegralNumber() || rc.asLong() < 0) {
                    throw new Malformed("recordCount must be a whole number >= 0");
                }
                recordCount = rc.asLong();
            }
            props = new StatusEvent.Props(eventId, correlationId, null, null, null, recordCount,
                    id(p, "recordId", MAX_ID, false), id(p, "recordIdVersion", MAX_SHORT, false),
                    id(p, "stage", MAX_SHORT, true), status, message(p.get("message")), errorCode, ts);
        }
        return new StatusEvent(kind, props);
    }

    /** Checks an event built in Java (pipelines' own emits) as strictly as one read from the topic. */
    public static StatusEvent check(StatusEvent e) throws Malformed {
        if (e == null || e.properties() == null) {
            throw new Malformed("no event");
        }
        return fromJson(toJson(e), java.util.UUID.randomUUID().toString(), Instant.now());
    }

    private static String id(JsonNode p, String field, int max, boolean required) throws Malformed {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new Malformed(field + " is required");
            }
            return null;
        }
        if (!n.isTextual() && !n.isNumber()) {
            throw new Malformed(field + " must be a string");
        }
        String s = n.asText();
        if (required && s.isBlank()) {
            throw new Malformed(field + " must not be empty");
        }
        if (s.length() > max) {
            throw new Malformed(field + " is longer than " + max + " characters");
        }
        return s;
    }

    private static String message(JsonNode n) throws Malformed {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new Malformed("message must be a string");
        }
        String s = n.asText();
        return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE - 1) + "…" : s;
    }

    private static Instant timestamp(JsonNode n, Instant receivedAt) throws Malformed {
        if (n == null || n.isNull()) {
            return receivedAt;
        }
        if (n.isIntegralNumber()) {
            // time(): epoch seconds or milliseconds
            long v = n.asLong();
            return v < 100_000_000_000L ? Instant.ofEpochSecond(v) : Instant.ofEpochMilli(v);
        }
        if (n.isNumber()) {
            return Instant.ofEpochMilli((long) (n.asDouble() * 1000));
        }
        try {
            return Instant.parse(n.asText());
        } catch (DateTimeParseException e) {
            try {
                return java.time.OffsetDateTime.parse(n.asText()).toInstant();
            } catch (DateTimeParseException e2) {
                throw new Malformed("timestamp must be ISO-8601 (2026-11-20T10:00:00Z) or epoch time, was '"
                        + n.asText() + "'");
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
