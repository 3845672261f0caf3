package routes.app;

import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import routes.common.JdbcDrivers;
import routes.common.MetadataDb;

/**
 * {@code flowledger migrate}: brings the metadata DB's schema up to this build's version with the role given as
 * {@code flowledger.db.user}/{@code .password} (the owner role: the service and the jobs then run with a role that
 * may only read and write the ledger tables, {@code flowledger.db.migrate=off}).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        header = "Brings the metadata DB schema up to this build's version (run it with the owner role).",
        description = {"Applies this build's Flyway migrations to flowledger.db.url as flowledger.db.user (give it",
            "the owner role's credentials), prints one line and exits 0; 1 when it failed, 2 for bad configuration.",
            "Safe to run again: a current schema is left as it is."})
public class MigrateCommand implements Callable<Integer> {

    @ParentCommand
    FlowledgerCli parent;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Config config = parent.loadConfig(Map.of());
        String url = config.require("flowledger.db.url");
        String shown = MetadataDb.redactUrl(url);
        try {
            JdbcDrivers.load(config.get("flowledger.drivers.dir"));
            String summary = MetadataDb.migrate(url, config.get("flowledger.db.user"), config.get("flowledger.db.password"));
            out.println("flowledger migrate: metadata DB " + shown + " " + summary);
            out.flush();
            return FlowledgerCli.OK;
        } catch (Exception e) {
            if (e instanceof routes.common.SchemaException) {
                err.println("flowledger migrate: metadata DB " + shown + " not migrated: " + e.getMessage());
                err.flush();
                return FlowledgerCli.FAILED;
            }
            String reason = reason(e);
            String hint = routes.common.LedgerSchema.lacksPrivilege(e)
                    ? ": the role '" + config.get("flowledger.db.user") + "' may not change the schema; give"
                    + " flowledger.db.user/.password the owner role's credentials"
                    : "";
            err.println("flowledger migrate: metadata DB " + shown + " not migrated: " + reason + hint);
            err.flush();
            return FlowledgerCli.FAILED;
        }
    }

    /** One line: the first line of the outermost message, and the database's own message when there is one. */
    static String reason(Throwable e) {
        String first = firstLine(e.getMessage());
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getMessage() != null) {
                String db = firstLine(s.getMessage());
                return first.contains(db) ? first : first + " (" + db + ")";
            }
        }
        return first;
    }

    private static String firstLine(String s) {
        if (s == null || s.isBlank()) {
            return "unknown error";
        }
        String line = s.strip().lines().findFirst().orElse("").strip();
        return MetadataDb.redactUrl(line);
    }
}
