package routes.status;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import routes.app.Config;
import routes.app.FlowledgerCli;
import routes.common.MetadataDb;
import routes.common.status.StatusCodec;

/**
 * {@code status CORRELATION_ID}: prints where a dataflow stands, the same view as
 * {@code GET /api/dataflows/{correlationId}}, read from the status store in the metadata DB. Exit 0 when the
 * dataflow SUCCEEDED, 1 when it FAILED, is still RUNNING or is unknown, 2 on bad usage.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Prints where a dataflow stands: finished, state, stage, counts and failures.",
        description = {"Prints where a dataflow stands: finished?, state (RUNNING|SUCCEEDED|FAILED), current stage,",
            "counts by stage and status, records done of recordCount, and the failures with their reasons.",
            "Exit 0 succeeded, 1 failed, running or unknown, 2 bad usage."})
public class StatusCommand implements Callable<Integer> {

    @ParentCommand
    FlowledgerCli parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CORRELATION_ID", description = "The dataflow's correlationId.")
    String correlationId;

    @Option(names = "--json", description = "Print the view as JSON (as the API answers it).")
    boolean json;

    @Option(names = "--failures", paramLabel = "N", defaultValue = "20",
            description = "How many failures to list (default ${DEFAULT-VALUE}, at most 500).")
    int failures;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (failures < 1 || failures > StatusQuery.MAX_LIMIT) {
            err.println("flowledger status: --failures must be between 1 and " + StatusQuery.MAX_LIMIT);
            return FlowledgerCli.USAGE;
        }
        Config config = parent.loadConfig(Map.of());
        try (MetadataDb db = MetadataDb.open(config, 2)) {
            StatusQuery query = new StatusQuery(db.dataSource(), config.getDuration("flowledger.status.stale-after"));
            Map<String, Object> view = query.dataflow(correlationId, failures);
            if (view == null) {
                err.println("flowledger status: no status known for dataflow " + correlationId);
                return FlowledgerCli.FAILED;
            }
            out.println(json ? StatusCodec.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(view) : render(view));
            out.flush();
            return "SUCCEEDED".equals(view.get("state")) ? FlowledgerCli.OK : FlowledgerCli.FAILED;
        }
    }

    /** The view as text for a person. */
    @SuppressWarnings("unchecked")
    public static String render(Map<String, Object> v) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("dataflow   %s%n", v.get("correlationId")));
        b.append(String.format("state      %s%s%s%s%s%n", v.get("state"),
                Boolean.TRUE.equals(v.get("finished")) ? " (finished)" : " (not finished)",
                Boolean.TRUE.equals(v.get("retried")) ? ", after a retry (the earlier failure is listed below)" : "",
                Boolean.TRUE.equals(v.get("stale")) ? ", STALE: silent for longer than flowledger.status.stale-after" : "",
                Boolean.TRUE.equals(v.get("waiting")) ? ", WAITING for " + v.get("waitingFor") : ""));
        b.append(String.format("stage      %s%n", v.get("stage")));
        Object rc = v.get("recordCount");
        Object progress = v.get("progress");
        b.append(String.format("records    %s done of %s%s, %s failed%n", v.get("recordsDone"), rc == null ? "?" : rc,
                progress == null ? "" : String.format(" (%d%%)", Math.round(((Number) progress).doubleValue() * 100)),
                v.get("recordsFailed")));
        b.append(String.format("first      %s%nlast       %s%n", v.get("firstTimestamp"), v.get("lastTimestamp")));
        for (Map<String, Object> d : (List<Map<String, Object>>) v.get("dataSets")) {
            b.append(String.format("dataset    %s version %s %s, %s records%n", d.get("dataSetId"),
                    d.get("dataSetVersionId"), d.get("dataSetType"), d.get("recordCount")));
        }
        b.append("stages (first begun first):\n");
        for (Map<String, Object> s : (List<Map<String, Object>>) v.get("stages")) {
            StringBuilder counts = new StringBuilder();
            ((Map<String, Object>) s.get("counts")).forEach((k, n) -> counts.append(' ').append(k).append('=').append(n));
            b.append(String.format("  %-24s %-12s%s%s%n", s.get("stage"), s.get("status") == null ? "-" : s.get("status"),
                    counts.length() == 0 ? "" : " records:" + counts,
                    s.get("message") == null ? "" : "  \"" + s.get("message") + "\""));
        }
        Map<String, Object> f = (Map<String, Object>) v.get("failures");
        List<Map<String, Object>> items = (List<Map<String, Object>>) f.get("items");
        b.append(items.isEmpty() ? "failures   none\n" : "failures (oldest first):\n");
        for (Map<String, Object> i : items) {
            Object n = i.get("recordCount");
            b.append(String.format("  %s  %s  record %s%s  code %s  %s%n", i.get("timestamp"), i.get("stage"),
                    i.get("recordId") == null ? "(whole stage)" : i.get("recordId"),
                    n instanceof Number k && k.longValue() != 1 ? " (" + k + " records)" : "",
                    i.get("errorCode") == null ? "-" : i.get("errorCode"), i.get("message")));
        }
        if (f.get("nextCursor") != null) {
            b.append("  ... more: GET /api/dataflows/").append(v.get("correlationId"))
                    .append("/failures?cursor=").append(f.get("nextCursor")).append('\n');
        }
        return b.toString();
    }
}
