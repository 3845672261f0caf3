package routes.app;

/**
 * A missing or invalid configuration value. The message is the one line the user sees
 * (exit code 2): it names the key and what is wrong, never the value of a secret.
 */
public class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String problem) {
        super(key == null ? problem : key + ": " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
