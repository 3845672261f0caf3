package routes.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one error-to-JSON mapping of the HTTP API: answers a refused request ({@link BadRequest}) with its status
 * and {@code {"error": "..."}}, drops every other header (nothing of the request is echoed back), and logs one
 * INFO line without a stack trace. Bound as {@code apiErrors}; the {@code api-errors} route configuration
 * calls it for every route.
 */
public class ApiErrors implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.api");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        int status = caught instanceof BadRequest b ? b.status() : 400;
        String reason = caught == null || caught.getMessage() == null ? "bad request" : caught.getMessage();
        String method = exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class);
        String path = exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
        LOG.info("{} {} {} refused ({}): {}", exchange.getFromRouteId(), method, abbreviate(path), status, abbreviate(reason));
        answer(exchange, status, reason);
    }

    /** Sets the answer of a refused request: status, JSON content type, {@code {"error": reason}}, no other header. */
    public static void answer(Exchange exchange, int status, String reason) throws JsonProcessingException {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setBody(JSON.writeValueAsString(Map.of("error", reason)));
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " chars)";
    }
}
