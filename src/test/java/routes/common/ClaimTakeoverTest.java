package routes.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import routes.cubic.CubicLoad;
import routes.cubic.CubicTables;
import routes.cubic.LoadStateMachine;
import routes.cubic.LoadStatus;
import routes.replay.ReplayLedger;
import routes.roket.RoketLedger;
import routes.testkit.TestDatabase;

/**
 * A claim whose holder is a process of this host that no longer exists is taken over at once; a claim held by a
 * live process, or by a process on another host with a fresh heartbeat, is still refused (the heartbeat rule).
 */
class ClaimTakeoverTest {

    private static final String HOST = ClaimOwner.current().substring(ClaimOwner.current().indexOf('@') + 1);

    private MetadataDb db;
    private Process alive;

    @BeforeEach
    void open() throws Exception {
        db = MetadataDb.open(TestDatabase.H2.newUrl(), "sa", "", 2);
        alive = new ProcessBuilder("sleep", "60").start();
    }

    @AfterEach
    void close() {
        alive.destroyForcibly();
        db.close();
    }

    /** The pid of a process that ran on this host and has ended. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.pid();
    }

    private void lockRow(String date, String runId, String owner) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO roket_date_lock (upload_date, run_id, owner, claimed_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)")) {
            Timestamp now = Timestamp.from(Instant.now()); // a fresh heartbeat: the heartbeat rule alone would refuse
            ps.setString(1, date);
            ps.setString(2, runId);
            ps.setString(3, owner);
            ps.setTimestamp(4, now);
            ps.setTimestamp(5, now);
            ps.executeUpdate();
        }
    }

    @Test
    void owner_format_is_pid_at_host_and_only_a_dead_process_of_this_host_counts_as_dead() throws Exception {
        assertThat(ClaimOwner.current()).isEqualTo(ProcessHandle.current().pid() + "@" + HOST);
        assertThat(ClaimOwner.current("w1")).isEqualTo(ClaimOwner.current() + "/w1");
        long dead = deadPid();
        assertThat(ClaimOwner.deadOnThisHost(dead + "@" + HOST))
                .contains("process " + dead + " on host " + HOST + " no longer exists");
        assertThat(ClaimOwner.deadOnThisHost(dead + "@" + HOST + "/tag")).isPresent();
        assertThat(ClaimOwner.deadOnThisHost(alive.pid() + "@" + HOST)).isEmpty();
        assertThat(ClaimOwner.deadOnThisHost(ClaimOwner.current())).isEmpty();
        assertThat(ClaimOwner.deadOnThisHost(dead + "@some-other-host")).as("cannot know: heartbeat rule").isEmpty();
        assertThat(ClaimOwner.deadOnThisHost("instance-a")).isEmpty();
        assertThat(ClaimOwner.deadOnThisHost(null)).isEmpty();
    }

    @Test
    void an_upload_date_held_by_a_dead_process_of_this_host_is_taken_over_at_once() throws Exception {
        RoketLedger ledger = new RoketLedger(db.dataSource());
        lockRow("2026-11-20", "run-dead", deadPid() + "@" + HOST);
        ledger.claim("2026-11-20", "run-new", ClaimOwner.current(), Duration.ofMinutes(10));
        assertThat(ledger.heartbeat("2026-11-20", "run-new")).as("the new run holds the date").isTrue();
        assertThat(ledger.heartbeat("2026-11-20", "run-dead")).isFalse();
    }

    @Test
    void an_upload_date_held_by_another_host_or_a_live_process_with_a_fresh_heartbeat_is_still_refused() throws Exception {
        RoketLedger ledger = new RoketLedger(db.dataSource());
        lockRow("2026-11-20", "run-elsewhere", deadPid() + "@some-other-host");
        assertThatThrownBy(() -> ledger.claim("2026-11-20", "run-new", ClaimOwner.current(), Duration.ofMinutes(10)))
                .isInstanceOf(RoketLedger.DateBusyException.class).hasMessageContaining("already running");
        lockRow("2026-11-21", "run-live", alive.pid() + "@" + HOST);
        assertThatThrownBy(() -> ledger.claim("2026-11-21", "run-new", ClaimOwner.current(), Duration.ofMinutes(10)))
                .isInstanceOf(RoketLedger.DateBusyException.class);
    }

    /** A cubic load in {@code ingesting}, held by {@code owner} with a lease that runs for another hour. */
    private long heldLoad(String key, String owner) throws Exception {
        CubicTables.Table t = new CubicTables(db.dataSource()).register("cubic__dmap__sample", "cubic/dmap/sample/", null);
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO cubic_loads (table_id, group_id, kind_rank, status, s3_key, s3_modified, s3_size, owner,"
                        + " lease_until, created_at, updated_at) VALUES (?, ?, 0, 'ingesting', ?, ?, 1, ?, ?, ?, ?)",
                java.sql.Statement.RETURN_GENERATED_KEYS)) {
            Timestamp now = Timestamp.from(Instant.now());
            ps.setLong(1, t.id());
            ps.setLong(2, t.id());
            ps.setString(3, key);
            ps.setTimestamp(4, now);
            ps.setString(5, owner);
            ps.setTimestamp(6, Timestamp.from(Instant.now().plusSeconds(3600)));
            ps.setTimestamp(7, now);
            ps.setTimestamp(8, now);
            ps.executeUpdate();
            try (var keys = ps.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    @Test
    void a_cubic_load_leased_by_a_dead_process_of_this_host_is_taken_up_at_once_another_hosts_is_not() throws Exception {
        long orphan = heldLoad("cubic/dmap/sample/20261120.csv", deadPid() + "@" + HOST + "/1a2b");
        long elsewhere = heldLoad("cubic/dmap/sample/20261121.csv", deadPid() + "@some-other-host/3c4d");
        LoadStateMachine machine = new LoadStateMachine(db.dataSource(), ClaimOwner.current("me"), Duration.ofMinutes(10));
        assertThat(routes.cubic.LoadWork.claim(machine, 10)).extracting(CubicLoad::id).containsExactly(orphan);
        assertThat(machine.find(elsewhere).orElseThrow().status()).isEqualTo(LoadStatus.INGESTING);
    }

    @Test
    void a_replay_run_held_by_a_dead_process_of_this_host_is_taken_over_and_counts_as_abandoned() throws Exception {
        ReplayLedger ledger = new ReplayLedger(db.dataSource());
        ledger.createRun("replay-1", "{}", false, List.of("2026-11-01"));
        String deadOwner = deadPid() + "@" + HOST + "/abcd1234";
        assertThat(ledger.claim("replay-1", deadOwner, Instant.now().minusSeconds(30))).isTrue();
        assertThat(ledger.abandonedRuns(Instant.now().minusSeconds(600))).as("its process is gone").containsExactly("replay-1");
        assertThat(ledger.claim("replay-1", ClaimOwner.current("new"), Instant.now().minusSeconds(600))).isTrue();
        assertThat(ledger.run("replay-1").orElseThrow().owner()).isEqualTo(ClaimOwner.current("new"));

        ledger.createRun("replay-2", "{}", false, List.of("2026-11-01"));
        assertThat(ledger.claim("replay-2", deadPid() + "@some-other-host/x", Instant.now().minusSeconds(30))).isTrue();
        assertThat(ledger.claim("replay-2", ClaimOwner.current("new"), Instant.now().minusSeconds(600)))
                .as("another host's fresh heartbeat holds").isFalse();
        assertThat(ledger.abandonedRuns(Instant.now().minusSeconds(600))).doesNotContain("replay-2");
    }
}
