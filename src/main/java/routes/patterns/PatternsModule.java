package routes.patterns;

import java.util.function.BiConsumer;
import org.apache.camel.component.http.HttpComponent;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.PipelineModule;

/**
 * The patterns pipeline: route templates (routes/templates/*.yaml) for Sesam's synchronization patterns, the
 * dataset/pipe API (routes/patterns.yaml), and the beans they call: {@code patternsDatasets} (datasets, pipes,
 * circuit breaker) and {@code patternsShare} (optimistic locking, capture-response ledger).
 */
public class PatternsModule implements PipelineModule {

    @Override
    public void validate(Config config) {
        double ratio = number(config, "flowledger.patterns.max-change-ratio");
        if (!(ratio > 0)) {
            throw config.invalid("flowledger.patterns.max-change-ratio", "must be a number above 0 (0.5 = half the dataset)");
        }
        config.getInt("flowledger.patterns.period", 1, Integer.MAX_VALUE);
        config.getInt("flowledger.patterns.batch-size", 1, 100_000);
        config.getInt("flowledger.patterns.http-timeout", 1, Integer.MAX_VALUE);
        config.getInt("flowledger.patterns.concurrency", 1, 64);
        config.getInt("flowledger.patterns.retries", 0, 100);
        config.getInt("flowledger.patterns.page-size", 1, 100_000);
    }

    @Override
    public void bind(FlowledgerApp app, BiConsumer<String, Object> registry) {
        Datasets datasets = new Datasets(app.db().dataSource(), number(app.config(), "flowledger.patterns.max-change-ratio"));
        datasets.setPageSize(app.config().getInt("flowledger.patterns.page-size", 1, 100_000));
        registry.accept("patternsDatasets", datasets);
        // The templates' HTTP client (patternsHttp:http://...): its own component, so its timeouts do not change
        // the http component other pipelines use.
        int timeout = app.config().getInt("flowledger.patterns.http-timeout", 1, Integer.MAX_VALUE);
        HttpComponent http = new HttpComponent();
        http.setConnectTimeout(timeout);
        http.setConnectionRequestTimeout(timeout);
        http.setResponseTimeout(timeout);
        http.setSoTimeout(timeout);
        registry.accept("patternsHttp", http);
        registry.accept("patternsShare", new ShareLedger(app.db().dataSource()));
    }

    private static double number(Config config, String key) {
        try {
            return Double.parseDouble(config.require(key));
        } catch (NumberFormatException e) {
            throw config.invalid(key, "must be a number");
        }
    }
}
