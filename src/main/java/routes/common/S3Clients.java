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
import software.amazon.awssdk.services.s3.S3Client;

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
}
