package routes.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import org.junit.jupiter.api.Test;
import routes.sandbox.Ports;

/** The one-connect check before a run relies on a store or broker, and the one-line message helper. */
class ReachabilityTest {

    @Test
    void a_closed_port_is_named_in_one_line_at_once_and_a_listening_one_passes() throws Exception {
        int closed = Ports.free();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Reachability.require("Azure Blob", URI.create("http://127.0.0.1:" + closed + "/acct")))
                .isInstanceOf(Reachability.Unreachable.class)
                .hasMessage("Azure Blob at http://127.0.0.1:" + closed + " is unreachable: connection refused");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(Reachability.TIMEOUT.toMillis());
        try (ServerSocket open = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Reachability.require("S3", URI.create("http://127.0.0.1:" + open.getLocalPort()));
            // One broker of the list answering is enough for a Kafka client.
            Reachability.requireAny("Kafka broker", "127.0.0.1:" + closed + ",127.0.0.1:" + open.getLocalPort());
        }
        assertThatThrownBy(() -> Reachability.requireAny("Kafka broker", "127.0.0.1:" + closed))
                .hasMessage("Kafka broker at 127.0.0.1:" + closed + " is unreachable: connection refused");
    }

    @Test
    void a_multi_line_message_is_joined_whole_and_a_limit_keeps_its_head_with_a_mark() {
        String h2 = "Table \"T\" not found (this database is empty); SQL statement:\nSELECT * FROM T [42104-224]";
        assertThat(Messages.oneLine(h2))
                .isEqualTo("Table \"T\" not found (this database is empty); SQL statement: SELECT * FROM T [42104-224]");
        assertThat(Messages.oneLine(h2, 30)).hasSize(30).startsWith("Table \"T\" not found").endsWith("…");
        assertThat(Messages.oneLine(new IllegalStateException())).isEqualTo("IllegalStateException");
    }
}
