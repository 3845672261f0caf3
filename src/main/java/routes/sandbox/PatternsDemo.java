package routes.sandbox;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import routes.app.FlowledgerApp;
import routes.patterns.Datasets;

/**
 * The patterns demo: a collect-and-share sync built only from route templates (a YAML of templatedRoutes, as a
 * user would drop into flowledger.routes.dir): a small built-in HTTP "HR system" is rescanned into the dataset
 * {@code demo-staff} (http-rescan-source, circuit breaker and deletion tracking) and shared into the JDBC table
 * {@code patterns_demo_staff} of the metadata DB (jdbc-sink, optimistic locking). Then the source answers an empty
 * list once: the breaker holds the pipe and nothing is deleted.
 */
public class PatternsDemo implements DemoScenario {

    private volatile String staff = """
            [{"id":"s1","name":"Ada Lovelace","role":"analyst"},
             {"id":"s2","name":"Alan Turing","role":"engineer"},
             {"id":"s3","name":"Grace Hopper","role":"admiral"}]""";

    @Override
    public String pipeline() {
        return "patterns";
    }

    @Override
    public boolean run(Sandbox sandbox, FlowledgerApp app, PrintStream out) throws Exception {
        int port = Ports.free();
        HttpServer hr = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10);
        hr.createContext("/hr/staff", ex -> {
            byte[] body = staff.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        hr.start();
        try (Connection c = app.db().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS patterns_demo_staff (id VARCHAR(20) PRIMARY KEY, name VARCHAR(100), role VARCHAR(50))");
        }
        try {
            String yaml = demoYaml("http://127.0.0.1:" + port + "/hr/staff");
            out.println("Instantiating two templates from YAML only (what a user drops into flowledger.routes.dir):");
            yaml.lines().forEach(l -> out.println("    " + l));
            PluginHelper.getRoutesLoader(app.camelContext()).loadRoutes(ResourceHelper.fromString("patterns-demo.yaml", yaml));
            Datasets ds = app.camelContext().getRegistry().lookupByNameAndType("patternsDatasets", Datasets.class);

            ds.runPipe("demo-staff-in", app.camelContext());
            ds.runPipe("demo-staff-out", app.camelContext());
            List<String> rows = rows(app);
            out.println("1. rescan + share: table patterns_demo_staff holds " + rows);
            boolean ok = rows.size() == 3;

            staff = """
                    [{"id":"s1","name":"Ada Lovelace","role":"lead analyst"},
                     {"id":"s2","name":"Alan Turing","role":"engineer"}]""";
            ds.runPipe("demo-staff-in", app.camelContext());
            ds.runPipe("demo-staff-out", app.camelContext());
            rows = rows(app);
            out.println("2. s1 changed, s3 left the source: the rescan marks s3 deleted; the table now holds " + rows);
            ok &= rows.size() == 2 && rows.get(0).contains("lead analyst");

            staff = "[]";
            ds.runPipe("demo-staff-in", app.camelContext());
            ds.runPipe("demo-staff-out", app.camelContext());
            Map<String, Object> pipe = ds.pipe("demo-staff-in");
            rows = rows(app);
            out.println("3. the source answers [] once: pipe " + pipe.get("state") + " (" + pipe.get("halted_reason")
                    + "); the table still holds " + rows);
            ok &= "halted".equals(pipe.get("state")) && rows.size() == 2;
            out.println("   An operator decides: POST /api/patterns/pipes/demo-staff-in/circuit-breaker/rollback (or /commit)");
            out.println("   Look: GET http://localhost:" + app.httpPort() + "/api/patterns/datasets/demo-staff and /api/patterns/pipes");
            Map<String, Object> rolled = ds.rollback("demo-staff-in");
            out.println("   (the demo rolls back: " + rolled.get("outcome") + ", " + rolled.get("entities") + " staged changes dropped)");
            return ok;
        } finally {
            hr.stop(0);
        }
    }

    static String demoYaml(String sourceUrl) {
        return """
                - templatedRoute:
                    routeTemplateRef: http-rescan-source
                    routeId: demo-staff-in
                    parameters:
                      - {name: pipe, value: demo-staff-in}
                      - {name: dataset, value: demo-staff}
                      - {name: url, value: "%s"}
                      - {name: maxChangeRatio, value: "0.7"}
                      - {name: period, value: "3600000"}
                      - {name: delay, value: "3600000"}
                - templatedRoute:
                    routeTemplateRef: jdbc-sink
                    routeId: demo-staff-out
                    parameters:
                      - {name: pipe, value: demo-staff-out}
                      - {name: source, value: demo-staff}
                      - {name: selectSql, value: "SELECT id, name, role FROM patterns_demo_staff WHERE id = :#id"}
                      - {name: insertSql, value: "INSERT INTO patterns_demo_staff (id, name, role) VALUES (:#id, :#name, :#role)"}
                      - {name: updateSql, value: "UPDATE patterns_demo_staff SET name = :#name, role = :#role WHERE id = :#id"}
                      - {name: deleteSql, value: "DELETE FROM patterns_demo_staff WHERE id = :#id"}
                      - {name: period, value: "3600000"}
                      - {name: delay, value: "3600000"}
                """.formatted(sourceUrl);
    }

    private static List<String> rows(FlowledgerApp app) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = app.db().dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, name, role FROM patterns_demo_staff ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getString(1) + " " + rs.getString(2) + " (" + rs.getString(3) + ")");
            }
        }
        return out;
    }
}
