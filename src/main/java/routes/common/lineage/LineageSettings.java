package routes.common.lineage;

import java.net.URI;
import routes.app.Config;

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

    public static LineageSettings from(Config c) {
        String url = c.get("flowledger.lineage.url");
        if (!url.isEmpty()) {
            c.getUrl("flowledger.lineage.url");
            String scheme = URI.create(url).getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw c.invalid("flowledger.lineage.url", "must be an http:// or https:// URL (the OpenLineage backend)");
            }
            if (URI.create(url).getRawQuery() != null) {
                throw c.invalid("flowledger.lineage.url", "must not have a query string (events go to {url}/api/v1/lineage)");
            }
            url = url.replaceAll("/+$", "");
        }
        String namespace = c.get("flowledger.lineage.namespace");
        if (!namespace.matches("[A-Za-z0-9][A-Za-z0-9._:/-]*")) {
            throw c.invalid("flowledger.lineage.namespace",
                    "must be a job namespace: letters, digits and . _ : / - (e.g. flowledger-prod)");
        }
        int timeout = c.getInt("flowledger.lineage.timeout", 100, 120_000);
        int queue = c.getInt("flowledger.lineage.queue-size", 1, 1_000_000);
        return new LineageSettings(url, namespace, c.get("flowledger.lineage.api-key"), timeout, queue);
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
