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
        RoketUploads uploads = new RoketUploads(settings, new RoketLedger(app.db().dataSource()),
                new RoketClient(settings));
        registry.accept("roketUploads", uploads);
        registry.accept("roketSenders", senders(settings.concurrency()));
    }

    @Override
    public List<Object> commands() {
        return List.of(new UploadCommand());
    }

    /**
     * The threads the split hands batches to. Twice the concurrency, so ledger writes overlap requests (the
     * requests on the wire are bounded by the run's semaphore, not by threads); a small queue so the source is read
     * only a little ahead; a full queue blocks the reader instead of filling memory.
     */
    static ThreadPoolExecutor senders(int concurrency) {
        int threads = concurrency * 2;
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
