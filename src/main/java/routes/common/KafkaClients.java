package routes.common;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/**
 * The one place Kafka's connection security comes from: {@code flowledger.kafka.*} turned into (a) the options of
 * Camel's {@code kafka} component, bound once so every {@code kafka:} endpoint of every YAML route (and replay's
 * transactional producer) inherits them, and (b) the {@link Properties} of the Java clients flowledger makes itself
 * (the status watch's Admin, replay's read_committed consumer). Two copies of this mapping would drift apart: a
 * client without the truststore fails only on the secured cluster, in production.
 *
 * <p>Takes the configuration as a lookup function, not {@code routes.app.Config}: {@code routes.common} does not
 * depend on the application layer. Problems are {@link InvalidSetting} (key, problem), which the caller turns into its own
 * configuration error.
 */
public final class KafkaClients {

    public static final String PROTOCOL = "flowledger.kafka.security-protocol";
    public static final String MECHANISM = "flowledger.kafka.sasl.mechanism";
    public static final String USERNAME = "flowledger.kafka.sasl.username";
    public static final String PASSWORD = "flowledger.kafka.sasl.password";
    public static final String TRUSTSTORE = "flowledger.kafka.ssl.truststore-location";
    public static final String TRUSTSTORE_PASSWORD = "flowledger.kafka.ssl.truststore-password";
    public static final String TRUSTSTORE_TYPE = "flowledger.kafka.ssl.truststore-type";
    public static final String KEYSTORE = "flowledger.kafka.ssl.keystore-location";
    public static final String KEYSTORE_PASSWORD = "flowledger.kafka.ssl.keystore-password";
    public static final String KEYSTORE_TYPE = "flowledger.kafka.ssl.keystore-type";
    public static final String KEY_PASSWORD = "flowledger.kafka.ssl.key-password";
    public static final String ENDPOINT_IDENTIFICATION = "flowledger.kafka.ssl.endpoint-identification";

    static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
    static final List<String> STORE_TYPES = List.of("PKCS12", "JKS", "PEM");

    private final Function<String, String> config;

    private KafkaClients(Function<String, String> config) {
        this.config = config;
    }

    /** From a configuration lookup ({@code config::get}); missing keys read as empty. */
    public static KafkaClients from(Function<String, String> config) {
        return new KafkaClients(key -> {
            String v = config.apply(key);
            return v == null ? "" : v.trim();
        });
    }

    private String get(String key) {
        return config.apply(key);
    }

    public String protocol() {
        String p = get(PROTOCOL).toUpperCase(Locale.ROOT);
        return p.isEmpty() ? "PLAINTEXT" : p;
    }

    private boolean sasl() {
        return protocol().startsWith("SASL_");
    }

    private boolean ssl() {
        return protocol().endsWith("SSL");
    }

    /** True when the connection is authenticated or encrypted: then a start-up can check the credentials. */
    public boolean secured() {
        return !protocol().equals("PLAINTEXT");
    }

    /**
     * Checks every key, and refuses a key that the chosen protocol would ignore (a password set with PLAINTEXT, a
     * truststore without SSL): ignoring it silently would connect differently from what the user wrote.
     */
    public void validate() {
        oneOf(PROTOCOL, protocol(), PROTOCOLS);
        if (sasl()) {
            oneOf(MECHANISM, get(MECHANISM).toUpperCase(Locale.ROOT), MECHANISMS);
            require(USERNAME, "with " + protocol());
            require(PASSWORD, "with " + protocol());
        } else {
            for (String k : List.of(USERNAME, PASSWORD)) {
                notSet(k, "SASL_PLAINTEXT or SASL_SSL");
            }
        }
        if (ssl()) {
            oneOf(ENDPOINT_IDENTIFICATION, get(ENDPOINT_IDENTIFICATION).toLowerCase(Locale.ROOT), List.of("https", "none"));
            store(TRUSTSTORE, TRUSTSTORE_TYPE, TRUSTSTORE_PASSWORD, false);
            store(KEYSTORE, KEYSTORE_TYPE, KEYSTORE_PASSWORD, true);
            if (!get(KEY_PASSWORD).isEmpty() && get(KEYSTORE).isEmpty()) {
                throw new InvalidSetting(KEY_PASSWORD, "is set but " + KEYSTORE + " is empty (the key password belongs to it)");
            }
        } else {
            for (String k : List.of(TRUSTSTORE, TRUSTSTORE_PASSWORD, KEYSTORE, KEYSTORE_PASSWORD, KEY_PASSWORD)) {
                notSet(k, "SSL or SASL_SSL");
            }
        }
    }

    private void store(String location, String typeKey, String passwordKey, boolean passwordNeeded) {
        String file = get(location);
        if (file.isEmpty()) {
            if (!get(passwordKey).isEmpty()) {
                throw new InvalidSetting(passwordKey, "is set but " + location + " is empty");
            }
            return; // no truststore: the JVM's CA certificates (a public CA); no keystore: no client certificate
        }
        if (!Files.isReadable(Path.of(file))) {
            throw new InvalidSetting(location, "is not a readable file");
        }
        String type = get(typeKey).toUpperCase(Locale.ROOT);
        oneOf(typeKey, type, STORE_TYPES);
        if (type.equals("PEM") && !get(passwordKey).isEmpty() && !passwordNeeded) {
            throw new InvalidSetting(passwordKey, "must be empty for a PEM truststore (PEM certificates have no password)");
        }
        if (passwordNeeded && !type.equals("PEM") && get(passwordKey).isEmpty()) {
            throw new InvalidSetting(passwordKey, "is required with " + location + " (a " + type + " keystore)");
        }
    }

