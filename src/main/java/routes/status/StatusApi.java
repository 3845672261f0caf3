package routes.status;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.http.BadRequest;
import routes.common.http.QueryParams;
import routes.common.status.StatusCodec;
import routes.common.status.StatusStore;

/**
 * What the status routes call: the HTTP answers of {@code /api/dataflows...} and the {@code /dataflows} page,
 * the retention purge, and switching the topic processor on when the transport is kafka. Bound as
 * {@code statusApi}.
 */
public class StatusApi {

    private static final Logger LOG = LoggerFactory.getLogger(StatusApi.class);
    public static final String PROCESSOR_ROUTE = "status-processor";

    private final StatusQuery query;
    private final StatusStore store;
    private final String transport;
    private final int retentionDays;
    private final java.util.concurrent.atomic.AtomicBoolean processorStarted = new java.util.concurrent.atomic.AtomicBoolean();

    public StatusApi(StatusQuery query, StatusStore store, String transport, int retentionDays) {
        this.query = query;
        this.store = store;
        this.transport = transport;
        this.retentionDays = retentionDays;
    }

    public StatusQuery query() {
        return query;
    }

    /** GET /api/dataflows/{correlationId} */
    public void dataflow(Exchange exchange) throws Exception {
        Message in = exchange.getMessage();
        String id = in.getHeader("correlationId", String.class);
        answer(in, () -> {
            Map<String, Object> view = query.dataflow(id, StatusQuery.limit(QueryParams.optionalInt(exchange, "failuresLimit", 1, Integer.MAX_VALUE)));
            if (view == null) {
                in.setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
                return Map.of("error", "no status known for dataflow " + id);
            }
            return view;
        });
    }

    /** GET /api/dataflows?state=&dataSetId=&since=&until=&stage=&pipeline=&q=&limit=&cursor= */
    public void list(Exchange exchange) throws Exception {
        Message in = exchange.getMessage();
        answer(in, () -> query.list(new StatusQuery.Filter(in.getHeader("state", String.class),
                in.getHeader("dataSetId", String.class), in.getHeader("since", String.class),
                in.getHeader("until", String.class), in.getHeader("stage", String.class),
                in.getHeader("pipeline", String.class), in.getHeader("q", String.class)),
                intParam(in, "limit"), in.getHeader("cursor", String.class)));
    }

    /** GET /api/dataflows/{correlationId}/failures?stage=&limit=&cursor= */
    public void failures(Exchange exchange) throws Exception {
        Message in = exchange.getMessage();
        answer(in, () -> query.failures(in.getHeader("correlationId", String.class), in.getHeader("stage", String.class),
                intParam(in, "limit"), in.getHeader("cursor", String.class)));
    }

    /** GET /dataflows: the list page (it fetches /api/dataflows itself, every few seconds). */
    public void page(Exchange exchange) throws IOException {
        serve(exchange, "dataflows.html", "text/html; charset=utf-8");
    }

    /** GET /dataflows/{correlationId}: the page of one dataflow (it reads the id from its own address). */
    public void dataflowPage(Exchange exchange) throws IOException {
        serve(exchange, "dataflow.html", "text/html; charset=utf-8");
    }

    /** GET /console/{file}: the pages' stylesheet and script; any other name is a 404. */
    public void asset(Exchange exchange) throws IOException {
        String file = exchange.getMessage().getHeader("file", String.class);
        String type = ASSETS.get(file == null ? "" : file);
        if (type == null) {
            throw BadRequest.notFound("no such console file");
        }
        serve(exchange, file, type);
    }

    private static final Map<String, String> ASSETS = Map.of("console.css", "text/css; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8");

    private static void serve(Exchange exchange, String file, String type) throws IOException {
        try (InputStream in = StatusApi.class.getResourceAsStream("/status/" + file)) {
            exchange.getMessage().setBody(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, type);
        // The pages are small and change with the jar: always fetch them fresh.
        exchange.getMessage().setHeader("Cache-Control", "no-cache");
    }

    /** Purges raw status rows older than flowledger.status.retention-days; counters and states stay. */
    public long purge() throws Exception {
        Instant cutoff = Instant.now().minus(Duration.ofDays(retentionDays));
        long n = store.purgeBefore(cutoff, 10_000);
        if (n > 0) {
            LOG.info("Status retention: purged {} status rows received before {}", n, cutoff);
        }
        return n;
    }

    /** Starts the topic processor on instances whose transport is kafka (where the topic is the source). */
    public void startProcessorIfKafka(CamelContext camel) throws Exception {
        if (!"kafka".equals(transport)) {
            return;
        }
        // A route started while the context is still starting may never get its consumer: wait for the end.
        camel.addStartupListener(new org.apache.camel.ExtendedStartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) throws Exception {
                if (alreadyStarted) {
                    onCamelContextFullyStarted(context, true);
                }
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) throws Exception {
                if (!processorStarted.compareAndSet(false, true)) {
                    return; // listeners are called again whenever a route starts later
                }
                context.getRouteController().startRoute(PROCESSOR_ROUTE);
                LOG.info("Status processor consuming the status topic");
            }
        });
    }

    @FunctionalInterface
    private interface Answer {
        Object get() throws Exception;
    }

    private static void answer(Message in, Answer answer) throws Exception {
        Object body;
        try {
            body = answer.get();
        } catch (StatusQuery.BadRequest e) {
            in.setHeader(Exchange.HTTP_RESPONSE_CODE, 400);
            body = Map.of("error", e.getMessage());
        }
        in.setHeader(Exchange.CONTENT_TYPE, "application/json");
        in.setBody(StatusCodec.JSON.writeValueAsString(body));
    }

    private static Integer intParam(Message in, String name) {
        String v = in.getHeader(name, String.class);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new StatusQuery.BadRequest(name + " must be a whole number");
        }
    }
}
