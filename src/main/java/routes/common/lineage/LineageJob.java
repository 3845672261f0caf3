package routes.common.lineage;

import java.util.List;

/**
 * What a pipeline tells lineage about one of its runs, once, when the run starts: the job it is a run of (a name
 * stable across runs: OpenLineage groups runs by job) and the datasets it reads and writes, named per the
 * OpenLineage naming spec ({@link LineageNames}).
 */
public record LineageJob(String name, List<Dataset> inputs, List<Dataset> outputs) {

    /** An OpenLineage dataset: the namespace is its data source ({@code scheme://authority}), the name its path. */
    public record Dataset(String namespace, String name) {
    }

    public LineageJob {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
