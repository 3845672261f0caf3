package routes.patterns;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.ClaimOwner;

/**
 * One run of a pipe at a time across every instance on the metadata DB (Flyway V51). Every instance runs every pipe's
 * timer; without a claim two instances would read the same changes since the same watermark and both send them (an
 * update sink's PUTs twice, a capture-response send taken for an interrupted one and reported uncertain). A run claims
 * the pipe's row with a guarded update; the claim is released when the run ends, lapses after {@link #LEASE} if its
 * holder died without releasing it, and is taken over at once when the holder is a process of this host that no longer
 * exists ({@link ClaimOwner}).
 */
final class PipeClaims {

    private static final Logger LOG = LoggerFactory.getLogger(PipeClaims.class);
    /** Far longer than a run takes; it only matters when a holder on another host died mid-run. */
    static final Duration LEASE = Duration.ofMinutes(10);

    private final String owner = ClaimOwner.current();

    /** Claims the pipe for this process (already its own counts); false when another live instance runs it. */
    boolean claim(Connection c, String pipe) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        Timestamp until = Timestamp.from(now.toInstant().plus(LEASE));
        if (Jdbc.update(c, "UPDATE patterns_pipes SET run_owner = ?, run_until = ? WHERE pipe = ?"
                + " AND (run_owner IS NULL OR run_owner = ? OR run_until < ?)", owner, until, pipe, owner, now) == 1) {
            return true;
        }
        Map<String, Object> row = Jdbc.one(c, "SELECT run_owner FROM patterns_pipes WHERE pipe = ?", pipe);
        String holder = row == null ? null : (String) row.get("run_owner");
        Optional<String> dead = ClaimOwner.deadOnThisHost(holder);
        if (dead.isPresent() && Jdbc.update(c, "UPDATE patterns_pipes SET run_owner = ?, run_until = ? WHERE pipe = ?"
                + " AND run_owner = ?", owner, until, pipe, holder) == 1) {
            LOG.warn("pipe {}: taking over the run of {}: {}", pipe, holder, dead.get());
            return true;
        }
        LOG.info("pipe {}: not run here, {} is running it", pipe, holder);
        return false;
    }

    /** Ends this process's claim on the pipe (nothing when it holds none). */
    void release(Connection c, String pipe) throws SQLException {
        Jdbc.update(c, "UPDATE patterns_pipes SET run_owner = NULL, run_until = NULL WHERE pipe = ? AND run_owner = ?",
                pipe, owner);
    }
}
