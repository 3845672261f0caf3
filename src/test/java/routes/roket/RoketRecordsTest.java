package routes.roket;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the sink's split hands on: chunks of at most batch-size records, the last one of an upload marked. */
class RoketRecordsTest {

    private static List<Map<String, Object>> records(int n) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Map.of("ID", "r-" + i, "amount", i));
        }
        return out;
    }

    private static List<RoketBatch.Chunk> all(Iterator<RoketBatch.Chunk> it) {
        List<RoketBatch.Chunk> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void a_list_sent_to_the_sink_travels_as_chunks_of_batch_size_records_in_order() {
        RoketRun run = new RoketRun("run", "partner-feed", "partner-feed", "kamelet", false);
        List<RoketBatch.Chunk> chunks = all(RoketRecords.chunks(records(250), "id", run, false, 100));
        assertThat(chunks).extracting(c -> c.rows().size()).containsExactly(100, 100, 50);
        assertThat(chunks).noneMatch(RoketBatch.Chunk::end);
        assertThat(chunks.get(2).rows().get(49).id()).isEqualTo("r-249");
        assertThat(chunks.get(0).rows().get(0).json()).contains("\"ID\":\"r-0\"").contains("\"amount\":0");
        assertThat(run.rowsRead.sum()).isEqualTo(250);
    }

    @Test
    void an_upload_stream_ends_with_a_marked_chunk_even_when_the_rows_fill_the_last_one() {
        RoketRun run = new RoketRun("run", "2026-11-20", "test", false);
        List<RoketBatch.Chunk> chunks = all(RoketRecords.chunks(records(200).iterator(), "id", run, true, 100));
        assertThat(chunks).extracting(c -> c.rows().size() + ":" + c.end()).containsExactly("100:false", "100:false",
                "0:true");
        assertThat(all(RoketRecords.chunks(records(0), "id", run, true, 100)))
                .extracting(c -> c.rows().size() + ":" + c.end()).containsExactly("0:true");
    }

    @Test
    void a_single_record_is_a_chunk_of_one() {
        RoketRun run = new RoketRun("run", "partner-feed", "partner-feed", "kamelet", false);
        assertThat(all(RoketRecords.chunks(Map.of("ID", "x-1"), "ID", run, false, 100)))
                .singleElement().satisfies(c -> assertThat(c.rows()).extracting(RoketBatch.Row::id)
                        .containsExactly("x-1"));
    }
}
