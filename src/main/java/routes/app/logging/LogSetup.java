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
}
