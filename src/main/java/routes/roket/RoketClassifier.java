package routes.roket;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.apache.camel.Exchange;

/**
 * What Roket's answer to one request means (DESIGN.md): 2xx stored; 401/403 the credentials are refused (the run
 * stops); any other 4xx but 408/429 refuses the content (a batch of several is split in halves and each half sent,
 * a single record is rejected); 408/429/5xx and connections that never reached Roket are retried with exponential
 * backoff that honours {@code Retry-After}, until the attempts are used up (failed); no answer within the request
 * timeout, or a connection lost after the request went out, is uncertain: Roket may or may not have stored it.
 */
public class RoketClassifier {

    /** The decision, kept on the exchange as {@link #ANSWER}. */
    public enum Answer { SEND, DELIVERED, SPLIT, REJECTED, STOP, UNCERTAIN, FAILED }

    public static final String ANSWER = "roketAnswer";
    static final String ATTEMPTS = "roketAttempts";
    static final String STATUS = "roketStatus";
    static final String RESPONSE = "roketResponse";
    static final String WAIT_MS = "roketWaitMs";

    private final RoketSettings settings;

    public RoketClassifier(RoketSettings settings) {
        this.settings = settings;
    }

    /** Roket answered with an HTTP status. */
    public void answer(Exchange exchange) {
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String response = exchange.getMessage().getBody(String.class);
        String retryAfter = exchange.getMessage().getHeader("Retry-After", String.class);
        RoketBatch batch = exchange.getProperty(RoketDelivery.BATCH, RoketBatch.class);
        exchange.setProperty(STATUS, status);
        exchange.setProperty(RESPONSE, response);
        Answer a = classify(status, batch.size());
        if (a == Answer.SEND) {
            retry(exchange, response, retryAfter == null ? Duration.ZERO : parseRetryAfter(retryAfter));
        } else {
            exchange.setProperty(ANSWER, a);
        }
    }

    /** The request failed without an HTTP answer. */
    public void failure(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        exchange.removeProperty(STATUS);
        if (neverReachedRoket(e)) {
            retry(exchange, "cannot connect: " + e, Duration.ZERO);
        } else if (isTimeout(e)) {
            exchange.setProperty(RESPONSE, "no answer within " + settings.requestTimeout().toMillis() + " ms");
            exchange.setProperty(ANSWER, Answer.UNCERTAIN);
        } else {
            exchange.setProperty(RESPONSE, "connection lost after the request went out: " + e);
            exchange.setProperty(ANSWER, Answer.UNCERTAIN);
        }
    }

    /** The rule table for an HTTP status (SEND = retry). */
    static Answer classify(int status, int batchSize) {
        if (status >= 200 && status < 300) {
            return Answer.DELIVERED;
        }
        if (status == 401 || status == 403) {
            return Answer.STOP;
        }
        if (status == 408 || status == 429 || status >= 500 || status < 200) {
            return Answer.SEND;
        }
        return batchSize > 1 ? Answer.SPLIT : Answer.REJECTED;
    }

    private void retry(Exchange exchange, String response, Duration asked) {
        int attempts = exchange.getProperty(ATTEMPTS, 0, Integer.class);
        RoketRun run = exchange.getProperty(RoketGuard.RUN, RoketRun.class);
        exchange.setProperty(RESPONSE, response);
        if (attempts >= settings.maxAttempts() || run.isStopping()) {
            exchange.setProperty(RESPONSE, response + " (after " + attempts + " attempts)");
            exchange.setProperty(ANSWER, Answer.FAILED);
            return;
        }
        run.retries.increment();
        long backoff = settings.backoff().toMillis() << Math.min(20, attempts - 1);
        backoff = Math.min(backoff, settings.maxBackoff().toMillis());
        exchange.setProperty(WAIT_MS, Math.min(Math.max(backoff, asked.toMillis()), Duration.ofMinutes(10).toMillis()));
        exchange.setProperty(ANSWER, Answer.SEND);
    }

    static boolean neverReachedRoket(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t.getClass().getName().endsWith("ConnectTimeoutException")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.io.InterruptedIOException) {
                return true;
            }
        }
        return !(e instanceof IOException);
    }

    /** Retry-After as seconds or as an HTTP date; unreadable = no wish. */
    static Duration parseRetryAfter(String value) {
        String v = value.trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(Instant.now(),
                        ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException e2) {
                return Duration.ZERO;
            }
        }
    }
}
