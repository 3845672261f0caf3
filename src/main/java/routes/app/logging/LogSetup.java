package routes.app.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.util.Set;
import org.slf4j.LoggerFactory;

/** Chooses the log format once the configuration is known, and registers secrets for masking. */
public final class LogSetup {

    private LogSetup() {
    }

    public static void configure(String format, Set<String> secrets) {
        Secrets.register(secrets);
        if (!"json".equals(format)) {
            return; // logback.xml (readable, masked) is already in force
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        URL json = LogSetup.class.getClassLoader().getResource("logback-json.xml");
        if (json == null) {
            return;
        }
        ctx.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(ctx);
        try {
            configurator.doConfigure(json);
        } catch (JoranException e) {
            System.err.println("flowledger: cannot switch logging to JSON: " + e.getMessage());
        }
    }

    /**
     * Runs {@code work} with the Kafka clients' own logging off: a check whose failure flowledger reports in one line
     * of its own would otherwise be preceded by the client's error lines and stack trace saying the same thing.
     */
    public static void withoutKafkaClientLogs(Runnable work) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            work.run();
            return;
        }
        ch.qos.logback.classic.Logger kafka = context.getLogger("org.apache.kafka");
        ch.qos.logback.classic.Level before = kafka.getLevel();
        java.util.List<ch.qos.logback.classic.Logger> children = new java.util.ArrayList<>();
        java.util.List<ch.qos.logback.classic.Level> levels = new java.util.ArrayList<>();
        for (ch.qos.logback.classic.Logger l : context.getLoggerList()) {
            if (l.getName().startsWith("org.apache.kafka.") && l.getLevel() != null) {
                children.add(l);
                levels.add(l.getLevel());
                l.setLevel(ch.qos.logback.classic.Level.OFF);
            }
        }
        kafka.setLevel(ch.qos.logback.classic.Level.OFF);
        try {
            work.run();
        } finally {
            kafka.setLevel(before);
            for (int i = 0; i < children.size(); i++) {
                children.get(i).setLevel(levels.get(i));
            }
        }
    }
}
