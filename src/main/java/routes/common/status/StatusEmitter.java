package routes.common.status;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.ProducerTemplate;

/**
 * The one way Java code emits status: hands the event to the {@code status-emit} route (the same route
 * YAML steps reach with {@code wireTap: direct:status-emit}), which delivers it with the configured
 * transport. Bound in the registry as {@code statusEmitter}.
 */
public class StatusEmitter implements CamelContextAware {

    public static final String ENDPOINT = "direct:status-emit";

    private CamelContext camelContext;
    private volatile ProducerTemplate template;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    public void emit(StatusEvent event) {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = camelContext.createProducerTemplate();
                }
                t = template;
            }
        }
        t.sendBody(ENDPOINT, event);
    }
}
