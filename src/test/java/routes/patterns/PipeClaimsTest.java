package routes.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import routes.common.ClaimOwner;
import routes.common.MetadataDb;
import routes.testkit.TestDatabase;

/**
 * One run of a pipe at a time across instances: a pipe another live instance runs is left alone; the claim of a
 * process of this host that no longer exists is taken over at once; an ended run frees the pipe.
 */
class PipeClaimsTest {

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

    private void pipeHeldBy(String pipe, String owner) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO patterns_pipes (pipe, runs, updated_at, run_owner, run_until) VALUES (?, 1, ?, ?, ?)")) {
            ps.setString(1, pipe);
            ps.setTimestamp(2, Timestamp.from(Instant.now()));
            ps.setString(3, owner);
            ps.setTimestamp(4, Timestamp.from(Instant.now().plusSeconds(600)));
            ps.executeUpdate();
        }
    }

    private boolean claim(PipeClaims claims, String pipe) throws Exception {
        try (Connection c = db.dataSource().getConnection()) {
            return claims.claim(c, pipe);
        }
    }

    @Test
    void a_pipe_run_by_a_live_instance_is_left_alone_a_dead_ones_is_taken_over_and_an_ended_run_frees_it() throws Exception {
        Process done = new ProcessBuilder("true").start();
        assertThat(done.waitFor(10, TimeUnit.SECONDS)).isTrue();
        pipeHeldBy("busy", alive.pid() + "@" + HOST);
        pipeHeldBy("orphan", done.pid() + "@" + HOST);
        pipeHeldBy("elsewhere", done.pid() + "@some-other-host");
        PipeClaims claims = new PipeClaims();

        assertThat(claim(claims, "busy")).as("another live instance runs it").isFalse();
        assertThat(claim(claims, "elsewhere")).as("another host, claim not lapsed").isFalse();
        assertThat(claim(claims, "orphan")).as("its process is gone").isTrue();
        assertThat(claim(claims, "orphan")).as("this instance's own claim").isTrue();
        try (Connection c = db.dataSource().getConnection()) {
            claims.release(c, "orphan");
            try (var rs = c.createStatement().executeQuery("SELECT run_owner FROM patterns_pipes WHERE pipe = 'orphan'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("free for any instance's next run").isNull();
            }
        }
    }
}
