package routes.cubic;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import javax.sql.DataSource;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import routes.app.FlowledgerApp;
import routes.testkit.S3Server;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** One test's world: fresh buckets on the real S3 server, a fresh metadata DB, and flowledger apps on them. */
final class CubicFixture implements AutoCloseable {

    private static final AtomicInteger N = new AtomicInteger();

    final S3Client s3 = S3Server.client();
    final String incoming;
    final String springboard;
    final String archive;
    final String error;
    final TestDatabase database;
    final String dbUrl;
    final List<FlowledgerApp> apps = new ArrayList<>();

    CubicFixture(TestDatabase database) {
        String p = "c" + (System.nanoTime() % 1_000_000) + "-" + N.incrementAndGet();
        incoming = p + "-incoming";
        springboard = p + "-springboard";
        archive = p + "-archive";
        error = p + "-error";
        for (String b : List.of(incoming, springboard, archive, error)) {
            s3.createBucket(r -> r.bucket(b));
        }
        this.database = database;
        this.dbUrl = database.newUrl();
    }

    Map<String, String> settings(String tables) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.cubic-ingestion.enabled", "true");
        m.put("flowledger.db.url", dbUrl);
        m.put("flowledger.db.user", database.user());
        m.put("flowledger.db.password", database.password());
        m.put("flowledger.s3.endpoint", S3Server.endpoint());
        m.put("flowledger.s3.access-key", S3Server.accessKey());
        m.put("flowledger.s3.secret-key", S3Server.secretKey());
        m.put("flowledger.cubic.incoming-bucket", incoming);
        m.put("flowledger.cubic.springboard-bucket", springboard);
        m.put("flowledger.cubic.archive-bucket", archive);
        m.put("flowledger.cubic.error-bucket", error);
        m.put("flowledger.cubic.tables", tables);
        m.put("flowledger.cubic.poll-interval", "200");
        m.put("flowledger.cubic.work-interval", "100");
        m.put("flowledger.api.password", "api-secret");
        return m;
    }

    FlowledgerApp start(Map<String, String> settings) throws Exception {
        FlowledgerApp app = TestApp.start(settings);
        apps.add(app);
        return app;
    }

    DataSource ds() {
        return apps.get(0).db().dataSource();
    }

    void put(String key, byte[] content) {
        s3.putObject(b -> b.bucket(incoming).key(key), RequestBody.fromBytes(content));
    }

    void put(String key, String content) {
        put(key, key.endsWith(".gz") ? gzip(content) : content.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] gzip(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(s.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    List<String> keys(String bucket) {
        List<String> out = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key)
                .filter(k -> !k.endsWith("/")).forEach(out::add);
        return out;
    }

    String text(String bucket, String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    }

    /** Rows of a Parquet object as maps column to value. */
    List<Map<String, String>> parquet(String key) throws IOException {
        Path tmp = Files.createTempFile("read-", ".parquet");
        try {
            Files.write(tmp, s3.getObjectAsBytes(b -> b.bucket(springboard).key(key)).asByteArray());
            List<Map<String, String>> rows = new ArrayList<>();
            ParquetReadOptions opts = ParquetReadOptions.builder(new PlainParquetConfiguration())
                    .withCodecFactory(new SnappyCodecs()).build();
            try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(tmp), opts)) {
                MessageType schema = r.getFooter().getFileMetaData().getSchema();
                MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
                PageReadStore pages;
                while ((pages = r.readNextRowGroup()) != null) {
                    RecordReader<Group> rr = io.getRecordReader(pages, new GroupRecordConverter(schema));
                    for (long i = 0; i < pages.getRowCount(); i++) {
                        Group g = rr.read();
                        Map<String, String> row = new LinkedHashMap<>();
                        for (int f = 0; f < schema.getFieldCount(); f++) {
                            row.put(schema.getFieldName(f), g.getFieldRepetitionCount(f) == 0 ? null : g.getString(f, 0));
                        }
                        rows.add(row);
                    }
                }
            }
            return rows;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Status of the load with this key (latest). */
    String status(String key) {
        return Sql.run(ds(), c -> {
            try (var ps = Sql.prepare(c, "SELECT status FROM cubic_loads WHERE s3_key = ? ORDER BY id DESC", key);
                 var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        });
    }

    long count(String sql, Object... args) {
        return Sql.run(ds(), c -> {
            try (var ps = Sql.prepare(c, sql, args); var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    void awaitStatus(String key, String status) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> status.equals(status(key)));
    }

    @Override
    public void close() {
        for (FlowledgerApp a : apps) {
            a.close();
        }
        s3.close();
    }
}
