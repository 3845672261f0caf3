package routes.status;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which pipeline a dataflow belongs to, told from its correlationId and stage names as the pipelines emit them
 * (roket: stage {@code ROKET_UPLOAD}; cubic: ids {@code cubic-*}; replay: stages {@code PREFLIGHT}, {@code BACKUP},
 * {@code REPLAY}, {@code CLEANUP}, {@code RESTORE}; patterns: stages {@code PATTERNS:<pipe>}), and how long each
 * may stay silent before a running dataflow counts as stalled (its pipeline's heartbeat or lease).
 * One place for both the classification and its SQL form, so the list's filter and its labels agree.
 */
public final class DataflowPipelines {

    public static final String ROKET = "roket-upload";
    public static final String CUBIC = "cubic-ingestion";
    public static final String REPLAY = "replay";
    public static final String PATTERNS = "patterns";
    public static final String OTHER = "other";
    public static final List<String> ALL = List.of(ROKET, CUBIC, REPLAY, PATTERNS, OTHER);

    private static final List<String> REPLAY_STAGES = List.of("PREFLIGHT", "BACKUP", "REPLAY", "CLEANUP", "RESTORE");

    private final Map<String, Duration> heartbeats;
    private final Duration fallback;

    /** {@code heartbeats}: per pipeline, the silence after which a running dataflow is stalled; others: fallback. */
    public DataflowPipelines(Map<String, Duration> heartbeats, Duration fallback) {
        this.heartbeats = Map.copyOf(heartbeats);
        this.fallback = fallback;
    }

    public static String of(String correlationId, String stage) {
        if (correlationId != null && correlationId.startsWith("cubic-")) {
            return CUBIC;
        }
        if (stage == null) {
            return OTHER;
        }
        if (stage.equals("ROKET_UPLOAD")) {
            return ROKET;
        }
        if (stage.startsWith("PATTERNS:")) {
            return PATTERNS;
        }
        if (REPLAY_STAGES.contains(stage)) {
            return REPLAY;
        }
        return OTHER;
    }

    /** The heartbeat of a pipeline: no news for longer than this = stalled. */
    public Duration heartbeat(String pipeline) {
        return heartbeats.getOrDefault(pipeline, fallback);
    }

    /** A SQL condition on {@code status_dataflow d} that holds exactly for the dataflows {@link #of} puts in pipeline. */
    static String sqlCondition(String pipeline) {
        String replayIn = "('" + String.join("', '", REPLAY_STAGES) + "')";
        String notCubic = "d.correlation_id NOT LIKE 'cubic-%'";
        return switch (pipeline) {
            case CUBIC -> "d.correlation_id LIKE 'cubic-%'";
            case ROKET -> "(" + notCubic + " AND d.stage = 'ROKET_UPLOAD')";
            case PATTERNS -> "(" + notCubic + " AND d.stage LIKE 'PATTERNS:%')";
            case REPLAY -> "(" + notCubic + " AND d.stage IN " + replayIn + ")";
            default -> "(" + notCubic + " AND (d.stage IS NULL OR (d.stage <> 'ROKET_UPLOAD' AND d.stage NOT LIKE "
                    + "'PATTERNS:%' AND d.stage NOT IN " + replayIn + ")))";
        };
    }

    static String parse(String pipeline) {
        String p = pipeline.trim().toLowerCase(Locale.ROOT);
        if (!ALL.contains(p)) {
            throw new StatusQuery.BadRequest("pipeline must be one of " + String.join(", ", ALL));
        }
        return p;
    }
}
