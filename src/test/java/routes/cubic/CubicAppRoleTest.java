package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.testkit.LeastPrivilegeDb;
import routes.testkit.PostgresServer;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;

/** cubic-ingestion with the app role of docs/production.md (no DDL rights, flowledger.db.migrate=off). */
@ExtendWith({S3Server.class, PostgresServer.class})
class CubicAppRoleTest {

    @Test
    void the_app_role_registers_tables_and_drives_a_load_to_archived() throws Exception {
        LeastPrivilegeDb db = LeastPrivilegeDb.migrated();
        try (CubicFixture f = new CubicFixture(TestDatabase.POSTGRES)) {
            f.put("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "ID,NAME\n1,alpha\n");
            f.start(db.asApp(f.settings(CubicIngestionTest.ODS)));
            f.awaitStatus("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz", "archived");
            assertThat(f.keys(f.archive)).containsExactly("cubic/ods_qlik/EDW.SAMPLE/LOAD001.csv.gz");
            assertThat(f.keys(f.springboard)).singleElement().asString().endsWith("part-00000.snappy.parquet");
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_transitions")).isEqualTo(5);
        }
    }
}
