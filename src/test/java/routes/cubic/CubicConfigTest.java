package routes.cubic;

import routes.app.StartupChecks;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import routes.app.ConfigException;
import routes.app.FlowledgerApp;
import routes.testkit.TestApp;

/** A bad cubic-ingestion setting stops the start with one line naming the key. */
class CubicConfigTest {

    static void refused(String key, String value, String says) {
        refused(key, value, key, says);
    }

    static void refused(String key, String value, String named, String says) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.cubic-ingestion.enabled", "true");
        m.put(key, value);
        assertThatThrownBy(() -> StartupChecks.validate(TestApp.config(m)))
                .isInstanceOf(ConfigException.class).hasMessageContaining(named).hasMessageContaining(says);
    }

    @Test
    void bad_cubic_settings_are_refused_naming_the_key() {
        refused("flowledger.cubic.incoming-bucket", "Not_A_Bucket", "not a valid S3 bucket name");
        refused("flowledger.cubic.tables", "cubic__x=other/x/", "must look like cubic/<source>/<table>/");
        refused("flowledger.cubic.tables", "no-equals-sign", "name=prefix pairs");
        refused("flowledger.cubic.poll-interval", "soon", "ISO-8601 duration");
        refused("flowledger.cubic.lease", "0", "positive");
        refused("flowledger.cubic.batch-size", "0", "between 1 and 10000");
        refused("flowledger.cubic.kafka.topics", "a topic with spaces", "Kafka topic names");
        refused("flowledger.cubic.dmap.datasets", "agg_sample", "flowledger.cubic.dmap.url", "required");
    }
}
