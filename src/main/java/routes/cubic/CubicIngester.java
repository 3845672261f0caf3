package routes.cubic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest rule: reads a load (gzip or plain CSV, or newline-delimited JSON for Kafka-built files) row by row as
 * the route streams it from S3, checks its header against the table's known columns and writes Parquet to a local
 * temp file (bounded row groups, so a 1 GB load fits a 256 MB heap). The route uploads it to the springboard
 * bucket under a key derived only from the load's table, snapshot and file name, so a retried ingest overwrites.
 */
public class CubicIngester {

    private static final Logger LOG = LoggerFactory.getLogger(CubicIngester.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final DateTimeFormatter SNAPSHOT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final long RENEW_EVERY_MS = 10_000;

    /** What an ingest produced. */
    public record Result(long records, String outputKey, String columns, java.io.File file) {
    }

    /** Lets the ingest keep its claim alive on a long load; false means the claim is lost and the ingest stops. */
    @FunctionalInterface
    public interface LeaseKeeper {
        boolean renew();
    }

    private final CubicSettings settings;
    private final CubicTables tables;

    public CubicIngester(CubicSettings settings, CubicTables tables) {
        this.settings = settings;
        this.tables = tables;
    }

    /** The springboard key of a load's Parquet output. */
    public static String outputKey(CubicLoad load, boolean ods) {
        String base = load.tablePrefix();
        StringBuilder k = new StringBuilder(base);
        if (ods && load.snapshot() != null) {
            k.append("snapshot=").append(SNAPSHOT.format(load.snapshot())).append('/');
        }
        k.append("identifier=").append(load.fileName()).append("/part-00000.snappy.parquet");
        return k.toString();
    }

    /**
     * Writes a load's rows (the object's content, as the cubic-ingestion route got it from the incoming bucket) to a
     * local Parquet file; the route uploads {@link Result#file()} to the springboard bucket under
     * {@link Result#outputKey()} and the caller deletes the file afterwards. A data error rejects the load (and
     * aborts the download, so the rest of a rejected object is not read).
     */
    public Result toParquet(CubicLoad load, InputStream raw, LeaseKeeper lease) throws LoadRejected, IOException {
        Path tmp = Files.createTempFile(settings.tempDir(), "cubic-load-" + load.id() + "-", ".parquet");
        boolean done = false;
        try {
            long records;
            String columns;
            try (InputStream body = raw) {
                InputStream in = body;
                if (load.s3Key().endsWith(".gz")) {
                    try {
                        in = new GZIPInputStream(body, 64 * 1024);
                    } catch (ZipException | java.io.EOFException e) {
                        throw new LoadRejected("corrupt gzip: " + e.getMessage(), e);
                    }
                }
                try {
                    boolean json = load.s3Key().endsWith(".json") || load.s3Key().endsWith(".json.gz");
                    RowSource rows = json ? jsonRows(in, load.tableColumns()) : csvRows(in);
                    columns = String.join(",", rows.header());
                    if (!json || load.tableColumns() == null) {
                        checkHeader(load, rows.header());
                    }
                    records = write(rows, tmp, lease);
                } catch (LoadRejected | IOException | RuntimeException e) {
                    if (body instanceof software.amazon.awssdk.core.ResponseInputStream<?> s3) {
                        s3.abort(); // do not download the rest of a rejected object
                    }
                    throw e;
                }
            }
            String key = outputKey(load, load.tablePrefix().startsWith("cubic/ods_qlik/"));
            done = true;
            return new Result(records, key, columns, tmp.toFile());
        } catch (UncheckedIOException e) {
            throw classify(e.getCause());
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Data errors reject the load; anything else (S3, disk) is a failure to try again. */
    private static IOException classify(IOException e) throws LoadRejected {
        if (e instanceof ZipException || e instanceof java.io.EOFException) {
            throw new LoadRejected("corrupt gzip: " + e.getMessage(), e);
        }
        return e;
    }

    private void checkHeader(CubicLoad load, List<String> header) throws LoadRejected {
        if (header.isEmpty()) {
            throw new LoadRejected("the file has no header line");
        }
        Set<String> seen = new LinkedHashSet<>();
        for (String h : header) {
            if (!seen.add(h)) {
                throw new LoadRejected("header names column '" + h + "' twice");
            }
        }
        String known = load.tableColumns();
        if (known == null) {
            known = tables.learnColumns(load.tableId(), String.join(",", header));
        }
        List<String> expected = List.of(known.split(","));
        if (!expected.equals(header)) {
            List<String> missing = new ArrayList<>(expected);
            missing.removeAll(header);
            List<String> unexpected = new ArrayList<>(header);
            unexpected.removeAll(expected);
            StringBuilder msg = new StringBuilder("header does not match the columns of table ").append(load.tableName());
            if (!missing.isEmpty()) {
                msg.append("; missing: ").append(String.join(", ", missing));
            }
            if (!unexpected.isEmpty()) {
                msg.append("; unexpected: ").append(String.join(", ", unexpected));
            }
            if (missing.isEmpty() && unexpected.isEmpty()) {
                msg.append("; same columns in another order: ").append(String.join(", ", header));
            }
            throw new LoadRejected(msg.toString());
        }
    }

    private long write(RowSource rows, Path tmp, LeaseKeeper lease) throws LoadRejected, IOException {
        Types.MessageTypeBuilder mb = Types.buildMessage();
        for (String c : rows.header()) {
            mb.addField(Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(c));
        }
        MessageType schema = mb.named("cubic_load");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        int width = rows.header().size();
        long n = 0;
        long lastRenew = System.currentTimeMillis();
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(tmp))
                .withConf(new PlainParquetConfiguration())
                .withType(schema)
                .withCodecFactory(new SnappyCodecs())
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withRowGroupSize(settings.rowGroupBytes())
                .withPageSize(1024 * 1024)
                .withDictionaryEncoding(true)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build()) {
            Iterator<String[]> it = rows.rows();
            while (it.hasNext()) {
                String[] r = it.next();
                n++;
                if (r.length != width) {
                    throw new LoadRejected("row " + n + " has " + r.length + " fields, the header has " + width);
                }
                Group g = groups.newGroup();
                for (int i = 0; i < width; i++) {
                    if (r[i] != null) {
                        g.add(i, r[i]);
                    }
                }
                w.write(g);
                if ((n & 0x3FFF) == 0 && System.currentTimeMillis() - lastRenew > RENEW_EVERY_MS) {
                    if (!lease.renew()) {
                        throw new IOException("lost the claim on the load (lease taken over); stopping this ingest");
                    }
                    lastRenew = System.currentTimeMillis();
                }
            }
        } catch (RowError e) {
            throw new LoadRejected(e.getMessage(), e.getCause());
        }
        return n;
    }

    /** A load's rows as string arrays in header order. */
    interface RowSource {
        List<String> header();

        Iterator<String[]> rows();
    }

    /** A data error found while iterating (the iterator cannot throw checked exceptions). */
    static final class RowError extends RuntimeException {
        RowError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static RowSource csvRows(InputStream in) throws LoadRejected, IOException {
        CSVParser parser;
        List<String> header;
        Iterator<CSVRecord> records;
        try {
            parser = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get()
                    .parse(new InputStreamReader(in, StandardCharsets.UTF_8));
            records = parser.iterator();
            if (!records.hasNext()) {
                throw new LoadRejected("the file is empty (no header line)");
            }
            header = records.next().toList().stream().map(String::trim).toList();
        } catch (UncheckedIOException e) {
            throw classify(e.getCause());
        } catch (IllegalStateException e) {
            throw new LoadRejected("malformed CSV: " + e.getMessage(), e);
        }
        return new RowSource() {
            @Override
            public List<String> header() {
                return header;
            }

            @Override
            public Iterator<String[]> rows() {
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        try {
                            return records.hasNext();
                        } catch (UncheckedIOException e) {
                            if (e.getCause() instanceof ZipException || e.getCause() instanceof java.io.EOFException) {
                                throw new RowError("corrupt gzip: " + e.getCause().getMessage(), e);
                            }
                            throw e;
                        } catch (IllegalStateException e) {
                            throw new RowError("malformed CSV: " + e.getMessage(), e);
                        }
                    }

                    @Override
                    public String[] next() {
                        return records.next().values();
                    }
                };
            }
        };
    }

