package routes.cubic;

/** The load itself is bad (changed header, corrupt gzip, malformed rows): it goes to the error bucket. */
public class LoadRejected extends Exception {
    public LoadRejected(String message) {
        super(message);
    }

    public LoadRejected(String message, Throwable cause) {
        super(message, cause);
    }
}
