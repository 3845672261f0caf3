package routes.replay;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The Camel endpoints one {@link ReplayStore} talks through (azure-storage-blob or aws2-s3). They are made from the
 * component with the store's own client in their configuration (the components refuse a URI without credentials,
 * and a client in the registry would be autowired into other pipelines' endpoints), started here, and stopped when
 * the store closes.
 */
final class StoreEndpoints implements AutoCloseable {

    private final ProducerTemplate template;
    private final Map<String, Endpoint> made = new LinkedHashMap<>();

    StoreEndpoints(CamelContext camel) {
        this.template = camel.createProducerTemplate();
    }

    @SuppressWarnings("unchecked")
    synchronized <E extends Endpoint> E endpoint(String uri, Supplier<E> create) {
        return (E) made.computeIfAbsent(uri, u -> {
            E endpoint = create.get();
            ServiceHelper.startService(endpoint);
            return endpoint;
        });
    }

    /** Sends to the endpoint; the exchange's exception, if any, is thrown (unwrapped). */
    Exchange call(Endpoint endpoint, Processor request) {
        Exchange answer = template.send(endpoint, request);
        Exception e = answer.getException();
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e != null) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return answer;
    }

    @Override
    public synchronized void close() {
        ServiceHelper.stopService(template);
        made.values().forEach(ServiceHelper::stopService);
        made.clear();
    }
}
