package routes.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * flowledger's configuration: the defaults of {@code application.properties}, overridden in this order
 * (later wins): {@code --config FILE}, environment variables (upper case, {@code .} and {@code -} as
 * {@code _}), then {@code -Dkey=value} system properties. Immutable once loaded.
 */
public final class Config {

    public static final String DEFAULTS = "application.properties";
    private static final String CAMEL_KAFKA = "camel.component.kafka.";
    private static final String CAMEL_KAFKA_ENV = "CAMEL_COMPONENT_KAFKA_";
    private static final String FLOWLEDGER_KAFKA = "flowledger.kafka.";
    private static final Pattern SECRET_KEY = Pattern.compile(
            "(?i).*(password|secret|token|access-key|secret-key|api-key|apikey|connection-string|webhook-url).*");

    private final Map<String, String> values;
    private final Map<String, String> origins;

    private Config(Map<String, String> values, Map<String, String> origins) {
        this.values = Collections.unmodifiableMap(values);
        this.origins = Collections.unmodifiableMap(origins);
    }

    /** Loads the layered configuration from the real environment and system properties. */
    public static Config load(Path configFile) {
        return load(configFile, System.getenv(), System.getProperties(), Map.of());
    }

    /**
     * Loads the layers. {@code overlay} sits between the defaults and the config file; the demo uses it
     * to point the service at its sandbox while still letting the user override anything.
     */
    public static Config load(Path configFile, Map<String, String> env, Properties sys, Map<String, String> overlay) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        Properties defaults = new Properties();
        try (InputStream in = Config.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new ConfigException(null, "application.properties is missing from the classpath");
            }
            defaults.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException(null, "cannot read application.properties: " + e.getMessage());
        }
        put(values, origins, defaults, "default");
        overlay.forEach((k, v) -> { values.put(k, v); origins.put(k, "demo"); });

        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                throw new ConfigException("--config", "file " + configFile + " does not exist");
            }
            Properties file = new Properties();
            try (Reader r = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                file.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("--config", "cannot read " + configFile + ": " + e.getMessage());
            }
            put(values, origins, file, "file " + configFile);
        }

        // Environment: every known key by its env name; unknown FLOWLEDGER_* variables map '_' to '.'.
        Map<String, String> envNameToKey = new TreeMap<>();
        for (String key : values.keySet()) {
            envNameToKey.put(envName(key), key);
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            String key = envNameToKey.get(name);
            if (key == null && name.startsWith("FLOWLEDGER_") && !name.equals("FLOWLEDGER_CONFIG")) {
                key = name.toLowerCase(Locale.ROOT).replace('_', '.');
            }
            if (key == null && name.startsWith(CAMEL_KAFKA_ENV)) {
                // camel-main would apply it to the kafka component on its own: seen here, so it is refused.
                key = CAMEL_KAFKA + name.substring(CAMEL_KAFKA_ENV.length()).toLowerCase(Locale.ROOT).replace('_', '-');
            }
            if (key != null) {
                values.put(key, e.getValue());
                origins.put(key, "environment " + name);
            }
        }

        for (String name : sys.stringPropertyNames()) {
            if (name.startsWith("flowledger.") || name.startsWith("camel.")) {
                values.put(name, sys.getProperty(name));
                origins.put(name, "-D" + name);
            }
        }
        refuseUnknownKeys(defaults.stringPropertyNames(), origins);
        return new Config(values, origins);
    }

    /**
     * A {@code flowledger.*} key that application.properties does not list is a typo or a key of another version:
     * ignoring it would run with the default the user meant to change, so start-up stops naming the key (and where
     * it came from) and the nearest known key.
     */
    private static void refuseUnknownKeys(Set<String> known, Map<String, String> origins) {
        for (Map.Entry<String, String> e : origins.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(CAMEL_KAFKA) && !e.getValue().equals("default")) {
                refuseKafkaPassThrough(key, e.getValue(), known);
            }
            if (!key.startsWith("flowledger.") || known.contains(key)) {
                continue;
            }
            String nearest = nearest(key, known);
            String origin = e.getValue();
            String hint = nearest == null ? ""
                    : " (did you mean " + (origin.startsWith("environment ") ? envName(nearest) + ", i.e. " : "")
                    + nearest + "?)";
            throw new ConfigException(key, "unknown key" + hint + " (from " + origin
                    + ")");
        }
    }

    /**
     * No pass-through to Camel's kafka component: Camel would take any of its options (or ignore a misspelt one)
     * beside the validated {@code flowledger.kafka.*} keys, which set that same component, and the two would fight
     * with no error.
     */
    private static void refuseKafkaPassThrough(String key, String origin, Set<String> known) {
        String best = routes.common.Spelling.nearestIgnoringSeparators(key.substring(CAMEL_KAFKA.length()), known,
                FLOWLEDGER_KAFKA);
        String hint = best == null ? ""
                : " (did you mean " + (origin.startsWith("environment ") ? envName(best) + ", i.e. " : "") + best + "?)";
        throw new ConfigException(key, "not accepted: Kafka is configured with the documented flowledger.kafka.* keys"
                + hint + " (from " + origin + ")");
    }

    /** The known key closest to {@code key} by edit distance, or null when none is close enough to be a typo. */
    static String nearest(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : new TreeSet<>(known)) {
            int d = routes.common.Spelling.distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(3, key.length() / 4) ? best : null;
    }

    private static void put(Map<String, String> values, Map<String, String> origins, Properties p, String origin) {
        for (String k : new TreeSet<>(p.stringPropertyNames())) {
            values.put(k, p.getProperty(k).trim());
            origins.put(k, origin);
        }
    }

    /** The environment variable that overrides {@code key}: FLOWLEDGER_ROKET_API_URL for flowledger.roket.api.url. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public static boolean isSecretKey(String key) {
        return SECRET_KEY.matcher(key).matches();
    }

    /** Values of every non-empty secret key, so the log layout can mask them wherever they appear. */
    public Set<String> secretValues() {
        Set<String> out = new TreeSet<>();
        values.forEach((k, v) -> {
            if (isSecretKey(k) && v != null && v.length() >= 4) {
                out.add(v);
            }
        });
        return out;
    }

    public Properties asProperties() {
        Properties p = new Properties();
        values.forEach(p::setProperty);
        return p;
    }

    /** Where a key's value came from ("default", "file x", "environment X", "-Dkey"). */
    public String origin(String key) {
        return origins.getOrDefault(key, "unset");
    }

    public String get(String key) {
        String v = values.get(key);
        return v == null ? "" : v.trim();
    }

    public boolean isSet(String key) {
        return !get(key).isEmpty();
    }

    /** A copy with some keys replaced (used by commands that pin a value, e.g. a job run's own settings). */
    public Config with(Map<String, String> changes) {
        Map<String, String> v = new LinkedHashMap<>(values);
        Map<String, String> o = new LinkedHashMap<>(origins);
        changes.forEach((k, val) -> { v.put(k, val); o.put(k, "command"); });
        return new Config(v, o);
    }

    // ------------------------------------------------------------ typed, validated getters

    public String require(String key) {
        String v = get(key);
        if (v.isEmpty()) {
            throw new ConfigException(key, "is required but empty (set it in --config FILE, as "
                    + envName(key) + " or as -D" + key + "=...)");
        }
        return v;
    }

    public boolean getBoolean(String key) {
        String v = get(key).toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        throw invalid(key, "must be true or false");
    }

    public int getInt(String key, int min, int max) {
        String v = require(key);
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) {
                throw invalid(key, "must be between " + min + " and " + max);
            }
            return i;
        } catch (NumberFormatException e) {
            throw invalid(key, "must be a whole number between " + min + " and " + max);
        }
    }

    public int getPort(String key) {
        return getInt(key, 1, 65535);
    }

    /** An ISO-8601 duration (PT1M) or a number of milliseconds. */
    public Duration getDuration(String key) {
        String v = require(key);
        try {
            if (v.matches("\\d+")) {
                return Duration.ofMillis(Long.parseLong(v));
            }
            return Duration.parse(v.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException | NumberFormatException e) {
            throw invalid(key, "must be an ISO-8601 duration such as PT1M or a number of milliseconds");
        }
    }

    public String getOneOf(String key, List<String> allowed) {
        String v = require(key).toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw invalid(key, "must be one of " + String.join(", ", allowed));
        }
        return v;
    }

    public String getUrl(String key) {
        String v = require(key);
        try {
            java.net.URI u = java.net.URI.create(v);
            if (u.getScheme() == null || u.getHost() == null) {
                throw invalid(key, "must be an absolute URL such as http://host:port/path");
            }
            return v;
        } catch (IllegalArgumentException e) {
            throw invalid(key, "must be an absolute URL such as http://host:port/path");
        }
    }

    /** An error naming the key and its value, unless the key holds a secret. */
    public ConfigException invalid(String key, String problem) {
        String shown = isSecretKey(key) ? "(secret)" : "'" + get(key) + "'";
        return new ConfigException(key, "value " + shown + " " + problem + " (from " + origin(key) + ")");
    }
}
