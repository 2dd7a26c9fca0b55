package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

/** The running top-k store, merged with one batch per neuron. */
public final class TopkMerge {
    private TopkMerge() {
    }

    /** Does the stored entry (v, doc) rank before the candidate (cv, cdoc)? Empty slots rank last. */
    static boolean ranksBefore(float v, int doc, float cv, int cdoc) {
        return doc >= 0 && (v > cv || (v == cv && doc < cdoc));
    }

    /**
     * Merges one batch's per-document maxima into the running top-k store. The store is [k, d_mlp]
     * (max, doc, pos), each column sorted descending by max, equal maxima ordered by lower document
     * index; empty slots hold doc -1, max -inf, pos -1. The batch is [nDocs, d_mlp] (docMax, docArg)
     * for documents firstDoc .. firstDoc + nDocs - 1; documents with no position (docArg < 0) and NaN
     * maxima are skipped.
     *
     * <p>One work-item per neuron: a batch has few documents and k is small, so an insertion into the
     * sorted column (O(k) per candidate) beats any sort; the [k, d_mlp] layout makes neighbouring
     * work-items touch neighbouring addresses.
     * Grid: (ceil(dMlp / 64) * 64), work-group (64).
     */
    @Kernel
    public static void topkMerge(KernelContext ctx, float[] docMax, int[] docArg, int nDocs, int firstDoc, int dMlp,
                                 int k, float[] topMax, int[] topDoc, int[] topPos) {
        final int n = ctx.globalId(0);
        if (n >= dMlp) return;
        for (int d = 0; d < nDocs; d++) {
            final float cv = docMax[d * dMlp + n];
            final int cp = docArg[d * dMlp + n], cdoc = firstDoc + d;
            if (cp < 0 || cv != cv) continue;                         // no positions, or NaN
            final int lastSlot = (k - 1) * dMlp + n;
            if (ranksBefore(topMax[lastSlot], topDoc[lastSlot], cv, cdoc)) continue;   // not in the top k
            int i = k - 1;                                            // shift lower entries down by one
            while (i > 0 && !ranksBefore(topMax[(i - 1) * dMlp + n], topDoc[(i - 1) * dMlp + n], cv, cdoc)) {
                topMax[i * dMlp + n] = topMax[(i - 1) * dMlp + n];
                topDoc[i * dMlp + n] = topDoc[(i - 1) * dMlp + n];
                topPos[i * dMlp + n] = topPos[(i - 1) * dMlp + n];
                i--;
            }
            topMax[i * dMlp + n] = cv;
            topDoc[i * dMlp + n] = cdoc;
            topPos[i * dMlp + n] = cp;
        }
    }
}
