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
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.sandbox.Ports;
import routes.testkit.PostgresServer;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
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
@ExtendWith(PostgresServer.class)
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
        m.put("flowledger.cubic.work-interval", "100");
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

    /**
     * The plain-client baseline: per object the same S3 operations a load costs (list it, get it, put a small
     * output, copy it to archive, delete it from incoming), {@code threads} at a time, same server, same run.
     */
    static double rawRate(S3Client s3, int n, int tables, int threads) throws Exception {
        String raw = "raw" + System.nanoTime() % 100000;
        buckets(s3, raw);
        parallel(8, n, i -> s3.putObject(b -> b.bucket(raw + "-incoming").key(key(i, tables)),
                RequestBody.fromString("id,value\n" + i + ",v\n")));
        long t0 = System.nanoTime();
        parallel(threads, n, i -> {
            String k = key(i, tables);
            s3.listObjects(b -> b.bucket(raw + "-incoming").prefix(k)).contents();
            s3.getObjectAsBytes(b -> b.bucket(raw + "-incoming").key(k)).asByteArray();
            s3.putObject(b -> b.bucket(raw + "-springboard").key(k + ".parquet"), RequestBody.fromString("PAR1 output PAR1"));
            s3.copyObject(b -> b.sourceBucket(raw + "-incoming").sourceKey(k).destinationBucket(raw + "-archive").destinationKey(k));
            s3.deleteObject(b -> b.bucket(raw + "-incoming").key(k));
        });
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static String key(int i, int tables) {
        return "cubic/dmap/t" + (i % tables) + "/2022" + String.format("%05d", i) + ".csv";
    }

    /**
     * {@code n} small DMAP files over {@code tables} tables, {@code instances} flowledger instances on one
     * PostgreSQL and one bucket; loads/s from the first load's discovery to the last one's archiving.
     */
    static double pipelineRate(S3Client s3, int n, int tables, int instances) throws Exception {
        String p = "bench" + System.nanoTime() % 100000;
        buckets(s3, p);
        StringBuilder reg = new StringBuilder();
        for (int t = 0; t < tables; t++) {
            reg.append(t == 0 ? "" : ",").append("cubic__dmap__t").append(t).append("=cubic/dmap/t").append(t).append('/');
        }
        parallel(8, n, i -> s3.putObject(b -> b.bucket(p + "-incoming").key(key(i, tables)),
                RequestBody.fromString("id,value\n" + i + ",v\n")));
        String db = TestDatabase.POSTGRES.newUrl();
        List<FlowledgerApp> apps = new ArrayList<>();
        try {
            ExecutorService starter = Executors.newFixedThreadPool(instances);
            List<Future<FlowledgerApp>> started = new ArrayList<>();
            for (int k = 0; k < instances; k++) {
                Map<String, String> m = settings(p, reg.toString());
                m.put("flowledger.db.url", db);
                m.put("flowledger.db.user", TestDatabase.POSTGRES.user());
                m.put("flowledger.db.password", TestDatabase.POSTGRES.password());
                m.put("flowledger.cubic.instance-id", "bench-" + k);
                started.add(starter.submit(() -> TestApp.start(m)));
            }
            for (Future<FlowledgerApp> f : started) {
                apps.add(f.get());
            }
            starter.shutdown();
            FlowledgerApp app = apps.get(0);
            await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(250))
                    .until(() -> count(app, "SELECT COUNT(*) FROM cubic_loads WHERE status = 'archived'") == n);
            assertThat(count(app, "SELECT COUNT(*) FROM cubic_loads")).isEqualTo(n);
            assertThat(count(app, "SELECT COUNT(*) FROM cubic_load_transitions WHERE to_status = 'ingesting'")).isEqualTo(n);
            double seconds = Sql.run(app.db().dataSource(), c -> {
                try (var rs = c.createStatement().executeQuery("SELECT MIN(created_at), MAX(updated_at) FROM cubic_loads")) {
                    rs.next();
                    return Duration.between(rs.getObject(1, java.time.LocalDateTime.class),
                            rs.getObject(2, java.time.LocalDateTime.class)).toMillis() / 1000.0;
                }
            });
            return n / seconds;
        } finally {
            for (FlowledgerApp a : apps) {
                a.close();
            }
        }
    }

    static void report(String what, int n, int tables, int instances, double rate, double raw, int rawThreads) {
        System.out.printf("%nBENCH cubic-ingestion: %s: %d small DMAP loads over %d table(s), %d instance(s) x 4 workers,"
                + " discovered -> Parquet in springboard -> archived: %.1f loads/s%n", what, n, tables, instances, rate);
        System.out.printf("BENCH baseline (same run, same S3 server): plain client doing list + get + put + copy + delete per"
                + " object, %d at a time: %.1f objects/s; pipeline = %.2f of it; load average %.1f%n%n", rawThreads, raw,
                rate / raw, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    @Test
    void one_table_with_a_backlog_of_500_dmap_files_drains_on_two_instances() throws Exception {
        try (S3Client s3 = client()) {
            double raw = rawRate(s3, 500, 1, 8);
            double rate = pipelineRate(s3, 500, 1, 2);
            report("one table's backlog", 500, 1, 2, rate, raw, 8);
            assertThat(rate).as("loads/s").isGreaterThanOrEqualTo(20);
            assertThat(rate / raw).as("share of the raw S3 rate").isGreaterThanOrEqualTo(0.5);
        }
    }

    @Test
    void two_thousand_small_loads_over_twenty_tables_vs_the_same_s3_operations_by_a_plain_client() throws Exception {
        try (S3Client s3 = client()) {
            double raw = rawRate(s3, 2000, 20, 8);
            double rate = pipelineRate(s3, 2000, 20, 2);
            report("2,000 loads", 2000, 20, 2, rate, raw, 8);
            assertThat(rate / raw).as("share of the raw S3 rate").isGreaterThanOrEqualTo(0.5);
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
