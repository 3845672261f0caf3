package routes.common.http;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.PropertyBindingException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Reads the JSON body of an API request strictly, into the type that declares the fields the API knows: an
 * unknown field (even where the type says {@code @JsonIgnoreProperties(ignoreUnknown = true)}), {@code null},
 * an array, malformed JSON, trailing data, a value of the wrong type ({@code "columns": 123} for a text,
 * {@code "dryRun": "yes"} for a boolean) or a duplicate field are refused with a {@link BadRequest} saying what
 * is wrong, e.g. {@code unknown field 'dryrun' (did you mean dryRun?)}. Nothing is guessed.
 */
public final class StrictJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                // A type's own "ignore unknown fields" would let a typo through: the API never ignores one.
                @Override
                public JsonIgnoreProperties.Value findPropertyIgnoralByName(
                        com.fasterxml.jackson.databind.cfg.MapperConfig<?> config, Annotated a) {
                    return super.findPropertyIgnoralByName(config, a).withoutIgnoreUnknown();
                }
            })
            .withCoercionConfigDefaults(c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail))
            .build();

    static {
        // Text fields take text only (Jackson would turn 123 or true into "123"/"true").
        MAPPER.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    }

    private StrictJson() {
    }

    /** The body as a {@code type}; a missing, empty or bad body is a {@link BadRequest}. */
    public static <T> T read(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            throw new BadRequest("a JSON object is required as the request body");
        }
        T value;
        try {
            value = MAPPER.readValue(body, type);
        } catch (PropertyBindingException e) {
            throw new BadRequest(unknownField(e.getPropertyName(), e.getKnownPropertyIds()));
        } catch (JsonParseException e) {
            throw new BadRequest("malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (InvalidFormatException e) {
            throw new BadRequest(where(e) + "'" + e.getValue() + "' is not a valid " + typeName(e.getTargetType()));
        } catch (MismatchedInputException e) {
            if (e.getPath().isEmpty()) {
                throw new BadRequest("the request body must be a JSON object");
            }
            throw new BadRequest(where(e) + "expected " + typeName(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw new BadRequest(where(e) + e.getOriginalMessage().lines().findFirst().orElse("not acceptable"));
        } catch (JsonProcessingException e) {
            throw new BadRequest("malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (value == null) {
            throw new BadRequest("the request body must be a JSON object, not null");
        }
        return value;
    }

    /** "unknown field 'dryrun' (did you mean dryRun?)", or the known fields when none is close. */
    static String unknownField(String name, Collection<Object> known) {
        List<String> names = new ArrayList<>();
        known.forEach(k -> names.add(String.valueOf(k)));
        String nearest = nearest(name, names);
        if (nearest != null) {
            return "unknown field '" + name + "' (did you mean " + nearest + "?)";
        }
        return "unknown field '" + name + "' (known fields: " + names.stream().sorted().collect(Collectors.joining(", ")) + ")";
    }

    /** The candidate closest to {@code name} (ignoring case), if it is close enough to be a typo. */
    public static String nearest(String name, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String n = name.toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            int d = routes.common.Spelling.distance(n, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return best != null && bestDistance <= Math.max(2, name.length() / 3) ? best : null;
    }

    private static String where(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
        return path.isEmpty() ? "" : "field '" + path + "': ";
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "value";
        }
        if (CharSequence.class.isAssignableFrom(type)) {
            return "a text (JSON string)";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a JSON array";
        }
        return "a JSON object";
    }
}
