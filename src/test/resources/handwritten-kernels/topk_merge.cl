/*
 * topk_merge.cl: merges one batch's per-document maxima into the running top-k store, per neuron.
 * The store is [k, d_mlp] (max, doc, pos), each column sorted descending by max, equal maxima ordered
 * by lower document index; empty slots hold doc -1, max -inf, pos -1. The batch is [nDocs, d_mlp]
 * (docMax, docArg) for documents firstDoc .. firstDoc + nDocs - 1; documents with no position
 * (docArg < 0) are skipped.
 * One work-item per neuron: a batch has few documents and k is small, so an insertion into the sorted
 * column (O(k) per candidate) beats any sort; the [k, d_mlp] layout makes neighbouring work-items touch
 * neighbouring addresses.
 */

/* Does the stored entry (v, doc) rank before the candidate (cv, cdoc)? Empty slots rank last. */
DEVICE_FN int ranks_before(float v, int doc, float cv, int cdoc) {
    return doc >= 0 && (v > cv || (v == cv && doc < cdoc));
}

KERNEL void topk_merge(const GLOBAL float* RESTRICT docMax, const GLOBAL int* RESTRICT docArg, int nDocs,
                       int firstDoc, int dMlp, int k, GLOBAL float* RESTRICT topMax,
                       GLOBAL int* RESTRICT topDoc, GLOBAL int* RESTRICT topPos) {
    const int n = GLOBAL_ID(0);
    if (n >= dMlp) return;
    for (int d = 0; d < nDocs; d++) {
        const float cv = docMax[d * dMlp + n];
        const int cp = docArg[d * dMlp + n], cdoc = firstDoc + d;
        if (cp < 0 || cv != cv) continue;                       /* no positions, or NaN */
        const int lastSlot = (k - 1) * dMlp + n;
        if (ranks_before(topMax[lastSlot], topDoc[lastSlot], cv, cdoc)) continue;   /* not in the top k */
        int i = k - 1;                                           /* shift lower entries down by one */
        while (i > 0 && !ranks_before(topMax[(i - 1) * dMlp + n], topDoc[(i - 1) * dMlp + n], cv, cdoc)) {
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
