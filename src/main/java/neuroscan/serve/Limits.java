package neuroscan.serve;

/**
 * What one server accepts, so no request can take more than its share: text and request sizes, how many
 * forward passes run at once and how many wait for one, how many requests are handled at once.
 *
 * @param maxTextBytes   the longest text (UTF-8, after URL decoding); longer gets 413
 * @param maxUriChars    the longest request line target (path + query, still URL-encoded); longer gets 414
 * @param maxTop         the most neurons {@code top} may ask for
 * @param computeSlots   forward passes at once (the engines' workers)
 * @param maxWaiting     requests that may wait for a forward pass; more get 503 at once
 * @param waitMillis     how long one waits before it gets 503
 * @param maxInFlight    requests handled at once, all kinds; more get 503
 * @param pageCacheBytes rendered pages kept (the index is always kept)
 * @param textCacheFloats activations of recent texts kept, so a neuron picked on the same text costs no forward pass
 * @param debounceMs     the interactive page's pause after a keystroke before it asks
 */
public record Limits(int maxTextBytes, int maxUriChars, int maxTop, int computeSlots, int maxWaiting, long waitMillis,
                     int maxInFlight, long pageCacheBytes, long textCacheFloats, int debounceMs) {

    public static final int MAX_TEXT_BYTES = 16 * 1024, MAX_URI_CHARS = 64 * 1024, MAX_TOP = 100, MAX_WAITING = 16,
            MAX_IN_FLIGHT = 64;

    public Limits {
        if (maxTextBytes < 1 || maxUriChars < 1 || maxTop < 1 || computeSlots < 1 || maxWaiting < 0 || waitMillis < 0
                || maxInFlight < 1 || pageCacheBytes < 0 || textCacheFloats < 0 || debounceMs < 0) {
            throw new IllegalArgumentException("bad limits " + this);
        }
    }

    /** The documented defaults with {@code computeSlots} forward passes at once. */
    public static Limits defaults(int computeSlots) {
        return new Limits(MAX_TEXT_BYTES, MAX_URI_CHARS, MAX_TOP, computeSlots, MAX_WAITING, 30_000, MAX_IN_FLIGHT,
                64L << 20, 16L << 20, 200);
    }

    public Limits withQueue(int slots, int waiting, long waitMs) {
        return new Limits(maxTextBytes, maxUriChars, maxTop, slots, waiting, waitMs, maxInFlight, pageCacheBytes, textCacheFloats, debounceMs);
    }

    /** The same limits with no cache of texts (every request runs the model). */
    public Limits withoutTextCache() {
        return new Limits(maxTextBytes, maxUriChars, maxTop, computeSlots, maxWaiting, waitMillis, maxInFlight, pageCacheBytes, 0, debounceMs);
    }
}