    /**
     * Newline-delimited JSON objects, values kept as text. The header is the table's known columns (a record may
     * leave fields out, in any order, but may not bring a field the table does not have), or, for a table's first
     * load, the first record's fields.
     */
    static RowSource jsonRows(InputStream in, String knownColumns) throws LoadRejected, IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 64 * 1024);
        String first = nextLine(reader);
        if (first == null) {
            throw new LoadRejected("the file is empty (no record)");
        }
        JsonNode firstNode = parse(first, 1);
        List<String> header = new ArrayList<>();
        if (knownColumns != null) {
            header.addAll(List.of(knownColumns.split(",")));
        } else {
            firstNode.fieldNames().forEachRemaining(header::add);
        }
        Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            index.put(header.get(i), i);
        }
        return new RowSource() {
            @Override
            public List<String> header() {
                return header;
            }

            @Override
            public Iterator<String[]> rows() {
                return new Iterator<>() {
                    JsonNode pending = firstNode;
                    long line = 1;

                    @Override
                    public boolean hasNext() {
                        if (pending == null) {
                            try {
                                String l = nextLine(reader);
                                if (l != null) {
                                    line++;
                                    pending = parse(l, line);
                                }
                            } catch (IOException e) {
                                if (e instanceof ZipException || e instanceof java.io.EOFException) {
                                    throw new RowError("corrupt gzip: " + e.getMessage(), e);
                                }
                                throw new UncheckedIOException(e);
                            } catch (LoadRejected e) {
                                throw new RowError(e.getMessage(), e);
                            }
                        }
                        return pending != null;
                    }

                    @Override
                    public String[] next() {
                        JsonNode n = pending;
                        pending = null;
                        String[] out = new String[header.size()];
                        var fields = n.fields();
                        while (fields.hasNext()) {
                            var f = fields.next();
                            Integer i = index.get(f.getKey());
                            if (i == null) {
                                throw new RowError("record " + line + " has field '" + f.getKey()
                                        + "' that is not a column of the table (" + String.join(", ", header) + ")", null);
                            }
                            out[i] = f.getValue().isNull() ? null
                                    : f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString();
                        }
                        return out;
                    }
                };
            }
        };
    }

    private static String nextLine(BufferedReader r) throws IOException {
        String l;
        while ((l = r.readLine()) != null) {
            if (!l.isBlank()) {
                return l;
            }
        }
        return null;
    }

    private static JsonNode parse(String line, long n) throws LoadRejected {
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || !node.isObject()) {
                throw new LoadRejected("record " + n + " is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new LoadRejected("record " + n + " is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
