package routes.cubic;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The Kafka batcher (ADR 5's "10,000 records or one hour"): consumes the configured topics and, per table (one per
 * topic), writes {@code cubic/kafka/<table>/<uuid>.json} (one record a line) to the incoming bucket once the table
 * has {@code max-records} records or its oldest record waited {@code max-age}. Offsets are committed only after
 * every buffered table's object is written, so a crash or a stop never loses a record. The edge is at-least-once:
 * a crash between the write and the commit writes those records again in a new object.
 *
 * <p>The cubic-kafka-batcher route calls {@link #pollOnce()} on its timer; one thread at a time (the consumer is
 * not thread-safe and a timer never overlaps itself).
 */
public class CubicKafkaBatcher implements AutoCloseable, org.apache.camel.Service {

    private static final Logger LOG = LoggerFactory.getLogger(CubicKafkaBatcher.class);
    public static final String STAGE = "CUBIC_KAFKA_BATCH";

    public record Settings(List<String> topics, String brokers, String groupId, int maxRecords, Duration maxAge,
                           Duration pollTimeout) {
        public static Settings from(Config c) {
            List<String> topics = new ArrayList<>();
            for (String t : c.get("flowledger.cubic.kafka.topics").split(",")) {
                if (!t.isBlank()) {
                    if (!t.trim().matches("[A-Za-z0-9._-]+")) {
                        throw c.invalid("flowledger.cubic.kafka.topics", "must be Kafka topic names separated by commas");
                    }
                    topics.add(t.trim());
                }
            }
            String brokers = topics.isEmpty() ? c.get("flowledger.kafka.brokers") : c.require("flowledger.kafka.brokers");
            return new Settings(topics, brokers, c.require("flowledger.cubic.kafka.group-id"),
                    c.getInt("flowledger.cubic.kafka.max-records", 1, 1_000_000), c.getDuration("flowledger.cubic.kafka.max-age"),
                    Duration.ofMillis(500));
        }
    }

    private final Settings settings;
    private final S3Client s3;
    private final String bucket;
    private final Consumer<StatusEvent> status;
    private final Map<String, Buffer> buffers = new LinkedHashMap<>();
    private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
    private KafkaConsumer<String, String> consumer;
    /** Tests: throw after writing the objects, before committing (a crash at the worst moment). */
    volatile boolean crashBeforeCommit;

    public CubicKafkaBatcher(Settings settings, S3Client s3, String bucket, Consumer<StatusEvent> status) {
        this.settings = settings;
        this.s3 = s3;
        this.bucket = bucket;
        this.status = status;
    }

    /** For the route's autoStartup: topics configured, and not in a one-off job. */
    public boolean autoStart() {
        return enabled() && !job;
    }

    /** Set for one-off job commands, where schedules stay stopped. */
    public volatile boolean job;

    public boolean enabled() {
        return !settings.topics().isEmpty();
    }

    public long periodMs() {
        return 200;
    }

    /** The table a topic's records go to: the topic name, lower case, other characters as '_'. */
    public static String tableFor(String topic) {
        return topic.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    private static final class Buffer {
        final Path file;
        final OutputStream out;
        final long startedAt = System.currentTimeMillis();
        int count;

        Buffer(Path file) throws IOException {
            this.file = file;
            this.out = Files.newOutputStream(file);
        }
    }

    /** The route's step: one round, and the consumer is closed with the Camel context. */
    public int pollOnce(org.apache.camel.Exchange exchange) throws Exception {
        if (consumer == null) {
            exchange.getContext().addService(this, true);
        }
        return pollOnce();
    }

    @Override
    public void start() {
    }

    @Override
    public void stop() {
        close();
    }

    /** One round: poll, buffer, write the tables that are full or old enough, then commit. Returns objects written. */
    public synchronized int pollOnce() throws IOException {
        if (consumer == null) {
            consumer = newConsumer();
            consumer.subscribe(settings.topics());
        }
        int written = 0;
        for (ConsumerRecord<String, String> r : consumer.poll(settings.pollTimeout())) {
            String table = tableFor(r.topic());
            Buffer b = buffers.get(table);
            if (b == null) {
                b = new Buffer(Files.createTempFile("cubic-kafka-" + table + "-", ".json"));
                buffers.put(table, b);
            }
            // Buffered on disk, not in the heap: a table may collect up to max-records records for up to max-age.
            b.out.write(oneLine(r.value()).getBytes(StandardCharsets.UTF_8));
            b.out.write('\n');
            b.count++;
            pending.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            if (b.count >= settings.maxRecords()) {
                written += flush(); // exactly max-records in this table's object
            }
        }
        if (buffers.values().stream().anyMatch(b -> System.currentTimeMillis() - b.startedAt >= settings.maxAge().toMillis())) {
            written += flush();
        }
        return written;
    }

    /**
     * Writes every buffered table, then commits the offsets of exactly the records written. Offsets are per
     * partition, not per table, so all tables are written together before one commit.
     */
    private int flush() throws IOException {
        int written = 0;
        for (Map.Entry<String, Buffer> e : buffers.entrySet()) {
            Buffer b = e.getValue();
            b.out.close();
            String key = "cubic/kafka/" + e.getKey() + "/" + UUID.randomUUID() + ".json";
            s3.putObject(p -> p.bucket(bucket).key(key).contentType("application/x-ndjson"), RequestBody.fromFile(b.file));
            Files.deleteIfExists(b.file);
            written++;
            LOG.info("Kafka batcher wrote {} records of table {} to s3://{}/{}", b.count, e.getKey(), bucket, key);
            status.accept(StatusEvent.recordStatus("cubic-kafka-" + e.getKey(), key, null, STAGE, StatusEvent.State.SUCCESS,
                    b.count + " records written to the incoming bucket", null));
        }
        buffers.clear();
        if (crashBeforeCommit) {
            throw new IllegalStateException("simulated crash between write and commit");
        }
        consumer.commitSync(new HashMap<>(pending));
        pending.clear();
        return written;
    }

    private static String oneLine(String value) {
        return value == null ? "null" : value.replace("\r", " ").replace("\n", " ");
    }

    private KafkaConsumer<String, String> newConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.brokers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        // A table may wait up to max-age between commits; the consumer keeps polling meanwhile, so the default
        // max.poll.interval.ms is never exceeded.
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }

    /** Stops consuming. Buffered, uncommitted records are consumed again by whoever takes the partitions next. */
    @Override
    public synchronized void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(5));
            consumer = null;
        }
        for (Buffer b : buffers.values()) {
            try {
                b.out.close();
                Files.deleteIfExists(b.file);
            } catch (IOException ignored) {
                // a temp file
            }
        }
        buffers.clear();
        pending.clear();
    }
}
