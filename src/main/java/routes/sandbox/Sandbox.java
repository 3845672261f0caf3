package routes.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The demo's embedded world: a real Kafka broker, a real S3 API server and the Roket, Druid and Slack
 * simulators, all on 127.0.0.1. {@link #config()} points flowledger at them.
 */
public final class Sandbox implements AutoCloseable {

    public final KafkaSandbox kafka;
    public final S3Sandbox s3;
    public final HttpSimulators http;
    /**
     * The demo's ledger: an H2 file in a folder of its own (fresh each run, kept afterwards), so the commands the
     * demo prints (e.g. {@code status ID}) find what it did, during the demo and after; nothing goes to ./data.
     */
    public final Path ledgerDir;

    private Sandbox(KafkaSandbox kafka, S3Sandbox s3, HttpSimulators http, Path ledgerDir) {
        this.kafka = kafka;
        this.s3 = s3;
        this.http = http;
        this.ledgerDir = ledgerDir;
    }

    public static Sandbox start() throws Exception {
        KafkaSandbox kafka = null;
        S3Sandbox s3 = null;
        try {
            kafka = KafkaSandbox.start();
            s3 = S3Sandbox.start();
            HttpSimulators http = HttpSimulators.start();
            return new Sandbox(kafka, s3, http, Files.createTempDirectory("flowledger-demo-"));
        } catch (Exception e) {
            if (s3 != null) {
                s3.close();
            }
            if (kafka != null) {
                kafka.close();
            }
            throw e;
        }
    }

    /** The configuration overlay that points flowledger at the sandbox (the user may still override it). */
    public Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        // AUTO_SERVER: a command in another terminal (status ID) may open the ledger while the demo holds it.
        c.put("flowledger.db.url", "jdbc:h2:file:" + ledgerDir.resolve("ledger").toAbsolutePath() + ";AUTO_SERVER=TRUE");
        c.put("flowledger.kafka.brokers", kafka.bootstrapServers());
        c.put("flowledger.s3.endpoint", s3.endpoint());
        c.put("flowledger.s3.access-key", S3Sandbox.ACCESS_KEY);
        c.put("flowledger.s3.secret-key", S3Sandbox.SECRET_KEY);
        c.put("flowledger.roket.api.url", http.roketUrl());
        c.put("flowledger.roket.api.token", http.roketToken);
        c.put("flowledger.druid.url", http.druidUrl());
        c.put("flowledger.slack.webhook-url", http.slackUrl());
        return c;
    }

    @Override
    public void close() throws Exception {
        http.close();
        s3.close();
        kafka.close();
    }
}
