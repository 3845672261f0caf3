package routes.replay;

/** A day's failure, with the replay step it happened in (PREFLIGHT, BACKUP, REPLAY, CLEANUP). */
public class DayFailure extends RuntimeException {

    public static final String PREFLIGHT = "PREFLIGHT";
    public static final String BACKUP = "BACKUP";
    public static final String REPLAY = "REPLAY";
    public static final String CLEANUP = "CLEANUP";
    public static final String RESTORE = "RESTORE";

    final String stage;

    public DayFailure(String stage, String message, Throwable cause) {
        super(message, cause);
        this.stage = stage;
    }

    /** One line for the ledger, the log and Slack: the message of what went wrong, never an XML body. */
    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof DayFailure || t instanceof org.apache.camel.CamelExecutionException)
                && t.getCause() != null && (t.getMessage() == null || t instanceof org.apache.camel.CamelExecutionException)) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof DayFailure) {
            return m;
        }
        if (t instanceof com.azure.storage.blob.models.BlobStorageException b) {
            return "Azure Blob " + b.getErrorCode() + " (HTTP " + b.getStatusCode() + ")"; // its message is the XML body
        }
        if (t instanceof routes.common.Reachability.Unreachable) {
            return m; // names the store or broker already
        }
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + routes.common.Messages.oneLine(m));
    }
}
