package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.testkit.PostgresServer;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;

/** Each load type end to end on the real S3 server, H2 and PostgreSQL: landing to archived or errored. */
@ExtendWith({S3Server.class, PostgresServer.class})
class CubicIngestionTest {

    static final String ODS = "cubic__ods_qlik__edw_sample=cubic/ods_qlik/EDW.SAMPLE/,"
            + "cubic__ods_qlik__edw_sample__ct=cubic/ods_qlik/EDW.SAMPLE__ct/";

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void ods_snapshot_and_change_files_are_ingested_to_parquet_under_their_snapshot_and_archived(TestDatabase db) throws Exception {
        try (CubicFixture f = new CubicFixture(db)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "ID,NAME\n1,alpha\n2,\"b,eta\"\n");
            f.put("cubic/ods_qlik/EDW.SAMPLE__ct/20220304-134556444.csv.gz",
                    "header__change_seq,header__change_oper,ID,NAME\n1,U,2,beta\n");
            f.start(f.settings(ODS));
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE__ct/20220304-134556444.csv.gz", "archived");

            assertThat(f.keys(f.incoming)).isEmpty();
            assertThat(f.keys(f.archive)).containsExactlyInAnyOrder("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz",
                    "cubic/ods_qlik/EDW.SAMPLE__ct/20220304-134556444.csv.gz");
            List<String> out = f.keys(f.springboard);
            assertThat(out).hasSize(2).allMatch(k -> k.matches("cubic/ods_qlik/EDW\\.SAMPLE(__ct)?/snapshot=\\d{8}T\\d{6}Z/"
                    + "identifier=[^/]+/part-00000\\.snappy\\.parquet"));
            String load = out.stream().filter(k -> k.contains("identifier=LOAD001.csv.gz")).findFirst().orElseThrow();
            assertThat(f.parquet(load)).containsExactly(Map.of("ID", "1", "NAME", "alpha"), Map.of("ID", "2", "NAME", "b,eta"));
            String ct = out.stream().filter(k -> k.contains("__ct/")).findFirst().orElseThrow();
            // The change file follows the snapshot of its table's LOAD file.
            assertThat(ct.substring(ct.indexOf("snapshot="), ct.indexOf("/identifier")))
                    .isEqualTo(load.substring(load.indexOf("snapshot="), load.indexOf("/identifier")));
            assertThat(f.parquet(ct)).containsExactly(Map.of("header__change_seq", "1", "header__change_oper", "U",
                    "ID", "2", "NAME", "beta"));
            assertThat(f.count("SELECT COUNT(*) FROM cubic_table_ods_snapshots")).isEqualTo(1);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_ods_snapshots")).isEqualTo(2);
            // The whole path of each load is in its history.
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_transitions")).isEqualTo(2 * 5);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_reloaded_snapshot_file_opens_a_new_snapshot_and_later_changes_follow_it(TestDatabase db) throws Exception {
        try (CubicFixture f = new CubicFixture(db)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "ID,NAME\n1,alpha\n");
            f.start(f.settings(ODS));
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            Thread.sleep(1100); // S3 modified times have second precision
            // Qlik restarts the table: a new full load under the same key, then a change file.
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "ID,NAME\n1,alpha\n2,beta\n");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            f.put("cubic/ods_qlik/EDW.SAMPLE__ct/20220305-000000000.csv.gz", "header__change_seq,ID,NAME\n1,2,b\n");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE__ct/20220305-000000000.csv.gz", "archived");

