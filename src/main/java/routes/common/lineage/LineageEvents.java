package routes.common.lineage;

import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClientUtils;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Builds OpenLineage run events with the OpenLineage Java client's model ({@link OpenLineage}) and serialises them
 * with its own mapper, so what is sent is the client's idea of a RunEvent, not hand-built JSON.
 * <ul>
 * <li>runId: OpenLineage requires a UUID. A correlationId that is one (roket, replay) is used as it is; any other
 * ({@code cubic-load-17}, {@code crm-contacts-run-3}, {@code demo-invoices-4242}) becomes the name-based UUID
 * (RFC 4122 version 3) of {@code "flowledger:" + correlationId}: the same correlationId always gives the same runId,
 * so the START and the COMPLETE of a run, sent at different times or by different instances, agree.</li>
 * <li>The correlationId itself travels in the run facet {@value #FACET} ({@code {"correlationId": "..."}}), so a
 * run found in the lineage backend leads back to {@code GET /api/dataflows/{correlationId}}.</li>
 * <li>A FAIL carries the standard {@code errorMessage} run facet with the dataflow's last failure.</li>
 * </ul>
 */
final class LineageEvents {

    static final String FACET = "flowledger_correlation";
    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final OpenLineage ol;
    private final URI producer;
    private final String namespace;

    LineageEvents(String version, String namespace) {
        this.producer = URI.create("https://github.com/flowledger/flowledger/tree/" + version);
        this.ol = new OpenLineage(producer);
        this.namespace = namespace;
    }

    /** The OpenLineage runId of a correlationId (see the class comment). */
    static UUID runId(String correlationId) {
        if (UUID_TEXT.matcher(correlationId).matches()) {
            return UUID.fromString(correlationId);
        }
        return UUID.nameUUIDFromBytes(("flowledger:" + correlationId).getBytes(StandardCharsets.UTF_8));
    }

    /** A run's transition as the JSON body of {@code POST /api/v1/lineage}. */
    String toJson(LineageRuns.Transition t) {
        return OpenLineageClientUtils.toJson(build(t));
    }

    OpenLineage.RunEvent build(LineageRuns.Transition t) {
        OpenLineage.RunFacetsBuilder runFacets = ol.newRunFacetsBuilder().put(FACET, correlationFacet(t.correlationId()));
        if ("FAIL".equals(t.type())) {
            String message = t.message() == null || t.message().isBlank() ? "dataflow failed" : t.message();
            runFacets.errorMessage(ol.newErrorMessageRunFacet(message, "JAVA", null));
        }
        LineageJob job = t.job() != null ? t.job() : undescribed(t.firstStage());
        OpenLineage.JobFacets jobFacets = ol.newJobFacetsBuilder()
                .jobType(ol.newJobTypeJobFacet("BATCH", "FLOWLEDGER", "PIPELINE", null)).build();
        List<OpenLineage.InputDataset> inputs = job.inputs().stream()
                .map(d -> ol.newInputDataset(d.namespace(), d.name(), null, null)).toList();
        List<OpenLineage.OutputDataset> outputs = job.outputs().stream()
                .map(d -> ol.newOutputDataset(d.namespace(), d.name(), null, null)).toList();
        return ol.newRunEventBuilder()
                .eventType(OpenLineage.RunEvent.EventType.valueOf(t.type()))
                .eventTime(t.at().atZone(ZoneOffset.UTC))
                .run(ol.newRun(runId(t.correlationId()), runFacets.build()))
                .job(ol.newJob(namespace, job.name(), jobFacets))
                .inputs(inputs)
                .outputs(outputs)
                .build();
    }

    /**
     * A dataflow no pipeline described (a producer emitting status through flowledger's emitter, as the status demo
     * does): its job is named after the stage it began with ({@code dataflow.extract}), without datasets.
     */
    private static LineageJob undescribed(String firstStage) {
        String stage = firstStage == null || firstStage.isBlank() ? "unknown"
                : firstStage.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
        return new LineageJob("dataflow." + stage, List.of(), List.of());
    }

    private OpenLineage.RunFacet correlationFacet(String correlationId) {
        OpenLineage.DefaultRunFacet facet = new OpenLineage.DefaultRunFacet(producer);
        facet.getAdditionalProperties().put("correlationId", correlationId);
        return facet;
    }
}
