package routes.cubic;

import java.util.List;
import routes.common.lineage.LineageJob;
import routes.common.lineage.LineageNames;

/**
 * A Cubic load in OpenLineage terms: a run of its table's job {@code cubic-ingestion.<table>}, reading the table's
 * prefix in the incoming bucket and writing Parquet under the same prefix in the springboard bucket. The archive
 * and error buckets only keep the input object, so they are not outputs. The run is the load
 * ({@code cubic-load-<id>}: a name-based runId, see routes.common.lineage).
 */
final class CubicLineage {

    private CubicLineage() {
    }

    static LineageJob job(CubicSettings settings, CubicTables.Table table) {
        return new LineageJob("cubic-ingestion." + table.name(),
                List.of(LineageNames.s3(settings.incomingBucket(), table.prefix())),
                List.of(LineageNames.s3(settings.springboardBucket(), table.prefix())));
    }
}
