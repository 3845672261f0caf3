package routes.testkit;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;

/**
 * WireMock for the third-party HTTP APIs that cannot run here (Roket, Druid, Slack, DMAP), bound to
 * 127.0.0.1 on a free port. Use as {@code @RegisterExtension static WireMockExtension roket = WireMockServers.create();}
 * (stubs and the request journal are reset before each test).
 */
public final class WireMockServers {

    private WireMockServers() {
    }

    public static WireMockExtension create() {
        return WireMockExtension.newInstance()
                .options(options().bindAddress("127.0.0.1").dynamicPort().asynchronousResponseEnabled(true))
                .build();
    }

    /** The server's base URL on the loopback address it is bound to (its own baseUrl() says "localhost"). */
    public static String url(WireMockExtension server) {
        return "http://127.0.0.1:" + server.getPort();
    }
}
