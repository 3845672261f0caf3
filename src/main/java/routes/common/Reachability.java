package routes.common;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Whether something listens where a store or broker should be, asked with one TCP connect before a run relies on
 * it. Client libraries retry a refused connection for up to a minute and log every attempt; a person needs one line
 * naming what is down, at once (issue 18: "an unreachable store or broker fails the run in at most 10 s").
 */
public final class Reachability {

    /** Long enough for a far data centre's handshake, short enough that a silent host fails well within 10 s. */
    public static final Duration TIMEOUT = Duration.ofSeconds(3);

    private Reachability() {
    }

    /** A store or broker that did not answer; its message is the one line a person reads. */
    public static class Unreachable extends RuntimeException {
        public Unreachable(String message) {
            super(message);
        }
    }

    /** Throws when nothing answers at the URI's host and port ({@code what} names it: "Azure Blob", "S3"). */
    public static void require(String what, URI uri) {
        String why = problem(uri);
        if (why != null) {
            throw new Unreachable(what + " at " + uri.getScheme() + "://" + uri.getHost() + ":" + port(uri)
                    + " is unreachable: " + why);
        }
    }

    /** Null when the URI's host and port (the scheme's default when none is given) answer, otherwise why not. */
    public static String problem(URI uri) {
        return problem(uri.getHost(), port(uri));
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /**
     * Throws unless at least one of the comma-separated {@code host:port} servers answers (Kafka bootstrap servers).
     * They are asked at once, so three silent brokers cost one {@link #TIMEOUT}, not three.
     */
    public static void requireAny(String what, String servers) {
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (String s : servers.split(",")) {
            String hostPort = s.strip();
            answers.add(CompletableFuture.supplyAsync(() -> problem(hostPort)));
        }
        List<String> whys = new ArrayList<>();
        for (CompletableFuture<String> a : answers) {
            String why = a.join();
            if (why == null) {
                return;
            }
            if (!whys.contains(why)) {
                whys.add(why);
            }
        }
        throw new Unreachable(what + " at " + servers + " is unreachable: " + String.join(", ", whys));
    }

    private static String problem(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try {
            return colon < 0 ? "no port in " + hostPort : problem(hostPort.substring(0, colon).replace("[", "")
                    .replace("]", ""), Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            return "bad port in " + hostPort;
        }
    }

    /** Null when a TCP connection to host:port opens within {@link #TIMEOUT}, otherwise why not in a few words. */
    public static String problem(String host, int port) {
        if (host == null || host.isBlank()) {
            return "no host";
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) TIMEOUT.toMillis());
            return null;
        } catch (UnknownHostException e) {
            return "unknown host " + host;
        } catch (SocketTimeoutException e) {
            return "no answer within " + TIMEOUT.toSeconds() + " s";
        } catch (ConnectException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
            return m.contains("refused") ? "connection refused" : Messages.oneLine(e);
        } catch (IOException | IllegalArgumentException e) {
            return Messages.oneLine(e);
        }
    }
}
