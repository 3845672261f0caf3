package routes.common;

import java.net.URI;
import java.util.List;
import routes.app.Config;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The one place an S3 client is made from {@code flowledger.s3.*}: AWS when the endpoint is empty, otherwise an
 * S3-compatible store (path-style addressing). {@code flowledger.s3.checksum=WHEN_REQUIRED} (default) stops the
 * AWS SDK from sending the CRC32 checksum headers that S3Proxy, older MinIO and Ceph refuse.
 */
public final class S3Clients {

    private S3Clients() {
    }

    /** Checks the S3 keys (call from a pipeline's validate when it uses S3). */
    public static void validate(Config c) {
        if (c.isSet("flowledger.s3.endpoint")) {
            c.getUrl("flowledger.s3.endpoint");
        }
        c.require("flowledger.s3.region");
        c.getOneOf("flowledger.s3.checksum", List.of("when_required", "when_supported"));
        if (c.isSet("flowledger.s3.access-key") != c.isSet("flowledger.s3.secret-key")) {
            throw c.invalid("flowledger.s3.access-key", "and flowledger.s3.secret-key must be set together");
        }
    }

    public static S3Client create(Config c) {
        boolean whenRequired = "when_required".equalsIgnoreCase(c.get("flowledger.s3.checksum"));
        AwsCredentialsProvider credentials = c.isSet("flowledger.s3.access-key")
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        c.get("flowledger.s3.access-key"), c.get("flowledger.s3.secret-key")))
                : DefaultCredentialsProvider.builder().build();
        var b = S3Client.builder()
                .region(Region.of(c.require("flowledger.s3.region")))
                .credentialsProvider(credentials)
                .requestChecksumCalculation(whenRequired
                        ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED)
                .responseChecksumValidation(whenRequired
                        ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED);
        if (c.isSet("flowledger.s3.endpoint")) {
            b.endpointOverride(URI.create(c.get("flowledger.s3.endpoint"))).forcePathStyle(true);
        }
        return b.build();
    }

    /**
     * Lists one key of {@code bucket} so refused or missing credentials stop a run in one line before it changes
     * anything: with flowledger.s3.access-key empty the AWS default chain (environment, profile, web identity, ...)
     * picks them, and its failures otherwise surface deep inside the first step. A missing bucket or an unreachable
     * endpoint is left to the run, which reports them in its own words.
     */
    public static void verify(Config c, S3Client s3, String bucket) {
        String source = c.isSet("flowledger.s3.access-key") ? "flowledger.s3.access-key"
                : "the AWS default credential chain (flowledger.s3.access-key is empty)";
        try {
            s3.listObjectsV2(b -> b.bucket(bucket).maxKeys(1));
        } catch (S3Exception e) {
            if (e.statusCode() == 401 || e.statusCode() == 403) {
                String code = e.awsErrorDetails() == null ? "" : " " + e.awsErrorDetails().errorCode();
                throw new InvalidSetting("flowledger.s3.access-key", "S3 refused the credentials from " + source + ": "
                        + e.statusCode() + code);
            }
        } catch (SdkClientException e) {
            if (String.valueOf(e.getMessage()).contains("credentials")) {
                throw new InvalidSetting("flowledger.s3.access-key", "no S3 credentials: " + source + " found none"
                        + " (environment AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_ROLE_ARN with"
                        + " AWS_WEB_IDENTITY_TOKEN_FILE, or the instance's role)");
            }
        }
    }
}
