package routes.common;

/**
 * The metadata DB's schema does not fit this build and this role cannot fix it (e.g. it is behind and the service
 * runs with the restricted role). The message is the one line the user sees (exit 2), without a stack trace.
 */
public class SchemaException extends RuntimeException {

    public SchemaException(String message) {
        super(message, null, false, false);
    }
}
