package routes.common;

/**
 * One line of text from a message that may span lines (H2's "...; SQL statement:\nSELECT ...", Jackson's
 * "\n at [Source: ...]"): lines are joined with spaces, never dropped, so a message is never cut mid-way. Where a
 * column or a summary needs a limit, the head (which names the problem) is kept and the cut is marked with "…".
 */
public final class Messages {

    private Messages() {
    }

    /** The message joined into one line, whole. */
    public static String oneLine(String message) {
        if (message == null) {
            return "";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** At most {@code max} characters; a longer message keeps its head and ends with "…". */
    public static String oneLine(String message, int max) {
        String line = oneLine(message);
        return line.length() <= max ? line : line.substring(0, Math.max(0, max - 1)) + "…";
    }

    /** An exception as one line: its message, or its class name when it has none. */
    public static String oneLine(Throwable t) {
        if (t == null) {
            return "";
        }
        return t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : oneLine(t.getMessage());
    }
}
