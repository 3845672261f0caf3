package routes.replay;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import routes.app.FlowledgerCli;
import routes.testkit.AzuriteServer;

/** Arranging backups and dependents in a real store, running the real command, reading the topic back. */
final class ReplayTestSupport {

    private ReplayTestSupport() {
    }

    static BlobServiceClient azure() {
        return new BlobServiceClientBuilder().connectionString(AzuriteServer.connectionString()).buildClient();
    }

    static BlobContainerClient newContainer() {
        BlobContainerClient c = azure().getBlobContainerClient("replay-" + UUID.randomUUID().toString().substring(0, 12));
        c.create();
        return c;
    }

    static String newTopic() {
        return "replay-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Newline-delimited JSON lines of one backup file, each naming its day, file and position. */
    static List<String> lines(String day, int file, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add("{\"day\":\"" + day + "\",\"file\":" + file + ",\"n\":" + i + ",\"eid\":\"LOG\"}");
        }
        return out;
    }

    static byte[] ndjson(List<String> lines, boolean gzip) {
        byte[] plain = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        if (!gzip) {
            return plain;
        }
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
                gz.write(plain);
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void put(BlobContainerClient c, String name, byte[] content) {
        c.getBlobClient(name).upload(BinaryData.fromBytes(content), true);
    }

    /** Every blob under {@code prefix} with its bytes (the downstream data a replay must keep or restore). */
    static Map<String, String> snapshot(BlobContainerClient c, String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (BlobItem item : c.listBlobs()) {
            if (item.getName().startsWith(prefix)) {
                out.put(item.getName(), java.util.HexFormat.of().formatHex(
                        c.getBlobClient(item.getName()).downloadContent().toBytes()));
            }
        }
        return out;
    }

    static List<String> names(BlobContainerClient c, String prefix) {
        List<String> out = new ArrayList<>();
        for (BlobItem item : c.listBlobs()) {
            if (item.getName().startsWith(prefix)) {
                out.add(item.getName());
            }
        }
        return out;
    }

    /** Every record value a read_committed consumer sees in the topic, from the beginning to its current end. */
    static List<String> consumeAll(String bootstrap, String topic) {
        return consume(bootstrap, topic, "read_committed");
    }

    /** Every record value in the log, committed or not (what a read_uncommitted consumer sees). */
    static List<String> consumeUncommitted(String bootstrap, String topic) {
        return consume(bootstrap, topic, "read_uncommitted");
    }

    private static List<String> consume(String bootstrap, String topic, String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            var parts = c.partitionsFor(topic, Duration.ofSeconds(10));
            if (parts == null || parts.isEmpty()) {
                return out;
            }
            List<TopicPartition> tps = parts.stream().map(pi -> new TopicPartition(topic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }

    /** A properties file for the command's --config, from key/value pairs. */
    static Path properties(Path dir, Map<String, String> settings) throws IOException {
        Properties p = new Properties();
        p.putAll(settings);
        Path f = Files.createTempFile(dir, "flowledger-", ".properties");
        try (var w = Files.newBufferedWriter(f)) {
            p.store(w, "replay test");
        }
        return f;
    }

    static int replay(Path config, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "--config";
        all[1] = config.toString();
        all[2] = "replay";
        System.arraycopy(args, 0, all, 3, args.length);
        return FlowledgerCli.execute(all);
    }

    static String newH2Url() {
        return "jdbc:h2:mem:replay-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
                + "DEFAULT_NULL_ORDERING=HIGH";
    }

    /** Rows of a query on the metadata DB, each as "col=value,..." in column order. */
    static List<Map<String, Object>> rows(String url, String user, String password, String sql) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                Map<String, Object> row = new TreeMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(), rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }
}
