package routes.roket;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP client of the route's Roket endpoint ({@code httpClientConfigurer=#roketHttp}): explicit connect and
 * response timeouts (the response timeout is {@code flowledger.roket.request-timeout}: no answer by then = uncertain)
 * and the client's own automatic retries off, because a POST retried behind the ledger's back is a silent duplicate.
 */
public class RoketHttp implements HttpClientConfigurer {

    private final PoolingHttpClientConnectionManager connections;
    private final RequestConfig requests;

    public RoketHttp(RoketSettings s) {
        long connect = Math.min(s.requestTimeout().toMillis(), 10_000);
        this.connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(Math.max(20, s.concurrency() * 2))
                .setMaxConnPerRoute(Math.max(20, s.concurrency() * 2))
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofMilliseconds(connect))
                        .setSocketTimeout(Timeout.ofMilliseconds(s.requestTimeout().toMillis()))
                        .build())
                .build();
        this.requests = RequestConfig.custom()
                .setResponseTimeout(Timeout.ofMilliseconds(s.requestTimeout().toMillis()))
                .setConnectionRequestTimeout(Timeout.ofMinutes(10))
                .build();
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableAutomaticRetries()
                .setConnectionManager(connections)
                .setDefaultRequestConfig(requests);
    }

    /** The same pool, also given to the endpoint ({@code clientConnectionManager=#roketHttpConnections}). */
    public PoolingHttpClientConnectionManager connections() {
        return connections;
    }
}
