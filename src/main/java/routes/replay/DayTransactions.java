package routes.replay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Producer;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import routes.app.Config;

/**
 * A replay day in Kafka: one transaction per day, {@code transactional.id} = {@code flowledger-replay-<run>-<day>}.
 * Records go through Camel's kafka component (its {@code transactionalId} option: the producer's start runs
 * {@code initTransactions}, each exchange is one transaction, committed when the exchange completes and aborted
 * when it fails). The day's records are one exchange whose body streams them, so the day is all or nothing.
 * Two things need the client API: finding out whether a day a crash interrupted was committed (a bounded
 * {@code read_committed} scan from the offsets recorded before it began) and the topic's end offsets.
 * Connection security: the producer inherits it from the kafka component, the consumer gets the same settings
 * from {@link routes.common.KafkaClients}.
 */
public class DayTransactions implements CamelContextAware {

    /** Kafka header on a day's first record: "runId day", how a resume finds out whether the day committed. */
    public static final String HEADER = "flowledger-replay";
    /** buffer.memory of the day's producer. */
    static final int BUFFER_MEMORY = 8 << 20;

    private final Config config;
    private final long deliveryMs;
    private CamelContext camel;

    DayTransactions(Config config) {
        this.config = config;
        this.deliveryMs = config.getDuration("flowledger.replay.delivery-timeout").toMillis();
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camel = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camel;
    }

    static String transactionalId(String runId, String day) {
        return "flowledger-replay-" + runId + "-" + day;
    }

    static String marker(String runId, String day) {
        return runId + " " + day;
    }

    /**
     * Sends every record of the iterator in one transaction; returns once it is committed. Throws when it was not
     * (the transaction is then aborted, or left open to be fenced: either way invisible to read_committed).
     */
    void send(String brokers, String topic, String runId, String day, Iterator<byte[]> records) throws Exception {
        KafkaEndpoint endpoint = endpoint(brokers, topic, transactionalId(runId, day), initTimeoutMs());
        ProducerTemplate template = camel.createProducerTemplate();
        try {
            Exchange done = template.send(endpoint, e -> e.getIn().setBody(firstMarked(records, marker(runId, day))));
            if (done.getException() != null) {
                throw done.getException();
            }
        } finally {
            ServiceHelper.stopService(template);
            camel.removeEndpoint(endpoint);
        }
    }

    /**
     * The records as the endpoint sends them: the first one as a message carrying the {@value #HEADER} header (how a
     * resume recognises the day), the others as bare bodies. A header on every record cost a fifth of the replay's
     * CPU (JFR: header sizing and copying per record).
     */
    private Iterator<Object> firstMarked(Iterator<byte[]> records, String marker) {
        return new Iterator<>() {
            private boolean first = true;

            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public Object next() {
                byte[] body = records.next();
                if (!first) {
                    return body;
                }
                first = false;
                org.apache.camel.Message m = new org.apache.camel.support.DefaultMessage(camel);
                m.setBody(body);
                m.setHeader(HEADER, marker);
                return m;
            }
        };
    }

    /**
     * Starts (and stops) a producer with the day's transactional.id: the coordinator then aborts whatever
     * transaction an earlier producer of that day left open (a killed process, a broker that went away).
     */
    void fence(String brokers, String topic, String runId, String day, boolean patient) throws Exception {
        KafkaEndpoint endpoint = endpoint(brokers, topic, transactionalId(runId, day),
                patient ? initTimeoutMs() : Math.min(deliveryMs, 10_000));
        Producer producer = endpoint.createProducer();
        try {
            ServiceHelper.startService(producer);
        } finally {
            ServiceHelper.stopService(producer);
            camel.removeEndpoint(endpoint);
        }
    }

    /**
     * How long a producer may wait for its transactional id (initTransactions) and, when its buffer is full, to send:
     * the first transactional producer on a broker waits for the transaction log to be created.
     */
    private long initTimeoutMs() {
        return Math.max(deliveryMs, 60_000);
    }