    private void oneOf(String key, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            throw new InvalidSetting(key, "must be one of " + String.join(", ", allowed));
        }
    }

    private void require(String key, String when) {
        if (get(key).isEmpty()) {
            throw new InvalidSetting(key, "is required " + when);
        }
    }

    private void notSet(String key, String needs) {
        if (!get(key).isEmpty()) {
            throw new InvalidSetting(key, "is set but " + PROTOCOL + " is " + protocol() + ": it is only used with " + needs);
        }
    }

    /** The security settings as Kafka client properties (empty for PLAINTEXT). */
    public Properties properties() {
        Properties p = new Properties();
        if (!secured()) {
            return p;
        }
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol());
        if (sasl()) {
            p.put(SaslConfigs.SASL_MECHANISM, mechanism());
            p.put(SaslConfigs.SASL_JAAS_CONFIG, jaasConfig());
        }
        if (ssl()) {
            p.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, endpointAlgorithm());
            putIfSet(p, SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, get(TRUSTSTORE));
            if (!get(TRUSTSTORE).isEmpty()) {
                p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, get(TRUSTSTORE_TYPE).toUpperCase(Locale.ROOT));
            }
            putIfSet(p, SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, get(TRUSTSTORE_PASSWORD));
            putIfSet(p, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, get(KEYSTORE));
            if (!get(KEYSTORE).isEmpty()) {
                p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, get(KEYSTORE_TYPE).toUpperCase(Locale.ROOT));
            }
            putIfSet(p, SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, get(KEYSTORE_PASSWORD));
            putIfSet(p, SslConfigs.SSL_KEY_PASSWORD_CONFIG, get(KEY_PASSWORD));
        }
        return p;
    }

    /** The same settings on a Camel kafka configuration (typed options: additionalProperties belong to endpoints). */
    public void applyTo(KafkaConfiguration k) {
        if (!secured()) {
            return;
        }
        k.setSecurityProtocol(protocol());
        if (sasl()) {
            k.setSaslMechanism(mechanism());
            k.setSaslJaasConfig(jaasConfig());
        }
        if (ssl()) {
            // Camel leaves the client's default (https) for "none": an empty algorithm is what turns the check off.
            k.setSslEndpointAlgorithm(endpointAlgorithm());
            k.setSslTruststoreLocation(emptyAsNull(get(TRUSTSTORE)));
            k.setSslTruststorePassword(emptyAsNull(get(TRUSTSTORE_PASSWORD)));
            k.setSslTruststoreType(get(TRUSTSTORE).isEmpty() ? null : get(TRUSTSTORE_TYPE).toUpperCase(Locale.ROOT));
            k.setSslKeystoreLocation(emptyAsNull(get(KEYSTORE)));
            k.setSslKeystorePassword(emptyAsNull(get(KEYSTORE_PASSWORD)));
            k.setSslKeystoreType(get(KEYSTORE).isEmpty() ? null : get(KEYSTORE_TYPE).toUpperCase(Locale.ROOT));
            k.setSslKeyPassword(emptyAsNull(get(KEY_PASSWORD)));
        }
    }

    /** Camel's kafka component with the security settings, to bind as the bean {@code kafka}. */
    public KafkaComponent component() {
        KafkaComponent component = new KafkaComponent();
        KafkaConfiguration k = new KafkaConfiguration();
        applyTo(k);
        component.setConfiguration(k);
        return component;
    }

    /**
     * Asks the brokers for the cluster with these credentials and throws {@link InvalidSetting} when they refuse them
     * (wrong SASL password, a certificate the truststore does not trust): one line at start instead of clients
     * retrying forever. A broker that does not answer within {@code timeout} is not an error here: Kafka being
     * down is a condition each pipeline already rides out.
     */
    public void verify(String brokers, Duration timeout) {
        Properties p = properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "flowledger-kafka-check");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).nodes()
                    .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SslAuthenticationException a) {
                // TLS fails before SASL starts: the brokers' certificate is not trusted (or names another host).
                throw new InvalidSetting(TRUSTSTORE, "Kafka TLS handshake failed at " + brokers + " (" + protocol()
                        + "): the brokers' certificate is not trusted by " + (get(TRUSTSTORE).isEmpty()
                        ? "the JVM's CA certificates" : "this truststore") + " or does not name the host: "
                        + firstLine(rootMessage(a)));
            }
            if (e.getCause() instanceof AuthenticationException a) {
                throw new InvalidSetting(sasl() ? USERNAME : TRUSTSTORE, "Kafka authentication failed at " + brokers + " ("
                        + protocol() + (sasl() ? " " + mechanism() : "") + "): " + firstLine(a.getMessage()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
            // unreachable or slow: not a credentials problem, the clients keep trying
        }
    }

    private String mechanism() {
        return get(MECHANISM).toUpperCase(Locale.ROOT);
    }

    private String endpointAlgorithm() {
        return get(ENDPOINT_IDENTIFICATION).equalsIgnoreCase("none") ? "" : "https";
    }

    /** The JAAS line of the mechanism, the credentials quoted (a password may hold quotes or backslashes). */
    private String jaasConfig() {
        String module = mechanism().equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return module + " required username=" + quote(get(USERNAME)) + " password=" + quote(get(PASSWORD)) + ";";
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void putIfSet(Properties p, String key, String value) {
        if (!value.isEmpty()) {
            p.put(key, value);
        }
    }

    private static String emptyAsNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    private static String firstLine(String s) {
        return s == null ? "refused" : s.lines().findFirst().orElse(s);
    }
}
