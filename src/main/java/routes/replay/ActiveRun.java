package routes.replay;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import routes.replay.ReplayStore.BlobInfo;

/** What a replay run keeps in memory while this process works on it (the ledger holds everything else). */
final class ActiveRun {
    final String runId;
    final ReplayParams.Plan plan;
    final ReplayStore store;
    /** The backup blobs of each day, as the pre-flight listed them. */
    final Map<String, List<BlobInfo>> dayBlobs = new ConcurrentHashMap<>();
    /**
     * Per day and backup blob, the lines the pre-flight found malformed: the replay of the same listing re-parses
     * only those (a day resumed in another process has none and parses every line).
     */
    final Map<String, Map<String, java.util.BitSet>> badLines = new ConcurrentHashMap<>();
    /** Per day, the files a dry run would delete per dependent source. */
    final Map<String, Map<String, Integer>> dryRunFiles = new ConcurrentHashMap<>();
    /** Per day, the records its pre-flight found to replay: a day that fails later counts them as failed. */
    final Map<String, Long> dayRecords = new ConcurrentHashMap<>();
    ScheduledFuture<?> heartbeat;
    /** Why the store or broker was unreachable for an earlier day: the run's later days fail with it at once. */
    volatile String unreachable;

    ActiveRun(String runId, ReplayParams.Plan plan, ReplayStore store) {
        this.runId = runId;
        this.plan = plan;
        this.store = store;
    }

    String bucket() {
        return plan.params().bucket();
    }

    String topic() {
        return plan.params().topic();
    }

    /** The runs this process works on, shared by the step beans. */
    static final class Registry {
        private final Map<String, ActiveRun> runs = new ConcurrentHashMap<>();

        void put(ActiveRun run) {
            runs.put(run.runId, run);
        }

        ActiveRun remove(String runId) {
            return runs.remove(runId);
        }

        ActiveRun find(String runId) {
            return runs.get(runId);
        }

        ActiveRun get(String runId) {
            ActiveRun run = runs.get(runId);
            if (run == null) {
                throw new IllegalStateException("replay run " + runId + " is not running in this process");
            }
            return run;
        }
    }
}
