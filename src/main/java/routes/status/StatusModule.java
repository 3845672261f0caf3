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
        Duration staleAfter = c.getDuration("flowledger.status.stale-after");
        StatusQuery query = new StatusQuery(app.db().dataSource(), staleAfter, java.time.Clock.systemUTC(),
                new DataflowPipelines(heartbeats(c), staleAfter));
        registry.accept("statusApi", new StatusApi(query, store, c.getOneOf("flowledger.status.transport", TRANSPORTS),
                c.getInt("flowledger.status.retention-days", 1, 36_500)));
        registry.accept("statusProcessor", new StatusProcessor(store));
    }

    /**
     * How long each pipeline's running dataflow may stay silent before the console calls it stalled: the claim or
     * lease its runs renew (a run that outlives it has died), two periods for a pattern pipe.
     */
    static java.util.Map<String, Duration> heartbeats(Config c) {
        java.util.Map<String, Duration> m = new java.util.HashMap<>();
        safely(m, DataflowPipelines.ROKET, () -> c.getDuration("flowledger.roket.lock-timeout"));
        safely(m, DataflowPipelines.CUBIC, () -> c.getDuration("flowledger.cubic.lease"));
        safely(m, DataflowPipelines.REPLAY, () -> c.getDuration("flowledger.replay.lease"));
        safely(m, DataflowPipelines.PATTERNS, () -> c.getDuration("flowledger.patterns.period").multipliedBy(2));
        return m;
    }

    // A disabled pipeline's keys are not validated: an unreadable one falls back to stale-after.
    private static void safely(java.util.Map<String, Duration> m, String pipeline,
                               java.util.function.Supplier<Duration> d) {
        try {
            Duration v = d.get();
            if (v != null && !v.isNegative() && !v.isZero()) {
                m.put(pipeline, v);
            }
        } catch (RuntimeException e) {
            // keep the fallback
        }
    }

    @Override
    public List<Object> commands() {
        return List.of(new StatusCommand());
    }
}
