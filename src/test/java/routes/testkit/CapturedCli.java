package routes.testkit;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import routes.app.FlowledgerCli;

/**
 * The flowledger command line run in-process as a user types it: each test's stdout and stderr captured, its
 * settings given as {@code -D} properties for the test only. Register it per test:
 * {@code @RegisterExtension final CapturedCli cli = new CapturedCli();}
 */
public final class CapturedCli implements BeforeEachCallback, AfterEachCallback {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Set<String> properties = new HashSet<>();
    private PrintStream console;
    private PrintStream consoleErr;

    @Override
    public void beforeEach(ExtensionContext context) {
        console = System.out;
        consoleErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        System.setOut(console);
        System.setErr(consoleErr);
        properties.forEach(System::clearProperty);
        properties.clear();
    }

    /** Runs {@code flowledger ARGS} with {@code settings} as system properties; returns the exit code. */
    public int run(Map<String, String> settings, String... args) {
        settings.forEach((k, v) -> {
            properties.add(k);
            System.setProperty(k, v);
        });
        return FlowledgerCli.execute(args);
    }

    /** What the commands printed on stdout so far (reset it to read the next command alone). */
    public ByteArrayOutputStream out() {
        return out;
    }

    public ByteArrayOutputStream err() {
        return err;
    }

    /** The real stdout, to show something in the test report. */
    public PrintStream console() {
        return console;
    }
}