    /** True when the committed first record of this run's day is in the topic after {@code startOffsets}. */
    boolean committed(String brokers, String topic, String startOffsets, String runId, String day) {
        byte[] wanted = marker(runId, day).getBytes(StandardCharsets.UTF_8);
        Map<Integer, Long> start = parseOffsets(startOffsets);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(brokers))) {
            List<TopicPartition> tps = partitions(c, topic);
            if (tps.isEmpty()) {
                return false;
            }
            c.assign(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps); // read_committed: the last stable offsets
            for (TopicPartition tp : tps) {
                c.seek(tp, start.getOrDefault(tp.partition(), 0L));
            }
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    Header h = r.headers().lastHeader(HEADER);
                    if (h != null && java.util.Arrays.equals(h.value(), wanted)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** The topic's end offsets now, as "partition:offset,..." (empty when the topic does not exist yet). */
    String endOffsets(String brokers, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(brokers))) {
            List<TopicPartition> tps = partitions(c, topic);
            StringBuilder sb = new StringBuilder();
            c.endOffsets(tps).forEach((tp, off) -> sb.append(sb.length() == 0 ? "" : ",").append(tp.partition())
                    .append(':').append(off));
            return sb.toString();
        }
    }

    private KafkaEndpoint endpoint(String brokers, String topic, String transactionalId, long maxBlockMs) {
        KafkaEndpoint endpoint = camel.getEndpoint("kafka:" + topic + "?transactionalId=" + transactionalId,
                KafkaEndpoint.class);
        KafkaConfiguration k = endpoint.getConfiguration();
        k.setBrokers(brokers);
        k.setRequestRequiredAcks("all");
        k.setEnableIdempotence(true);
        k.setKeySerializer(ByteArraySerializer.class.getName());
        k.setValueSerializer(ByteArraySerializer.class.getName());
        int linger = config.getInt("flowledger.replay.linger-ms", 0, 60_000);
        k.setLingerMs(linger);
        k.setProducerBatchSize(config.getInt("flowledger.replay.batch-size", 1, 16 << 20));
        k.setDeliveryTimeoutMs((int) deliveryMs);
        k.setRequestTimeoutMs((int) Math.max(1, Math.min(30_000, deliveryMs - linger - 1)));
        k.setMaxBlockMs((int) maxBlockMs);
        // The kafka component keeps each in-flight record's body for its callback: a smaller buffer than the
        // client's 32 MB keeps a day within a 256 MB heap (the benchmark's baseline gets the same buffer).
        k.setBufferMemorySize(BUFFER_MEMORY);
        k.setClientId("flowledger-replay");
        Map<String, Object> extra = new HashMap<>();
        extra.put("transaction.timeout.ms", String.valueOf(config.getDuration("flowledger.replay.transaction-timeout").toMillis()));
        k.setAdditionalProperties(extra);
        endpoint.setKafkaClientFactory(BOUNDED_CLOSE);
        return endpoint;
    }

    /**
     * camel-kafka closes a failed transactional producer with close(), which waits without limit for the abort to
     * reach a broker that may be gone: here close() waits at most 10 s (the coordinator aborts the rest, or the
     * next replay fences it).
     */
    private static final DefaultKafkaClientFactory BOUNDED_CLOSE = new DefaultKafkaClientFactory() {
        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        public org.apache.kafka.clients.producer.Producer getProducer(Properties props) {
            return new KafkaProducer(props) {
                @Override
                public void close() {
                    close(Duration.ofSeconds(10));
                }
            };
        }
    };

    private Properties consumerProps(String brokers) {
        Properties p = routes.common.KafkaClients.from(config::get).properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(deliveryMs));
        return p;
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c, String topic) {
        var parts = c.partitionsFor(topic);
        return parts == null ? List.of() : parts.stream().map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
    }

    private static Map<Integer, Long> parseOffsets(String offsets) {
        Map<Integer, Long> start = new HashMap<>();
        if (offsets != null && !offsets.isBlank()) {
            for (String part : offsets.split(",")) {
                String[] kv = part.split(":");
                start.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
            }
        }
        return start;
    }
}
