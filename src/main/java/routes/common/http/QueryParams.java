package routes.common.http;

import java.util.Locale;
import org.apache.camel.Exchange;

/**
 * Typed query (and path) parameters of an API request, read from the exchange's headers as platform-http sets
 * them. Absent or blank gives the default; anything else must be exactly what the parameter takes, or the
 * request is refused with a {@link BadRequest} naming the parameter and what it takes. Never guessed, never
 * clamped.
 */
public final class QueryParams {

    private QueryParams() {
    }

    /** The raw value, null when absent or blank. */
    public static String text(Exchange exchange, String name) {
        String v = exchange.getMessage().getHeader(name, String.class);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** A whole number from {@code min} to {@code max}; null when absent. */
    public static Integer optionalInt(Exchange exchange, String name, int min, int max) {
        Long v = optionalLong(exchange, name, min, max);
        return v == null ? null : v.intValue();
    }

    /** A whole number from {@code min} to {@code max}; {@code dflt} when absent. */
    public static int intParam(Exchange exchange, String name, int dflt, int min, int max) {
        Integer v = optionalInt(exchange, name, min, max);
        return v == null ? dflt : v;
    }

    /** A whole number from {@code min} to {@code max}; null when absent. */
    public static Long optionalLong(Exchange exchange, String name, long min, long max) {
        return parseLong(name, text(exchange, name), min, max);
    }

    /** The parameter {@code name} whose value is {@code value}: a whole number from {@code min} to {@code max}; null when absent. */
    public static Long parseLong(String name, String value, long min, long max) {
        String v = value == null || value.isBlank() ? null : value.trim();
        if (v == null) {
            return null;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new BadRequest(name + " must be a whole number" + range(min, max) + ", not '" + shorten(v) + "'");
        }
        if (n < min || n > max) {
            throw new BadRequest(name + " must be a whole number" + range(min, max) + ", not " + n);
        }
        return n;
    }

    /** {@code true} or {@code false} (any case); {@code dflt} when absent. */
    public static boolean bool(Exchange exchange, String name, boolean dflt) {
        String v = text(exchange, name);
        if (v == null) {
            return dflt;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new BadRequest(name + " must be true or false, not '" + shorten(v) + "'");
        };
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return min == 0 ? " (0 or more)" : " (" + min + " or more)";
        }
        return " from " + min + " to " + max;
    }

    static String shorten(String v) {
        return v.length() <= 40 ? v : v.substring(0, 40) + "...";
    }
}
