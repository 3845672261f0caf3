package routes.replay;

import routes.app.StartupChecks;
import java.util.List;
import java.util.function.BiConsumer;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.PipelineModule;
import routes.common.AzureBlobClients;
import routes.common.InvalidSetting;
import routes.common.S3Clients;

/** Plugs the replay pipeline in: its keys, its beans (the run, one per day step, {@code replayApi}), the {@code replay} command. */
public class ReplayModule implements PipelineModule {

    @Override
    public void validate(Config c) {
        String store = c.getOneOf("flowledger.replay.store", List.of("azure", "s3"));
        if (store.equals("azure")) {
            try {
                AzureBlobClients.from(c::get).validate();
            } catch (InvalidSetting e) {
                throw StartupChecks.configError(c, e);
            }
        } else {
            S3Clients.validate(c);
        }
        String ratio = c.require("flowledger.replay.max-bad-ratio");
        try {
            double r = Double.parseDouble(ratio);
            if (!(r >= 0 && r <= 1)) {
                throw c.invalid("flowledger.replay.max-bad-ratio", "must be a share between 0 and 1");
            }
        } catch (NumberFormatException e) {
            throw c.invalid("flowledger.replay.max-bad-ratio", "must be a share between 0 and 1 such as 0.01");
        }
        c.getBoolean("flowledger.replay.delete-backups");
        c.getDuration("flowledger.replay.lease");
        c.getDuration("flowledger.replay.progress-interval");
        c.getInt("flowledger.replay.recover-interval", 100, Integer.MAX_VALUE);
        if (c.getDuration("flowledger.replay.delivery-timeout").toMillis() < 1000) {
            throw c.invalid("flowledger.replay.delivery-timeout", "must be at least one second");
        }
        c.getInt("flowledger.replay.linger-ms", 0, 60_000);
        c.getInt("flowledger.replay.batch-size", 1, 16 << 20);
        long txn = c.getDuration("flowledger.replay.transaction-timeout").toMillis();
        if (txn < 1000 || txn > Integer.MAX_VALUE) {
            throw c.invalid("flowledger.replay.transaction-timeout", "must be between one second and 24 days "
                    + "(and at most the broker's transaction.max.timeout.ms, 15 minutes by default)");
        }
        c.require("flowledger.replay.backup-prefix");
        c.require("flowledger.replay.dead-letter-prefix");
        if (c.isSet("flowledger.druid.url")) {
            c.getUrl("flowledger.druid.url");
        }
        if (c.isSet("flowledger.slack.webhook-url")) {
            c.getUrl("flowledger.slack.webhook-url");
        }
        try {
            DependentSources.load(c.get("flowledger.replay.config"));
        } catch (java.io.IOException e) {
            throw c.invalid("flowledger.replay.config", "cannot be read: " + e.getMessage());
        }
    }

    @Override
    public void bind(FlowledgerApp app, BiConsumer<String, Object> registry) {
        Config config = app.config();
        ReplayLedger ledger = new ReplayLedger(app.db().dataSource());
        ActiveRun.Registry runs = new ActiveRun.Registry();
        ReplayEvents events = new ReplayEvents(app::statusEmitter, () -> {
            var camel = app.camelContext();
            return camel == null ? null
                    : camel.getRegistry().findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
        }, app::lineage);
        double maxBadRatio = Double.parseDouble(config.get("flowledger.replay.max-bad-ratio"));
        DayTransactions kafka = new DayTransactions(config);
        DruidSegments druid = new DruidSegments(config);
        OpenTransactions open = new OpenTransactions(ledger, kafka);
        Restore restore = new Restore(ledger, runs, events, open);
        ReplayRuns replayRuns = new ReplayRuns(config, ledger, new ReplayOverlap(app.db().dataSource()), runs, events);
        // The steps of a day, in the order the replay-day route calls them (restore on failure).
        registry.accept("replayRuns", replayRuns);
        registry.accept("replayPreflight", new Preflight(ledger, runs, events, maxBadRatio));
        registry.accept("replayBackup", new DownstreamBackup(config, ledger, runs, events, druid, restore));
        registry.accept("replayDay", new DayReplay(config, ledger, runs, events, kafka, open));
        registry.accept("replayCleanup", new Cleanup(ledger, runs, events, druid));
        registry.accept("replayRestore", restore);
        registry.accept("replaySlackReport", new SlackReport(ledger, runs, replayRuns));
        registry.accept("replayKafka", kafka);
        registry.accept("replayDruid", druid);
        registry.accept("replayApi", new ReplayApi(replayRuns));
    }

    @Override
    public List<Object> commands() {
        return List.of(new ReplayCommand());
    }
}
