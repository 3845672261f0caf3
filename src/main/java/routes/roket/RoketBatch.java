package routes.roket;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** One request body: at most 100 records, each kept as its id and its JSON object (already serialised). */
public record RoketBatch(String batchId, String parentBatchId, List<Row> rows) {

    /** One source row: the value of the id column and the row as a JSON object. */
    public record Row(String id, String json) {
    }

    /**
     * Up to batch-size records the sink's split hands on as one exchange; {@code end} marks the last chunk of an
     * upload's stream (it completes the batch being formed).
     */
    public record Chunk(List<Row> rows, boolean end) {
    }

    public static RoketBatch of(List<Row> rows) {
        return new RoketBatch(UUID.randomUUID().toString(), null, List.copyOf(rows));
    }

    public int size() {
        return rows.size();
    }

    public List<String> ids() {
        List<String> ids = new ArrayList<>(rows.size());
        for (Row r : rows) {
            ids.add(r.id());
        }
        return ids;
    }

    /** The JSON array Roket takes. */
    public String body() {
        StringBuilder sb = new StringBuilder(rows.size() * 64);
        sb.append('[');
        for (int i = 0; i < rows.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(rows.get(i).json());
        }
        return sb.append(']').toString();
    }

    /** The two halves a rejected batch is narrowed down into (children of this batch). */
    public List<RoketBatch> halves() {
        int mid = rows.size() / 2;
        return List.of(new RoketBatch(UUID.randomUUID().toString(), batchId, List.copyOf(rows.subList(0, mid))),
                new RoketBatch(UUID.randomUUID().toString(), batchId, List.copyOf(rows.subList(mid, rows.size()))));
    }
}
