package neuroscan.store;

import neuroscan.NeuroscanException;

/**
 * Global document indices [start, end) of a scan; {@code end == OPEN} means "to the end of the dataset".
 * Indices are dataset row numbers, kept as they are in a shard so that shards merge.
 */
public record DocRange(int start, int end) {
    public static final int OPEN = Integer.MAX_VALUE;
    public static final DocRange ALL = new DocRange(0, OPEN);

    public DocRange {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad document range " + start + ":" + end);
    }

    /**
     * Parses {@code --doc-range}: {@code A:B} (B exclusive), {@code A:} (to the end) or {@code :B}.
     */
    public static DocRange parse(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) throw new NeuroscanException("--doc-range " + s + ": expected A:B, A: or :B");
        try {
            String a = s.substring(0, colon).trim(), b = s.substring(colon + 1).trim();
            int start = a.isEmpty() ? 0 : Integer.parseInt(a);
            int end = b.isEmpty() ? OPEN : Integer.parseInt(b);
            if (start < 0 || end < start) throw new NeuroscanException("--doc-range " + s + ": need 0 <= A <= B");
            return new DocRange(start, end);
        } catch (NumberFormatException e) {
            throw new NeuroscanException("--doc-range " + s + ": expected A:B with whole numbers");
        }
    }

    /** This range cut to at most {@code maxDocs} documents ({@code --max-docs}); negative: no limit. */
    public DocRange limit(int maxDocs) {
        if (maxDocs < 0) return this;
        return new DocRange(start, (int) Math.min(end, (long) start + maxDocs));
    }

    public boolean isOpen() {
        return end == OPEN;
    }

    public boolean contains(int doc) {
        return doc >= start && doc < end;
    }

    /** Number of documents, or -1 when open. */
    public long size() {
        return isOpen() ? -1 : end - start;
    }

    /** {@code A:B}, or {@code A:} when open; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return start + ":" + (isOpen() ? "" : Integer.toString(end));
    }
}
