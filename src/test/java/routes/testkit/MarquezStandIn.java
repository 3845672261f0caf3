package routes.testkit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.openlineage.client.OpenLineageClientUtils;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A stand-in for Marquez's {@code POST /api/v1/lineage} (WireMock on 127.0.0.1, as every third-party API here), the
 * events it received, and the check each of them must pass.
 * <p>
 * The OpenLineage JSON schema (spec/OpenLineage.json) is not shipped by any artifact this build can fetch (not in
 * the openlineage-java jar, no npm or Maven Central package carries it), so {@link #assertValid} checks what that
 * schema requires of a RunEvent explicitly, and also parses the event with the OpenLineage client's own model.
 */
public final class MarquezStandIn {

    public static final String PATH = "/api/v1/lineage";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Set<String> EVENT_TYPES = Set.of("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER");

    private MarquezStandIn() {
    }

    /** Answers every event as Marquez does when it stores one: 201. */
    public static void accept(WireMockExtension marquez) {
        marquez.stubFor(post(urlPathEqualTo(PATH)).willReturn(aResponse().withStatus(201)));
    }

    /** Every event received so far, in the order received. */
    public static List<JsonNode> events(WireMockExtension marquez) {
        return marquez.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().startsWith(PATH))
                .sorted(Comparator.comparing(e -> e.getRequest().getLoggedDate()))
                .map(MarquezStandIn::body).toList();
    }

    /** The events of one dataflow (by the runId flowledger gives its correlationId), in the order received. */
    public static List<JsonNode> eventsOf(WireMockExtension marquez, String correlationId) {
        String runId = runId(correlationId).toString();
        return events(marquez).stream().filter(e -> e.path("run").path("runId").asText().equals(runId)).toList();
    }

    public static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.path("eventType").asText()).toList();
    }

    /** The documented mapping: a UUID correlationId as it is, else the name-based UUID of "flowledger:" + it. */
    public static UUID runId(String correlationId) {
        return UUID_TEXT.matcher(correlationId).matches() ? UUID.fromString(correlationId)
                : UUID.nameUUIDFromBytes(("flowledger:" + correlationId).getBytes(StandardCharsets.UTF_8));
    }

    /** What OpenLineage.json (spec 2-0-2) requires of a RunEvent, field by field, and the client's own parse. */
    public static void assertValid(JsonNode e) {
        String text = e.toString();
        assertThat(e.isObject()).as("event is an object: %s", text).isTrue();
        OffsetDateTime.parse(e.path("eventTime").asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        assertUri(e.path("producer"), "producer", text);
        assertUri(e.path("schemaURL"), "schemaURL", text);
        assertThat(e.path("schemaURL").asText()).contains("OpenLineage.json#/$defs/RunEvent");
        assertThat(EVENT_TYPES).as("eventType of %s", text).contains(e.path("eventType").asText());
        assertThat(e.path("run").path("runId").asText()).as("run.runId is a uuid: %s", text).matches(UUID_TEXT);
        assertThat(e.path("job").path("namespace").isTextual() && !e.path("job").path("namespace").asText().isEmpty())
                .as("job.namespace: %s", text).isTrue();
        assertThat(e.path("job").path("name").isTextual() && !e.path("job").path("name").asText().isEmpty())
                .as("job.name: %s", text).isTrue();
        for (String list : List.of("inputs", "outputs")) {
            JsonNode datasets = e.path(list);
            assertThat(datasets.isMissingNode() || datasets.isArray()).as("%s is an array: %s", list, text).isTrue();
            for (JsonNode d : datasets) {
                assertThat(d.path("namespace").isTextual() && d.path("name").isTextual())
                        .as("a dataset has namespace and name: %s", text).isTrue();
            }
        }
        for (JsonNode facets : List.of(e.path("run").path("facets"), e.path("job").path("facets"))) {
            facets.forEach(f -> {
                // Every facet is a BaseFacet: _producer and _schemaURL are required URIs.
                assertUri(f.path("_producer"), "_producer", text);
                assertUri(f.path("_schemaURL"), "_schemaURL", text);
            });
        }
        assertThat(OpenLineageClientUtils.runEventFromJson(text).getRun().getRunId().toString())
                .isEqualTo(e.path("run").path("runId").asText());
    }

    private static void assertUri(JsonNode v, String field, String event) {
        assertThat(v.isTextual()).as("%s is a string: %s", field, event).isTrue();
        assertThat(URI.create(v.asText()).isAbsolute()).as("%s is an absolute URI: %s", field, event).isTrue();
    }

    private static JsonNode body(ServeEvent e) {
        try {
            return JSON.readTree(e.getRequest().getBodyAsString());
        } catch (java.io.IOException ex) {
            throw new AssertionError("not JSON: " + e.getRequest().getBodyAsString(), ex);
        }
    }
}
