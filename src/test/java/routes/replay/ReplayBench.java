package routes.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.tools.ProducerPerformance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;

/**
 * Replay throughput: 2,000,000 records of 200 bytes from gzip'd blobs in Azurite into Kafka (the whole command:
 * pre-flight read, replay in one Kafka transaction, ledger), against Kafka's own ProducerPerformance (no transaction)
 * on the same broker, with the same record size and producer settings, in the same run. Run with {@code mvn -B -o -Pbench test -Dtest=ReplayBench} (256 MB
 * heap, which also holds the broker).
 */
@Tag("bench")
@ExtendWith({AzuriteServer.class, KafkaServer.class})
class ReplayBench {

    static final int RECORDS = 2_000_000;
    static final int RECORD_SIZE = 200;
    static final int FILES = 20;

    @TempDir
    Path tmp;

    @Test
    void replay_of_two_million_records_against_kafka_producer_performance() throws Exception {
        System.out.printf("heap max %d MB%n", Runtime.getRuntime().maxMemory() >> 20);
        BlobContainerClient container = ReplayTestSupport.newContainer();
        SplittableRandom random = new SplittableRandom(42);
        long bytes = 0;
        for (int f = 0; f < FILES; f++) {
            Path file = tmp.resolve("part-" + f + ".json.gz");
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
                for (int i = 0; i < RECORDS / FILES; i++) {
                    byte[] line = line(f, i, random);
                    out.write(line);
                    out.write('\n');
                    bytes += line.length;
                }
            }
            container.getBlobClient("failed/2019-12-01-part" + String.format("%02d", f) + ".json.gz")
                    .uploadFromFile(file.toString(), true);
            Files.delete(file);
        }
        System.out.printf("backup: %d records, %d MB in %d gzip blobs%n", RECORDS, bytes >> 20, FILES);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaServer.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("bench-baseline", 1, (short) 1), new NewTopic("bench-replay", 1, (short) 1)))
                    .all().get();
        }

        // Baseline: Kafka's kafka-producer-perf-test, same broker, record size and producer settings.
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ProducerPerformance.main(new String[] {"--topic", "bench-baseline", "--num-records", String.valueOf(RECORDS),
                "--record-size", String.valueOf(RECORD_SIZE), "--throughput", "-1", "--producer-props",
                "bootstrap.servers=" + KafkaServer.bootstrapServers(), "acks=all", "enable.idempotence=true",
                "linger.ms=5", "batch.size=131072", "buffer.memory=" + DayTransactions.BUFFER_MEMORY});
        } finally {
            System.setOut(stdout);
        }
        String perf = captured.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec").matcher(perf);
        double baseline = 0;
        while (m.find()) {
            baseline = Double.parseDouble(m.group(2)); // the last line is the summary
        }
        System.out.println("ProducerPerformance: " + perf.lines().reduce((a, b) -> b).orElse(""));

        String dbUrl = ReplayTestSupport.newH2Url();
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", dbUrl);
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
        Path config = ReplayTestSupport.properties(tmp, s);
        long t0 = System.nanoTime();
        int exit = ReplayTestSupport.replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01",
                "--topic", "bench-replay", "--bucket", container.getBlobContainerName(), "--prefix", "failed");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(exit).isZero();
        double replayRate = RECORDS / seconds;
        var day = ReplayTestSupport.rows(dbUrl, "sa", "", "SELECT records, duration_ms FROM replay_days").get(0);
        assertThat(((Number) day.get("records")).longValue()).isEqualTo(RECORDS);

        System.out.printf(Locale.ROOT, "%n=== replay benchmark (%d records x %d bytes, acks=all, idempotent, heap %d MB) ===%n",
                RECORDS, RECORD_SIZE, Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf(Locale.ROOT, "baseline ProducerPerformance : %,10.0f records/s%n", baseline);
        System.out.printf(Locale.ROOT, "flowledger replay (whole run): %,10.0f records/s  (%.1f s incl. start-up, "
                + "pre-flight read of every blob, replay, ledger)%n", replayRate, seconds);
        System.out.printf(Locale.ROOT, "ratio                        : %10.2f  (goal >= 0.80; the day is one Kafka transaction, "
                + "the baseline has none)%n", replayRate / baseline);
    }

    /** One newline-free JSON record of exactly RECORD_SIZE bytes. */
    static byte[] line(int file, int n, SplittableRandom random) {
        String head = "{\"eid\":\"LOG\",\"ets\":1575158400000,\"file\":" + file + ",\"n\":" + n + ",\"mid\":\""
                + Long.toHexString(random.nextLong()) + "\",\"pad\":\"";
        StringBuilder sb = new StringBuilder(RECORD_SIZE).append(head);
        int k = n % 26; // telemetry-like: compresses about as well as real event JSON
        while (sb.length() < RECORD_SIZE - 2) {
            sb.append((char) ('a' + (k++ % 26)));
        }
        return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
