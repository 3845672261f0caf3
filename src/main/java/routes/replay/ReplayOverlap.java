package routes.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * One replay of a day into a topic at a time, across every instance on the metadata DB: a new run whose days an
 * unfinished run already replays into the same topic is refused. Without it, the same {@code POST /api/replays} sent
 * to two replicas (or twice to one) would send those days into the topic twice. The check reads the ledger before
 * the run is written; two requests racing within the same few milliseconds are not excluded by it.
 */
final class ReplayOverlap {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Refused: an unfinished run already replays a day of the range into the same topic. */
    public static class Overlapping extends ReplayParams.Invalid {
        public Overlapping(String message) {
            super(message);
        }
    }

    private final DataSource ds;

    ReplayOverlap(DataSource ds) {
        this.ds = ds;
    }

    /** Throws {@link Overlapping} naming the unfinished run that already replays a day of the plan into its topic. */
    void refuse(ReplayParams.Plan plan) throws Overlapping {
        List<String> days = plan.days().stream().map(Object::toString).toList();
        for (String[] other : unfinishedRunsOn(days)) {
            String topic;
            try {
                topic = JSON.readValue(other[2], ReplayParams.class).topic();
            } catch (IOException e) {
                topic = null; // unreadable: cannot be told the same, and that run reports its own trouble
            }
            if (Objects.equals(topic, plan.params().topic())) {
                throw new Overlapping("replay run " + other[0] + " (" + other[1] + ") already replays a day of "
                        + days.get(0) + ".." + days.get(days.size() - 1) + " into " + topic
                        + "; follow it at /api/replays/" + other[0]);
            }
        }
    }

    /** Id, status and params of the runs not finished (PENDING, RUNNING; no dry runs) with a day among {@code days}. */
    private List<String[]> unfinishedRunsOn(List<String> days) {
        if (days.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", Collections.nCopies(days.size(), "?"));
        String sql = "SELECT r.id, r.status, r.params FROM replay_runs r WHERE r.status IN ('PENDING', 'RUNNING')"
                + " AND r.dry_run = FALSE AND EXISTS (SELECT 1 FROM replay_days d WHERE d.run_id = r.id"
                + " AND d.replay_day IN (" + marks + ")) ORDER BY r.created_at";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < days.size(); i++) {
                ps.setString(i + 1, days.get(i));
            }
            List<String[]> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("replay ledger: " + e.getMessage(), e);
        }
    }
}
