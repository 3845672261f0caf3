package routes.app;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * What a pipeline plugs into the application, in one class of its own package (named in {@link Pipeline}), so
 * adding a pipeline never means editing another pipeline's wiring. Every method has a do-nothing default.
 */
public interface PipelineModule {

    /** Checks the pipeline's keys (called only when it is enabled); throw {@code config.invalid(key, "...")}. */
    default void validate(Config config) {
    }

    /**
     * Puts the pipeline's beans into the Camel registry before its YAML routes load (only when enabled). The
     * metadata DB is open and migrated: {@code app.db()}; the configuration: {@code app.config()}.
     */
    default void bind(FlowledgerApp app, BiConsumer<String, Object> registry) {
    }

    /** picocli subcommand objects (e.g. {@code upload}); listed whether or not the pipeline is enabled. */
    default List<Object> commands() {
        return List.of();
    }
}
