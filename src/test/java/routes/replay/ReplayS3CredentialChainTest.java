package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.CommandProcess;
import routes.testkit.KafkaServer;
import routes.testkit.S3Server;
import routes.testkit.WireMockServers;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 through the AWS default credential chain, its environment variant for real: a replay job (its own JVM, as cron
 * runs it) with no flowledger.s3 keys, only AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment, replays a
 * day from the S3 server; with credentials the server refuses it stops in one line before touching anything.
 */
@ExtendWith({KafkaServer.class, S3Server.class})
class ReplayS3CredentialChainTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    @TempDir
    Path tmp;

    final S3Client s3 = S3Server.client();
    String bucket;

    @BeforeEach
    void setUp() {
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching(".*/markUnused")).willReturn(okJson("{\"numChangedSegments\":0}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
        bucket = "chain-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(b -> b.bucket(bucket));
        s3.putObject(b -> b.bucket(bucket).key("unique/2019-12-01-00.json"),
                RequestBody.fromBytes(ndjson(lines("2019-12-01", 0, 40), false)));
        s3.putObject(b -> b.bucket(bucket).key("channel/2019-12-01-a.json"),
                RequestBody.fromBytes(ndjson(lines("2019-12-01", 7, 3), false)));
    }

    Map<String, String> settings() {
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", ReplayTestSupport.newH2Url());
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.replay.store", "s3");
        s.put("flowledger.s3.endpoint", S3Server.endpoint()); // and no flowledger.s3.access-key / .secret-key
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        return s;
    }

    /** The chain's environment variant, with no profile files or instance metadata to fall back on. */
    Map<String, String> env(String accessKey, String secretKey) {
        return Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secretKey,
                "AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString(),
                "AWS_CONFIG_FILE", tmp.resolve("no-config").toString(), "AWS_EC2_METADATA_DISABLED", "true");
    }

    CommandProcess replay(Map<String, String> env, String topic) throws Exception {
        return CommandProcess.start(tmp, settings(), env, "replay", "--start-date", "2019-12-01",
                "--end-date", "2019-12-01", "--topic", topic, "--bucket", bucket, "--prefix", "unique");
    }

    @Test
    void a_replay_job_reads_and_cleans_s3_with_credentials_from_the_environment_only() throws Exception {
        String topic = ReplayTestSupport.newTopic();
        try (CommandProcess job = replay(env(S3Server.accessKey(), S3Server.secretKey()), topic)) {
            assertThat(job.waitFor(120)).as(job.describe()).isZero();
        }
        assertThat(ReplayTestSupport.consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(40);
        assertThat(keys("channel/")).as("the dependent object is deleted").isEmpty();
    }

    @Test
    void credentials_the_server_refuses_stop_the_job_in_one_line_before_anything_changes() throws Exception {
        try (CommandProcess job = replay(env(S3Server.accessKey(), "wrong-secret-key"), ReplayTestSupport.newTopic())) {
            assertThat(job.waitFor(120)).as(job.describe()).isEqualTo(2);
            assertThat(job.stderr().strip()).as(job.describe())
                    .startsWith("flowledger: configuration error: flowledger.s3.access-key: S3 refused the credentials"
                            + " from the AWS default credential chain (flowledger.s3.access-key is empty): 403")
                    .doesNotContain("\n").doesNotContain("wrong-secret-key");
        }
        assertThat(keys("channel/")).containsExactly("channel/2019-12-01-a.json");
    }

    @Test
    void on_kubernetes_web_identity_the_projected_token_is_exchanged_through_sts_for_the_s3_credentials() throws Exception {
        // STS stood in by WireMock (AWS_ENDPOINT_URL_STS): it hands out the S3 server's keys for the pod's token.
        http.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=AssumeRoleWithWebIdentity"))
                .withRequestBody(containing("WebIdentityToken=projected-sa-token"))
                .willReturn(ok("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                        + "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>" + S3Server.accessKey()
                        + "</AccessKeyId><SecretAccessKey>" + S3Server.secretKey() + "</SecretAccessKey>"
                        + "<SessionToken>session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
                        + "</Credentials><SubjectFromWebIdentityToken>system:serviceaccount:data:flowledger"
                        + "</SubjectFromWebIdentityToken><AssumedRoleUser><AssumedRoleId>AROA1:flowledger</AssumedRoleId>"
                        + "<Arn>arn:aws:sts::123456789012:assumed-role/flowledger-s3/flowledger</Arn></AssumedRoleUser>"
                        + "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r1</RequestId>"
                        + "</ResponseMetadata></AssumeRoleWithWebIdentityResponse>").withHeader("Content-Type", "text/xml")));
        Path token = java.nio.file.Files.writeString(tmp.resolve("token"), "projected-sa-token");
        Map<String, String> env = Map.of("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/flowledger-s3",
                "AWS_WEB_IDENTITY_TOKEN_FILE", token.toString(), "AWS_ROLE_SESSION_NAME", "flowledger",
                "AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL_STS", WireMockServers.url(http),
                "AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString(),
                "AWS_CONFIG_FILE", tmp.resolve("no-config").toString(), "AWS_EC2_METADATA_DISABLED", "true");
        String topic = ReplayTestSupport.newTopic();
        try (CommandProcess job = replay(env, topic)) {
            assertThat(job.waitFor(120)).as(job.describe()).isZero();
        }
        assertThat(ReplayTestSupport.consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(40);
        assertThat(http.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/"))))
                .as("the role was assumed with the token").isNotEmpty();
    }

    List<String> keys(String prefix) {
        return s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
    }
}
