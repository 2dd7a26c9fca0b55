package neuroscan.serve;

/** A request the server refuses: its status and the one-line reason sent back as {@code {"error": ...}}. */
final class HttpError extends Exception {
    final int status;

    HttpError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    static HttpError notFound() {
        return new HttpError(404, "not found");
    }

    static HttpError busy(String message) {
        return new HttpError(503, message);
    }
}
