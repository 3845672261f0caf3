package routes.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import routes.sandbox.Ports;

/**
 * A real Kafka 3.9.1 KRaft broker that only takes clients over SASL_SSL with SCRAM-SHA-512 and a certificate of a
 * private CA made at test time (keytool): what a production cluster asks of flowledger. Once per test run:
 * {@code @ExtendWith(SecureKafkaServer.class)}. Broker-internal traffic (controller, inter-broker) stays on plain
 * loopback listeners no client is told about.
 */
public class SecureKafkaServer implements BeforeAllCallback {

    public static final String USER = "flowledger";
    public static final String PASSWORD = "flowledger-s3cret";
    public static final String STORE_PASSWORD = "changeit-test";

    private static volatile Broker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = SharedServer.get(context, SecureKafkaServer.class, Broker::start);
    }

    public static String bootstrapServers() {
        return "127.0.0.1:" + SharedServer.require(broker, "SecureKafkaServer").port;
    }

    /** The PKCS12 truststore holding the private CA's certificate (password {@link #STORE_PASSWORD}). */
    public static Path truststore() {
        return SharedServer.require(broker, "SecureKafkaServer").dir.resolve("truststore.p12");
    }

    /** The flowledger settings that reach this broker: brokers and every {@code flowledger.kafka.*} key it needs. */
    public static Map<String, String> settings(String password) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("flowledger.kafka.brokers", bootstrapServers());
        s.put("flowledger.kafka.security-protocol", "SASL_SSL");
        s.put("flowledger.kafka.sasl.mechanism", "SCRAM-SHA-512");
        s.put("flowledger.kafka.sasl.username", USER);
        s.put("flowledger.kafka.sasl.password", password);
        s.put("flowledger.kafka.ssl.truststore-location", truststore().toString());
        s.put("flowledger.kafka.ssl.truststore-password", STORE_PASSWORD);
        s.put("flowledger.kafka.ssl.truststore-type", "PKCS12");
        return s;
    }

    public static Map<String, String> settings() {
        return settings(PASSWORD);
    }

    /** Client properties for a test's own producer or consumer (the same credentials, written out by hand). */
    public static Properties clientProperties() {
        return SharedServer.require(broker, "SecureKafkaServer").clientProperties();
    }

    static final class Broker implements AutoCloseable {
        final Path dir;
        final int port;
        private KafkaRaftServer server;

        private Broker(Path dir, int port) {
            this.dir = dir;
            this.port = port;
        }

        Properties clientProperties() {
            Properties p = new Properties();
            p.put("bootstrap.servers", "127.0.0.1:" + port);
            p.put("security.protocol", "SASL_SSL");
            p.put("sasl.mechanism", "SCRAM-SHA-512");
            p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                    + USER + "\" password=\"" + PASSWORD + "\";");
            p.put("ssl.truststore.location", dir.resolve("truststore.p12").toString());
            p.put("ssl.truststore.password", STORE_PASSWORD);
            p.put("ssl.truststore.type", "PKCS12");
            return p;
        }

        static Broker start() throws Exception {
            Broker b = new Broker(Files.createTempDirectory("flowledger-secure-kafka-"), Ports.free());
            b.certificates();
            b.startBroker();
            return b;
        }

        /** A private CA, the broker's certificate signed by it (for 127.0.0.1 and localhost), and the truststore. */
        private void certificates() throws Exception {
            String pw = STORE_PASSWORD;
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=flowledger test CA", "-ext", "bc:c", "-validity", "2",
                    "-keystore", "ca.p12", "-storetype", "PKCS12", "-storepass", pw);
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-storepass", pw, "-file", "ca.pem");
            keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=localhost", "-validity", "2",
                    "-keystore", "broker.p12", "-storetype", "PKCS12", "-storepass", pw);
            keytool("-certreq", "-alias", "broker", "-keystore", "broker.p12", "-storepass", pw, "-file", "broker.csr");
            keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-storepass", pw,
                    "-infile", "broker.csr", "-outfile", "broker.pem", "-validity", "2",
                    "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "EKU=serverAuth");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "broker.p12",
                    "-storepass", pw);
            keytool("-importcert", "-alias", "broker", "-file", "broker.pem", "-keystore", "broker.p12", "-storepass", pw);
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "truststore.p12",
                    "-storetype", "PKCS12", "-storepass", pw);
        }

        private void keytool(String... args) throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + out);
            }
        }

        private void startBroker() throws Exception {
            int brokerPort = Ports.free();
            int controllerPort = Ports.free();
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            p.put("listeners", "SASL_SSL://127.0.0.1:" + port + ",BROKER://127.0.0.1:" + brokerPort
                    + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "SASL_SSL://127.0.0.1:" + port + ",BROKER://127.0.0.1:" + brokerPort);
            p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", "BROKER");
            p.put("controller.listener.names", "CONTROLLER");
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
            p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put("ssl.keystore.location", dir.resolve("broker.p12").toString());
            p.put("ssl.keystore.password", STORE_PASSWORD);
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.key.password", STORE_PASSWORD);
            p.put("log.dirs", dir.resolve("logs").toString());
            p.put("num.partitions", "1");
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "1");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("transaction.state.log.num.partitions", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("auto.create.topics.enable", "true");
            Path file = dir.resolve("server.properties");
            try (var w = Files.newBufferedWriter(file)) {
                p.store(w, "flowledger secure test broker");
            }
            // KRaft keeps SCRAM credentials in its metadata log: they are added when the storage is formatted.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            kafka.tools.StorageTool.execute(new String[] {"format", "-t",
                UUID.randomUUID().toString().replace("-", "").substring(0, 22), "-c", file.toString(),
                "--add-scram", "SCRAM-SHA-512=[name=" + USER + ",password=" + PASSWORD + "]"},
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            routes.sandbox.KafkaSandbox.keepJvmOnBrokerFault();
            server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
            server.startup();
            Properties client = clientProperties();
            client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
            try (Admin admin = Admin.create(client)) {
                admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() {
            if (server != null) {
                server.shutdown();
                server.awaitShutdown();
                server = null;
            }
            try {
                Ports.deleteTree(dir);
            } catch (IOException ignored) {
                // a temp dir
            }
        }
    }
}
