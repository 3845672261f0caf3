package routes.app.logging;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The configured secret values. Every log layout of flowledger passes its output through {@link #mask}, so a
 * secret never reaches a log line, whichever library printed it.
 */
public final class Secrets {

    private static final List<String> VALUES = new CopyOnWriteArrayList<>();

    private Secrets() {
    }

    public static void register(Set<String> secrets) {
        for (String s : secrets) {
            if (s != null && s.length() >= 4 && !VALUES.contains(s)) {
                VALUES.add(s);
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        VALUES.sort((a, b) -> Integer.compare(b.length(), a.length()));
    }

    public static String mask(String text) {
        if (text == null || VALUES.isEmpty()) {
            return text;
        }
        String out = text;
        for (String s : VALUES) {
            if (out.contains(s)) {
                out = out.replace(s, "****");
            }
        }
        return out;
    }
}
