package routes.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.common.MetadataDb;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.common.status.StatusStore;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;

/** The status store on H2 and PostgreSQL: idempotent, order-independent, answered from counters. */
@ExtendWith(PostgresServer.class)
class StatusStoreTest {

    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    static StatusEvent at(StatusEvent e, Instant ts) {
        StatusEvent.Props p = e.properties();
        return new StatusEvent(e.kind(), new StatusEvent.Props(p.eventId(), p.correlationId(), p.dataSetId(),
                p.dataSetVersionId(), p.dataSetType(), p.recordCount(), p.recordId(), p.recordIdVersion(), p.stage(),
                p.status(), p.message(), p.errorCode(), ts));
    }

    static MetadataDb open(TestDatabase database) {
        return MetadataDb.open(database.newUrl(), database.user(), database.password(), 4);
    }

    static Map<String, Object> view(MetadataDb db, String id) throws Exception {
        return new StatusQuery(db.dataSource(), Duration.ofHours(1)).dataflow(id, 20);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_dataflow_whose_last_stage_succeeded_without_failed_records_has_succeeded(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            store.persist(List.of(
                    at(StatusEvent.dataSetDetails("flow-1", "ds-1", "1", StatusEvent.DataSetType.TABLE, 3), T0),
                    at(StatusEvent.status("flow-1", "EXTRACT", State.IN_PROGRESS, null), T0),
                    at(StatusEvent.status("flow-1", "EXTRACT", State.SUCCESS, null), T0.plusSeconds(1)),
                    at(StatusEvent.status("flow-1", "UPLOAD", State.IN_PROGRESS, null), T0.plusSeconds(2))));
            Map<String, Object> v = view(db, "flow-1");
            assertThat(v).containsEntry("state", "RUNNING").containsEntry("finished", false).containsEntry("stage", "UPLOAD")
                    .containsEntry("recordCount", 3L);

            List<StatusEvent> records = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                records.add(at(StatusEvent.recordStatus("flow-1", "r" + i, "v1", "UPLOAD", State.SUCCESS, null, null),
                        T0.plusSeconds(3)));
            }
            store.persist(records);
            store.persist(List.of(at(StatusEvent.status("flow-1", "UPLOAD", State.SUCCESS, "3 sent"), T0.plusSeconds(4))));

            v = view(db, "flow-1");
            assertThat(v).containsEntry("state", "SUCCEEDED").containsEntry("finished", true)
                    .containsEntry("stage", "UPLOAD").containsEntry("recordsDone", 3L).containsEntry("progress", 1.0)
                    .containsEntry("firstTimestamp", "2026-11-20T10:00:00Z")
                    .containsEntry("lastTimestamp", "2026-11-20T10:00:04Z");
            assertThat(v.get("counts")).isEqualTo(Map.of("UPLOAD", Map.of("SUCCESS", 3L)));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void redelivered_events_are_not_counted_twice(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            List<StatusEvent> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                batch.add(StatusEvent.recordStatus("flow-2", "r" + i, null, "UPLOAD",
                        i < 8 ? State.SUCCESS : State.FAILED, i < 8 ? null : "acl is not valid", i < 8 ? null : 400));
            }
            StatusEvent details = StatusEvent.dataSetDetails("flow-2", "ds", "1", StatusEvent.DataSetType.FILE, 10);
            batch.add(details);
            assertThat(store.persist(batch).stored()).isEqualTo(11);
            StatusStore.Result again = store.persist(batch);
            assertThat(again.stored()).isZero();
            assertThat(again.duplicates()).isEqualTo(11);
            List<StatusEvent> doubled = new ArrayList<>(batch.subList(0, 3));
            doubled.addAll(batch.subList(0, 3));
            assertThat(store.persist(doubled).stored()).isZero();

            Map<String, Object> v = view(db, "flow-2");
            assertThat(v.get("counts")).isEqualTo(Map.of("UPLOAD", Map.of("SUCCESS", 8L, "FAILED", 2L)));
            assertThat(v).containsEntry("recordsFailed", 2L).containsEntry("recordCount", 10L);
            assertThat(rows(db, "status")).isEqualTo(10);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_failed_stage_arriving_before_its_in_progress_leaves_the_dataflow_failed(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            store.persist(List.of(at(StatusEvent.status("flow-3", "STORAGE_SYNC", State.FAILED, "acl is not valid"),
                    T0.plusSeconds(5))));
            store.persist(List.of(at(StatusEvent.status("flow-3", "STORAGE_SYNC", State.IN_PROGRESS, null), T0)));

            Map<String, Object> v = view(db, "flow-3");
            assertThat(v).containsEntry("state", "FAILED").containsEntry("finished", true).containsEntry("stage", "STORAGE_SYNC");
            @SuppressWarnings("unchecked")
            Map<String, Object> stage = ((List<Map<String, Object>>) v.get("stages")).get(0);
            assertThat(stage).containsEntry("status", "FAILED").containsEntry("message", "acl is not valid")
                    .containsEntry("firstTimestamp", "2026-11-20T10:00:00Z");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void failed_records_fail_the_dataflow_once_its_stage_has_ended_and_are_listed_with_reasons(TestDatabase database)
            throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            store.persist(List.of(
                    at(StatusEvent.status("flow-4", "UPLOAD", State.IN_PROGRESS, null), T0),
                    at(StatusEvent.recordStatus("flow-4", "r1", "v1", "UPLOAD", State.SUCCESS, null, null), T0.plusSeconds(1)),
                    at(StatusEvent.recordStatus("flow-4", "r2", "v7", "UPLOAD", State.FAILED, "acl is not valid", 400),
                            T0.plusSeconds(2))));
            assertThat(view(db, "flow-4")).as("records failed but the stage still runs").containsEntry("state", "RUNNING");

            store.persist(List.of(at(StatusEvent.status("flow-4", "UPLOAD", State.SUCCESS, null), T0.plusSeconds(3))));
            Map<String, Object> v = view(db, "flow-4");
            assertThat(v).containsEntry("state", "FAILED").containsEntry("finished", true).containsEntry("recordsFailed", 1L);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> failures = (List<Map<String, Object>>) ((Map<String, Object>) v.get("failures")).get("items");
            assertThat(failures).singleElement().satisfies(f -> assertThat(f).containsEntry("recordId", "r2")
                    .containsEntry("recordIdVersion", "v7").containsEntry("stage", "UPLOAD")
                    .containsEntry("message", "acl is not valid").containsEntry("errorCode", 400));
            @SuppressWarnings("unchecked")
            Map<String, Object> last = (Map<String, Object>) v.get("lastFailure");
            assertThat(last).containsEntry("message", "acl is not valid");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_dataflow_of_100000_records_is_answered_from_counters_even_after_its_rows_are_purged(TestDatabase database)
            throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            store.persist(List.of(StatusEvent.dataSetDetails("big", "ds", "1", StatusEvent.DataSetType.TABLE, 100_000),
                    StatusEvent.status("big", "LOAD", State.IN_PROGRESS, null)));
            List<StatusEvent> batch = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                batch.add(StatusEvent.recordStatus("big", "r" + i, null, "LOAD", i % 1000 == 0 ? State.FAILED : State.SUCCESS,
                        i % 1000 == 0 ? "bad row " + i : null, null));
                if (batch.size() == 2000) {
                    store.persist(batch);
                    batch.clear();
                }
            }
            store.persist(List.of(StatusEvent.status("big", "LOAD", State.SUCCESS, null)));
            Map<String, Object> v = view(db, "big");
            assertThat(v.get("counts")).isEqualTo(Map.of("LOAD", Map.of("SUCCESS", 99_900L, "FAILED", 100L)));
            assertThat(v).containsEntry("recordsDone", 100_000L).containsEntry("state", "FAILED");

            // Retention: the raw rows go, the answer stays.
            assertThat(store.purgeBefore(Instant.now().plusSeconds(60), 10_000)).isEqualTo(100_002);
            assertThat(rows(db, "status")).isZero();
            assertThat(rows(db, "status_record")).as("the counted keys of a dataflow quiet since").isZero();
            Map<String, Object> after = view(db, "big");
            assertThat(after.get("counts")).isEqualTo(v.get("counts"));
            assertThat(after).containsEntry("state", "FAILED").containsEntry("recordsFailed", 100L)
                    .containsEntry("recordCount", 100_000L);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void retention_purges_only_rows_older_than_the_cutoff(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore old = new StatusStore(db.dataSource(),
                    java.time.Clock.fixed(Instant.now().minus(Duration.ofDays(40)), java.time.ZoneOffset.UTC));
            old.persist(List.of(StatusEvent.recordStatus("flow-5", "old", null, "S", State.SUCCESS, null, null)));
            new StatusStore(db.dataSource()).persist(
                    List.of(StatusEvent.recordStatus("flow-5", "new", null, "S", State.SUCCESS, null, null)));
            StatusApi api = new StatusApi(new StatusQuery(db.dataSource(), Duration.ofHours(1)),
                    new StatusStore(db.dataSource()), "direct", 30);
            assertThat(api.purge()).isEqualTo(1);
            assertThat(rows(db, "status")).isEqualTo(1);
            assertThat(view(db, "flow-5").get("counts")).isEqualTo(Map.of("S", Map.of("SUCCESS", 2L)));
        }
    }

