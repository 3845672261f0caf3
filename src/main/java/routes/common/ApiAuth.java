package routes.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Guards the control endpoints of the HTTP API (anything that starts, retries, releases or resets work):
 * HTTP basic authentication against {@code flowledger.api.user} / {@code flowledger.api.password}. With no
 * password configured every control call is refused (403), so a fresh install is never open.
 * In YAML: {@code - process: {ref: apiAuth}} as the first step; a refused call stops the route there.
 */
public class ApiAuth implements Processor {

    private final String user;
    private final byte[] password;

    public ApiAuth(String user, String password) {
        this.user = user == null ? "" : user;
        this.password = password == null ? new byte[0] : password.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void process(Exchange exchange) {
        if (password.length == 0) {
            refuse(exchange, 403, "control endpoints are disabled: set flowledger.api.password");
            return;
        }
        String header = exchange.getMessage().getHeader("Authorization", String.class);
        // The credentials are checked here and must not travel further (logs, downstream HTTP calls).
        exchange.getMessage().removeHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            refuse(exchange, 401, "authentication required");
            return;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            refuse(exchange, 401, "malformed credentials");
            return;
        }
        int colon = decoded.indexOf(':');
        boolean ok = colon > 0
                && MessageDigest.isEqual(decoded.substring(0, colon).getBytes(StandardCharsets.UTF_8),
                        user.getBytes(StandardCharsets.UTF_8))
                && MessageDigest.isEqual(decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8), password);
        if (!ok) {
            refuse(exchange, 401, "wrong user or password");
        }
    }

    private static void refuse(Exchange exchange, int status, String reason) {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (status == 401) {
            exchange.getMessage().setHeader("WWW-Authenticate", "Basic realm=\"flowledger\"");
        }
        exchange.getMessage().setBody("{\"error\":\"" + reason + "\"}");
        exchange.setRouteStop(true);
    }
}
