package routes.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import routes.app.Config;

/** Log lines carry the dataflow's correlationId and never a configured secret, in both formats. */
class LoggingTest {

    private static LoggingEvent event(String message, Map<String, String> mdc, Throwable t) {
        LoggerContext ctx = new LoggerContext();
        LoggingEvent e = new LoggingEvent("x", ctx.getLogger("routes.roket.Upload"), Level.INFO, message, t, null);
        e.setMDCPropertyMap(mdc);
        return e;
    }

    @Test
    void secrets_from_the_configuration_are_masked_in_readable_lines() {
        Config c = Config.load(null, Map.of("FLOWLEDGER_ROKET_API_TOKEN", "roket-token-xyz123"), new java.util.Properties(),
                Map.of("flowledger.azure.connection-string", "AccountKey=abcSECRETdef"));
        Secrets.register(c.secretValues());
        MaskingPatternLayout layout = new MaskingPatternLayout();
        layout.setContext(new LoggerContext());
        layout.setPattern("[%X{correlationId:-}] %msg");
        layout.start();

        String line = layout.doLayout(event("posting with Bearer roket-token-xyz123 to AccountKey=abcSECRETdef",
                Map.of("correlationId", "run-42"), null));

        assertThat(line).isEqualTo("[run-42] posting with Bearer **** to ****");
    }

    @Test
    void json_lines_carry_the_correlation_id_and_mask_secrets_also_in_stack_traces() throws Exception {
        Secrets.register(Set.of("pg-password-777"));
        JsonLayout layout = new JsonLayout();
        String line = layout.doLayout(event("connected", Map.of("correlationId", "run-7"),
                new IllegalStateException("login failed for pg-password-777")));

        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("correlationId").asText()).isEqualTo("run-7");
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("message").asText()).isEqualTo("connected");
        assertThat(json.get("exception").asText()).contains("login failed for ****").doesNotContain("pg-password-777");
        assertThat(line).endsWith(System.lineSeparator()).doesNotContain("pg-password-777");
    }
}