    static long rows(MetadataDb db, String table) throws Exception {
        try (Connection c = db.dataSource().getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_pattern_pipe_run_its_breaker_holds_is_failed_and_halted_until_the_breaker_is_decided(TestDatabase database)
            throws Exception {
        try (MetadataDb db = open(database)) {
            StatusStore store = new StatusStore(db.dataSource());
            String stage = "PATTERNS:stock";
            store.persist(List.of(
                    at(StatusEvent.status("stock-run-1", stage, State.FAILED, "HttpOperationFailedException: 500"), T0),
                    at(StatusEvent.status("stock-run-2", stage, State.FAILED, "circuit breaker tripped, pipe halted,"
                            + " nothing written: the source returned nothing"), T0.plusSeconds(60)),
                    at(StatusEvent.status("stock-run-3", stage, State.SKIPPED, "halted by its circuit breaker: the source"
                            + " returned nothing (commit or roll back the staged changes)"), T0.plusSeconds(120)),
                    at(StatusEvent.status("other-run-1", "PATTERNS:other", State.SKIPPED, "nothing to do"), T0)));
            try (Connection c = db.dataSource().getConnection(); var st = c.createStatement()) {
                st.executeUpdate("INSERT INTO patterns_pipes (pipe, dataset, durable, runs, state, halted_reason, updated_at)"
                        + " VALUES ('stock', 'stock', FALSE, 2, 'halted', 'the source returned nothing', CURRENT_TIMESTAMP)");
            }
            // while only the tripping run exists, it is the one that needs a person
            assertThat(view(db, "stock-run-2")).containsEntry("state", "FAILED").containsEntry("halted", true);
            try (Connection c = db.dataSource().getConnection(); var st = c.createStatement()) {
                st.executeUpdate("UPDATE patterns_pipes SET runs = 3 WHERE pipe = 'stock'");
            }
            Map<String, Object> held = view(db, "stock-run-3");
            assertThat(held).containsEntry("state", "FAILED").containsEntry("halted", true).containsEntry("finished", true);
            assertThat(held.get("lastFailure").toString()).contains("halted by its circuit breaker");
            assertThat(view(db, "stock-run-2")).containsEntry("state", "FAILED").containsEntry("halted", false);
            assertThat(view(db, "stock-run-1")).as("an older failure keeps its own reason")
                    .containsEntry("state", "FAILED").containsEntry("halted", false);
            assertThat(view(db, "other-run-1")).as("a pipe that is not halted").containsEntry("state", "SUCCEEDED")
                    .containsEntry("halted", false);
            StatusQuery q = new StatusQuery(db.dataSource(), Duration.ofHours(1));
            assertThat(ids(q.list(new StatusQuery.Filter("FAILED", null, null, null, null, null, null), 50, null)))
                    .containsExactlyInAnyOrder("stock-run-1", "stock-run-2", "stock-run-3");
            assertThat(ids(q.list(new StatusQuery.Filter("SUCCEEDED", null, null, null, null, null, null), 50, null)))
                    .containsExactly("other-run-1");

            // committed (or rolled back): the held-back run did nothing and a person decided
            try (Connection c = db.dataSource().getConnection(); var st = c.createStatement()) {
                st.executeUpdate("UPDATE patterns_pipes SET state = 'running', halted_reason = NULL WHERE pipe = 'stock'");
            }
            assertThat(view(db, "stock-run-3")).containsEntry("state", "SUCCEEDED").containsEntry("halted", false);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Object> ids(Map<String, Object> page) {
        return ((List<Map<String, Object>>) page.get("items")).stream().map(m -> m.get("correlationId")).toList();
    }
}
