package routes.testkit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.sandbox.Ports;

/**
 * Starts the real flowledger service (its real routes and configuration) for a test, on free ports and a
 * fresh H2 database unless the test says otherwise. Close it (try-with-resources) to stop it.
 */
public final class TestApp {

    private TestApp() {
    }

    /** The configuration a test service runs with: defaults, free ports, a fresh H2 DB, then {@code settings}. */
    public static Config config(Map<String, String> settings) {
        Map<String, String> overlay = new LinkedHashMap<>();
        overlay.put("flowledger.http.port", String.valueOf(Ports.free()));
        overlay.put("flowledger.management.port", String.valueOf(Ports.free()));
        overlay.put("flowledger.db.url", TestDatabase.H2.newUrl());
        overlay.putAll(settings);
        // Environment and system properties of the test JVM are ignored: tests state what they run with.
        return Config.load(null, Map.of(), new Properties(), overlay);
    }

    public static FlowledgerApp start(Map<String, String> settings) throws Exception {
        Config config = config(settings);
        FlowledgerApp.validate(config);
        return new FlowledgerApp(config).start();
    }
}
