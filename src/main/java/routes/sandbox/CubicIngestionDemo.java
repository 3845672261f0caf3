package routes.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import routes.app.FlowledgerApp;
import routes.common.S3Clients;
import routes.cubic.CubicTables;
import routes.cubic.LoadStateMachine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * cubic-ingestion in the demo: an ODS snapshot and its change file, a DMAP day fetched from the DMAP simulator, a
 * Kafka-built file (records produced to the sandbox broker and batched), plus a file with a changed header and a
 * corrupt gzip, all dropped into the sandbox S3; the good ones reach archived, the bad ones errored.
 */
public class CubicIngestionDemo implements DemoScenario {

    private static final String ODS = "cubic/ods_qlik/EDW.SAMPLE/";
    private static final String ODS_CT = "cubic/ods_qlik/EDW.SAMPLE__ct/";
    private static final String ODS_BROKEN = "cubic/ods_qlik/EDW.BROKEN/";
    private static final String DMAP = "cubic/dmap/agg_sample/";
    private static final String KAFKA = "cubic/kafka/sample/";

    @Override
    public String pipeline() {
        return "cubic-ingestion";
    }

    /** The service's own Kafka batcher (topic "sample", written after one second) and DMAP fetch (the simulator). */
    @Override
    public Map<String, String> config(Sandbox sandbox) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("flowledger.cubic.kafka.topics", "sample");
        m.put("flowledger.cubic.kafka.group-id", "flowledger-demo-batcher");
        m.put("flowledger.cubic.kafka.max-age", "PT1S");
        m.put("flowledger.cubic.dmap.url", sandbox.http.dmapUrl());
        m.put("flowledger.cubic.dmap.api-key", sandbox.http.dmapApiKey);
        m.put("flowledger.cubic.dmap.datasets", "agg_sample=agg_sample");
        m.put("flowledger.cubic.dmap.attempts", "2");
        m.put("flowledger.cubic.dmap.backoff", "PT0.2S");
        m.put("flowledger.cubic.poll-interval", "PT1S");
        m.put("flowledger.cubic.work-interval", "PT1S");
        return m;
    }

    @Override
    public void prepare(Sandbox sandbox) {
        for (String b : List.of("cubic-incoming", "cubic-springboard", "cubic-archive", "cubic-error")) {
            sandbox.s3.createBucket(b);
        }
    }

    @Override
    public boolean run(Sandbox sandbox, FlowledgerApp app, PrintStream out) throws Exception {
        var registry = app.camelContext().getRegistry();
        CubicTables tables = registry.lookupByNameAndType("cubicTables", CubicTables.class);
        for (String prefix : List.of(ODS, ODS_CT, ODS_BROKEN, KAFKA)) {
            tables.register(CubicTables.nameFor(prefix), prefix, null);
        }
        tables.register(CubicTables.nameFor(DMAP), DMAP, "day,station,entries");
        out.println("Registered tables: " + tables.all().stream().map(CubicTables.Table::name).toList());

        String incoming = app.config().get("flowledger.cubic.incoming-bucket");
        try (S3Client s3 = S3Clients.create(app.config())) {
            put(s3, incoming, ODS + "LOAD001.csv.gz", gzip("ID,NAME,UPDATED\n1,Alewife,2022-03-01\n2,Davis,2022-03-01\n"));
            put(s3, incoming, ODS_CT + "20220304-134556444.csv.gz",
                    gzip("header__change_seq,header__change_oper,ID,NAME,UPDATED\n1,U,2,Davis Sq,2022-03-04\n"));
            put(s3, incoming, ODS_BROKEN + "LOAD001.csv.gz", "this is not gzip".getBytes(StandardCharsets.UTF_8));
            put(s3, incoming, DMAP + "20220303.csv", "day,stop,exits\n2022-03-03,Alewife,9\n".getBytes(StandardCharsets.UTF_8));
            out.println("Dropped into s3://" + incoming + ": an ODS snapshot (LOAD001) and its change file, a DMAP file"
                    + " with a changed header, and an ODS file that is not gzip at all");

            // DMAP: yesterday's file from the DMAP API simulator, once.
            LocalDate yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1);
            sandbox.http.dmapFiles.put("agg_sample/" + yesterday, "day,station,entries\n" + yesterday + ",Alewife,1200\n"
                    + yesterday + ",Davis,950\n");
            // The service's DMAP fetch route, asked for yesterday now instead of at its next check.
            var template = app.camelContext().createProducerTemplate();
            out.println("DMAP fetch of " + yesterday + ": " + template.requestBody("direct:cubic-dmap-fetch-day", yesterday)
                    + "; again: " + template.requestBody("direct:cubic-dmap-fetch-day", yesterday));

            // Kafka: five records produced to the sandbox broker; the service's batcher writes them after one second.
            String topic = "sample";
            try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers",
                    sandbox.kafka.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
                for (int i = 1; i <= 5; i++) {
                    p.send(new ProducerRecord<>(topic, "tap-" + i, "{\"tap_id\":" + i + ",\"station\":\"Alewife\"}"));
                }
            }
            out.println("Kafka batcher: 5 records produced to topic " + topic + "; written to " + KAFKA + "<uuid>.json after 1 s");
        }

        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(ODS + "LOAD001.csv.gz", "archived");
        expected.put(ODS_CT + "20220304-134556444.csv.gz", "archived");
        expected.put(DMAP + DateTimeFormatter.BASIC_ISO_DATE.format(LocalDate.now(ZoneOffset.UTC).minusDays(1)) + ".csv", "archived");
        expected.put(DMAP + "20220303.csv", "errored");
        expected.put(ODS_BROKEN + "LOAD001.csv.gz", "errored");
        LoadStateMachine states = registry.lookupByNameAndType("cubicStateMachine", LoadStateMachine.class);
        long deadline = System.currentTimeMillis() + 25_000;
        Map<String, String> now = statuses(app);
        while (System.currentTimeMillis() < deadline && !(reached(now, expected) && kafkaArchived(now))) {
            Thread.sleep(500);
            now = statuses(app);
        }
        out.println("Loads (GET http://localhost:" + app.httpPort() + "/api/cubic/loads):");
        now.forEach((k, v) -> out.println("  " + pad(v) + " " + k));
        out.println("Errored loads keep their reason in s3://" + app.config().get("flowledger.cubic.error-bucket")
                + "/<key>.error.json; POST /api/cubic/loads/{id}/retry (authenticated) sends one through again.");
        out.println("Parquet output: s3://" + app.config().get("flowledger.cubic.springboard-bucket")
                + "/cubic/<source>/<table>/[snapshot=<time>/]identifier=<file>/ (instance " + states.instance() + ")");
        return reached(now, expected) && kafkaArchived(now);
    }

    private static boolean reached(Map<String, String> now, Map<String, String> expected) {
        return expected.entrySet().stream().allMatch(e -> e.getValue().equals(now.get(e.getKey())));
    }

    private static boolean kafkaArchived(Map<String, String> now) {
        return now.entrySet().stream().anyMatch(e -> e.getKey().startsWith(KAFKA) && "archived".equals(e.getValue()));
    }

    private static Map<String, String> statuses(FlowledgerApp app) throws java.sql.SQLException {
        Map<String, String> m = new LinkedHashMap<>();
        try (var c = app.db().dataSource().getConnection();
             var rs = c.createStatement().executeQuery("SELECT s3_key, status FROM cubic_loads ORDER BY id")) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getString(2));
            }
        }
        return m;
    }

    private static String pad(String s) {
        return String.format("%-20s", s);
    }

    private static void put(S3Client s3, String bucket, String key, byte[] body) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
    }

    private static byte[] gzip(String s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(s.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
