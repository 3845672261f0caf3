package routes.cubic;

import routes.app.StartupChecks;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.PipelineModule;
import routes.common.S3Clients;
import routes.common.status.StatusEvent;

/**
 * cubic-ingestion's wiring: checks {@code flowledger.cubic.*}, registers the configured tables, and binds the
 * S3 client the aws2-s3 endpoints use and the beans cubic-ingestion.yaml calls (discovery, the state machine's worker steps, the API, the Kafka batcher and
 * the DMAP fetcher).
 */
public class CubicModule implements PipelineModule {

    private static final Logger LOG = LoggerFactory.getLogger(CubicModule.class);

    @Override
    public void validate(Config config) {
        S3Clients.validate(config);
        CubicSettings.from(config);
        config.getInt("flowledger.cubic.concurrency", 1, 64);
        CubicKafkaBatcher.Settings.from(config);
        CubicDmapFetcher.Settings.from(config);
    }

    @Override
    public void bind(FlowledgerApp app, BiConsumer<String, Object> registry) {
        Config config = app.config();
        CubicSettings settings = CubicSettings.from(config);
        var ds = app.db().dataSource();
        CubicTables tables = new CubicTables(ds);
        settings.tables().forEach((name, prefix) -> tables.register(name, prefix, null));
        // What the batcher and the DMAP fetch write lands under tables of their own: registered with them.
        CubicKafkaBatcher.Settings kafka = CubicKafkaBatcher.Settings.from(config);
        if (!kafka.topics().isEmpty()) {
            StartupChecks.checkKafka(config, kafka.brokers()); // refused credentials stop the start in one line
        }
        CubicDmapFetcher.Settings dmapSettings = CubicDmapFetcher.Settings.from(config);
        for (String topic : kafka.topics()) {
            String prefix = "cubic/kafka/" + CubicKafkaBatcher.tableFor(topic) + "/";
            registerUnlessTaken(tables, prefix);
        }
        for (String table : dmapSettings.datasets().values()) {
            registerUnlessTaken(tables, "cubic/dmap/" + table + "/");
        }

        CubicMetrics metrics = new CubicMetrics(ds, app::camelContext);
        Consumer<StatusEvent> status = statusTo(app);
        LoadStateMachine states = new LoadStateMachine(ds, settings.instanceId(), settings.lease());
        states.onTransition(metrics::transition);
        CubicMover mover = new CubicMover(settings, app::camelContext);
        CubicIngester ingester = new CubicIngester(settings, tables);

        // The one S3 client (endpoint, credentials, checksum mode from flowledger.s3.*) every aws2-s3 endpoint of
        // cubic-ingestion.yaml uses (amazonS3Client=#cubicS3).
        registry.accept("cubicS3", S3Clients.create(config));
        registry.accept("cubicSettings", settings);
        registry.accept("cubicMetrics", metrics);
        registry.accept("cubicTables", tables);
        registry.accept("cubicStateMachine", states);
        registry.accept("cubicDiscovery", new CubicDiscovery(ds, settings, tables, states, status, metrics, 1000, app.lineage()));
        registry.accept("cubicWorker", new CubicWorker(states, ingester, mover, status, settings.batchSize()));
        registry.accept("cubicApi", new CubicApi(ds, states, mover, tables, status));
        registry.accept("cubicWorkerPool", daemonPool("cubic-worker", config.getInt("flowledger.cubic.concurrency", 1, 64)));
        CubicKafkaBatcher batcher = new CubicKafkaBatcher(kafka, status);
        batcher.job = config.getBoolean("flowledger.job") || app.isJob();
        registry.accept("cubicKafkaBatcher", batcher);
        registry.accept("cubicKafkaCommits", new CubicKafkaCommits());
        CubicDmapFetcher dmap = new CubicDmapFetcher(dmapSettings, ds, status);
        dmap.job = batcher.job;
        registry.accept("cubicDmapFetcher", dmap);
    }

    /** Registers a prefix under the ADR's name unless some table (maybe under another name) already has it. */
    private static void registerUnlessTaken(CubicTables tables, String prefix) {
        if (tables.all().stream().noneMatch(t -> t.prefix().equals(prefix))) {
            try {
                tables.register(CubicTables.nameFor(prefix), prefix, null);
            } catch (IllegalArgumentException e) {
                LOG.warn("Cannot register {} for the Kafka batcher or DMAP fetch: {}", prefix, e.getMessage());
            }
        }
    }

    @Override
    public List<Object> commands() {
        return List.of(new CubicTablesCommand());
    }

    /** Status events go to the app's emitter, which never throws: a failing transport never stops a load. */
    static Consumer<StatusEvent> statusTo(FlowledgerApp app) {
        return e -> app.statusEmitter().emit(e);
    }

    static ExecutorService daemonPool(String name, int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
