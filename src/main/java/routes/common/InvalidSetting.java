package routes.common;

/**
 * A bad configuration value found by a {@code routes.common} class: the key and what is wrong with it, never the
 * value of a secret. The application layer turns it into its configuration error (one line, exit 2);
 * {@code routes.common} does not depend on that layer.
 */
public class InvalidSetting extends RuntimeException {
    private final String key;
    private final String problem;

    public InvalidSetting(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
        this.problem = problem;
    }

    public String key() {
        return key;
    }

    public String problem() {
        return problem;
    }
}
