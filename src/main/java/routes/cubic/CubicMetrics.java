package routes.cubic;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;

/**
 * cubic-ingestion's metrics ({@code flowledger_cubic_ingestion_...} in Prometheus): loads per status (a gauge
 * refreshed from the ledger, so it is the same on every instance), transitions made by this instance per target
 * status, loads discovered, and objects found under no registered prefix.
 */
public class CubicMetrics {

    private final DataSource ds;
    private final Map<LoadStatus, AtomicLong> perStatus = new EnumMap<>(LoadStatus.class);
    private final java.util.function.Supplier<CamelContext> camel;
    private volatile MeterRegistry registry;

    public CubicMetrics(DataSource ds, java.util.function.Supplier<CamelContext> camel) {
        this.ds = ds;
        this.camel = camel;
        for (LoadStatus s : LoadStatus.values()) {
            perStatus.put(s, new AtomicLong());
        }
    }

    MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            synchronized (this) {
                if (registry == null) {
                    CamelContext cc = camel.get();
                    if (cc == null || !cc.isStarted()) {
                        return new SimpleMeterRegistry(); // not running yet: nothing to publish to
                    }
                    Set<MeterRegistry> all = cc.getRegistry().findByType(MeterRegistry.class);
                    registry = all.isEmpty() ? new SimpleMeterRegistry() : all.iterator().next();
                    for (LoadStatus s : LoadStatus.values()) {
                        Gauge.builder("flowledger.cubic.ingestion.loads", perStatus.get(s), AtomicLong::doubleValue)
                                .description("Cubic loads in the ledger, per status").tag("status", s.db())
                                .register(registry);
                    }
                }
                r = registry;
            }
        }
        return r;
    }

    /** Re-reads the loads per status from the ledger (called by the discovery route after each poll). */
    public void refresh() {
        Map<LoadStatus, Long> counts = Sql.run(ds, c -> {
            Map<LoadStatus, Long> m = new EnumMap<>(LoadStatus.class);
            try (PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM cubic_loads GROUP BY status");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    m.put(LoadStatus.of(rs.getString(1)), rs.getLong(2));
                }
            }
            return m;
        });
        registry();
        for (LoadStatus s : LoadStatus.values()) {
            perStatus.get(s).set(counts.getOrDefault(s, 0L));
        }
    }

    public long loads(LoadStatus s) {
        return perStatus.get(s).get();
    }

    void transition(LoadStateMachine.Transition t) {
        Counter.builder("flowledger.cubic.ingestion.transitions").description("Load status changes made by this instance")
                .tag("to", t.to().db()).tag("transition", t.name().toLowerCase()).register(registry()).increment();
    }

    void created() {
        Counter.builder("flowledger.cubic.ingestion.discovered").description("Loads discovered in the incoming bucket")
                .register(registry()).increment();
    }

    void unknownObject() {
        Counter.builder("flowledger.cubic.ingestion.unknown.objects")
                .description("Objects under cubic/ that belong to no registered table (reported, not ingested)")
                .register(registry()).increment();
    }
}
