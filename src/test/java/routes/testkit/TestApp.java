package routes.testkit;

import routes.app.StartupChecks;
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
        // Tests listen on loopback only.
        overlay.put("flowledger.http.host", "127.0.0.1");
        overlay.put("flowledger.management.host", "127.0.0.1");
        overlay.put("flowledger.db.url", TestDatabase.H2.newUrl());
        overlay.putAll(settings);
        // Environment and system properties of the test JVM are ignored: tests state what they run with.
        return Config.load(null, Map.of(), new Properties(), overlay);
    }

    /**
     * Waits (up to 60 s) until {@code GET /api/dataflows/{correlationId}} of a service with the status pipeline
     * enabled says the dataflow is finished, and returns that view.
     */
    public static com.fasterxml.jackson.databind.JsonNode awaitFinishedDataflow(FlowledgerApp app, String correlationId) {
        return awaitDataflow(app, correlationId, v -> v.path("finished").asBoolean());
    }

    /** Waits (up to 60 s) until the dataflow's view satisfies {@code until}, and returns that view. */
    public static com.fasterxml.jackson.databind.JsonNode awaitDataflow(FlowledgerApp app, String correlationId,
            java.util.function.Predicate<com.fasterxml.jackson.databind.JsonNode> until) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI url = java.net.URI.create("http://127.0.0.1:" + app.httpPort() + "/api/dataflows/" + correlationId);
        com.fasterxml.jackson.databind.JsonNode[] view = new com.fasterxml.jackson.databind.JsonNode[1];
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
                    var r = http.send(java.net.http.HttpRequest.newBuilder(url).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        return false;
                    }
                    view[0] = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
                    return until.test(view[0]);
                });
        return view[0];
    }

    /** Captures, from now on, every status event a pipeline hands to {@code direct:status-emit}. */
    public static java.util.List<routes.common.status.StatusEvent> captureStatus(FlowledgerApp app) throws Exception {
        java.util.List<routes.common.status.StatusEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.apache.camel.support.EventNotifierSupport notifier = new org.apache.camel.support.EventNotifierSupport() {
            @Override
            public void notify(org.apache.camel.spi.CamelEvent event) {
                var e = (org.apache.camel.spi.CamelEvent.ExchangeSendingEvent) event;
                if (e.getEndpoint().getEndpointUri().startsWith("direct://status-emit")
                        && e.getExchange().getMessage().getBody() instanceof routes.common.status.StatusEvent se) {
                    events.add(se);
                }
            }

            @Override
            public boolean isEnabled(org.apache.camel.spi.CamelEvent event) {
                return event instanceof org.apache.camel.spi.CamelEvent.ExchangeSendingEvent;
            }
        };
        app.camelContext().getManagementStrategy().addEventNotifier(notifier);
        notifier.start();
        return events;
    }

    public static FlowledgerApp start(Map<String, String> settings) throws Exception {
        Config config = config(settings);
        StartupChecks.validate(config);
        return new FlowledgerApp(config).start();
    }
}
