package routes.roket;

import java.util.ArrayList;
import java.util.List;
import routes.common.lineage.LineageJob;
import routes.common.lineage.LineageNames;

/**
 * What an upload run is in OpenLineage terms: the daily upload is job {@code roket-upload}, reading the table of
 * {@code flowledger.roket.source.query} from {@code flowledger.roket.source.url} (Snowflake:
 * {@code snowflake://{org}-{account}}, {@code db.schema.table}) and writing to the Roket API endpoint; a
 * {@code kamelet:roket-sink} run is job {@code roket-sink.<dataset>} (its input is the feeding route's business, so
 * only its output is named).
 */
final class RoketLineage {

    private RoketLineage() {
    }

    static LineageJob job(RoketSettings s, RoketRun run) {
        boolean kamelet = "kamelet".equals(run.trigger);
        List<LineageJob.Dataset> inputs = new ArrayList<>();
        List<LineageJob.Dataset> outputs = new ArrayList<>();
        String table = LineageNames.tableOf(s.sourceQuery());
        if (!kamelet && table != null && !s.sourceUrl().isEmpty()) {
            try {
                inputs.add(LineageNames.jdbc(s.sourceUrl(), table));
            } catch (RuntimeException e) {
                // A source URL the naming cannot read: the run is sent without its input rather than not at all.
            }
        }
        if (!s.apiUrl().isEmpty()) {
            try {
                outputs.add(LineageNames.http(s.apiUrl()));
            } catch (RuntimeException e) {
                // as above
            }
        }
        return new LineageJob(kamelet ? "roket-sink." + run.dataset : "roket-upload", inputs, outputs);
    }
}
