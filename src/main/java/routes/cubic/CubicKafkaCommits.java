package routes.cubic;

import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.component.kafka.consumer.CommitManager;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.component.kafka.consumer.KafkaManualCommitFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka batcher's manual commits. With Camel 4.17's own factories the consumer records every processed record
 * and commits it after each poll, manual commit or not, which would commit records that are only buffered on disk.
 * With this factory Camel commits nothing itself (its no-op commit manager); a {@link KafkaManualCommit#commit()}
 * commits that record's partition up to it, on the consumer when no other thread is inside it, else at the
 * consumer thread's next record ({@link Commit#flushPending()}): the consumer is not thread-safe.
 */
public final class CubicKafkaCommits implements KafkaManualCommitFactory {

    private static final Logger LOG = LoggerFactory.getLogger(CubicKafkaCommits.class);

    private final Map<Consumer<?, ?>, Map<TopicPartition, OffsetAndMetadata>> pending = new ConcurrentHashMap<>();

    @Override
    public KafkaManualCommit newInstance(CamelExchangePayload exchange, KafkaRecordPayload record, CommitManager manager) {
        return new Commit(exchange.consumer, record.partition, record.recordOffset);
    }

    /** One record's commit. */
    public final class Commit implements KafkaManualCommit {
        private final Consumer<?, ?> consumer;
        private final TopicPartition partition;
        private final long offset;

        Commit(Consumer<?, ?> consumer, TopicPartition partition, long offset) {
            this.consumer = consumer;
            this.partition = partition;
            this.offset = offset;
        }

        @Override
        public void commit() {
            pending.computeIfAbsent(consumer, c -> new ConcurrentHashMap<>()).merge(partition,
                    new OffsetAndMetadata(offset + 1), (a, b) -> b.offset() > a.offset() ? b : a);
            flushPending();
        }

        /** Commits what waits for this record's consumer (called on the consumer's thread for every record). */
        public void flushPending() {
            Map<TopicPartition, OffsetAndMetadata> waiting = pending.get(consumer);
            if (waiting == null || waiting.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> now = new HashMap<>(waiting);
            try {
                consumer.commitSync(now);
                now.forEach(waiting::remove);
            } catch (ConcurrentModificationException e) {
                LOG.debug("Consumer busy in poll; {} committed at its next record", now);
            } catch (RuntimeException e) {
                LOG.warn("Could not commit {} (consumed again after a restart): {}", now, e.getMessage());
            }
        }
    }
}
