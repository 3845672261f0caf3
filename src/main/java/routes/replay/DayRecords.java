package routes.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import routes.replay.ReplayStore.BlobInfo;

/**
 * A day's backup as the stream of records the kafka endpoint sends: file after file, one line one record. Malformed
 * lines go to a local dead-letter file with their position instead. Reaching the end with more malformed lines
 * than {@code max-bad-ratio} allows throws, so the day's transaction is aborted, not committed.
 */
final class DayRecords implements Iterator<byte[]>, AutoCloseable {

    /** Told every 1,024 records: how many so far, how many malformed, which file. */
    interface Progress {
        void at(long records, long bad, int file);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ActiveRun run;
    private final List<BlobInfo> blobs;
    private final double maxBadRatio;
    private final Progress progress;
    private int file = -1;
    private BufferedReader reader;
    private int lineNo;
    private byte[] next;
    private long records;
    private long bad;
    private Path deadLetter;
    private BufferedWriter deadLetterWriter;

    /** Lines known malformed per blob (from this run's pre-flight), or null: then every line is parsed. */
    private final Map<String, java.util.BitSet> knownBad;

    DayRecords(ActiveRun run, List<BlobInfo> blobs, Map<String, java.util.BitSet> knownBad, double maxBadRatio,
               Progress progress) {
        this.run = run;
        this.knownBad = knownBad;
        this.blobs = blobs;
        this.maxBadRatio = maxBadRatio;
        this.progress = progress;
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            if (reader == null && !openNextFile()) {
                if (BackupLines.tooManyBad(records, bad, maxBadRatio)) {
                    throw new DayFailure(DayFailure.REPLAY, bad + " malformed line(s): more than "
                            + "flowledger.replay.max-bad-ratio=" + maxBadRatio, null);
                }
                return false;
            }
            String name = blobs.get(file).name();
            try {
                String line = reader.readLine();
                if (line == null) {
                    reader.close();
                    reader = null;
                    continue;
                }
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String problem = parsed(name) ? null : BackupLines.jsonProblem(line);
                if (problem != null) {
                    deadLetter(name, problem, line);
                    continue;
                }
                next = line.getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new DayFailure(DayFailure.REPLAY, "cannot read " + name + ": " + DayFailure.describe(e), e);
            }
        }
        return true;
    }

    @Override
    public byte[] next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        byte[] out = next;
        next = null;
        records++;
        if ((records & 1023) == 0) {
            progress.at(records, bad, file);
        }
        return out;
    }

    /** True when the pre-flight parsed this line of this blob and found it to be JSON: no need to parse it again. */
    private boolean parsed(String name) {
        java.util.BitSet bad = knownBad == null ? null : knownBad.get(name);
        return bad != null && !bad.get(lineNo);
    }

    private boolean openNextFile() {
        if (file + 1 >= blobs.size()) {
            return false;
        }
        file++;
        lineNo = 0;
        String name = blobs.get(file).name();
        try {
            reader = BackupLines.reader(run.store, run.bucket(), name);
        } catch (IOException | RuntimeException e) {
            throw new DayFailure(DayFailure.REPLAY, "cannot read " + name + ": " + DayFailure.describe(e), e);
        }
        return true;
    }

    private void deadLetter(String name, String problem, String line) throws IOException {
        if (deadLetterWriter == null) {
            deadLetter = Files.createTempFile("replay-dead-letter-", ".ndjson");
            deadLetterWriter = Files.newBufferedWriter(deadLetter, StandardCharsets.UTF_8);
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("file", name);
        entry.put("line", lineNo);
        entry.put("error", problem);
        entry.put("content", line);
        deadLetterWriter.write(JSON.writeValueAsString(entry));
        deadLetterWriter.newLine();
        bad++;
    }

    long records() {
        return records;
    }

    long bad() {
        return bad;
    }

    /** The local dead-letter file (closed), or null when every line was JSON. */
    Path deadLetterFile() {
        return deadLetter;
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
        }
        if (deadLetterWriter != null) {
            deadLetterWriter.close();
            deadLetterWriter = null;
        }
    }
}
