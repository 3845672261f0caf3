package routes.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.common.MetadataDb;
import routes.testkit.PostgresServer;
import routes.testkit.TestDatabase;

/** The replay ledger on H2 and PostgreSQL: one owner at a time, abandoned runs found, every step's state kept. */
@ExtendWith(PostgresServer.class)
class ReplayLedgerTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void only_one_instance_holds_a_run_until_its_heartbeat_goes_stale(TestDatabase db) {
        try (MetadataDb m = MetadataDb.open(db.newUrl(), db.user(), db.password(), 2)) {
            ReplayLedger ledger = new ReplayLedger(m.dataSource());
            ledger.createRun("r1", "{}", false, List.of("2019-12-01", "2019-12-02"));

            assertThat(ledger.claim("r1", "a", Instant.now().minusSeconds(30))).isTrue();
            assertThat(ledger.claim("r1", "b", Instant.now().minusSeconds(30))).as("a holds it").isFalse();
            assertThat(ledger.abandonedRuns(Instant.now().minusSeconds(30))).isEmpty();
            assertThat(ledger.abandonedRuns(Instant.now().plusSeconds(1))).containsExactly("r1");
            assertThat(ledger.claim("r1", "b", Instant.now().plusSeconds(1))).as("a went quiet").isTrue();
            ledger.heartbeat("r1", "a");
            assertThat(ledger.run("r1").orElseThrow().owner()).isEqualTo("b");

            ledger.finishRun("r1", "b", true, null);
            assertThat(ledger.run("r1").orElseThrow().status()).isEqualTo("SUCCEEDED");
            assertThat(ledger.claim("r1", "c", Instant.now().plusSeconds(1))).as("finished runs stay finished").isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void a_days_steps_blobs_and_segments_are_recorded_and_an_interrupted_backup_is_forgotten_once_restored(TestDatabase db) {
        try (MetadataDb m = MetadataDb.open(db.newUrl(), db.user(), db.password(), 2)) {
            ReplayLedger ledger = new ReplayLedger(m.dataSource());
            ledger.createRun("r2", "{}", false, List.of("2019-12-01"));
            ledger.dayStatus("r2", "2019-12-01", ReplayLedger.DayStatus.BACKUP);
            ledger.planBackup(new ReplayLedger.Backup("r2", "2019-12-01", "unique", "unique/2019-12-01-a.json",
                    "replay-backups/r2/unique/2019-12-01-a.json", 42, "0x1", "abcd", ReplayLedger.BackupState.PLANNED));
            ledger.recordSegment("r2", "2019-12-01", "telemetry-events", "seg-1");
            ledger.backupState("r2", "unique/2019-12-01-a.json", ReplayLedger.BackupState.DELETED);
            ledger.startReplay("r2", "2019-12-01", "0:15");

            ReplayLedger.Day day = ledger.day("r2", "2019-12-01");
            assertThat(day.status()).isEqualTo(ReplayLedger.DayStatus.REPLAY);
            assertThat(day.startOffsets()).isEqualTo("0:15");
            assertThat(day.startedAt()).isNotNull();
            assertThat(ledger.backups("r2", "2019-12-01")).singleElement()
                    .satisfies(b -> assertThat(b.state()).isEqualTo(ReplayLedger.BackupState.DELETED))
                    .satisfies(b -> assertThat(b.size()).isEqualTo(42));
            assertThat(ledger.segments("r2", "2019-12-01")).extracting(ReplayLedger.Segment::segmentId).containsExactly("seg-1");

            ledger.backupState("r2", "unique/2019-12-01-a.json", ReplayLedger.BackupState.RESTORED);
            ledger.forgetDayWork("r2", "2019-12-01");
            assertThat(ledger.backups("r2", "2019-12-01")).isEmpty();
            assertThat(ledger.segments("r2", "2019-12-01")).isEmpty();

            ledger.finishDay("r2", "2019-12-01", ReplayLedger.DayStatus.FAILED, "REPLAY", "boom");
            assertThat(ledger.day("r2", "2019-12-01")).satisfies(d -> {
                assertThat(d.status()).isEqualTo(ReplayLedger.DayStatus.FAILED);
                assertThat(d.error()).isEqualTo("boom");
                assertThat(d.durationMs()).isNotNull();
            });
        }
    }
}
