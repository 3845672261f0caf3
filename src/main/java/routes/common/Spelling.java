package routes.common;

/** For "did you mean ...?" answers to a misspelt configuration key or JSON field. */
public final class Spelling {

    private Spelling() {
    }

    /** The Levenshtein distance between two strings (insertions, deletions, substitutions). */
    public static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * The candidate under {@code candidatePrefix} nearest to {@code option}, compared without case and separators
     * ({@code sasl-mechansim} finds {@code <prefix>sasl.mechanism}), or null when none is close enough to be a typo.
     * For an option of another system's naming pointed at the documented key that does its job.
     */
    public static String nearestIgnoringSeparators(String option, Iterable<String> candidates, String candidatePrefix) {
        String wanted = squash(option);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : candidates) {
            if (k.startsWith(candidatePrefix)) {
                int d = distance(wanted, squash(k.substring(candidatePrefix.length())));
                if (d < bestDistance || d == bestDistance && k.compareTo(best) < 0) {
                    best = k;
                    bestDistance = d;
                }
            }
        }
        return best != null && bestDistance <= Math.max(3, wanted.length() / 4) ? best : null;
    }

    private static String squash(String s) {
        return s.toLowerCase(java.util.Locale.ROOT).replaceAll("[._-]", "");
    }
}
