package routes.common.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import routes.common.status.StatusEvent;
import routes.common.status.StatusEvent.Props;

/** When a dataflow's status events make a lineage START, COMPLETE or FAIL (the rules of DataflowRules). */
class LineageRunsTest {

    private final LineageRuns runs = new LineageRuns();
    private Instant clock = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void a_run_starts_at_its_first_status_event_and_completes_at_its_run_level_success() {
        assertThat(types(details("r"))).as("dataSetDetails start nothing").isEmpty();
        assertThat(types(run("r", "EXTRACT", "IN_PROGRESS"))).containsExactly("START");
        assertThat(types(record("r", "EXTRACT", "SUCCESS"))).isEmpty();
        assertThat(types(run("r", "EXTRACT", "SUCCESS"))).containsExactly("COMPLETE");
        assertThat(types(run("r", "EXTRACT", "SUCCESS"))).as("the same verdict is sent once").isEmpty();
    }

    @Test
    void failed_records_make_the_verdict_a_fail_once_the_stage_has_ended() {
        runs.describe("r", new LineageJob("job", List.of(), List.of()));
        List<LineageRuns.Transition> start = run("r", "ROKET_UPLOAD", "IN_PROGRESS");
        assertThat(start.get(0).job().name()).isEqualTo("job");
        assertThat(types(record("r", "ROKET_UPLOAD", "FAILED"))).as("the stage still runs").isEmpty();
        List<LineageRuns.Transition> end = run("r", "ROKET_UPLOAD", "SUCCESS");
        assertThat(end).extracting(LineageRuns.Transition::type).containsExactly("FAIL");
    }

    @Test
    void a_cubic_load_retried_after_it_errored_gets_a_second_verdict() {
        assertThat(types(record("cubic-load-1", "CUBIC_INGEST", "IN_PROGRESS"))).containsExactly("START");
        assertThat(types(run("cubic-load-1", "CUBIC_ERROR", "FAILED"))).containsExactly("FAIL");
        assertThat(types(record("cubic-load-1", "CUBIC_INGEST", "IN_PROGRESS"))).isEmpty();
        assertThat(types(run("cubic-load-1", "CUBIC_ARCHIVE", "SUCCESS"))).containsExactly("COMPLETE");
    }

    private List<String> types(List<LineageRuns.Transition> t) {
        return t.stream().map(LineageRuns.Transition::type).toList();
    }

    private List<LineageRuns.Transition> details(String id) {
        return runs.observe(StatusEvent.dataSetDetails(id, "d", "1", StatusEvent.DataSetType.TABLE, 1));
    }

    private List<LineageRuns.Transition> run(String id, String stage, String status) {
        return runs.observe(event(id, null, stage, status));
    }

    private List<LineageRuns.Transition> record(String id, String stage, String status) {
        return runs.observe(event(id, "rec", stage, status));
    }

    private StatusEvent event(String id, String recordId, String stage, String status) {
        clock = clock.plusSeconds(1);
        return new StatusEvent(StatusEvent.STATUS, new Props("e" + clock, id, null, null, null, null, recordId, null,
                stage, status, "FAILED".equals(status) ? "it failed" : null, null, clock));
    }
}
