package routes.patterns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The hash of an entity (Sesam's {@code _hash}): SHA-256 of its canonical JSON (keys sorted at every level), so
 * the same content always has the same hash whatever order a source sends the fields in. Fields starting with
 * {@code _} are flowledger's own metadata and are left out.
 */
public final class EntityHash {

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .findAndAddModules()
            .build();

    private EntityHash() {
    }

    public static String of(Object entity) {
        JsonNode node = JSON.valueToTree(entity);
        return sha256(canonical(node, true));
    }

    /** Canonical JSON text of {@code entity} without its {@code _} metadata fields. */
    public static String canonical(Object entity) {
        return canonical(JSON.valueToTree(entity), true);
    }

    private static String canonical(JsonNode node, boolean top) {
        try {
            return JSON.writeValueAsString(sorted(node, top));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object sorted(JsonNode node, boolean top) {
        if (node.isObject()) {
            Map<String, Object> out = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (top && e.getKey().startsWith("_")) {
                    continue;
                }
                out.put(e.getKey(), sorted(e.getValue(), false));
            }
            return out;
        }
        if (node.isArray()) {
            java.util.List<Object> out = new java.util.ArrayList<>();
            node.forEach(n -> out.add(sorted(n, false)));
            return out;
        }
        return node;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
