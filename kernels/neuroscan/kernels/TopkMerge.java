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
     * index; empty slots hold doc -1, max -inf, pos -1. The batch is [nDocs, d_mlp] (docMax, docArg);
     * row d is document docIds[d] (a batch holds documents in any order: the result does not depend on
     * it). Documents with no position (docArg < 0) are skipped; NaN maxima are skipped and counted per
     * neuron in nanCount, as TopK.merge counts them.
     *
     * <p>One work-item per neuron: a batch has few documents and k is small, so an insertion into the
     * sorted column (O(k) per candidate) beats any sort; the [k, d_mlp] layout makes neighbouring
     * work-items touch neighbouring addresses, and no two work-items touch one element (no atomics).
     * Grid: (ceil(dMlp / 64) * 64), work-group (64).
     */
    @Kernel
    public static void topkMerge(KernelContext ctx, float[] docMax, int[] docArg, int[] docIds, int nDocs, int dMlp,
                                 int k, float[] topMax, int[] topDoc, int[] topPos, int[] nanCount) {
        final int n = ctx.globalId(0);
        if (n >= dMlp) return;
        for (int d = 0; d < nDocs; d++) {
            final float cv = docMax[d * dMlp + n];
            final int cp = docArg[d * dMlp + n], cdoc = docIds[d];
            if (cp < 0) continue;                                     // a document without positions
            if (cv != cv) {                                           // NaN never enters; count it
                nanCount[n]++;
                continue;
            }
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
