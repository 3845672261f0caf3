package routes.patterns;

/**
 * The circuit breaker rule of a collecting pipe: a run that returns nothing where the last run returned data
 * (a full read only: an incremental run with no changes is normal), or that would change more than
 * {@code maxChangeRatio} of a non-empty dataset, is held back for an operator instead of reaching the dataset.
 */
public record CircuitBreaker(double maxChangeRatio) {

    public CircuitBreaker {
        if (!(maxChangeRatio > 0)) {
            throw new IllegalArgumentException("maxChangeRatio must be > 0, was " + maxChangeRatio);
        }
    }

    /**
     * @param received     entities the source returned in this run
     * @param lastReceived entities the last passed run received (null: no run yet)
     * @param fullRead     this run read the whole source (rescan, or first run of an incremental pipe)
     * @param datasetSize  live (not deleted) entities in the dataset before the run
     * @param changes      inserts + updates + deletions the run would make
     * @return why the breaker trips, or null when the run may pass
     */
    public String check(long received, Long lastReceived, boolean fullRead, long datasetSize, long changes) {
        if (fullRead && received == 0 && ((lastReceived != null && lastReceived > 0) || datasetSize > 0)) {
            return "the source returned nothing where the last run returned " + (lastReceived == null ? datasetSize : lastReceived)
                    + " entities";
        }
        if (datasetSize > 0) {
            double ratio = (double) changes / datasetSize;
            if (ratio > maxChangeRatio) {
                return String.format(java.util.Locale.ROOT, "the run would change %d of %d entities (%.0f%% > %.0f%%)",
                        changes, datasetSize, ratio * 100, maxChangeRatio * 100);
            }
        }
        return null;
    }
}
