package routes.replay;

import java.util.List;
import routes.app.Config;
import routes.common.lineage.LineageJob;
import routes.common.lineage.LineageNames;

/**
 * A replay run in OpenLineage terms: job {@code replay.<topic>}, reading the backup under its prefix (or its one
 * file) in the replay store (Azure Blob: {@code wasbs://{container}@{account}.blob.core.windows.net}; S3:
 * {@code s3://{bucket}}) and writing the Kafka topic ({@code kafka://{first bootstrap server}}). The downstream
 * sources it backs up and restores are the run's housekeeping, not its data flow, so they are not named.
 */
final class ReplayLineage {

    private ReplayLineage() {
    }

    static LineageJob job(Config config, ReplayParams.Plan plan) {
        ReplayParams p = plan.params();
        String path = plan.fileMode() ? p.filePath() : p.prefix();
        LineageJob.Dataset input = "s3".equalsIgnoreCase(config.get("flowledger.replay.store"))
                ? LineageNames.s3(p.bucket(), path)
                : LineageNames.azureBlob(config.get("flowledger.azure.connection-string"), p.bucket(), path);
        return new LineageJob("replay." + p.topic(), List.of(input), List.of(LineageNames.kafka(p.brokerList(), p.topic())));
    }
}
