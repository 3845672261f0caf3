package routes.common.status;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the kafka status transport's broker answers, asked every {@code flowledger.status.check-interval}. The
 * Kafka client's own connection warnings (two a second, forever, while a broker is down) are muted in the logging
 * configuration; this says it instead: one line when the broker is lost, one when it is back.
 */
public final class StatusKafkaWatch extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(StatusKafkaWatch.class);
    private static final int TIMEOUT_MS = 3000;

    private final String brokers;
    private final Properties security;
    private Admin admin;
    private volatile Boolean reachable;

    /** {@code security}: the connection's settings from {@link routes.common.KafkaClients#properties()}. */
    public StatusKafkaWatch(String brokers, Properties security) {
        this.brokers = brokers;
        this.security = security;
    }

    /** Asks the broker; returns whether it answered. */
    public synchronized boolean check() {
        try {
            if (admin == null) {
                Properties p = new Properties();
                p.putAll(security);
                p.putAll(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                        AdminClientConfig.CLIENT_ID_CONFIG, "flowledger-status-watch",
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000));
                admin = Admin.create(p);
            }
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
                    .get(TIMEOUT_MS + 1000L, TimeUnit.MILLISECONDS);
            if (Boolean.FALSE.equals(reachable)) {
                LOG.info("Kafka at {} is reachable again: status events go to the topic, kept ones are replayed", brokers);
            }
            reachable = true;
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (!Boolean.FALSE.equals(reachable)) {
                LOG.warn("Kafka at {} is unreachable ({}): status events are kept in the metadata DB until it is back; "
                        + "the status health check is DOWN meanwhile", brokers, e.getClass().getSimpleName());
            }
            reachable = false;
            return false;
        }
    }

    /** Null until first checked. */
    public Boolean reachable() {
        return reachable;
    }

    @Override
    protected synchronized void doStop() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(1));
            admin = null;
        }
    }
}
