package routes.testkit;

import java.net.URI;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import routes.sandbox.S3Sandbox;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** A real S3 API server (S3Proxy) on 127.0.0.1, once per test run: {@code @ExtendWith(S3Server.class)}. */
public class S3Server implements BeforeAllCallback {

    private static volatile S3Sandbox s3;

    @Override
    public void beforeAll(ExtensionContext context) {
        s3 = SharedServer.get(context, S3Server.class, S3Sandbox::start);
    }

    public static String endpoint() {
        return SharedServer.require(s3, "S3Server").endpoint();
    }

    public static String accessKey() {
        return S3Sandbox.ACCESS_KEY;
    }

    public static String secretKey() {
        return S3Sandbox.SECRET_KEY;
    }

    /**
     * An AWS SDK client for the server, to arrange and inspect buckets in tests. S3Proxy's in-memory store
     * sometimes answers a listing or read that overlaps a write with a 400 or 5xx on a busy machine (a
     * CI run failed so in CubicKafkaBatcherTest); the next try succeeds. Tests retry those answers, as the
     * pipelines do on their next poll, so a test fails on outcomes, never on the stand-in's hiccups.
     */
    public static S3Client client() {
        return S3Client.builder()
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(6)
                        .retryOnException(e -> e instanceof S3Exception s3e
                                && (s3e.statusCode() == 400 || s3e.statusCode() >= 500))
                        .build()))
                .endpointOverride(URI.create(endpoint()))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())))
                .build();
    }
}
