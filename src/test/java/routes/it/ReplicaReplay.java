package routes.it;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;

/** A replay day of {@link ReplicasIT}: its backup in Azurite, the body of its {@code POST /api/replays}, its topic read back. */
record ReplicaReplay(String day, String topic, String bucket) {

    /** A day's backup of {@code records} lines in two gzip blobs of a container of its own, replayed into a topic of its own. */
    static ReplicaReplay create(String day, int records) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        BlobContainerClient c = new BlobServiceClientBuilder().connectionString(AzuriteServer.connectionString())
                .buildClient().getBlobContainerClient("replicas-" + suffix);
        c.create();
        for (int file = 0; file < 2; file++) {
            StringBuilder sb = new StringBuilder();
            for (int n = file; n < records; n += 2) {
                sb.append("{\"day\":\"").append(day).append("\",\"n\":").append(n).append(",\"eid\":\"LOG\"}\n");
            }
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
                gz.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
            c.getBlobClient("raw/" + day + "-0" + file + ".json.gz").upload(BinaryData.fromBytes(bos.toByteArray()), true);
        }
        return new ReplicaReplay(day, "replicas-" + suffix, c.getBlobContainerName());
    }

    String body() {
        return "{\"startDate\":\"" + day + "\",\"endDate\":\"" + day + "\",\"topic\":\"" + topic + "\",\"bucket\":\""
                + bucket + "\",\"prefix\":\"raw\"}";
    }

    List<String> readCommitted() {
        return read("read_committed");
    }

    int readUncommitted() {
        return read("read_uncommitted").size();
    }

    /** Every record value in the topic, from the beginning to its end now, at this isolation level. */
    private List<String> read(String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaServer.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }
}
