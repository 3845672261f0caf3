package routes.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusCodec;
import routes.common.status.StatusEvent;
import routes.common.status.StatusStore;

/**
 * The status processor's rule: one polled batch of the status topic into the status store in one transaction.
 * Malformed messages are returned (with the reason) for the route to send to the dead-letter topic; they
 * never stop the batch. A message without an eventId gets topic/partition/offset as its id, so a redelivered
 * batch (after a crash before the offsets were committed) is still counted once.
 */
public class StatusProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(StatusProcessor.class);

    private final StatusStore store;

    public StatusProcessor(StatusStore store) {
        this.store = store;
    }

    /** A message that cannot be stored, as it came, with the reason. */
    public record DeadLetter(String key, byte[] value, String reason, String source) {
    }

    public List<DeadLetter> process(List<?> batch) throws Exception {
        List<StatusEvent> events = new ArrayList<>(batch.size());
        List<DeadLetter> dead = new ArrayList<>();
        Instant now = Instant.now();
        for (Object o : batch) {
            Exchange x = (Exchange) o;
            String topic = x.getMessage().getHeader(KafkaConstants.TOPIC, String.class);
            Object partition = x.getMessage().getHeader(KafkaConstants.PARTITION);
            Object offset = x.getMessage().getHeader(KafkaConstants.OFFSET);
            String source = topic + "/" + partition + "/" + offset;
            byte[] value = x.getMessage().getBody(byte[].class);
            try {
                events.add(StatusCodec.fromJson(value, "kafka:" + source, now));
            } catch (StatusCodec.Malformed m) {
                dead.add(new DeadLetter(x.getMessage().getHeader(KafkaConstants.KEY, String.class), value,
                        m.getMessage(), source));
            }
        }
        StatusStore.Result r = store.persist(events);
        if (!dead.isEmpty()) {
            LOG.warn("Status processor: {} malformed message(s) to the dead-letter topic, first: {} ({})", dead.size(),
                    dead.get(0).reason(), dead.get(0).source());
        }
        LOG.debug("Status processor: {} stored, {} already stored, {} malformed", r.stored(), r.duplicates(), dead.size());
        return dead;
    }
}
