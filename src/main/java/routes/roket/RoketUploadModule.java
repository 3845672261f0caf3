package routes.roket;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.PipelineModule;

/** Plugs roket-upload in: its configuration check, its beans, the {@code upload} command. */
public class RoketUploadModule implements PipelineModule {

    @Override
    public void validate(Config config) {
        RoketSettings.from(config);
    }

    @Override
    public void bind(FlowledgerApp app, BiConsumer<String, Object> registry) {
        RoketSettings settings = RoketSettings.from(app.config());
        RoketLedger ledger = new RoketLedger(app.db().dataSource());
        RoketReport report = new RoketReport();
        RoketSourceDb source = new RoketSourceDb(settings);
        RoketQueries queries = new RoketQueries(app.db().dataSource());
        RoketBatchLedger batches = new RoketBatchLedger(app.db().dataSource());
        RoketRunSteps steps = new RoketRunSteps(settings, ledger, queries, batches, report, source);
        RoketUploads uploads = new RoketUploads(settings, ledger, queries, steps);
        RoketHttp http = new RoketHttp(settings);
        registry.accept("roketUploads", uploads);
        registry.accept("roketRunSteps", steps);
        registry.accept("roketReport", report);
        registry.accept("roketSource", source);
        registry.accept("roketGuard", new RoketGuard(settings.batchSize()));
        registry.accept("roketLedgerFilter", new RoketLedgerFilter(queries));
        registry.accept("roketClassifier", new RoketClassifier(settings));
        registry.accept("roketDelivery", new RoketDelivery(settings, batches, report));
        registry.accept("roketHttp", http);
        registry.accept("roketHttpConnections", http.connections());
        registry.accept("roketSink", new RoketSink(settings, uploads, steps, report));
        registry.accept("roketSenders", senders(settings.concurrency()));
        registry.accept("roketRunView", new RoketRunView());
    }

    @Override
    public List<Object> commands() {
        return List.of(new UploadCommand());
    }

    /**
     * The threads the aggregator hands complete batches to: one per batch in flight (flowledger.roket.concurrency);
     * a small queue so the source is read only a little ahead; a full queue blocks the reader instead of filling
     * memory.
     */
    static ThreadPoolExecutor senders(int concurrency) {
        int threads = concurrency;
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(threads), r -> {
                    Thread t = new Thread(r, "roket-sender-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, (task, executor) -> {
                    try {
                        if (executor.isShutdown()) {
                            throw new RejectedExecutionException("roket-upload senders are shut down");
                        }
                        executor.getQueue().put(task);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new RejectedExecutionException("interrupted while waiting for a sender", e);
                    }
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
