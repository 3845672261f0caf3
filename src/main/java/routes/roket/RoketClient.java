package routes.roket;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

/**
 * Posts one batch to Roket and says what became of it, following Roket's rules (DESIGN.md): 2xx stored;
 * 400/401/403/413/422 (and any other 4xx) rejected, not retried; 408/429/5xx and connection failures retried
 * with exponential backoff that honours {@code Retry-After}; no answer within the request timeout, or a
 * connection lost after the request went out, is uncertain: Roket may or may not have stored it.
 */
public class RoketClient {

    /** What became of a batch. */
    public enum Kind { STORED, REJECTED, UNCERTAIN, FAILED }

    public record Outcome(Kind kind, Integer status, String response, int attempts) {
        /** Rejections that narrowing down can isolate (the request's content was refused). */
        public boolean isContentRejection() {
            return kind == Kind.REJECTED && status != null && status != 401 && status != 403;
        }
    }

    private final HttpClient http;
    private final RoketSettings settings;

    public RoketClient(RoketSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.requestTimeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? settings.requestTimeout() : Duration.ofSeconds(10))
                .build();
    }

    /**
     * Sends {@code body}, retrying as Roket's rules allow. {@code inFlight} bounds the requests on the wire
     * (held only while a request is out, not while backing off); {@code onRetry} is told of every retry;
     * {@code stopping} ends the retries early when the run is being stopped.
     */
    public Outcome post(String body, Semaphore inFlight, Runnable onRetry, BooleanSupplier stopping)
            throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(settings.apiUrl()))
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + settings.apiToken())
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        Duration backoff = settings.backoff();
        int attempt = 0;
        while (true) {
            attempt++;
            Integer status;
            String response;
            Optional<String> retryAfter = Optional.empty();
            inFlight.acquire();
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                status = r.statusCode();
                response = r.body();
                retryAfter = r.headers().firstValue("Retry-After");
            } catch (HttpConnectTimeoutException | ConnectException e) {
                // Never reached Roket: safe to send again.
                status = null;
                response = "cannot connect: " + e;
            } catch (HttpTimeoutException e) {
                return new Outcome(Kind.UNCERTAIN, null,
                        "no answer within " + settings.requestTimeout().toMillis() + " ms", attempt);
            } catch (IOException e) {
                return new Outcome(Kind.UNCERTAIN, null, "connection lost after the request went out: " + e, attempt);
            } finally {
                inFlight.release();
            }
            if (status != null && status >= 200 && status < 300) {
                return new Outcome(Kind.STORED, status, response, attempt);
            }
            boolean retryable = status == null || status == 408 || status == 429 || status >= 500;
            if (!retryable) {
                return new Outcome(Kind.REJECTED, status, response, attempt);
            }
            if (attempt >= settings.maxAttempts() || stopping.getAsBoolean()) {
                return new Outcome(Kind.FAILED, status, response + " (after " + attempt + " attempts)", attempt);
            }
            onRetry.run();
            Duration wait = backoff;
            Duration asked = retryAfter.map(RoketClient::parseRetryAfter).orElse(Duration.ZERO);
            if (asked.compareTo(wait) > 0) {
                wait = asked;
            }
            Thread.sleep(Math.min(wait.toMillis(), Duration.ofMinutes(10).toMillis()));
            backoff = backoff.multipliedBy(2);
            if (backoff.compareTo(settings.maxBackoff()) > 0) {
                backoff = settings.maxBackoff();
            }
        }
    }

    /** Retry-After as seconds or as an HTTP date; unreadable = no wish. */
    static Duration parseRetryAfter(String value) {
        String v = value.trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(java.time.Instant.now(),
                        ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException e2) {
                return Duration.ZERO;
            }
        }
    }
}
