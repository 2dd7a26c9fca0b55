package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

/** The running per-neuron statistics of a scan (density, histogram, sample documents), merged with one batch. */
public final class StatsMerge {
    private StatsMerge() {
    }

    /** Two ints count tokens past 2^31: lo stays below 2^30, hi counts the 2^30s (no long on a GPU). */
    public static final int STATS_LO_LIMIT = 1 << 30;

    /** Does the filled sample (key, doc) come before the candidate (ckey, cdoc)? Empty slots come last. */
    static boolean before(int key, int doc, int ckey, int cdoc) {
        return doc >= 0 && (key < ckey || (key == ckey && doc < cdoc));
    }

    /**
     * Adds one batch to the statistics, as NeuronStats.add does on the host. The batch is [nDocs, N]
     * (docMax, docArg from topk_merge's inputs, docPos: positions with activation > 0, from
     * mlp_in_gelu_max); row d is document docIds[d], whose sampling hash is docKeys[d]. Per neuron n:
     * posLo/posHi += docPos (tokens with activation > 0); the max's bin (the number of edges below it) gets
     * hist[bin, n] += 1; and the document is offered to the bin's samples [bins * m, N] (row bin * m + s),
     * which keep the m documents with the smallest (docKeys[d] ^ salt[n], doc), sorted. Documents without
     * positions are skipped; a NaN max counts its positives but enters no bin (topk_merge counts it).
     *
     * <p>One work-item per neuron, like topk_merge: a column of every array belongs to one work-item, so no
     * atomics, and neighbouring work-items touch neighbouring addresses.
     * Grid: (ceil(N / 64) * 64), work-group (64).
     */
    @Kernel
    public static void statsMerge(KernelContext ctx, float[] docMax, int[] docArg, int[] docPos, int[] docIds, int[] docKeys,
                                  int[] salt, int nDocs, int N, float[] edges, int nEdges, int m, int[] posLo, int[] posHi,
                                  int[] hist, int[] sKey, int[] sDoc, float[] sMax, int[] sPos) {
        final int n = ctx.globalId(0);
        if (n >= N) return;
        int lo = posLo[n];
        for (int d = 0; d < nDocs; d++) {
            final int cp = docArg[d * N + n];
            if (cp < 0) continue;                                     // a document without positions
            lo += docPos[d * N + n];
            if (lo >= STATS_LO_LIMIT) {
                lo -= STATS_LO_LIMIT;
                posHi[n]++;
            }
            final float cv = docMax[d * N + n];
            if (cv != cv) continue;                                   // NaN: no bin
            int bin = 0;
            while (bin < nEdges && edges[bin] < cv) bin++;
            hist[bin * N + n]++;
            final int ckey = docKeys[d] ^ salt[n], cdoc = docIds[d], base = bin * m * N + n;
            final int last = base + (m - 1) * N;
            if (before(sKey[last], sDoc[last], ckey, cdoc)) continue;   // m smaller samples kept already
            int s = m - 1;                                            // shift later samples down by one
            while (s > 0 && !before(sKey[base + (s - 1) * N], sDoc[base + (s - 1) * N], ckey, cdoc)) {
                sKey[base + s * N] = sKey[base + (s - 1) * N];
                sDoc[base + s * N] = sDoc[base + (s - 1) * N];
                sMax[base + s * N] = sMax[base + (s - 1) * N];
                sPos[base + s * N] = sPos[base + (s - 1) * N];
                s--;
            }
            sKey[base + s * N] = ckey;
            sDoc[base + s * N] = cdoc;
            sMax[base + s * N] = cv;
            sPos[base + s * N] = cp;
        }
        posLo[n] = lo;
    }
}
