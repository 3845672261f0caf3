package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.testkit.S3Server;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * Every Cubic load is a dataflow the status pipeline can answer for: an archived load has SUCCEEDED, an errored
 * one has FAILED with its reason, both finished (default transport, no Kafka).
 */
@ExtendWith(S3Server.class)
class CubicStatusTest {


    @Test
    void an_archived_load_is_a_succeeded_dataflow_and_an_errored_one_a_failed_dataflow_with_its_reason() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", CubicFixture.gzip("ID,NAME\n1,alpha\n"));
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "not gzip at all".getBytes());
            Map<String, String> settings = f.settings(CubicIngestionTest.ODS);
            settings.put("flowledger.status.enabled", "true");
            FlowledgerApp app = f.start(settings);
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "errored");

            JsonNode good = TestApp.awaitFinishedDataflow(app, "cubic-load-" + loadId(f, "LOAD001"));
            assertThat(good.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(good.path("stage").asText()).isEqualTo("CUBIC_ARCHIVE");

            JsonNode bad = TestApp.awaitFinishedDataflow(app, "cubic-load-" + loadId(f, "LOAD002"));
            assertThat(bad.path("state").asText()).isEqualTo("FAILED");
            assertThat(bad.path("stage").asText()).isEqualTo("CUBIC_ERROR");
            assertThat(bad.path("failures").path("items").toString()).contains("corrupt gzip");
        }
    }

    @Test
    void a_corrupt_load_is_one_failed_record_although_its_ingest_and_its_error_step_both_report_it() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "not gzip at all".getBytes());
            Map<String, String> settings = f.settings(CubicIngestionTest.ODS);
            settings.put("flowledger.status.enabled", "true");
            FlowledgerApp app = f.start(settings);
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "errored");

            JsonNode bad = TestApp.awaitFinishedDataflow(app, "cubic-load-" + loadId(f, "LOAD001"));
            assertThat(bad.path("state").asText()).isEqualTo("FAILED");
            assertThat(bad.path("stage").asText()).isEqualTo("CUBIC_ERROR");
            // CUBIC_INGEST and CUBIC_ERROR both say FAILED for the same load: one record, failed once.
            assertThat(bad.path("counts").path("CUBIC_INGEST").path("FAILED").asLong()).isEqualTo(1);
            assertThat(bad.path("counts").path("CUBIC_ERROR").path("FAILED").asLong()).isEqualTo(1);
            assertThat(bad.path("recordsFailed").asLong()).isEqualTo(1);
            assertThat(bad.path("recordsDone").asLong()).isEqualTo(1);
        }
    }

    private static long loadId(CubicFixture f, String file) {
        return f.count("SELECT id FROM cubic_loads WHERE s3_key LIKE ?", "%/" + file + ".csv.gz");
    }
}
