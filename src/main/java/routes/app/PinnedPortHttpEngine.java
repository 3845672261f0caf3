package routes.app;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * Camel's Vert.x platform-http engine, told which port the business HTTP server listens on. Camel 4.17's
 * engine finds the port by looking for the single HTTP server in the registry; with the management server on
 * its own port there are two, and it falls back to 8080, so routes on any other flowledger.http.port would
 * not start. Bound as {@code platform-http-engine}, which the platform-http component looks up first.
 */
public class PinnedPortHttpEngine extends VertxPlatformHttpEngine {

    private final int port;

    public PinnedPortHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
