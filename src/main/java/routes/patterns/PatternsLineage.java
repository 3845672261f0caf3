package routes.patterns;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import routes.app.Config;
import routes.common.lineage.Lineage;
import routes.common.lineage.LineageJob;
import routes.common.lineage.LineageNames;

/**
 * A pipe run in OpenLineage terms, from the exchange properties its template sets: job {@code patterns.<pipe>};
 * a dataset of the ledger it reads ({@code source}) or writes ({@code dataset}, {@code responseDataset}) is named in
 * the metadata DB's namespace (the JDBC naming of flowledger.db.url) as {@code <patterns_entities table>/<dataset>};
 * an HTTP source ({@code url} of a pipe that fills a dataset) is an input, an HTTP target ({@code url} of any other
 * pipe, {@code lineageTarget} of http-update-sink and http-capture-response-action) an output. A JDBC source or target given as a DataSource bean has no
 * URL to name, so it is left out.
 */
final class PatternsLineage {

    private PatternsLineage() {
    }

    static void describe(Exchange ex, String pipe, String correlationId) {
        Lineage lineage = ex.getContext().getRegistry().lookupByNameAndType("lineage", Lineage.class);
        if (lineage == null || !lineage.enabled()) {
            return;
        }
        try {
            lineage.describe(correlationId, job(ex, pipe));
        } catch (RuntimeException e) {
            // Lineage is a report: a property it cannot name never stops the run.
        }
    }

    private static LineageJob job(Exchange ex, String pipe) {
        Config config = ex.getContext().getRegistry().lookupByNameAndType("flowledgerConfig", Config.class);
        LineageJob.Dataset table = LineageNames.jdbc(config.get("flowledger.db.url"), "patterns_entities");
        List<LineageJob.Dataset> in = new ArrayList<>();
        List<LineageJob.Dataset> out = new ArrayList<>();
        String source = ex.getProperty("source", String.class);
        String url = ex.getProperty("url", String.class);
        boolean collecting = present(ex.getProperty(Datasets.DATASET, String.class));
        if (present(source)) {
            in.add(new LineageJob.Dataset(table.namespace(), table.name() + "/" + source));
        }
        if (present(url)) {
            // A pipe that fills a dataset reads its url (http-*-source, by-id); one that does not writes to it.
            (collecting ? in : out).add(LineageNames.http(url));
        }
        for (String written : new String[] {ex.getProperty(Datasets.DATASET, String.class),
                ex.getProperty("responseDataset", String.class)}) {
            if (present(written)) {
                out.add(new LineageJob.Dataset(table.namespace(), table.name() + "/" + written));
            }
        }
        String target = ex.getProperty("lineageTarget", String.class);
        if (present(target)) {
            out.add(LineageNames.http(target));
        }
        return new LineageJob("patterns." + pipe, in, out);
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank() && !s.contains("{{");
    }
}
