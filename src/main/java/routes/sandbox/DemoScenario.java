package routes.sandbox;

import java.io.PrintStream;
import routes.app.FlowledgerApp;

/**
 * One pipeline's part of the demo: it runs against the sandbox and the started service, prints what
 * happens and where to look, and says whether the pipeline did its job.
 */
public interface DemoScenario {

    /** The pipeline this scenario shows (its flowledger.&lt;pipeline&gt;.enabled is switched on for the demo). */
    String pipeline();

    /**
     * Settings the scenario needs on top of the sandbox's (e.g. which store to use); the user's own
     * {@code --config}, environment and {@code -D} settings still win.
     */
    default java.util.Map<String, String> config(Sandbox sandbox) {
        return java.util.Map.of();
    }

    /** Prepares the sandbox before the service starts (buckets, topics, source rows). */
    default void prepare(Sandbox sandbox) throws Exception {
    }

    /** Runs the scenario; returns true when the pipeline did what the demo promised. */
    boolean run(Sandbox sandbox, FlowledgerApp app, PrintStream out) throws Exception;
}
