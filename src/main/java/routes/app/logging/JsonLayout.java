package routes.app.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON object a line (flowledger.log.format=json): timestamp, level, logger, thread, message, the MDC
 * (correlationId, routeId, ...) and the stack trace, with configured secrets masked.
 */
public class JsonLayout extends LayoutBase<ILoggingEvent> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String doLayout(ILoggingEvent event) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString());
        line.put("level", event.getLevel().toString());
        line.put("logger", event.getLoggerName());
        line.put("thread", event.getThreadName());
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null && mdc.containsKey("correlationId")) {
            line.put("correlationId", mdc.get("correlationId"));
        }
        line.put("message", Secrets.mask(event.getFormattedMessage()));
        if (mdc != null && !mdc.isEmpty()) {
            line.put("mdc", mdc);
        }
        IThrowableProxy tp = event.getThrowableProxy();
        if (tp != null) {
            line.put("exception", Secrets.mask(ThrowableProxyUtil.asString(tp)));
        }
        try {
            return JSON.writeValueAsString(line) + CoreConstants.LINE_SEPARATOR;
        } catch (JsonProcessingException e) {
            return "{\"level\":\"ERROR\",\"message\":\"log line could not be written as JSON\"}"
                    + CoreConstants.LINE_SEPARATOR;
        }
    }
}
