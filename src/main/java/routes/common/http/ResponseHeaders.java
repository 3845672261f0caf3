package routes.common.http;

import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * Which exchange headers an HTTP API answer carries: only those an answer needs (content type, Location,
 * WWW-Authenticate, Retry-After, caching). Without it platform-http echoes every header of the exchange, and so
 * every query parameter of the request (a {@code %00} in a parameter made an invalid header and a 500; a
 * credential sent as a parameter would come back). Requests are filtered as before. Bound as
 * {@code apiResponseHeaders}, the platform-http component's header filter.
 */
public class ResponseHeaders extends HttpHeaderFilterStrategy {

    private static final Set<String> ANSWERED = Set.of("content-type", "location", "www-authenticate", "retry-after",
            "cache-control", "content-disposition", "etag", "last-modified");

    @Override
    public boolean applyFilterToCamelHeaders(String name, Object value, Exchange exchange) {
        return super.applyFilterToCamelHeaders(name, value, exchange) || !ANSWERED.contains(name.toLowerCase(Locale.ROOT));
    }
}
