package routes.cubic;

import java.util.Locale;

/** The eight load statuses of ADR 5, stored by their lower-case names. */
public enum LoadStatus {
    READY, INGESTING, READY_FOR_ARCHIVING, READY_FOR_ERRORING, ARCHIVING, ERRORING, ARCHIVED, ERRORED;

    public String db() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LoadStatus of(String db) {
        return valueOf(db.toUpperCase(Locale.ROOT));
    }

    public boolean isTerminal() {
        return this == ARCHIVED || this == ERRORED;
    }
}
