package routes.roket;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The set of ids a run must not send again: exact answers while it grows far past its first size. */
class IdSetTest {

    @Test
    void remembers_every_id_added_and_nothing_else_while_growing() {
        IdSet set = new IdSet(16);
        for (int i = 0; i < 50_000; i++) {
            assertThat(set.add("id-" + i)).isTrue();
        }
        assertThat(set.size()).isEqualTo(50_000);
        for (int i = 0; i < 50_000; i++) {
            assertThat(set.contains("id-" + i)).isTrue();
            assertThat(set.add("id-" + i)).as("already there").isFalse();
        }
        for (int i = 50_000; i < 60_000; i++) {
            assertThat(set.contains("id-" + i)).isFalse();
        }
        assertThat(set.contains("")).isFalse();
        assertThat(set.add("")).isTrue();
        assertThat(set.contains("")).isTrue();
        assertThat(set.size()).isEqualTo(50_001);
    }
}
