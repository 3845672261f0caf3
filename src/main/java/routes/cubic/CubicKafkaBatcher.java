package routes.cubic;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.common.status.StatusEvent;

/**
 * The Kafka batcher (ADR 5's "10,000 records or one hour"): consumes the configured topics and, per table (one per
 * topic), writes {@code cubic/kafka/<table>/<uuid>.json} (one record a line) to the incoming bucket once the table
 * has {@code max-records} records or its oldest record waited {@code max-age}. Offsets are committed only after
 * the table's object is written and its load row exists, so a crash or a stop never loses a record. The edge is at-least-once:
 * a crash between the write and the commit writes those records again in a new object.
 *
 * <p>The cubic-ingestion route's {@code kafka:} consumer (manual commit, auto commit off) hands each record to
 * {@link #add}; a table's batch that is full ({@link #add}) or old enough ({@link #due}, on a timer) is uploaded by
 * the route with the aws2-s3 producer and registered as a load, and only then {@link #written} commits the offsets
 * of exactly its records (a topic's partitions belong to one table, so a table's batch commits its own).
 */
public class CubicKafkaBatcher implements AutoCloseable {

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

    /** One table's records on local disk, and the commit of the last record of each of its partitions. */
    public static final class Batch {
        final String table;
        final Path file;
        final OutputStream out;
        final long startedAt = System.currentTimeMillis();
        final Map<TopicPartition, KafkaManualCommit> commits = new LinkedHashMap<>();
        final String key;
        int count;

        Batch(String table) throws IOException {
            this.table = table;
            this.file = Files.createTempFile("cubic-kafka-" + table + "-", ".json");
            this.out = Files.newOutputStream(file);
            this.key = "cubic/kafka/" + table + "/" + UUID.randomUUID() + ".json";
        }

        /** Where the route uploads it in the incoming bucket. */
        public String getKey() {
            return key;
        }

        /** The file the route uploads (closed before it is handed out). */
        public java.io.File getFile() {
            return file.toFile();
        }

        public int getCount() {
            return count;
        }
    }

    private final Settings settings;
    private final Consumer<StatusEvent> status;
    private final Map<String, Batch> buffers = new LinkedHashMap<>();
    private final List<Batch> retry = new ArrayList<>();
    /** Tests: never commit, as if the process died after writing and registering each object (the worst moment). */
    public volatile boolean crashBeforeCommit;

    public CubicKafkaBatcher(Settings settings, Consumer<StatusEvent> status) {
        this.settings = settings;
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

    /** The consumer's topics (a placeholder when none: the route then never starts). */
    public String topicList() {
        return enabled() ? String.join(",", settings.topics()) : "cubic-kafka-batcher-off";
    }

    public String brokers() {
        return settings.brokers().isEmpty() ? "127.0.0.1:9092" : settings.brokers();
    }

    public String groupId() {
        return settings.groupId();
    }

    public long periodMs() {
        return Math.max(100, Math.min(1000, settings.maxAge().toMillis() / 4));
    }

    /** The table a topic's records go to: the topic name, lower case, other characters as '_'. */
    public static String tableFor(String topic) {
        return topic.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    /**
     * One consumed record, appended to its table's batch on disk (not in the heap: a table may collect up to
     * max-records records for up to max-age). Returns the batches to write now: the table's, once full.
     */
    public synchronized List<Batch> add(Exchange exchange) throws IOException {
        String topic = exchange.getMessage().getHeader(KafkaConstants.TOPIC, String.class);
        Integer partition = exchange.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class);
        KafkaManualCommit commit = exchange.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        String table = tableFor(topic);
        Batch b = buffers.get(table);
        if (b == null) {
            b = new Batch(table);
            buffers.put(table, b);
        }
        b.out.write(oneLine(exchange.getMessage().getBody(String.class)).getBytes(StandardCharsets.UTF_8));
        b.out.write('\n');
        b.count++;
        if (commit instanceof CubicKafkaCommits.Commit c) {
            c.flushPending(); // commits a timer-written batch waited for the consumer's thread
        }
        if (commit != null) {
            b.commits.put(new TopicPartition(topic, partition == null ? 0 : partition), commit);
        }
        if (b.count >= settings.maxRecords()) {
            return List.of(take(table)); // exactly max-records in this table's object
        }
        return List.of();
    }

    /** The batches whose oldest record waited max-age (the route's timer asks). */
    public synchronized List<Batch> due() throws IOException {
        List<Batch> out = new ArrayList<>(retry);
        retry.clear();
        for (String table : new ArrayList<>(buffers.keySet())) {
            if (System.currentTimeMillis() - buffers.get(table).startedAt >= settings.maxAge().toMillis()) {
                out.add(take(table));
            }
        }
        return out;
    }

    private Batch take(String table) throws IOException {
        Batch b = buffers.remove(table);
        b.out.close();
        return b;
    }

    /**
     * The batch's object is in incoming and its load row exists: commit the offsets of exactly its records (the
     * commit is handed to the consumer's own thread, which commits on its next poll), then forget the file.
     */
    public void written(Batch b) throws IOException {
        Files.deleteIfExists(b.file);
        LOG.info("Kafka batcher wrote {} records of table {} to {}", b.count, b.table, b.key);
        status.accept(StatusEvent.recordStatus("cubic-kafka-" + b.table, b.key, null, STAGE, StatusEvent.State.SUCCESS,
                b.count + " records written to the incoming bucket", null));
        // The table's batching dataflow lives as long as the topic: between objects it waits for input, it does not
        // run (each object's ingest is a load's own dataflow).
        status.accept(StatusEvent.waiting("cubic-kafka-" + b.table, STAGE, "more records of " + b.table + " from Kafka"
                + " (an object every " + settings.maxRecords() + " records or " + settings.maxAge() + ")"));
        if (crashBeforeCommit) {
            LOG.warn("Simulated crash: {} written and registered, its offsets not committed", b.key);
            return;
        }
        b.commits.values().forEach(KafkaManualCommit::commit);
    }

    /** A batch that could not be written (S3 down): kept on disk and written again by the next timer round. */
    public synchronized void failed(Batch b) {
        LOG.warn("Kafka batcher could not write {} ({} records); trying again", b.key, b.count);
        retry.add(b);
    }

    private static String oneLine(String value) {
        return value == null ? "null" : value.replace("\r", " ").replace("\n", " ");
    }

    /** Drops what is buffered: uncommitted records are consumed again by whoever takes the partitions next. */
    @Override
    public synchronized void close() {
        for (Batch b : buffers.values()) {
            try {
                b.out.close();
                Files.deleteIfExists(b.file);
            } catch (IOException ignored) {
                // a temp file
            }
        }
        buffers.clear();
        retry.clear();
    }
}
