package routes.patterns;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;

/**
 * The pipeline's Micrometer counters (Prometheus: {@code flowledger_patterns_..._total}), in the registry Camel
 * serves on /observe/metrics; nothing is counted when metrics are off.
 */
final class PatternsMetrics {

    private PatternsMetrics() {
    }

    /** Adds {@code amount} to counter {@code flowledger.patterns.<name>} tagged with the pipe and the given tag pairs. */
    static void count(CamelContext context, String name, String pipe, long amount, String... tags) {
        if (amount <= 0) {
            return;
        }
        MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        if (registry == null) {
            return;
        }
        String[] all = new String[tags.length + 2];
        all[0] = "pipe";
        all[1] = pipe;
        System.arraycopy(tags, 0, all, 2, tags.length);
        registry.counter("flowledger.patterns." + name, all).increment(amount);
    }
}
