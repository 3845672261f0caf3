package routes.common.http;

/**
 * A request the API refuses because of what the caller sent (400), or because what it names does not exist
 * (404). Thrown from any API bean or step; the {@code api-errors} route configuration (routes/flowledger.yaml)
 * turns it into that status with a JSON body {@code {"error": "..."}} for every route, and logs one line. It
 * carries no stack trace: a bad request is the caller's mistake, not the service's.
 */
public class BadRequest extends RuntimeException {

    private final int status;

    public BadRequest(String message) {
        this(400, message);
    }

    public BadRequest(int status, String message) {
        super(message, null, false, false);
        if (status < 400 || status > 499) {
            throw new IllegalArgumentException("a BadRequest is a 4xx, not " + status);
        }
        this.status = status;
    }

    /** 404: the id, pipe or resource the request names does not exist. */
    public static BadRequest notFound(String message) {
        return new BadRequest(404, message);
    }

    public int status() {
        return status;
    }
}
