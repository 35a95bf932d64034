package io.memsync.jmx.dashboard;

/** A request the dashboard answers with HTTP status {@code status} and {@code {"error": message}}. */
final class ApiException extends RuntimeException {
    private final int status;

    ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }
}
