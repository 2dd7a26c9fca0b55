package neuroscan.kernels;

/**
 * A batch packs its documents back to back: document d owns tokens [offsets[d], offsets[d+1]),
 * offsets ascending, offsets[0] = 0.
 */
public final class Documents {
    private Documents() {
    }

    /** The document that owns packed token t: the last d with offsets[d] <= t (binary search). */
    public static int docOf(int[] offsets, int nDocs, int t) {
        int lo = 0, hi = nDocs - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >> 1;
            if (offsets[mid] <= t) lo = mid; else hi = mid - 1;
        }
        return lo;
    }
}
