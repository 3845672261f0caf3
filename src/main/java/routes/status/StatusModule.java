package routes.status;

import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.PipelineModule;
import routes.common.status.StatusStore;

/**
 * The status pipeline: the topic processor, the status store's API and page, retention, and the
 * {@code status CORRELATION_ID} command. (Emitting and the transports live with every pipeline, in
 * {@code routes.common.status} and the {@code status-emit} route, whether or not this pipeline is enabled.)
 */
public class StatusModule implements PipelineModule {

    public static final List<String> TRANSPORTS = List.of("kafka", "direct", "log");

    @Override
    public void validate(Config config) {
        String transport = config.getOneOf("flowledger.status.transport", TRANSPORTS);
        if (transport.equals("kafka")) {
            config.require("flowledger.kafka.brokers");
            config.require("flowledger.status.topic");
            config.require("flowledger.status.consumer-group");
            config.require("flowledger.status.dead-letter-topic");
            if (config.get("flowledger.status.dead-letter-topic").equals(config.get("flowledger.status.topic"))) {
                throw config.invalid("flowledger.status.dead-letter-topic", "must differ from flowledger.status.topic");
            }
        }
        config.getInt("flowledger.status.batch-size", 1, 50_000);
        config.getInt("flowledger.status.queue-size", 1, 10_000_000);
        config.getInt("flowledger.status.check-interval", 100, 3_600_000);
        config.getInt("flowledger.status.retention-days", 1, 36_500);
        Duration stale = config.getDuration("flowledger.status.stale-after");
        if (stale.isNegative() || stale.isZero()) {
            throw config.invalid("flowledger.status.stale-after", "must be longer than zero");
        }
    }

    @Override
    public void bind(FlowledgerApp app, BiConsumer<String, Object> registry) {
        Config c = app.config();
        StatusStore store = new StatusStore(app.db().dataSource());
        StatusQuery query = new StatusQuery(app.db().dataSource(), c.getDuration("flowledger.status.stale-after"));
        registry.accept("statusApi", new StatusApi(query, store, c.getOneOf("flowledger.status.transport", TRANSPORTS),
                c.getInt("flowledger.status.retention-days", 1, 36_500)));
        registry.accept("statusProcessor", new StatusProcessor(store));
    }

    @Override
    public List<Object> commands() {
        return List.of(new StatusCommand());
    }
}
