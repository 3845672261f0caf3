package routes.common;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness and liveness include the metadata DB: without the ledger nothing may run. */
public class DbHealthCheck extends AbstractHealthCheck {

    private final MetadataDb db;

    public DbHealthCheck(MetadataDb db) {
        super("flowledger", "metadata-db");
        this.db = db;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("db.url", db.url());
        if (db.isReachable()) {
            builder.up();
        } else {
            builder.message("metadata DB is not reachable").down();
        }
    }
}
