package routes.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.common.KafkaClients;

/**
 * The documented Kafka keys are the only way to configure Kafka: each is checked at start (one line, exit 2), and a
 * camel.component.kafka.* key from any user source is refused pointing at the nearest flowledger.kafka.* key.
 */
class KafkaKeysTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(oldErr);
    }

    private Config load(Map<String, String> settings) {
        return Config.load(null, Map.of(), new Properties(), settings);
    }

    private Config secure(Map<String, String> extra) throws Exception {
        Path trust = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Map<String, String> s = new LinkedHashMap<>();
        s.put("flowledger.kafka.security-protocol", "SASL_SSL");
        s.put("flowledger.kafka.sasl.username", "flowledger");
        s.put("flowledger.kafka.sasl.password", "pw-secret-1");
        s.put("flowledger.kafka.ssl.truststore-location", trust.toString());
        s.put("flowledger.kafka.ssl.truststore-type", "PEM");
        s.putAll(extra);
        return load(s);
    }

    @Test
    void a_misspelt_camel_kafka_key_in_the_config_file_stops_the_start_with_exit_2_naming_the_documented_key()
            throws Exception {
        Path f = Files.writeString(dir.resolve("app.properties"), "camel.component.kafka.sasl-mechansim=PLAIN\n");
        assertThat(FlowledgerCli.execute("--config", f.toString(), "status", "x")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip()).isEqualTo("flowledger: configuration error: "
                + "camel.component.kafka.sasl-mechansim: not accepted: Kafka is configured with the documented"
                + " flowledger.kafka.* keys (did you mean flowledger.kafka.sasl.mechanism?) (from file " + f + ")");
    }

    @Test
    void camel_kafka_keys_are_refused_from_the_environment_and_system_properties_too() {
        assertThatThrownBy(() -> Config.load(null, Map.of("CAMEL_COMPONENT_KAFKA_SECURITY_PROTOCOL", "SSL"),
                new Properties(), Map.of()))
                .hasMessage("camel.component.kafka.security-protocol: not accepted: Kafka is configured with the"
                        + " documented flowledger.kafka.* keys (did you mean FLOWLEDGER_KAFKA_SECURITY_PROTOCOL, i.e."
                        + " flowledger.kafka.security-protocol?) (from environment CAMEL_COMPONENT_KAFKA_SECURITY_PROTOCOL)");
        Properties sys = new Properties();
        sys.setProperty("camel.component.kafka.ssl-truststore-location", "/x");
        assertThatThrownBy(() -> Config.load(null, Map.of(), sys, Map.of()))
                .hasMessageContaining("(did you mean flowledger.kafka.ssl.truststore-location?)")
                .hasMessageContaining("(from -Dcamel.component.kafka.ssl-truststore-location)");
        // Camel's own keys of application.properties still load, and other camel.* keys are not Kafka's business.
        sys.clear();
        sys.setProperty("camel.main.name", "x");
        assertThat(Config.load(null, Map.of(), sys, Map.of()).get("camel.metrics.enabled")).isEqualTo("true");
    }

    @Test
    void each_kafka_key_is_validated_with_one_line_and_secrets_are_never_shown() throws Exception {
        assertThatThrownBy(() -> StartupChecks.validate(load(Map.of("flowledger.kafka.security-protocol", "TLS"))))
                .hasMessageStartingWith("flowledger.kafka.security-protocol: value 'TLS' must be one of PLAINTEXT, SSL,"
                        + " SASL_PLAINTEXT, SASL_SSL");
        assertThatThrownBy(() -> StartupChecks.validate(secure(Map.of("flowledger.kafka.sasl.mechanism", "GSSAPI"))))
                .hasMessageStartingWith("flowledger.kafka.sasl.mechanism: value 'GSSAPI' must be one of PLAIN,"
                        + " SCRAM-SHA-256, SCRAM-SHA-512");
        assertThatThrownBy(() -> StartupChecks.validate(secure(Map.of("flowledger.kafka.sasl.password", ""))))
                .hasMessageStartingWith("flowledger.kafka.sasl.password: is required with SASL_SSL");
        assertThatThrownBy(() -> StartupChecks.validate(secure(Map.of("flowledger.kafka.ssl.truststore-location",
                dir.resolve("missing.p12").toString(), "flowledger.kafka.ssl.truststore-type", "PKCS12"))))
                .hasMessageStartingWith("flowledger.kafka.ssl.truststore-location: value '" + dir.resolve("missing.p12")
                        + "' is not a readable file");
        assertThatThrownBy(() -> StartupChecks.validate(secure(Map.of("flowledger.kafka.ssl.truststore-password",
                "store-secret"))))
                .hasMessageStartingWith("flowledger.kafka.ssl.truststore-password: value (secret) must be empty for a PEM"
                        + " truststore").hasMessageNotContaining("store-secret");
        assertThatThrownBy(() -> StartupChecks.validate(load(Map.of("flowledger.kafka.sasl.password", "pw-secret-2"))))
                .as("a password the PLAINTEXT protocol would ignore")
                .hasMessageStartingWith("flowledger.kafka.sasl.password: value (secret) is set but"
                        + " flowledger.kafka.security-protocol is PLAINTEXT: it is only used with SASL_PLAINTEXT or SASL_SSL")
                .hasMessageNotContaining("pw-secret-2");
        assertThatThrownBy(() -> StartupChecks.validate(secure(Map.of("flowledger.kafka.ssl.endpoint-identification",
                "off")))).hasMessageStartingWith("flowledger.kafka.ssl.endpoint-identification: value 'off' must be one of"
                        + " https, none");
        StartupChecks.validate(secure(Map.of()));
        assertThat(secure(Map.of()).secretValues()).contains("pw-secret-1");
    }

    @Test
    void the_camel_component_and_the_java_clients_get_the_same_settings() throws Exception {
        Config c = secure(Map.of("flowledger.kafka.sasl.password", "p\"w\\1", "flowledger.kafka.ssl.endpoint-identification",
                "none"));
        KafkaClients kafka = KafkaClients.from(c::get);
        Properties p = kafka.properties();
        KafkaConfiguration k = kafka.component().getConfiguration();
        assertThat(p).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PEM").containsEntry("ssl.endpoint.identification.algorithm", "")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"flowledger\" password=\"p\\\"w\\\\1\";");
        assertThat(k.getSecurityProtocol()).isEqualTo(p.get("security.protocol"));
        assertThat(k.getSaslMechanism()).isEqualTo(p.get("sasl.mechanism"));
        assertThat(k.getSaslJaasConfig()).isEqualTo(p.get("sasl.jaas.config"));
        assertThat(k.getSslTruststoreLocation()).isEqualTo(p.get("ssl.truststore.location"));
        assertThat(k.getSslTruststoreType()).isEqualTo("PEM");
        assertThat(k.getSslEndpointAlgorithm()).isEmpty();
        assertThat(KafkaClients.from(load(Map.of())::get).properties()).as("PLAINTEXT adds nothing").isEmpty();
    }
}
