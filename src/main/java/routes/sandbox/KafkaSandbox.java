package routes.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker (KRaft, no ZooKeeper) in this JVM, bound to 127.0.0.1 on free ports.
 * For the demo and the tests only: the service never starts it.
 */
public final class KafkaSandbox implements AutoCloseable {

    private final Path dir;
    private final int port;
    private int controllerPort;
    private boolean formatted;
    private KafkaRaftServer server;

    private KafkaSandbox(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static KafkaSandbox start() throws Exception {
        return start(Ports.free());
    }

    /** A broker on a given loopback port (tests that make a broker appear where a client already looks for one). */
    public static KafkaSandbox start(int port) throws Exception {
        Path dir = Files.createTempDirectory("flowledger-kafka-");
        int controllerPort = Ports.free();
        KafkaSandbox k = new KafkaSandbox(dir, port);
        k.doStart(controllerPort);
        return k;
    }

    /**
     * On a fatal fault (say its port was taken by another process meanwhile) a Kafka broker exits or halts its JVM.
     * An in-process sandbox broker shares the JVM with the demo's service or a test run: its fault fails the broker
     * with an exception instead of ending everything in this JVM without a word.
     */
    public static void keepJvmOnBrokerFault() {
        org.apache.kafka.common.utils.Exit.Procedure refuse = (code, message) -> {
            throw new IllegalStateException("the in-process Kafka broker gave up (exit " + code + "): " + message);
        };
        org.apache.kafka.common.utils.Exit.setExitProcedure(refuse);
        org.apache.kafka.common.utils.Exit.setHaltProcedure(refuse);
    }

    private void doStart(int controllerPort) throws Exception {
        keepJvmOnBrokerFault();
        this.controllerPort = controllerPort;
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.resolve("logs").toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        // One partition, like the offsets topic: the first transactional producer then starts in a second, not ten.
        p.put("transaction.state.log.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        Path file = dir.resolve("server.properties");
        try (var w = Files.newBufferedWriter(file)) {
            p.store(w, "flowledger sandbox broker");
        }
        if (!formatted) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            kafka.tools.StorageTool.execute(
                    new String[] {"format", "-t", UUID.randomUUID().toString().replace("-", "").substring(0, 22),
                        "-c", file.toString()},
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            formatted = true;
        }
        server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
        server.startup();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Stops the broker as a crash would leave it to its clients (its logs stay, for {@link #restart()}). */
    public void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** Starts the stopped broker again on the same ports and logs. */
    public void restart() throws Exception {
        doStart(controllerPort);
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
            // a temp dir; the OS cleans it eventually
        }
    }

}
