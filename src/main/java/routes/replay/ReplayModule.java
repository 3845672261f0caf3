package routes.replay;

import java.util.List;
import java.util.function.BiConsumer;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.PipelineModule;
import routes.common.S3Clients;

/** Plugs the replay pipeline in: its keys, its beans ({@code replayService}, {@code replayApi}), the {@code replay} command. */
public class ReplayModule implements PipelineModule {

    @Override
    public void validate(Config c) {
        String store = c.getOneOf("flowledger.replay.store", List.of("azure", "s3"));
        if (store.equals("azure")) {
            c.require("flowledger.azure.connection-string");
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
        ReplayService service = new ReplayService(app.config(), new ReplayLedger(app.db().dataSource()),
                app::statusEmitter, () -> {
            var camel = app.camelContext();
            return camel == null ? null
                    : camel.getRegistry().findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
        });
        registry.accept("replayService", service);
        registry.accept("replayApi", new ReplayApi(service));
    }

    @Override
    public List<Object> commands() {
        return List.of(new ReplayCommand());
    }
}
