package routes.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.core.util.BinaryData;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.common.MetadataDb;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Each real server of the test kit starts, answers a real client, and is reachable only on loopback. */
@ExtendWith({KafkaServer.class, S3Server.class, AzuriteServer.class, PostgresServer.class})
class TestKitSmokeTest {

    @RegisterExtension
    static WireMockExtension wireMock = WireMockServers.create();

    @Test
    void kafka_broker_stores_and_returns_a_record() throws Exception {
        String topic = "smoke-" + System.nanoTime();
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaServer.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(topic, "k", "hello")).get();
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", KafkaServer.bootstrapServers());
        props.put("group.id", "smoke");
        props.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of(topic));
            ConsumerRecords<String, String> records = ConsumerRecords.empty();
            long deadline = System.currentTimeMillis() + 15_000;
            while (records.isEmpty() && System.currentTimeMillis() < deadline) {
                records = c.poll(Duration.ofMillis(500));
            }
            assertThat(records.iterator().next().value()).isEqualTo("hello");
        }
        assertThat(KafkaServer.bootstrapServers()).startsWith("127.0.0.1:");
    }

    @Test
    void s3_server_puts_lists_and_gets_an_object() {
        try (S3Client s3 = S3Server.client()) {
            s3.createBucket(b -> b.bucket("smoke"));
            s3.putObject(b -> b.bucket("smoke").key("cubic/dmap/t/20261120.csv"), RequestBody.fromString("a,b\n1,2\n"));
            assertThat(s3.listObjectsV2(b -> b.bucket("smoke").prefix("cubic/")).contents())
                    .extracting(o -> o.key()).containsExactly("cubic/dmap/t/20261120.csv");
            assertThat(s3.getObjectAsBytes(b -> b.bucket("smoke").key("cubic/dmap/t/20261120.csv")).asUtf8String())
                    .isEqualTo("a,b\n1,2\n");
        }
    }

    @Test
    void azurite_creates_a_container_and_lists_blobs_by_prefix() {
        BlobServiceClient service = new BlobServiceClientBuilder().connectionString(AzuriteServer.connectionString()).buildClient();
        BlobContainerClient c = service.createBlobContainer("smoke" + System.nanoTime() % 100000);
        c.getBlobClient("backup/2026-11-20-part1.json.gz").upload(BinaryData.fromString("{}\n"));
        c.getBlobClient("backup/2026-11-21-part1.json.gz").upload(BinaryData.fromString("{}\n"));
        assertThat(c.listBlobsByHierarchy("backup/2026-11-20")).extracting(b -> b.getName())
                .containsExactly("backup/2026-11-20-part1.json.gz");
    }

    @Test
    void postgres_runs_the_migrations_and_the_idempotent_table_has_its_primary_key() throws Exception {
        try (MetadataDb db = MetadataDb.open(PostgresServer.newDatabase(), "postgres", "postgres", 2);
             Connection c = db.dataSource().getConnection()) {
            assertThat(db.isPostgres()).isTrue();
            insertProcessed(c, "p", "m1");
            assertThatThrownBy(() -> insertProcessed(c, "p", "m1")).isInstanceOf(SQLException.class);
        }
    }

    @Test
    void wiremock_answers_a_stubbed_call() throws Exception {
        wireMock.stubFor(WireMock.post("/records").willReturn(WireMock.status(201).withBody("{\"stored\":1}")));
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(WireMockServers.url(wireMock) + "/records")).POST(HttpRequest.BodyPublishers.ofString("[{}]")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        wireMock.verify(1, WireMock.postRequestedFor(WireMock.urlEqualTo("/records")));
    }

    static void insertProcessed(Connection c, String processor, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO CAMEL_MESSAGEPROCESSED (processorName, messageId, createdAt) VALUES (?, ?, ?)")) {
            ps.setString(1, processor);
            ps.setString(2, id);
            ps.setTimestamp(3, new Timestamp(System.currentTimeMillis()));
            ps.executeUpdate();
        }
    }
}
