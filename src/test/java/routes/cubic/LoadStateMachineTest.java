package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.common.MetadataDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;

/** The state machine's rules on H2 and PostgreSQL: only listed moves, guarded, one winner, leases. */
@ExtendWith(PostgresServer.class)
class LoadStateMachineTest {

    @Test
    void the_allowed_transitions_are_exactly_those_of_the_adr_plus_retake_and_retry() {
        Set<String> moves = Arrays.stream(LoadStateMachine.Transition.values())
                .map(t -> t.from().db() + "->" + t.to().db()).collect(Collectors.toSet());
        assertThat(moves).containsExactlyInAnyOrder(
                "ready->ingesting", "ingesting->ready_for_archiving", "ready_for_archiving->archiving",
                "archiving->archived", "ingesting->ready_for_erroring", "ready_for_erroring->erroring",
                "erroring->errored", "ingesting->ingesting", "archiving->archiving", "erroring->erroring",
                "errored->ready");
    }

    static MetadataDb open(TestDatabase db) {
        return MetadataDb.open(db.newUrl(), db.user(), db.password(), 8);
    }

    static List<Long> insertLoads(MetadataDb db, String table, int n) {
        return insertLoads(db, table, "cubic/dmap/" + table + "/", n);
    }

    static List<Long> insertLoads(MetadataDb db, String table, String prefix, int n) {
        CubicTables tables = new CubicTables(db.dataSource());
        CubicTables.Table t = tables.register(table, prefix, null);
        List<Long> ids = new ArrayList<>();
        Sql.tx(db.dataSource(), c -> {
            for (int i = 0; i < n; i++) {
                Instant now = Instant.now();
                Sql.update(c, "INSERT INTO cubic_loads (table_id, group_id, kind_rank, status, s3_key, s3_modified, s3_size,"
                        + " created_at, updated_at) VALUES (?, ?, 1, 'ready', ?, ?, 1, ?, ?)", t.id(), t.id(),
                        prefix + i + ".csv", Instant.parse("2022-03-04T00:00:00Z").plusSeconds(i), now, now);
            }
            try (var ps = Sql.prepare(c, "SELECT id FROM cubic_loads WHERE table_id = ? ORDER BY id", t.id());
                 var rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            return null;
        });
        return ids;
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_move_from_the_wrong_status_or_by_another_instance_changes_nothing(TestDatabase database) {
        try (MetadataDb db = open(database)) {
            long id = insertLoads(db, "t1", 1).get(0);
            LoadStateMachine a = new LoadStateMachine(db.dataSource(), "a", Duration.ofMinutes(5));
            LoadStateMachine b = new LoadStateMachine(db.dataSource(), "b", Duration.ofMinutes(5));
            assertThat(a.apply(id, LoadStateMachine.Transition.INGESTED, null)).as("not ingesting yet").isFalse();
            assertThat(a.apply(id, LoadStateMachine.Transition.CLAIM_INGEST, null)).isTrue();
            assertThat(b.apply(id, LoadStateMachine.Transition.CLAIM_INGEST, null)).as("already taken").isFalse();
            assertThat(b.apply(id, LoadStateMachine.Transition.INGESTED, null)).as("b does not hold it").isFalse();
            assertThat(b.apply(id, LoadStateMachine.Transition.RETAKE_INGEST, null)).as("a's lease holds").isFalse();
            assertThat(a.apply(id, LoadStateMachine.Transition.INGESTED, "done", 3L, "out")).isTrue();
            CubicLoad load = a.find(id).orElseThrow();
            assertThat(load.status()).isEqualTo(LoadStatus.READY_FOR_ARCHIVING);
            assertThat(load.recordCount()).isEqualTo(3L);
            assertThat(history(db, id)).containsExactly("ready->ingesting", "ingesting->ready_for_archiving");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void an_expired_lease_is_taken_over_and_the_old_holder_can_no_longer_move_the_load(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            long id = insertLoads(db, "t2", 1).get(0);
            LoadStateMachine crashed = new LoadStateMachine(db.dataSource(), "crashed", Duration.ofMillis(1));
            LoadStateMachine survivor = new LoadStateMachine(db.dataSource(), "survivor", Duration.ofMinutes(5));
            assertThat(crashed.apply(id, LoadStateMachine.Transition.CLAIM_INGEST, null)).isTrue();
            Thread.sleep(20);
            List<CubicLoad> work = LoadWork.claim(survivor, 10);
            assertThat(work).extracting(CubicLoad::id).containsExactly(id);
            assertThat(work.get(0).status()).isEqualTo(LoadStatus.INGESTING);
            assertThat(work.get(0).attempts()).isEqualTo(2);
            assertThat(crashed.apply(id, LoadStateMachine.Transition.INGESTED, null)).as("lost its claim").isFalse();
            assertThat(crashed.renewLease(id, LoadStatus.INGESTING)).isFalse();
            assertThat(survivor.apply(id, LoadStateMachine.Transition.INGESTED, null)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void an_ods_tables_ready_loads_are_claimed_as_one_unit_in_order_and_not_again_while_it_runs(TestDatabase database) {
        try (MetadataDb db = open(database)) {
            List<Long> ids = insertLoads(db, "t3", "cubic/ods_qlik/T3/", 3);
            LoadStateMachine m = new LoadStateMachine(db.dataSource(), "a", Duration.ofMinutes(5));
            List<List<CubicLoad>> units = m.claimUnits(10);
            assertThat(units).hasSize(1);
            assertThat(units.get(0)).extracting(CubicLoad::id).containsExactlyElementsOf(ids);
            Sql.tx(db.dataSource(), c -> Sql.update(c, "INSERT INTO cubic_loads (table_id, group_id, kind_rank, status, s3_key,"
                    + " s3_modified, s3_size, created_at, updated_at) SELECT table_id, group_id, 1, 'ready', 'cubic/ods_qlik/T3/9.csv',"
                    + " s3_modified, 1, created_at, updated_at FROM cubic_loads WHERE id = ?", ids.get(0)));
            assertThat(m.claimUnits(10)).as("the table's unit is still being ingested").isEmpty();
            m.apply(ids.get(0), LoadStateMachine.Transition.INGESTED, null);
            assertThat(m.claimUnits(10)).as("the first's archive step; the group still ingests").extracting(u -> u.get(0).id())
                    .containsExactly(ids.get(0));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_dmap_tables_ready_loads_have_no_order_and_are_claimed_as_separate_units(TestDatabase database) {
        try (MetadataDb db = open(database)) {
            List<Long> ids = insertLoads(db, "t4", 3);
            LoadStateMachine m = new LoadStateMachine(db.dataSource(), "a", Duration.ofMinutes(5));
            List<List<CubicLoad>> units = m.claimUnits(10);
            assertThat(units).hasSize(3).allSatisfy(u -> assertThat(u).hasSize(1));
            assertThat(units.stream().map(u -> u.get(0).id()).toList()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(m.claimUnits(10)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void instances_claiming_at_the_same_time_never_take_the_same_load(TestDatabase database) throws Exception {
        try (MetadataDb db = open(database)) {
            int tables = 40;
            for (int t = 0; t < tables; t++) {
                insertLoads(db, "race" + t, 3);
            }
            Set<Long> claimed = ConcurrentHashMap.newKeySet();
            List<Long> duplicates = new java.util.concurrent.CopyOnWriteArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                LoadStateMachine m = new LoadStateMachine(db.dataSource(), "i" + i, Duration.ofMinutes(5));
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int round = 0; round < 10; round++) {
                        for (CubicLoad l : LoadWork.claim(m, 7)) {
                            if (!claimed.add(l.id())) {
                                duplicates.add(l.id());
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
            pool.shutdown();
            assertThat(duplicates).isEmpty();
            assertThat(claimed).hasSize(tables * 3); // DMAP loads have no order: every one, each once
        }
    }

    static List<String> history(MetadataDb db, long id) {
        return Sql.run(db.dataSource(), c -> {
            List<String> out = new ArrayList<>();
            try (var ps = Sql.prepare(c, "SELECT from_status, to_status FROM cubic_load_transitions WHERE load_id = ? ORDER BY id", id);
                 var rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + "->" + rs.getString(2));
                }
            }
            return out;
        });
    }
}
