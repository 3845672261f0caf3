package routes.cubic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * What the archive and error moves need besides S3 (the aws2-s3 steps live in cubic-ingestion.yaml): the reason
 * file written beside an errored object, and, for the operations API's retry, the way back from the error bucket
 * through the routes {@code direct:cubic-restore} and {@code direct:cubic-forget-error}.
 */
public class CubicMover {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CubicSettings settings;
    private final Supplier<CamelContext> camel;
    private volatile ProducerTemplate template;

    public CubicMover(CubicSettings settings, Supplier<CamelContext> camel) {
        this.settings = settings;
        this.camel = camel;
    }

    /** {@code <key>.error.json}: the load, where its object was, why it failed, when and by whom. */
    public String errorReport(CubicLoad load, String instance) {
        ObjectNode reason = JSON.createObjectNode();
        reason.put("loadId", load.id());
        reason.put("table", load.tableName());
        reason.put("bucket", settings.incomingBucket());
        reason.put("key", load.s3Key());
        reason.put("modified", load.s3Modified().toString());
        reason.put("size", load.s3Size());
        reason.put("reason", load.errorReason() == null ? "unknown" : load.errorReason());
        reason.put("erroredAt", Instant.now().toString());
        reason.put("instance", instance);
        return reason.toPrettyString();
    }

    /**
     * Moves an errored load's object back from the error bucket to incoming (for a retry) and returns its new
     * modified time there. Already back (a repeated retry): returns the incoming copy's time.
     */
    public Instant restore(CubicLoad load) {
        Exchange ex = template().request("direct:cubic-restore", e -> e.getMessage().setBody(load));
        if (ex.getException() != null) {
            throw new IllegalStateException("s3://" + settings.errorBucket() + "/" + load.s3Key()
                    + " could not be restored: " + ex.getException().getMessage(), ex.getException());
        }
        return ex.getMessage().getBody(Instant.class);
    }

    /** Removes the error bucket's copy and reason file once a retried load is back in incoming. */
    public void forgetError(CubicLoad load) {
        Exchange ex = template().request("direct:cubic-forget-error", e -> e.getMessage().setBody(load));
        if (ex.getException() != null) {
            throw new IllegalStateException(ex.getException().getMessage(), ex.getException());
        }
    }

    private ProducerTemplate template() {
        if (template == null) {
            template = camel.get().createProducerTemplate();
        }
        return template;
    }
}
