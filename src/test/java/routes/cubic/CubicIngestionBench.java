package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import routes.app.FlowledgerApp;
import routes.sandbox.Ports;
import routes.testkit.TestApp;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * cubic-ingestion throughput and memory, run with {@code mvn -B -o -Pbench test -Dtest=CubicIngestionBench}
 * (256 MB heap). S3Proxy keeps its objects on disk here (the test kit's in-memory store cannot hold 1 GB in a
 * 256 MB heap).
 */
@Tag("bench")
class CubicIngestionBench {

    static S3Proxy proxy;
    static BlobStoreContext store;
    static String endpoint;
    static Path base;

    @BeforeAll
    static void startS3() throws Exception {
        base = Files.createTempDirectory("cubic-bench-s3-");
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", base.toString());
        store = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(p)
                .build(BlobStoreContext.class);
        int port = Ports.free();
        endpoint = "http://127.0.0.1:" + port;
        proxy = S3Proxy.builder().blobStore(store.getBlobStore()).endpoint(URI.create(endpoint))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret").build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(20);
        }
    }

    @AfterAll
    static void stopS3() throws Exception {
        proxy.stop();
        store.close();
        Ports.deleteTree(base);
    }

    static S3Client client() {
        return S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1).forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench-secret")))
                .build();
    }

    static Map<String, String> settings(String prefix, String tables) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.cubic-ingestion.enabled", "true");
        m.put("flowledger.s3.endpoint", endpoint);
        m.put("flowledger.s3.access-key", "bench");
        m.put("flowledger.s3.secret-key", "bench-secret");
        m.put("flowledger.cubic.incoming-bucket", prefix + "-incoming");
        m.put("flowledger.cubic.springboard-bucket", prefix + "-springboard");
        m.put("flowledger.cubic.archive-bucket", prefix + "-archive");
        m.put("flowledger.cubic.error-bucket", prefix + "-error");
        m.put("flowledger.cubic.tables", tables);
        m.put("flowledger.cubic.poll-interval", "500");
        m.put("flowledger.cubic.work-interval", "50");
        m.put("flowledger.cubic.batch-size", "40");
        m.put("flowledger.cubic.concurrency", "4");
        return m;
    }

    static void buckets(S3Client s3, String prefix) {
        for (String b : List.of("incoming", "springboard", "archive", "error")) {
            s3.createBucket(r -> r.bucket(prefix + "-" + b));
        }
    }

    static void parallel(int threads, int n, java.util.function.IntConsumer task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            fs.add(pool.submit(() -> task.accept(k)));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    static long count(FlowledgerApp app, String sql) {
        return Sql.run(app.db().dataSource(), c -> {
            try (var rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void two_thousand_small_loads_from_landing_to_archived_vs_raw_copy_and_delete() throws Exception {
        int n = 2000;
        int tables = 20;
        try (S3Client s3 = client()) {
            // Baseline: what the same S3 server does with just a copy and a delete per object, 4 at a time.
            String raw = "raw" + System.nanoTime() % 100000;
            buckets(s3, raw);
            parallel(8, n, i -> s3.putObject(b -> b.bucket(raw + "-incoming").key("cubic/dmap/t/" + i + ".csv"),
                    RequestBody.fromString("id,value\n" + i + ",v\n")));
            long t0 = System.nanoTime();
            parallel(4, n, i -> {
                s3.copyObject(b -> b.sourceBucket(raw + "-incoming").sourceKey("cubic/dmap/t/" + i + ".csv")
                        .destinationBucket(raw + "-archive").destinationKey("cubic/dmap/t/" + i + ".csv"));
                s3.deleteObject(b -> b.bucket(raw + "-incoming").key("cubic/dmap/t/" + i + ".csv"));
            });
            double rawRate = n / ((System.nanoTime() - t0) / 1e9);

            String p = "bench" + System.nanoTime() % 100000;
            buckets(s3, p);
            StringBuilder reg = new StringBuilder();
            for (int t = 0; t < tables; t++) {
                reg.append(t == 0 ? "" : ",").append("cubic__dmap__t").append(t).append("=cubic/dmap/t").append(t).append('/');
            }
            parallel(8, n, i -> s3.putObject(b -> b.bucket(p + "-incoming")
                    .key("cubic/dmap/t" + (i % tables) + "/2022" + String.format("%04d", i) + ".csv"),
                    RequestBody.fromString("id,value\n" + i + ",v\n")));
            try (FlowledgerApp app = TestApp.start(settings(p, reg.toString()))) {
                await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> count(app, "SELECT COUNT(*) FROM cubic_loads WHERE status = 'archived'") == n);
                double seconds = Sql.run(app.db().dataSource(), c -> {
                    try (var rs = c.createStatement().executeQuery(
                            "SELECT MIN(created_at), MAX(updated_at) FROM cubic_loads")) {
                        rs.next();
                        return Duration.between(rs.getObject(1, java.time.LocalDateTime.class),
                                rs.getObject(2, java.time.LocalDateTime.class)).toMillis() / 1000.0;
                    }
                });
                double rate = n / seconds;
                System.out.printf("%nBENCH cubic-ingestion: %d small loads discovered -> ingested to Parquet -> archived in %.1f s:"
                        + " %.1f loads/s (4 workers, %d tables)%n", n, seconds, rate, tables);
                System.out.printf("BENCH baseline: raw S3 copy+delete of the same objects, 4 at a time, same server: %.1f objects/s"
                        + " (pipeline = %.0f%% of it)%n%n", rawRate, 100 * rate / rawRate);
                assertThat(count(app, "SELECT COUNT(*) FROM cubic_loads")).isEqualTo(n);
            }
        }
    }

    @Test
    void a_one_gigabyte_load_is_ingested_in_a_256_mb_heap() throws Exception {
        long target = 1L << 30;
        Path file = Files.createTempFile("cubic-bench-1g-", ".csv");
        long rows = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write("id,station,line,direction,tapped_at,fare,card_id,note\n".getBytes(StandardCharsets.US_ASCII));
            long written = 0;
            while (written < target) {
                String row = rows + ",station-" + (rows % 173) + ",line-" + (rows % 7) + "," + (rows % 2 == 0 ? "in" : "out")
                        + ",2022-03-04T" + String.format("%02d:%02d:%02d", rows / 3600 % 24, rows / 60 % 60, rows % 60)
                        + "," + (rows % 500) / 100.0 + ",card-" + (rows * 7919 % 1_000_003) + ",lorem ipsum dolor sit amet\n";
                byte[] b = row.getBytes(StandardCharsets.US_ASCII);
                out.write(b);
                written += b.length;
                rows++;
            }
        }
        String p = "big" + System.nanoTime() % 100000;
        try (S3Client s3 = client()) {
            buckets(s3, p);
            s3.putObject(b -> b.bucket(p + "-incoming").key("cubic/dmap/big/20220304.csv"), RequestBody.fromFile(file));
            long size = Files.size(file);
            Files.delete(file);
            System.gc();
            List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(m -> m.getType() == MemoryType.HEAP).toList();
            // Sampled while the load runs: the most heap in use at once, and the most still live after a collection.
            long[] peaks = new long[2];
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peaks[0] = Math.max(peaks[0], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                    peaks[1] = Math.max(peaks[1], heap.stream().mapToLong(m -> m.getCollectionUsage() == null ? 0
                            : m.getCollectionUsage().getUsed()).sum());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            long t0 = System.nanoTime();
            try (FlowledgerApp app = TestApp.start(settings(p, "cubic__dmap__big=cubic/dmap/big/"))) {
                await().atMost(Duration.ofMinutes(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        count(app, "SELECT COUNT(*) FROM cubic_loads WHERE status IN ('archived', 'errored')") == 1);
                double seconds = (System.nanoTime() - t0) / 1e9;
                sampler.interrupt();
                long records = count(app, "SELECT record_count FROM cubic_loads");
                System.out.printf("%nBENCH cubic-ingestion: one %.2f GB CSV load (%d rows) landing -> Parquet -> archived in %.1f s"
                        + " (%.1f MB/s); heap: at most %d MB in use, at most %d MB live after a collection, max heap %d MB%n%n",
                        size / 1e9, rows, seconds, size / 1e6 / seconds, peaks[0] >> 20, peaks[1] >> 20,
                        Runtime.getRuntime().maxMemory() >> 20);
                assertThat(count(app, "SELECT COUNT(*) FROM cubic_loads WHERE status = 'archived'")).isEqualTo(1);
                assertThat(records).isEqualTo(rows);
            }
        }
    }
}
