package routes.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.State;
import routes.common.status.StatusStore;
import routes.cubic.CubicTables;

/** Any H2 URL a user writes gets what the ledger needs (PostgreSQL mode, durable commits) or is refused in one line. */
class H2LedgerUrlTest {

    @TempDir
    Path dir;

    @Test
    void a_plain_h2_file_url_gets_the_compatibility_and_durability_settings_and_keeps_the_users_own() {
        String url = MetadataDb.ledgerUrl("jdbc:h2:file:/var/lib/flowledger/ledger;AUTO_SERVER=TRUE;mode=postgresql");
        assertThat(url).startsWith("jdbc:h2:file:/var/lib/flowledger/ledger;AUTO_SERVER=TRUE;mode=postgresql")
                .contains(";DATABASE_TO_LOWER=TRUE", ";DEFAULT_NULL_ORDERING=HIGH", ";WRITE_DELAY=0")
                .doesNotContain("MODE=PostgreSQL");
        assertThat(MetadataDb.ledgerUrl("jdbc:h2:mem:x")).isEqualTo(
                "jdbc:h2:mem:x;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0");
        assertThat(MetadataDb.ledgerUrl("jdbc:postgresql://db/flowledger")).isEqualTo("jdbc:postgresql://db/flowledger");
    }

    @Test
    void a_setting_the_ledger_cannot_work_with_is_refused_in_one_line_naming_it() {
        assertThatThrownBy(() -> MetadataDb.ledgerUrl("jdbc:h2:file:./l;MODE=MySQL"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sets MODE=MySQL, but flowledger's ledger needs MODE=PostgreSQL"
                        + " (leave it out: flowledger adds it to every H2 URL)");
        assertThatThrownBy(() -> MetadataDb.ledgerUrl("jdbc:h2:file:./l;WRITE_DELAY=500"))
                .hasMessageContaining("WRITE_DELAY=0");
        assertThatThrownBy(() -> MetadataDb.ledgerUrl("jdbc:h2:fil:/nope"))
                .hasMessageContaining("names no H2 database flowledger can use").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> MetadataDb.ledgerUrl("jdbc:h2:"))
                .hasMessageContaining("names no H2 database flowledger can use");
    }

    @Test
    void status_events_and_cubic_registrations_work_on_a_plain_h2_file_url() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("ledger"); // as a user types it: no MODE, no settings
        try (MetadataDb db = MetadataDb.open(url, "sa", "", 2)) {
            StatusStore store = new StatusStore(db.dataSource());
            StatusEvent event = StatusEvent.status("plain-url-flow", "LOAD", State.SUCCESS, null);
            assertThat(store.persist(List.of(event)).stored()).isEqualTo(1);
            assertThat(store.persist(List.of(event)).duplicates()).as("ON CONFLICT works").isEqualTo(1);

            CubicTables tables = new CubicTables(db.dataSource());
            CubicTables.Table first = tables.register("cubic__dmap__sample", "cubic/dmap/sample/", null);
            CubicTables.Table again = tables.register("cubic__dmap__sample", "cubic/dmap/sample/", null);
            assertThat(again.id()).isEqualTo(first.id());
        }
    }
}
