package routes.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static routes.status.StatusStoreTest.T0;
import static routes.status.StatusStoreTest.at;
import static routes.status.StatusStoreTest.open;
import static routes.status.StatusStoreTest.view;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.common.MetadataDb;
import routes.common.status.StatusCodec;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.common.status.StatusStore;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;

/**
 * Progress counts records, not messages: a batch-level status carries recordCount and the store counts its rows
 * done or failed (H2 and PostgreSQL).
 */
@ExtendWith(PostgresServer.class)
class StatusRecordCountTest {

    /** A roket-like run of 300,000 rows: 3,000 batch events of 100, two refused records isolated from a batch. */
    static List<StatusEvent> uploadOf300000RowsWithTwoRefused(String id) {
        List<StatusEvent> events = new ArrayList<>();
        Instant t = T0;
        events.add(at(StatusEvent.dataSetDetails(id, "roket-upload/2026-11-20", "1", StatusEvent.DataSetType.TABLE,
                300_000), t));
        events.add(at(StatusEvent.status(id, "ROKET_UPLOAD", State.IN_PROGRESS, "uploading"), t));
        for (int b = 0; b < 2_999; b++) {
            events.add(at(StatusEvent.recordsStatus(id, "batch/" + b, "2026-11-20", "ROKET_UPLOAD", State.SUCCESS,
                    "delivered", 201, 100), t.plusMillis(b + 1)));
        }
        // the last batch was refused, bisected: 98 delivered, 2 refused one by one
        events.add(at(StatusEvent.recordsStatus(id, "batch/2999a", "2026-11-20", "ROKET_UPLOAD", State.SUCCESS,
                "delivered", 201, 98), t.plusSeconds(10)));
        events.add(at(StatusEvent.recordStatus(id, "s-00007", "2026-11-20", "ROKET_UPLOAD", State.FAILED,
                "invalid amount", 422), t.plusSeconds(11)));
        events.add(at(StatusEvent.recordStatus(id, "s-00042", "2026-11-20", "ROKET_UPLOAD", State.FAILED,
                "invalid amount", 422), t.plusSeconds(11)));
        events.add(at(StatusEvent.status(id, "ROKET_UPLOAD", State.FAILED, "2 record(s) refused"), t.plusSeconds(12)));
        return events;
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void batch_events_count_their_records_so_300000_rows_in_3000_batches_show_300000_done_and_2_failed(
            TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            List<StatusEvent> events = uploadOf300000RowsWithTwoRefused("rc-flow");
            for (int i = 0; i < events.size(); i += 700) {
                store.persist(events.subList(i, Math.min(events.size(), i + 700)));
            }
            Map<String, Object> v = view(db, "rc-flow");
            assertThat(v).containsEntry("recordCount", 300_000L).containsEntry("recordsTotal", 300_000L)
                    .containsEntry("recordsDone", 300_000L).containsEntry("recordsFailed", 2L)
                    .containsEntry("progress", 1.0).containsEntry("state", "FAILED").containsEntry("retried", false);
            assertThat(v.get("counts")).isEqualTo(Map.of("ROKET_UPLOAD", Map.of("SUCCESS", 299_998L, "FAILED", 2L)));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> failures = (List<Map<String, Object>>) ((Map<String, Object>) v.get("failures"))
                    .get("items");
            assertThat(failures).extracting(f -> f.get("recordId") + ":" + f.get("recordCount"))
                    .containsExactlyInAnyOrder("s-00007:1", "s-00042:1", "null:null");

            // redelivered batches are still counted once
            store.persist(events.subList(0, 500));
            assertThat(view(db, "rc-flow")).containsEntry("recordsDone", 300_000L).containsEntry("recordsFailed", 2L);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_failed_batch_counts_all_of_its_records_as_failed(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            store.persist(List.of(
                    at(StatusEvent.dataSetDetails("fb-flow", "d", "1", StatusEvent.DataSetType.TABLE, 150), T0),
                    at(StatusEvent.status("fb-flow", "UPLOAD", State.IN_PROGRESS, null), T0),
                    at(StatusEvent.recordsStatus("fb-flow", "batch/1", null, "UPLOAD", State.SUCCESS, null, null, 100),
                            T0.plusSeconds(1)),
                    at(StatusEvent.recordsStatus("fb-flow", "batch/2", null, "UPLOAD", State.FAILED,
                            "uncertain: no answer within 30000 ms", null, 50), T0.plusSeconds(2))));
            Map<String, Object> v = view(db, "fb-flow");
            assertThat(v).containsEntry("recordsDone", 150L).containsEntry("recordsFailed", 50L)
                    .containsEntry("state", "RUNNING");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> failures = (List<Map<String, Object>>) ((Map<String, Object>) v.get("failures"))
                    .get("items");
            assertThat(failures).singleElement().satisfies(f -> assertThat(f).containsEntry("recordId", "batch/2")
                    .containsEntry("recordCount", 50L));
        }
    }

    @Test
    void record_count_travels_in_the_json_and_a_negative_one_is_malformed() throws Exception {
        StatusEvent e = StatusEvent.recordsStatus("j-flow", "day/2026-11-20", "1", "REPLAY", State.SUCCESS, null, null,
                80_000);
        String json = new String(StatusCodec.toJson(e), StandardCharsets.UTF_8);
        assertThat(json).contains("\"recordCount\":80000");
        assertThat(StatusCodec.fromJson(json.getBytes(StandardCharsets.UTF_8), "x", Instant.now()).records())
                .isEqualTo(80_000);
        assertThat(StatusEvent.recordStatus("j", "r", null, "S", State.SUCCESS, null, null).records()).isEqualTo(1);
        assertThatThrownBy(() -> StatusCodec.fromJson(("{\"kind\":\"status\",\"properties\":{\"correlationId\":\"j\","
                + "\"recordId\":\"r\",\"stage\":\"S\",\"status\":\"SUCCESS\",\"recordCount\":-1}}")
                .getBytes(StandardCharsets.UTF_8), "x", Instant.now()))
                .isInstanceOf(StatusCodec.Malformed.class).hasMessage("recordCount must be a whole number >= 0");
    }

    // ------------------------------------------------------------------ a retried load ends SUCCEEDED

    /** What cubic emits for a load that errored, was retried by an operator and then archived. */
    static List<StatusEvent> cubicLoadErroredRetriedArchived(String id) {
        String key = "cubic/dmap/agg_sample/20261120.csv";
        Instant t = T0;
        return List.of(
                at(StatusEvent.recordStatus(id, key, "v1", "CUBIC_DISCOVERY", State.SUCCESS, "ready", null), t),
                at(StatusEvent.recordStatus(id, key, "v1", "CUBIC_INGEST", State.IN_PROGRESS, "ingesting", null),
                        t.plusSeconds(1)),
                at(StatusEvent.recordStatus(id, key, "v1", "CUBIC_INGEST", State.FAILED, "corrupt gzip", null),
                        t.plusSeconds(2)),
                at(StatusEvent.recordStatus(id, key, "v1", "CUBIC_ERROR", State.IN_PROGRESS, "moving", null),
                        t.plusSeconds(3)),
                at(StatusEvent.recordStatus(id, key, "v1", "CUBIC_ERROR", State.FAILED, "errored: corrupt gzip", null),
                        t.plusSeconds(4)),
                at(StatusEvent.status(id, "CUBIC_ERROR", State.FAILED, "errored: corrupt gzip"), t.plusSeconds(4)),
                // an operator fixed the file and retried the load
                at(StatusEvent.recordStatus(id, key, "v2", "CUBIC_INGEST", State.IN_PROGRESS,
                        "retried by an operator: ready", null), t.plusSeconds(60)),
                at(StatusEvent.recordStatus(id, key, "v2", "CUBIC_INGEST", State.IN_PROGRESS, "ingesting", null),
                        t.plusSeconds(61)),
                at(StatusEvent.recordStatus(id, key, "v2", "CUBIC_INGEST", State.SUCCESS, "10 records", null),
                        t.plusSeconds(62)),
                at(StatusEvent.recordStatus(id, key, "v2", "CUBIC_ARCHIVE", State.IN_PROGRESS, "archiving", null),
                        t.plusSeconds(63)),
                at(StatusEvent.recordStatus(id, key, "v2", "CUBIC_ARCHIVE", State.SUCCESS, "archived", null),
                        t.plusSeconds(64)),
                at(StatusEvent.status(id, "CUBIC_ARCHIVE", State.SUCCESS, "archived"), t.plusSeconds(64)));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_load_that_errored_then_was_retried_and_archived_has_succeeded_with_its_earlier_failure_listed(
            TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            List<StatusEvent> events = cubicLoadErroredRetriedArchived("cubic-load-7");
            store.persist(events.subList(0, 6));
            assertThat(view(db, "cubic-load-7")).containsEntry("state", "FAILED").containsEntry("finished", true);

            store.persist(events.subList(6, events.size()));
            Map<String, Object> v = view(db, "cubic-load-7");
            assertThat(v).containsEntry("state", "SUCCEEDED").containsEntry("finished", true)
                    .containsEntry("stage", "CUBIC_ARCHIVE").containsEntry("retried", true);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> failures = (List<Map<String, Object>>) ((Map<String, Object>) v.get("failures"))
                    .get("items");
            assertThat(failures).extracting(f -> f.get("stage") + ": " + f.get("message")).containsExactly(
                    "CUBIC_INGEST: corrupt gzip", "CUBIC_ERROR: errored: corrupt gzip", "CUBIC_ERROR: errored: corrupt gzip");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_retry_is_recognised_whatever_order_the_events_arrive_in_and_a_failure_after_it_still_fails(
            TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            List<StatusEvent> events = new ArrayList<>(cubicLoadErroredRetriedArchived("cubic-load-8"));
            java.util.Collections.reverse(events);
            for (StatusEvent e : events) {
                store.persist(List.of(e));
            }
            assertThat(view(db, "cubic-load-8")).containsEntry("state", "SUCCEEDED");

            // a record failing after the retry's success is a new failure: not answered by anything
            store.persist(List.of(at(StatusEvent.recordStatus("cubic-load-8", "k", "v3", "CUBIC_ARCHIVE", State.FAILED,
                    "copy failed", null), T0.plusSeconds(65))));
            assertThat(view(db, "cubic-load-8")).containsEntry("state", "FAILED");

            // a run whose last word is FAILED stays FAILED, though an earlier stage succeeded
            store.persist(List.of(
                    at(StatusEvent.status("roket-run", "EXTRACT", State.SUCCESS, null), T0),
                    at(StatusEvent.status("roket-run", "ROKET_UPLOAD", State.IN_PROGRESS, null), T0.plusSeconds(1)),
                    at(StatusEvent.status("roket-run", "ROKET_UPLOAD", State.FAILED, "1 refused"), T0.plusSeconds(2))));
            assertThat(view(db, "roket-run")).containsEntry("state", "FAILED").containsEntry("retried", false);
        }
    }
}
