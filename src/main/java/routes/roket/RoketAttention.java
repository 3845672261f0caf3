package routes.roket;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import routes.common.Messages;

/**
 * What a failed run leaves for a person, as its summary prints it: the first {@value #SHOWN} records Roket refused,
 * that are uncertain or failed, each with Roket's answer from the ledger, then "and N more" with the command that
 * lists them all (issue 18: "a run that needs a person must say which records and why"). Read from the ledger at
 * the run's end, a bounded number of rows, so a run with a million refusals prints no more than a small one.
 */
final class RoketAttention {

    static final int SHOWN = 20;
    /** An answer longer than this is cut, visibly; the ledger and the status command keep it whole. */
    private static final int ANSWER = 300;

    private RoketAttention() {
    }

    static List<String> lines(RoketQueries q, RoketRun run) {
        List<String> items = new ArrayList<>();
        long total = 0;
        long rejected = count(q, "SELECT COUNT(*) AS n FROM roket_rejected_record WHERE run_id = ?", run.runId);
        total += rejected;
        if (rejected > 0) {
            for (Map<String, Object> r : q.query("SELECT record_id, http_status, response_excerpt FROM roket_rejected_record"
                    + " WHERE run_id = ? ORDER BY record_id FETCH FIRST " + SHOWN + " ROWS ONLY", run.runId)) {
                items.add(String.format("%s  rejected by Roket, HTTP %s: %s", r.get("record_id"), r.get("http_status"),
                        answer(r.get("response_excerpt"))));
            }
        }
        // Batches of this run that ended uncertain or failed and were not sent again successfully. One sent again
        // in a new batch (its child) is answered for by that batch: each record is named once.
        String open = " FROM roket_batch b WHERE b.run_id = ? AND b.state IN ('UNCERTAIN', 'FAILED') AND b.resolution IS"
                + " NULL AND NOT EXISTS (SELECT 1 FROM roket_batch c WHERE c.parent_batch_id = b.batch_id)";
        long unsure = count(q, "SELECT COALESCE(SUM(b.record_count), 0) AS n" + open, run.runId);
        total += unsure;
        if (unsure > 0) {
            for (Map<String, Object> b : q.query("SELECT b.batch_id, b.state, b.record_ids, b.attempts, b.http_status,"
                    + " b.response_excerpt" + open + " ORDER BY b.created_at, b.batch_id FETCH FIRST " + SHOWN
                    + " ROWS ONLY", run.runId)) {
                String why = "UNCERTAIN".equals(b.get("state"))
                        ? "uncertain (Roket may or may not have stored it; batch " + b.get("batch_id") + "): "
                        : "failed after " + b.get("attempts") + " attempt(s), sent again by the next run (batch "
                                + b.get("batch_id") + (b.get("http_status") == null ? "" : ", HTTP " + b.get("http_status"))
                                + "): ";
                for (String id : RoketSql.parseIds((String) b.get("record_ids"))) {
                    items.add(id + "  " + why + answer(b.get("response_excerpt")));
                }
            }
        }
        long held = run.held.sum();
        total += held;
        if (held > 0) {
            for (String id : new TreeSet<>(run.heldIds)) {
                if (items.size() >= SHOWN) {
                    break;
                }
                items.add(id + "  held: in an uncertain batch of an earlier run (flowledger.roket.on-uncertain=hold)");
            }
        }
        List<String> out = new ArrayList<>();
        if (total == 0) {
            return out;
        }
        out.add(String.format("  needs a person: %,d record(s)", total));
        items.stream().limit(SHOWN).forEach(i -> out.add("    " + i));
        if (total > SHOWN) {
            out.add(String.format("    and %,d more: status %s --failures 500", total - SHOWN, run.runId));
        }
        if (held > 0 && !run.dataset.equals(run.date)) {
            out.add("  after checking Roket: upload --date " + run.date + " --release-held");
        }
        return out;
    }

    private static String answer(Object excerpt) {
        return excerpt == null ? "no answer" : Messages.oneLine(excerpt.toString(), ANSWER);
    }

    private static long count(RoketQueries q, String sql, String runId) {
        Object n = q.query(sql, runId).get(0).get("n");
        return n == null ? 0 : ((Number) n).longValue();
    }
}
