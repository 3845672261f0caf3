package routes.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.Config;
import routes.testkit.S3Server;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

@ExtendWith(S3Server.class)
class S3ClientsTest {

    private static Config config(Map<String, String> s) {
        return Config.load(null, Map.of(), new Properties(), s);
    }

    @Test
    void a_client_from_configuration_works_against_an_s3_compatible_server() {
        Config c = config(Map.of("flowledger.s3.endpoint", S3Server.endpoint(), "flowledger.s3.access-key", S3Server.accessKey(),
                "flowledger.s3.secret-key", S3Server.secretKey()));
        S3Clients.validate(c);
        try (S3Client s3 = S3Clients.create(c)) {
            s3.createBucket(b -> b.bucket("s3clients"));
            s3.putObject(b -> b.bucket("s3clients").key("a/b.csv"), RequestBody.fromString("x"));
            assertThat(s3.getObjectAsBytes(b -> b.bucket("s3clients").key("a/b.csv")).asUtf8String()).isEqualTo("x");
        }
    }

    @Test
    void half_given_credentials_and_bad_endpoints_are_configuration_errors() {
        assertThatThrownBy(() -> S3Clients.validate(config(Map.of("flowledger.s3.access-key", "AKIA1"))))
                .hasMessageContaining("flowledger.s3.access-key").hasMessageContaining("set together");
        assertThatThrownBy(() -> S3Clients.validate(config(Map.of("flowledger.s3.endpoint", "not a url"))))
                .hasMessageContaining("flowledger.s3.endpoint");
        assertThatThrownBy(() -> S3Clients.validate(config(Map.of("flowledger.s3.checksum", "sometimes"))))
                .hasMessageContaining("flowledger.s3.checksum");
    }
}
