package routes.cubic;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import routes.app.Config;
import routes.app.FlowledgerCli;
import routes.common.MetadataDb;

/** {@code cubic-tables [--add name=prefix ...]}: registers Cubic tables in the ledger and lists them. */
@Command(name = "cubic-tables", mixinStandardHelpOptions = true,
        header = "Registers and lists the Cubic tables whose prefixes are ingested.",
        description = {"Registers Cubic tables (name=prefix, e.g. cubic__ods_qlik__edw_sample=cubic/ods_qlik/EDW.SAMPLE/)",
            "in the metadata DB and lists every registered table. A prefix alone gets the ADR's name."})
public class CubicTablesCommand implements Callable<Integer> {

    @ParentCommand
    FlowledgerCli parent;

    @Option(names = "--add", description = "name=prefix (or just prefix) to register; repeatable")
    List<String> add = List.of();

    @Override
    public Integer call() {
        Config config = parent.loadConfig(java.util.Map.of());
        try (MetadataDb db = MetadataDb.open(config, 2)) {
            CubicTables tables = new CubicTables(db.dataSource());
            for (String a : add) {
                int eq = a.indexOf('=');
                String prefix = eq < 0 ? a.trim() : a.substring(eq + 1).trim();
                String name = eq < 0 ? CubicTables.nameFor(prefix) : a.substring(0, eq).trim();
                try {
                    tables.register(name, prefix, null);
                } catch (IllegalArgumentException e) {
                    System.err.println("flowledger cubic-tables: " + e.getMessage());
                    return FlowledgerCli.USAGE;
                }
            }
            for (CubicTables.Table t : tables.all()) {
                System.out.println(t.name() + "=" + t.prefix() + (t.columns() == null ? "" : "  columns: " + t.columns()));
            }
            return FlowledgerCli.OK;
        }
    }
}
