package routes.common.lineage;

import java.net.URI;
import java.util.function.Function;
import routes.common.InvalidSetting;

/**
 * The {@code flowledger.lineage.*} keys, checked at start: a bad value stops the start naming the key (exit 2), it is
 * not found out later as events that never arrive.
 *
 * @param url        the OpenLineage backend's base URL (Marquez: {@code http://marquez:5000}); events are POSTed to
 *                   {@code {url}/api/v1/lineage}. Empty = lineage off.
 * @param namespace  the job namespace of every run (OpenLineage: a job namespace names the scheduler instance)
 * @param apiKey     sent as {@code Authorization: Bearer <apiKey>} when not empty (a secret: never logged)
 * @param timeoutMs  connect and response timeout of one POST; also how long a job's exit may wait for the backend
 * @param queueSize  events waiting to be sent; beyond it an event is dropped (counted), never waited for
 */
public record LineageSettings(String url, String namespace, String apiKey, int timeoutMs, int queueSize) {

    /** Lineage off: what a test or a tool without configuration gets. */
    public static final LineageSettings OFF = new LineageSettings("", "flowledger", "", 5000, 1000);

    /**
     * The settings from {@code config} (key to value, empty when unset). A bad value is an {@link InvalidSetting}
     * naming the key, which the application turns into its one-line configuration error.
     */
    public static LineageSettings from(Function<String, String> config) {
        String url = config.apply("flowledger.lineage.url").trim();
        if (!url.isEmpty()) {
            URI u;
            try {
                u = URI.create(url);
            } catch (IllegalArgumentException e) {
                u = null;
            }
            if (u == null || u.getScheme() == null || u.getHost() == null) {
                throw new InvalidSetting("flowledger.lineage.url", "must be an absolute URL such as http://host:port/path");
            }
            String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new InvalidSetting("flowledger.lineage.url", "must be an http:// or https:// URL (the OpenLineage backend)");
            }
            if (u.getRawQuery() != null) {
                throw new InvalidSetting("flowledger.lineage.url", "must not have a query string (events go to {url}/api/v1/lineage)");
            }
            url = url.replaceAll("/+$", "");
        }
        String namespace = config.apply("flowledger.lineage.namespace").trim();
        if (!namespace.matches("[A-Za-z0-9][A-Za-z0-9._:/-]*")) {
            throw new InvalidSetting("flowledger.lineage.namespace",
                    "must be a job namespace: letters, digits and . _ : / - (e.g. flowledger-prod)");
        }
        int timeout = intIn(config, "flowledger.lineage.timeout", 100, 120_000);
        int queue = intIn(config, "flowledger.lineage.queue-size", 1, 1_000_000);
        return new LineageSettings(url, namespace, config.apply("flowledger.lineage.api-key"), timeout, queue);
    }

    private static int intIn(Function<String, String> config, String key, int min, int max) {
        try {
            int v = Integer.parseInt(config.apply(key).trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below, with the range
        }
        throw new InvalidSetting(key, "must be a whole number between " + min + " and " + max);
    }

    public boolean enabled() {
        return !url.isEmpty();
    }

    @Override
    public String toString() {
        // The API key is a secret: a record's default toString would print it.
        return "LineageSettings[url=" + url + ", namespace=" + namespace + ", apiKey=" + (apiKey.isEmpty() ? "" : "***")
                + ", timeoutMs=" + timeoutMs + ", queueSize=" + queueSize + "]";
    }
}
