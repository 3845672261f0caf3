package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.app.Config;
import routes.common.MetadataDb;
import routes.common.S3Clients;
import routes.testkit.PostgresServer;
import routes.testkit.S3Server;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/**
 * An instance crashes with loads in every non-terminal status (its claims left to expire, its S3 steps half done);
 * a fresh instance takes each up where it stopped and every load ends where it belongs, once.
 */
@ExtendWith({S3Server.class, PostgresServer.class})
class CubicCrashResumeTest {

    static final String T = "cubic__dmap__agg_sample=cubic/dmap/agg_sample/";

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void loads_left_in_every_non_terminal_status_by_a_crash_are_finished_by_the_next_instance(TestDatabase database) throws Exception {
        try (CubicFixture f = new CubicFixture(database)) {
            String p = "cubic/dmap/agg_sample/";
            String[] days = {"20220301", "20220302", "20220303", "20220304", "20220305", "20220306", "20220307", "20220308"};
            for (String d : days) {
                f.put(p + d + ".csv", "day,count\n" + d + ",1\n");
            }
            Map<String, String> settings = f.settings(T);
            Config config = TestApp.config(settings);
            try (MetadataDb db = MetadataDb.open(f.dbUrl, database.user(), database.password(), 4);
                 var s3 = S3Clients.create(config)) {
                // The crashed instance: it discovered everything and got this far with each load.
                CubicSettings cs = CubicSettings.from(config);
                CubicTables tables = new CubicTables(db.dataSource());
                cs.tables().forEach((n, pr) -> tables.register(n, pr, null));
                LoadStateMachine crashed = new LoadStateMachine(db.dataSource(), "crashed", Duration.ofMillis(1));
                new CubicDiscovery(db.dataSource(), cs, tables, crashed, e -> { }, new CubicMetrics(db.dataSource(), () -> null), 3,
                        new routes.common.lineage.Lineage(routes.common.lineage.LineageSettings.OFF, "test"))
                        .register(s3.listObjectsV2(b -> b.bucket(f.incoming).prefix("cubic/")).contents());
                CubicIngester ingester = new CubicIngester(cs, tables);

                // 0301 ingesting: claimed, output half written (a stale partial object), then crash
                long l1 = id(db, p + "20220301.csv");
                claim(crashed, l1);
                f.s3.putObject(b -> b.bucket(f.springboard).key("cubic/dmap/agg_sample/identifier=20220301.csv/part-00000.snappy.parquet"),
                        software.amazon.awssdk.core.sync.RequestBody.fromString("partial"));
                // 0302 ready_for_archiving: ingested, crash before claiming the archive step
                long l2 = id(db, p + "20220302.csv");
                ingest(f, crashed, ingester, l2);
                // 0303 archiving, copy not yet made
                long l3 = id(db, p + "20220303.csv");
                ingest(f, crashed, ingester, l3);
                crashed.apply(l3, LoadStateMachine.Transition.CLAIM_ARCHIVE, null);
                // 0304 archiving, copied but not deleted
                long l4 = id(db, p + "20220304.csv");
                ingest(f, crashed, ingester, l4);
                crashed.apply(l4, LoadStateMachine.Transition.CLAIM_ARCHIVE, null);
                f.s3.copyObject(b -> b.sourceBucket(f.incoming).sourceKey(p + "20220304.csv").destinationBucket(f.archive)
                        .destinationKey(p + "20220304.csv"));
                // 0305 archiving, copied and deleted, status not yet written
                long l5 = id(db, p + "20220305.csv");
                ingest(f, crashed, ingester, l5);
                crashed.apply(l5, LoadStateMachine.Transition.CLAIM_ARCHIVE, null);
                f.s3.copyObject(b -> b.sourceBucket(f.incoming).sourceKey(p + "20220305.csv").destinationBucket(f.archive)
                        .destinationKey(p + "20220305.csv"));
                f.s3.deleteObject(b -> b.bucket(f.incoming).key(p + "20220305.csv"));
                // 0306 ready_for_erroring
                long l6 = id(db, p + "20220306.csv");
                claim(crashed, l6);
                crashed.apply(l6, LoadStateMachine.Transition.INGEST_FAILED, "simulated bad file");
                // 0307 erroring, reason file written, object not moved
                long l7 = id(db, p + "20220307.csv");
                claim(crashed, l7);
                crashed.apply(l7, LoadStateMachine.Transition.INGEST_FAILED, "simulated bad file");
                crashed.apply(l7, LoadStateMachine.Transition.CLAIM_ERROR, null);
                // 0308 stays ready
                Thread.sleep(20); // the crashed instance's 1 ms leases run out
            }

            f.start(settings);
            for (String d : new String[] {"20220301", "20220302", "20220303", "20220304", "20220305", "20220308"}) {
                f.awaitStatus(p + d + ".csv", "archived");
            }
            f.awaitStatus(p + "20220306.csv", "errored");
            f.awaitStatus(p + "20220307.csv", "errored");

            assertThat(f.keys(f.incoming)).isEmpty();
            assertThat(f.keys(f.archive)).hasSize(6);
            assertThat(f.keys(f.error)).containsExactlyInAnyOrder(p + "20220306.csv", p + "20220306.csv.error.json",
                    p + "20220307.csv", p + "20220307.csv.error.json");
            assertThat(f.text(f.error, p + "20220307.csv.error.json")).contains("simulated bad file");
            // The half-written output was overwritten by the retaken ingest: one object per load, real Parquet.
            assertThat(f.keys(f.springboard)).hasSize(6);
            assertThat(f.parquet("cubic/dmap/agg_sample/identifier=20220301.csv/part-00000.snappy.parquet"))
                    .containsExactly(Map.of("day", "20220301", "count", "1"));
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_transitions WHERE reason LIKE 'lease expired%'")).isEqualTo(5);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads")).isEqualTo(8);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void an_s3_failure_mid_ingest_does_not_error_the_load_it_is_taken_up_again_after_its_lease(TestDatabase database) throws Exception {
        try (CubicFixture f = new CubicFixture(database)) {
            String key = "cubic/dmap/agg_sample/20220301.csv";
            f.put(key, "day,count\n1,1\n");
            f.s3.deleteBucket(b -> b.bucket(f.springboard)); // the output cannot be written
            Map<String, String> settings = f.settings(T);
            settings.put("flowledger.cubic.lease", "PT2S");
            var app = f.start(settings);
            java.util.List<routes.common.status.StatusEvent> events = routes.testkit.TestApp.captureStatus(app);
            java.util.function.Supplier<java.util.List<routes.common.status.StatusEvent>> failures = () -> events.stream()
                    .filter(e -> "FAILED".equals(e.properties().status())).toList();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !failures.get().isEmpty());
            assertThat(failures.get().get(0).properties().message()).contains("NoSuchBucket")
                    .contains("taken up again once its lease expires");
            assertThat(f.status(key)).as("not the load's fault: not errored").isEqualTo("ingesting");
            f.s3.createBucket(b -> b.bucket(f.springboard));
            f.awaitStatus(key, "archived");
            assertThat(f.count("SELECT attempts FROM cubic_loads")).isGreaterThanOrEqualTo(2);
            assertThat(f.keys(f.error)).isEmpty();
            assertThat(f.keys(f.springboard)).containsExactly("cubic/dmap/agg_sample/identifier=20220301.csv/part-00000.snappy.parquet");
        }
    }

    static long id(MetadataDb db, String key) {
        return Sql.run(db.dataSource(), c -> {
            try (var ps = Sql.prepare(c, "SELECT id FROM cubic_loads WHERE s3_key = ?", key); var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    static void claim(LoadStateMachine m, long id) {
        assertThat(m.apply(id, LoadStateMachine.Transition.CLAIM_INGEST, null)).isTrue();
    }

    /** What the crashed instance's route did for an ingest: read, Parquet, upload, ready_for_archiving. */
    static void ingest(CubicFixture f, LoadStateMachine m, CubicIngester ingester, long id) throws Exception {
        claim(m, id);
        CubicLoad load = m.find(id).orElseThrow();
        CubicIngester.Result r = ingester.toParquet(load, f.s3.getObject(b -> b.bucket(f.incoming).key(load.s3Key())), () -> true);
        f.s3.putObject(b -> b.bucket(f.springboard).key(r.outputKey()),
                software.amazon.awssdk.core.sync.RequestBody.fromFile(r.file()));
        java.nio.file.Files.delete(r.file().toPath());
        assertThat(m.apply(id, LoadStateMachine.Transition.INGESTED, null, r.records(), r.outputKey())).isTrue();
    }
}
