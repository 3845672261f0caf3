package routes.app;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where each pipeline's configuration check lives. A pipeline registers its check here when it lands,
 * so start-up refuses a bad value with one line naming the key (exit 2) before anything runs.
 */
final class PipelineChecks {

    private static final Map<Pipeline, Consumer<Config>> CHECKS = new EnumMap<>(Pipeline.class);

    private PipelineChecks() {
    }

    static void register(Pipeline pipeline, Consumer<Config> check) {
        CHECKS.put(pipeline, check);
    }

    static Consumer<Config> forPipeline(Pipeline p) {
        return CHECKS.get(p);
    }
}