            assertThat(f.count("SELECT COUNT(*) FROM cubic_table_ods_snapshots")).isEqualTo(2);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads WHERE s3_key = 'cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz'"))
                    .isEqualTo(2);
            List<String> snapshots = f.keys(f.springboard).stream()
                    .map(k -> k.substring(k.indexOf("snapshot="), k.indexOf("/identifier"))).distinct().sorted().toList();
            assertThat(snapshots).hasSize(2);
            String ct = f.keys(f.springboard).stream().filter(k -> k.contains("__ct/")).findFirst().orElseThrow();
            assertThat(ct).contains(snapshots.get(1)); // the change follows the newest snapshot
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_ods_snapshots s JOIN cubic_loads l ON l.id = s.load_id"
                    + " WHERE l.s3_key LIKE '%__ct/%' AND s.snapshot = (SELECT MAX(snapshot) FROM cubic_table_ods_snapshots)"))
                    .isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void dmap_and_kafka_loads_are_ingested_without_snapshot_partition_and_archived(TestDatabase db) throws Exception {
        try (CubicFixture f = new CubicFixture(db)) {
            f.put("cubic/dmap/agg_sample/20220304.csv", "day,count\n2022-03-04,17\n");
            f.put("cubic/kafka/sample/3f2b.json", "{\"id\":1,\"v\":\"x\"}\n{\"id\":2,\"v\":null}\n");
            f.start(f.settings("cubic__dmap__agg_sample=cubic/dmap/agg_sample/,cubic__kafka__sample=cubic/kafka/sample/"));
            f.awaitStatus("cubic/dmap/agg_sample/20220304.csv", "archived");
            f.awaitStatus("cubic/kafka/sample/3f2b.json", "archived");
            assertThat(f.parquet("cubic/dmap/agg_sample/identifier=20220304.csv/part-00000.snappy.parquet"))
                    .containsExactly(Map.of("day", "2022-03-04", "count", "17"));
            List<Map<String, String>> kafka = f.parquet("cubic/kafka/sample/identifier=3f2b.json/part-00000.snappy.parquet");
            assertThat(kafka).hasSize(2);
            assertThat(kafka.get(0)).containsEntry("id", "1").containsEntry("v", "x");
            assertThat(kafka.get(1)).containsEntry("id", "2").containsEntry("v", null);
            assertThat(f.keys(f.archive)).containsExactlyInAnyOrder("cubic/dmap/agg_sample/20220304.csv",
                    "cubic/kafka/sample/3f2b.json");

            // Later Kafka files: fields in any order or left out are fine; a field the table lacks is not.
            f.put("cubic/kafka/sample/4a1c.json", "{\"v\":\"y\",\"id\":3}\n{\"id\":4}\n");
            f.awaitStatus("cubic/kafka/sample/4a1c.json", "archived");
            assertThat(f.parquet("cubic/kafka/sample/identifier=4a1c.json/part-00000.snappy.parquet"))
                    .extracting(r -> r.get("id") + "/" + r.get("v")).containsExactly("3/y", "4/null");
            f.put("cubic/kafka/sample/5b2d.json", "{\"id\":5,\"colour\":\"red\"}\n");
            f.awaitStatus("cubic/kafka/sample/5b2d.json", "errored");
            assertThat(f.text(f.error, "cubic/kafka/sample/5b2d.json.error.json")).contains("'colour' that is not a column");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_changed_header_ends_errored_with_a_reason_file_naming_the_differing_columns(TestDatabase db) throws Exception {
        try (CubicFixture f = new CubicFixture(db)) {
            f.put("cubic/dmap/agg_sample/20220304.csv", "day,count\n2022-03-04,17\n");
            f.start(f.settings("cubic__dmap__agg_sample=cubic/dmap/agg_sample/"));
            f.awaitStatus("cubic/dmap/agg_sample/20220304.csv", "archived");
            f.put("cubic/dmap/agg_sample/20220305.csv", "day,total,extra\n2022-03-05,3,x\n");
            f.awaitStatus("cubic/dmap/agg_sample/20220305.csv", "errored");

            assertThat(f.keys(f.incoming)).isEmpty();
            assertThat(f.keys(f.error)).containsExactlyInAnyOrder("cubic/dmap/agg_sample/20220305.csv",
                    "cubic/dmap/agg_sample/20220305.csv.error.json");
            String reason = f.text(f.error, "cubic/dmap/agg_sample/20220305.csv.error.json");
            assertThat(reason).contains("missing: count").contains("unexpected: total, extra");
            assertThat(f.keys(f.springboard)).containsExactly("cubic/dmap/agg_sample/identifier=20220304.csv/part-00000.snappy.parquet");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_corrupt_gzip_ends_errored_with_its_reason_file(TestDatabase db) throws Exception {
        try (CubicFixture f = new CubicFixture(db)) {
            byte[] good = CubicFixture.gzip("ID,NAME\n" + "1,alpha\n".repeat(5000));
            byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", truncated);
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "not gzip at all".getBytes());
            f.start(f.settings(ODS));
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "errored");
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz", "errored");
            assertThat(f.text(f.error, "cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz.error.json")).contains("corrupt gzip");
            assertThat(f.text(f.error, "cubic/ods_qlik/EDW.SAMPLE/LOAD002.csv.gz.error.json")).contains("corrupt gzip");
            assertThat(f.keys(f.springboard)).isEmpty();
            assertThat(f.keys(f.incoming)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void objects_under_an_unknown_prefix_are_reported_once_and_never_ingested(TestDatabase db) throws Exception {
        try (CubicFixture f = new CubicFixture(db)) {
            f.put("cubic/dmap/unregistered/20220304.csv", "a\n1\n");
            f.put("cubic/dmap/agg_sample/20220304.csv", "day,count\n2022-03-04,17\n");
            f.start(f.settings("cubic__dmap__agg_sample=cubic/dmap/agg_sample/"));
            f.awaitStatus("cubic/dmap/agg_sample/20220304.csv", "archived");
            Thread.sleep(600); // a few more polls
            assertThat(f.count("SELECT COUNT(*) FROM cubic_unknown_objects WHERE s3_key = ?",
                    "cubic/dmap/unregistered/20220304.csv")).isEqualTo(1);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads WHERE s3_key LIKE 'cubic/dmap/unregistered/%'")).isZero();
            assertThat(f.keys(f.incoming)).containsExactly("cubic/dmap/unregistered/20220304.csv");
        }
    }
}
