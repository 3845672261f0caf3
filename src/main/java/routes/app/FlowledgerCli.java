package routes.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import routes.app.logging.LogSetup;
import routes.sandbox.DemoCommand;

/**
 * The flowledger command line. No command runs the service; each one-off job is a subcommand that
 * starts, does one run, prints a summary and exits 0 (all done), 1 (failed, held or uncertain) or
 * 2 (bad usage or configuration).
 */
@Command(name = "flowledger",
        mixinStandardHelpOptions = true,
        versionProvider = FlowledgerCli.Version.class,
        description = {
            "Runs data flows with a ledger: every record, batch, file and replay day is written down,",
            "so a failed run resumes without sending anything twice.",
            "",
            "Without a command: runs the service (enabled pipelines, schedules, HTTP API)."},
        subcommands = {DemoCommand.class, MigrateCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 job failed, 2 bad usage or configuration.",
            "Configuration: application.properties < --config FILE < environment (FLOWLEDGER_...) < -Dkey=value"})
public class FlowledgerCli implements Callable<Integer> {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A properties file overriding application.properties (environment and -D override it).")
    Path configFile;

    public static void main(String[] args) {
        // An H2 ledger URL with AUTO_SERVER=TRUE (the default one) opens a TCP server so that a second command can
        // read the ledger while the service holds it; it answers on loopback only unless the user says otherwise.
        // Set before any H2 class reads it.
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new FlowledgerCli());
        // Each pipeline brings its own one-off job commands (upload, replay, status, ...).
        for (Pipeline p : Pipeline.values()) {
            for (Object command : p.module().commands()) {
                cl.addSubcommand(command);
            }
        }
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ConfigException ce) {
                cmd.getErr().println("flowledger: configuration error: " + ce.getMessage());
                return USAGE;
            }
            if (ex instanceof routes.common.SchemaException se) {
                // The schema does not fit this build and this role may not fix it: one line, no stack trace.
                cmd.getErr().println("flowledger: " + se.getMessage());
                return USAGE;
            }
            if (ex instanceof org.apache.camel.PropertyBindingException pbe) {
                cmd.getErr().println("flowledger: configuration error: " + pbe.getPropertyName()
                        + ": cannot be applied (" + pbe.getMessage() + ")");
                return USAGE;
            }
            cmd.getErr().println("flowledger: " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            return FAILED;
        });
        return cl.execute(args);
    }

    /**
     * Loads and checks the configuration and switches logging to the configured format. Every command goes
     * through here so a bad value stops it before anything runs.
     */
    public Config loadConfig(java.util.Map<String, String> overlay) {
        Config config = Config.load(configFile, System.getenv(), System.getProperties(), overlay);
        LogSetup.configure(config.get("flowledger.log.format"), config.secretValues());
        StartupChecks.validate(config);
        return config;
    }

    @Override
    public Integer call() throws Exception {
        Config config = loadConfig(java.util.Map.of());
        new FlowledgerApp(config).runUntilStopped();
        return OK;
    }

    /** The version of the jar (from its manifest), or "dev" when run from classes. */
    public static class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (var in = FlowledgerCli.class.getResourceAsStream("/flowledger-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"flowledger " + p.getProperty("version", "dev"),
                "Apache Camel " + p.getProperty("camel", "?"), "Java " + System.getProperty("java.version")};
        }
    }
}
