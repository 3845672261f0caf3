package routes.common.lineage;

import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.camel.component.http.HttpComponent;

/**
 * Binds lineage's beans: {@code lineage} always (pipelines describe their runs whether or not lineage is on; with
 * flowledger.lineage.url empty it does nothing), and only with a URL the beans of routes/lineage.yaml:
 * {@code lineageDelivery} and {@code lineageHttp}, a camel-http component of its own, so the lineage timeouts do not
 * change the http component other routes use.
 */
public final class LineageBeans {

    private LineageBeans() {
    }

    public static Lineage bind(Function<String, String> config, String version, BiConsumer<String, Object> registry) {
        LineageSettings settings = LineageSettings.from(config);
        Lineage lineage = new Lineage(settings, version);
        registry.accept("lineage", lineage);
        if (settings.enabled()) {
            registry.accept("lineageDelivery", new LineageDelivery());
            HttpComponent http = new HttpComponent();
            http.setConnectTimeout(settings.timeoutMs());
            http.setConnectionRequestTimeout(settings.timeoutMs());
            http.setResponseTimeout(settings.timeoutMs());
            http.setSoTimeout(settings.timeoutMs());
            registry.accept("lineageHttp", http);
        }
        return lineage;
    }
}
