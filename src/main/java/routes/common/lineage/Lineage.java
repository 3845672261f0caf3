package routes.common.lineage;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import routes.common.status.StatusEvent;

/**
 * Every run of every pipeline as OpenLineage run events, from the one place every run already reports to: the
 * {@code status-emit} route hands each status event to {@code direct:lineage} (routes/lineage.yaml), which calls
 * {@link #observe} and queues what it returns for the {@code lineage-deliver} route to POST. Bound as {@code lineage}.
 * <p>
 * A pipeline adds what status events do not say, once a run: {@link #describe} with the job name and the datasets
 * (a run not described is still sent, named after its first stage, without datasets). With
 * {@code flowledger.lineage.url} empty both are no-ops and the routes are not loaded.
 */
public class Lineage {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.lineage");

    private final LineageSettings settings;
    private final LineageRuns runs;
    private final LineageEvents events;

    public Lineage(LineageSettings settings, String version) {
        this.settings = settings;
        this.runs = new LineageRuns();
        this.events = new LineageEvents(version, settings.namespace());
        if (settings.enabled()) {
            // Loads the OpenLineage model and its mapper now, not on the thread of the first run that emits.
            events.toJson(new LineageRuns.Transition("START", "warm-up", null, "warm-up", java.time.Instant.now(), null));
        }
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /**
     * The job and datasets of the run {@code correlationId}; call before the run's first status event (else START
     * goes out without them, and COMPLETE/FAIL carries them). Never throws: lineage must not fail a run.
     */
    public void describe(String correlationId, LineageJob job) {
        if (!settings.enabled() || correlationId == null || job == null) {
            return;
        }
        try {
            runs.describe(correlationId, job);
        } catch (RuntimeException e) {
            LOG.debug("lineage description of {} not kept: {}", correlationId, e.getMessage());
        }
    }

    /** Sets {@code Authorization: Bearer <flowledger.lineage.api-key>} on the POST, when a key is configured. */
    public void authorize(org.apache.camel.Message message) {
        if (!settings.apiKey().isEmpty()) {
            message.setHeader("Authorization", "Bearer " + settings.apiKey());
        }
    }

    /** The OpenLineage events (JSON bodies) one status event causes: usually none; START and/or COMPLETE/FAIL. */
    public List<String> observe(StatusEvent event) {
        if (!settings.enabled()) {
            return List.of();
        }
        List<LineageRuns.Transition> transitions = runs.observe(event);
        if (transitions.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(transitions.size());
        for (LineageRuns.Transition t : transitions) {
            out.add(events.toJson(t));
        }
        return out;
    }
}
