package routes.roket;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import routes.common.http.BadRequest;

/**
 * {@code GET /api/roket/uploads/{runId}}: one run as the ledger holds it (its summary, its batches with state,
 * record count and attempts, the records Roket refused with its answer). The route reads the three ledger tables
 * with the sql component; this bean only shapes the answer. Bound as {@code roketRunView}.
 */
public class RoketRunView {

    /** Batches listed at most (a run of a big date has thousands; the summary counts them all). */
    public static final int MAX_BATCHES = 1000;

    /** The answer from the rows the route read into headers; 404 when the ledger has no such run. */
    public Map<String, Object> answer(@Header("roketRun") Map<String, Object> run,
                                      @Header("roketBatches") List<Map<String, Object>> batches,
                                      @Header("roketRejected") List<Map<String, Object>> rejected,
                                      @Header("runId") String runId, Exchange exchange) {
        if (run == null || run.isEmpty()) {
            throw BadRequest.notFound("no roket run " + runId);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("runId", run.get("run_id"));
        out.put("date", run.get("upload_date")); // the ledger's key: the date, or a roket-sink's dataset name
        out.put("trigger", run.get("trigger_name"));
        out.put("state", run.get("state"));
        for (String k : List.of("rows_read", "skipped", "sent", "delivered", "batches", "retries", "rejected",
                "uncertain", "held", "possible_duplicates")) {
            out.put(camel(k), run.get(k));
        }
        out.put("message", run.get("message"));
        out.put("startedAt", iso(run.get("started_at")));
        out.put("finishedAt", iso(run.get("finished_at")));
        List<Map<String, Object>> bs = new ArrayList<>();
        List<Map<String, Object>> rows = batches == null ? List.of() : batches;
        for (Map<String, Object> b : rows.subList(0, Math.min(rows.size(), MAX_BATCHES))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("batchId", b.get("batch_id"));
            m.put("parentBatchId", b.get("parent_batch_id"));
            m.put("state", b.get("state"));
            m.put("recordCount", b.get("record_count"));
            m.put("attempts", b.get("attempts"));
            m.put("httpStatus", b.get("http_status"));
            m.put("response", b.get("response_excerpt"));
            m.put("resolution", b.get("resolution"));
            m.put("updatedAt", iso(b.get("updated_at")));
            bs.add(m);
        }
        out.put("batchList", bs);
        out.put("batchListTruncated", rows.size() > MAX_BATCHES);
        List<Map<String, Object>> rs = new ArrayList<>();
        for (Map<String, Object> r : rejected == null ? List.<Map<String, Object>>of() : rejected) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("recordId", r.get("record_id"));
            m.put("batchId", r.get("batch_id"));
            m.put("httpStatus", r.get("http_status"));
            m.put("reason", r.get("response_excerpt"));
            m.put("rejectedAt", iso(r.get("rejected_at")));
            rs.add(m);
        }
        out.put("rejectedRecords", rs);
        return out;
    }

    private static String camel(String snake) {
        StringBuilder sb = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }

    /** The ledger writes its timestamps with {@code Timestamp.from(Instant)}: read back the same way. */
    private static String iso(Object v) {
        if (v instanceof Timestamp t) {
            return t.toInstant().toString();
        }
        return v == null ? null : v.toString();
    }
}
