package routes.cubic;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.http.QueryParams;
import routes.common.http.StrictJson;
import routes.common.status.StatusEvent;

/** The cubic HTTP API: loads by status and table (paged), one load with its history, retry, tables. */
public class CubicApi {

    private static final Logger LOG = LoggerFactory.getLogger(CubicApi.class);

    private final DataSource ds;
    private final LoadStateMachine states;
    private final CubicMover mover;
    private final CubicTables tables;
    private final java.util.function.Consumer<StatusEvent> status;

    public CubicApi(DataSource ds, LoadStateMachine states, CubicMover mover, CubicTables tables,
                    java.util.function.Consumer<StatusEvent> status) {
        this.ds = ds;
        this.states = states;
        this.mover = mover;
        this.tables = tables;
        this.status = status;
    }

    /** GET /api/cubic/loads?status=&table=&page=&size= (newest first). */
    public Map<String, Object> loads(Exchange ex) {
        String st = ex.getMessage().getHeader("status", String.class);
        String table = ex.getMessage().getHeader("table", String.class);
        int page = QueryParams.intParam(ex, "page", 0, 0, Integer.MAX_VALUE);
        int size = QueryParams.intParam(ex, "size", 50, 1, 500);
        if (st != null && !st.isBlank()) {
            try {
                LoadStatus.of(st);
            } catch (IllegalArgumentException e) {
                return error(ex, 400, "unknown status '" + st + "'");
            }
        }
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (st != null && !st.isBlank()) {
            where.append(" AND l.status = ?");
            args.add(st.toLowerCase());
        }
        if (table != null && !table.isBlank()) {
            where.append(" AND t.name = ?");
            args.add(table);
        }
        return Sql.run(ds, c -> {
            long total;
            try (PreparedStatement ps = Sql.prepare(c, "SELECT COUNT(*) FROM cubic_loads l JOIN cubic_tables t ON t.id = l.table_id"
                    + where, args.toArray()); ResultSet rs = ps.executeQuery()) {
                rs.next();
                total = rs.getLong(1);
            }
            List<Object> pageArgs = new ArrayList<>(args);
            pageArgs.add(size);
            pageArgs.add((long) page * size);
            List<Map<String, Object>> items = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, LoadStateMachine.SELECT + where + " ORDER BY l.id DESC LIMIT ? OFFSET ?",
                    pageArgs.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    items.add(view(LoadStateMachine.read(rs)));
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("page", page);
            out.put("size", size);
            out.put("total", total);
            out.put("loads", items);
            return out;
        });
    }

    /** GET /api/cubic/loads/{id}: the load and every transition it went through. */
    public Map<String, Object> load(Exchange ex) {
        long id = idParam(ex);
        CubicLoad load = id < 0 ? null : states.find(id).orElse(null);
        if (load == null) {
            return error(ex, 404, "no load " + ex.getMessage().getHeader("id"));
        }
        Map<String, Object> out = view(load);
        out.put("transitions", history(id));
        return out;
    }

    /** POST /api/cubic/loads/{id}/retry: an errored load's object goes back to incoming and the load to ready. */
    public Map<String, Object> retry(Exchange ex) {
        long id = idParam(ex);
        CubicLoad load = id < 0 ? null : states.find(id).orElse(null);
        if (load == null) {
            return error(ex, 404, "no load " + ex.getMessage().getHeader("id"));
        }
        if (load.status() != LoadStatus.ERRORED) {
            return error(ex, 409, "load " + id + " is " + load.status().db() + "; only errored loads can be retried");
        }
        // Marked first: discovery may list the restored object before the row carries its new modified time.
        if (!states.markRetrying(id, java.time.Duration.ofMinutes(5))) {
            return error(ex, 409, "load " + id + " is already being retried; look again");
        }
        Instant back;
        try {
            back = mover.restore(load);
        } catch (RuntimeException e) {
            states.clearRetrying(id);
            throw e;
        }
        if (!states.retry(id, back, "retried through the API")) {
            return error(ex, 409, "load " + id + " changed while retrying; look again");
        }
        mover.forgetError(load);
        LOG.info("Load {} ({}) retried: back in incoming, ready", id, load.s3Key());
        status.accept(StatusEvent.recordStatus(load.correlationId(), load.s3Key(), back.toString(), CubicWorker.INGEST,
                StatusEvent.State.IN_PROGRESS, "retried by an operator: ready", null));
        return load(ex);
    }

    /**
     * GET /api/cubic/loads/{id}/error-report, first step: the S3 key of the load's {@code .error.json} in the error
     * bucket (the route reads it with aws2-s3); 404 for an unknown load.
     */
    public String errorReportKey(Exchange ex) {
        long id = idParam(ex);
        CubicLoad load = id < 0 ? null : states.find(id).orElse(null);
        if (load == null) {
            throw routes.common.http.BadRequest.notFound("no load " + ex.getMessage().getHeader("id"));
        }
        return load.s3Key() + ".error.json";
    }

    /** GET /api/cubic/tables. */
    public List<CubicTables.Table> tables() {
        return tables.all();
    }

    /** The body of POST /api/cubic/tables: read strictly (an unknown field or a wrong type is a 400). */
    public record TableRequest(String name, String prefix, String columns) {
    }

    /** POST /api/cubic/tables {"name": ..., "prefix": ..., "columns": "a,b,c" (optional)}; the name defaults from the prefix. */
    public Object registerTable(Exchange ex, String json) {
        TableRequest body = StrictJson.read(json, TableRequest.class);
        String prefix = body.prefix();
        String name = body.name();
        if (name == null && prefix != null) {
            name = CubicTables.nameFor(prefix);
        }
        try {
            CubicTables.Table t = tables.register(name, prefix, body.columns());
            ex.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 201);
            return t;
        } catch (IllegalArgumentException e) {
            return error(ex, 400, e.getMessage());
        }
    }

    private List<Map<String, Object>> history(long id) {
        return Sql.run(ds, c -> {
            List<Map<String, Object>> out = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, "SELECT from_status, to_status, at, instance, reason"
                    + " FROM cubic_load_transitions WHERE load_id = ? ORDER BY id", id); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("from", rs.getString(1));
                    m.put("to", rs.getString(2));
                    m.put("at", Sql.time(rs, "at").toString());
                    m.put("instance", rs.getString(4));
                    m.put("reason", rs.getString(5));
                    out.add(m);
                }
            }
            return out;
        });
    }

    static Map<String, Object> view(CubicLoad l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", l.id());
        m.put("table", l.tableName());
        m.put("status", l.status().db());
        m.put("s3Key", l.s3Key());
        m.put("s3Modified", l.s3Modified().toString());
        m.put("s3Size", l.s3Size());
        m.put("snapshot", l.snapshot() == null ? null : l.snapshot().toString());
        m.put("attempts", l.attempts());
        m.put("recordCount", l.recordCount());
        m.put("outputKey", l.outputKey());
        m.put("error", l.errorReason());
        return m;
    }

    private static long idParam(Exchange ex) {
        try {
            return Long.parseLong(ex.getMessage().getHeader("id", String.class));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static Map<String, Object> error(Exchange ex, int code, String msg) {
        ex.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, code);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", msg);
        return m;
    }
}
