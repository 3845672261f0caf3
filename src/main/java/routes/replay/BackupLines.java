package routes.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/** How a backup blob is read: gzip when its name ends in .gz, newline-delimited, one JSON value a line. */
final class BackupLines {

    private static final JsonFactory JSON = new JsonFactory();

    private BackupLines() {
    }

    static BufferedReader reader(ReplayStore store, String bucket, String name) throws IOException {
        InputStream in = store.open(bucket, name);
        try {
            if (name.endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16);
            }
        } catch (IOException e) {
            in.close();
            throw e;
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }

    /** Null when the line is one JSON value; otherwise why not. */
    static String jsonProblem(String line) {
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() == null) {
                return "empty";
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                return "more than one JSON value on the line";
            }
            return null;
        } catch (IOException e) {
            String m = e.getMessage();
            return "not JSON: " + (m == null ? e.getClass().getSimpleName() : routes.common.Messages.oneLine(m));
        }
    }

    static boolean tooManyBad(long good, long bad, double maxBadRatio) {
        return bad > 0 && (double) bad / (good + bad) > maxBadRatio;
    }
}
