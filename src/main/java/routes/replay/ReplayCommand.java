package routes.replay;

import routes.app.StartupChecks;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.MDC;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.FlowledgerCli;

/**
 * {@code replay}: one run over a date range (or {@code --resume RUN_ID} of an interrupted one), with per-day
 * progress and a final per-day table. Exit 0 only when every day succeeded, 1 otherwise, 2 on bad parameters
 * (refused before anything changes).
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Replays a date range from blob backups into Kafka, with backup, clean-up or restore.",
        description = {"Replays a date range of a blob backup into a Kafka topic, day by day: backs up and deletes",
            "the dependent Azure blobs, replays, then deletes the backup and the old Druid segments, or restores.",
            "Every step is recorded in the metadata DB first; --resume finishes or restores an interrupted day."})
public class ReplayCommand implements Callable<Integer> {

    @ParentCommand
    FlowledgerCli parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--start-date", paramLabel = "yyyy-MM-dd", description = "First day to replay.")
    String startDate;

    @Option(names = "--end-date", paramLabel = "yyyy-MM-dd", description = "Last day to replay (inclusive).")
    String endDate;

    @Option(names = "--topic", description = "Kafka topic to replay into.")
    String topic;

    @Option(names = "--bucket", description = "Azure container (or S3 bucket) of the backup and its dependents "
            + "(default flowledger.replay.bucket).")
    String bucket;

    @Option(names = "--prefix", description = "Backup folder to replay from (an entry of the dependent sources config: "
            + "ingest, raw, unique, failed, wfs).")
    String prefix;

    @Option(names = "--file-path", paramLabel = "F", description = "Replay one missing file instead of a whole day "
            + "(its name starts with its day); dependent data is left alone.")
    String filePath;

    @Option(names = "--broker-list", paramLabel = "H:P", description = "Kafka brokers (default flowledger.kafka.brokers).")
    String brokerList;

    @Option(names = "--delete-backups", arity = "1", paramLabel = "true|false",
            description = "Delete the backup of the dependent blobs after a successful day (default flowledger.replay.delete-backups).")
    Boolean deleteBackups;

    @Option(names = "--config", paramLabel = "FILE", description = "Dependent sink sources JSON (default: the built-in "
            + "replay-config.json of the design note, or flowledger.replay.config).")
    String sourcesConfig;

    @Option(names = "--dry-run", description = "Read and check every day, show what would be deleted; change nothing.")
    boolean dryRun;

    @Option(names = "--resume", paramLabel = "RUN_ID", description = "Finish or restore an interrupted run.")
    String resume;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReplayParams params = new ReplayParams(startDate, endDate, topic, bucket, prefix, filePath, brokerList,
                deleteBackups, sourcesConfig, dryRun);
        if (resume != null && (startDate != null || endDate != null || topic != null || prefix != null || filePath != null
                || bucket != null || dryRun)) {
            err.println("replay: --resume RUN_ID takes no other run parameters (they are in the ledger)");
            return FlowledgerCli.USAGE;
        }
        String notJson = notReplayJson(sourcesConfig);
        if (notJson != null) {
            err.println("replay: --config " + sourcesConfig + " " + notJson + "; this --config takes the replay JSON of"
                    + " dependent sink sources, a properties file goes before the command:"
                    + " flowledger --config " + sourcesConfig + " replay ...");
            return FlowledgerCli.USAGE;
        }
        Config config = parent.loadConfig(Map.of("flowledger.replay.enabled", "true"));
        if (!config.getBoolean("flowledger.replay.enabled")) {
            config = config.with(Map.of("flowledger.replay.enabled", "true"));
            StartupChecks.validate(config);
        }
        if (resume == null) {
            try {
                params.resolve(config);
            } catch (ReplayParams.Invalid e) {
                err.println("replay: " + e.getMessage());
                return FlowledgerCli.USAGE;
            }
            // Refused credentials stop the run here, before any day is backed up or deleted.
            StartupChecks.checkKafka(config, brokerList == null || brokerList.isBlank()
                    ? config.get("flowledger.kafka.brokers") : brokerList.trim());
            String container = bucket == null || bucket.isBlank() ? config.get("flowledger.replay.bucket") : bucket.trim();
            if ("azure".equalsIgnoreCase(config.get("flowledger.replay.store"))) {
                checkAzure(config, container);
            } else {
                checkS3(config, container);
            }
        }
        try (FlowledgerApp app = new FlowledgerApp(config).startJob()) {
            ReplayRuns service = app.camelContext().getRegistry().lookupByNameAndType("replayRuns", ReplayRuns.class);
            String runId;
            if (resume == null) {
                try {
                    runId = service.submit(params);
                } catch (ReplayOverlap.Overlapping e) {
                    err.println("replay: " + e.getMessage());
                    return FlowledgerCli.FAILED;
                }
            } else {
                runId = resume;
                var run = service.ledger().run(runId);
                if (run.isEmpty()) {
                    err.println("replay: no replay run " + runId + " in the metadata DB");
                    return FlowledgerCli.USAGE;
                }
                waitForLease(service, runId, out);
            }
            MDC.put("correlationId", runId);
            out.println("replay run " + runId + (resume != null ? " (resumed)" : ""));
            out.flush();
            long t0 = System.nanoTime();
            String table = app.camelContext().createProducerTemplate().requestBody("direct:replay-run", runId, String.class);
            var run = service.ledger().run(runId).orElseThrow();
            out.println();
            out.println("replay run " + runId + ": " + run.status() + String.format(java.util.Locale.ROOT, " after %.1f s",
                    (System.nanoTime() - t0) / 1e9) + (run.error() == null ? "" : " (" + run.error() + ")"));
            out.print(table);
            out.print(ReplayAdvice.text(service.ledger(), runId));
            out.flush();
            return "SUCCEEDED".equals(run.status()) ? FlowledgerCli.OK : FlowledgerCli.FAILED;
        } finally {
            MDC.remove("correlationId");
        }
    }

    /** Refused Azure credentials (a wrong or expired SAS) stop the run in one line, exit 2, before any day starts. */
    private static void checkAzure(Config config, String container) {
        routes.common.AzureBlobClients azure = routes.common.AzureBlobClients.from(config::get);
        try {
            azure.verify(azure.client(), container);
        } catch (routes.common.InvalidSetting e) {
            throw new routes.app.ConfigException(e.key(), e.problem());
        }
    }

    /** Refused or missing S3 credentials stop the run in one line, exit 2, before any day starts. */
    private static void checkS3(Config config, String bucket) {
        try (var s3 = routes.common.S3Clients.create(config)) {
            routes.common.S3Clients.verify(config, s3, bucket);
        } catch (routes.common.InvalidSetting e) {
            throw new routes.app.ConfigException(e.key(), e.problem());
        }
    }

    /** Why {@code path} is not a replay JSON (a JSON object), or null when it is one or is not given. */
    private static String notReplayJson(String path) {
        if (path == null || path.isBlank() || !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(path))) {
            return null; // none given, or missing: the usual check reports that
        }
        try {
            String text = java.nio.file.Files.readString(java.nio.file.Path.of(path)).strip();
            return text.startsWith("{") ? null : "is not a JSON object";
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * A run whose owner died still shows its last heartbeat: wait until it is older than the lease, unless the owner
     * was a process of this host that no longer exists (then the claim is taken over at once).
     */
    private static void waitForLease(ReplayRuns service, String runId, PrintWriter out) throws InterruptedException {
        long deadline = System.currentTimeMillis() + service.lease().toMillis() * 2 + 5_000;
        boolean told = false;
        while (System.currentTimeMillis() < deadline) {
            var run = service.ledger().run(runId).orElseThrow();
            if (run.owner() == null || run.heartbeatAt() == null
                    || run.heartbeatAt().isBefore(Instant.now().minus(service.lease()))
                    || routes.common.ClaimOwner.deadOnThisHost(run.owner()).isPresent()) {
                return;
            }
            if (!told) {
                out.println("replay run " + runId + " was held by " + run.owner() + "; waiting for its lease to expire");
                out.flush();
                told = true;
            }
            Thread.sleep(200);
        }
    }
}
