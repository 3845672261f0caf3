package routes.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import routes.sandbox.Ports;

/**
 * Azurite, Microsoft's Azure Storage emulator (blob service), in a child Node process on 127.0.0.1, once
 * per test run: {@code @ExtendWith(AzuriteServer.class)}. Needs {@code npm ci} in the project directory
 * ({@code .ci/run} does it); fails with a clear message when Node or the package is missing.
 */
public class AzuriteServer implements BeforeAllCallback {

    /** Azurite's well-known development account. */
    public static final String ACCOUNT = "devstoreaccount1";
    public static final String KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static volatile Azurite azurite;

    @Override
    public void beforeAll(ExtensionContext context) {
        azurite = SharedServer.get(context, AzuriteServer.class, Azurite::start);
    }

    public static int port() {
        return SharedServer.require(azurite, "AzuriteServer").port;
    }

    public static String blobEndpoint() {
        return "http://127.0.0.1:" + port() + "/" + ACCOUNT;
    }

    /** The connection string flowledger.azure.connection-string takes. */
    public static String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY
                + ";BlobEndpoint=" + blobEndpoint() + ";";
    }

    /**
     * An Azurite of its own on {@code port} (a store that was unreachable and comes up), closed by the caller. Its
     * account and key are those of {@link #connectionString()}.
     */
    public static AutoCloseable startOn(int port) throws Exception {
        return Azurite.start(port);
    }

    static final class Azurite implements AutoCloseable {
        final Process process;
        final int port;

        private Azurite(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static Azurite start() throws Exception {
            return start(Ports.free());
        }

        static Azurite start(int port) throws Exception {
            Path main = Path.of("node_modules/azurite/dist/src/blob/main.js").toAbsolutePath();
            if (!Files.exists(main)) {
                throw new IllegalStateException("Azurite is not installed: run 'npm ci' in " + Path.of("").toAbsolutePath()
                        + " (needs Node.js 20+; .ci/run does this)");
            }
            ProcessBuilder pb = new ProcessBuilder("node", main.toString(), "--blobHost", "127.0.0.1",
                    "--blobPort", String.valueOf(port), "--inMemoryPersistence", "--disableTelemetry",
                    "--skipApiVersionCheck", "--loose", "--silent")
                    .redirectErrorStream(true);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot run 'node' for Azurite: is Node.js installed and on PATH?", e);
            }
            // One reader for the child's whole life: it says when Azurite listens, then keeps the pipe drained.
            CompletableFuture<Boolean> listening = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.contains("successfully listens")) {
                            listening.complete(true);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                listening.complete(false);
            }, "azurite-output");
            reader.setDaemon(true);
            reader.start();
            boolean ok;
            try {
                ok = listening.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                ok = false;
            }
            if (!ok) {
                p.destroyForcibly();
                throw new IllegalStateException("Azurite did not start listening within 30 s");
            }
            return new Azurite(p, port);
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
