package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.consumeAll;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.rows;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.KafkaServer;
import routes.testkit.S3Server;
import routes.testkit.WireMockServers;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The same replay with flowledger.replay.store=s3 (S3Proxy): one day replayed and cleaned, one restored. */
@ExtendWith({S3Server.class, KafkaServer.class})
class ReplayS3Test {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @TempDir
    Path tmp;

    static void put(S3Client s3, String bucket, String key, byte[] content) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    static Map<String, String> snapshot(S3Client s3, String bucket, String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (var o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            out.put(o.key(), new String(s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asByteArray(),
                    StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    @Test
    void on_s3_a_good_day_is_replayed_and_cleaned_and_a_refused_day_is_restored_byte_for_byte() throws Exception {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        S3Client s3 = S3Server.client();
        String bucket = "replay-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(b -> b.bucket(bucket));
        String topic = ReplayTestSupport.newTopic();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaServer.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "200000"))))
                    .all().get();
        }
        put(s3, bucket, "unique/2019-12-01-00.json.gz", ndjson(lines("2019-12-01", 0, 70), true));
        put(s3, bucket, "unique/2019-12-02-00.json", ndjson(lines("2019-12-02", 0, 30), false));
        put(s3, bucket, "unique/2019-12-02-01.json", ("{\"big\":\"" + "x".repeat(300_000) + "\"}\n").getBytes(StandardCharsets.UTF_8));
        for (String day : List.of("2019-12-01", "2019-12-02")) {
            put(s3, bucket, "channel/" + day + "-a.json.gz", ndjson(lines(day, 7, 5), true));
            put(s3, bucket, "telemetry-denormalized/" + day + "-a.json", ndjson(lines(day, 8, 5), false));
        }
        Map<String, String> day2Before = new TreeMap<>(snapshot(s3, bucket, "channel/2019-12-02"));
        day2Before.putAll(snapshot(s3, bucket, "telemetry-denormalized/2019-12-02"));

        String dbUrl = ReplayTestSupport.newH2Url();
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", dbUrl);
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.replay.store", "s3");
        s.put("flowledger.s3.endpoint", S3Server.endpoint());
        s.put("flowledger.s3.access-key", S3Server.accessKey());
        s.put("flowledger.s3.secret-key", S3Server.secretKey());
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        s.put("flowledger.replay.delivery-timeout", "PT5S");
        Path config = ReplayTestSupport.properties(tmp, s);

        int exit = ReplayTestSupport.replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-02",
                "--topic", topic, "--bucket", bucket, "--prefix", "unique");

        assertThat(exit).isEqualTo(1);
        assertThat(rows(dbUrl, "sa", "", "SELECT status FROM replay_days ORDER BY replay_day"))
                .extracting(r -> r.get("status")).containsExactly("SUCCEEDED", "FAILED");
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic).stream().filter(r -> r.contains("2019-12-01")))
                .hasSize(70);
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).as("the refused day's transaction is aborted")
                .noneMatch(r -> r.contains("2019-12-02"));
        assertThat(snapshot(s3, bucket, "channel/2019-12-01")).isEmpty();
        assertThat(snapshot(s3, bucket, "telemetry-denormalized/2019-12-01")).isEmpty();
        Map<String, String> day2After = new TreeMap<>(snapshot(s3, bucket, "channel/2019-12-02"));
        day2After.putAll(snapshot(s3, bucket, "telemetry-denormalized/2019-12-02"));
        assertThat(day2After).isEqualTo(day2Before);
        assertThat(snapshot(s3, bucket, "replay-backups/")).isEmpty();
        assertThat(http.findAll(postRequestedFor(urlEqualTo("/slack/hook")))).hasSize(2);
        assertThat(http.findAll(postRequestedFor(urlMatching(".*/markUnused")))).isEmpty();
    }
}
