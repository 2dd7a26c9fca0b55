package neuroscan.bench.libtorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import neuroscan.store.TopK;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The best plain-LibTorch scan we could write: no padding to n_ctx. Documents are sorted by length and
 * cut into batches of at most {@link #BATCH} documents and {@link #BATCH_TOKENS} padded tokens, each
 * padded only to its longest document; the causal mask keeps real positions clean of pad keys and the
 * pad rows are set to -inf before the max, so the max (and first argmax) is over real positions only.
 * The store is merged per batch by concatenating store and batch and keeping the top k, ordered by
 * (max desc, doc asc) like neuroscan's TopK.
 */
final class BestPipeline {
    static final int BATCH = 64;
    static final int BATCH_TOKENS = 16 * 1024;
    /** Ties broken by document: key = v - |v| doc 2^-50 in float64 (see {@link #merge}). */
    private static final double TIE = Math.scalb(1.0, -50);
    private static final double EMPTY_DOC = Math.scalb(1.0, 24);

    private final TorchForward fwd;
    private final NDManager m;

    BestPipeline(TorchForward fwd, NDManager m) {
        this.fwd = fwd;
        this.m = m;
    }

    TopK run(List<int[]> docs, int k) {
        int dMlp = fwd.cfg.dMlp();
        if (docs.size() >= EMPTY_DOC) throw new IllegalArgumentException("too many documents for the tie-break key");
        int[] order = IntStream.range(0, docs.size()).boxed()
                .sorted(Comparator.comparingInt((Integer d) -> -docs.get(d).length).thenComparingInt(d -> d))
                .mapToInt(Integer::intValue).toArray();
        NDArray[] store = {
                m.full(new Shape(k, dMlp), Float.NEGATIVE_INFINITY),
                m.full(new Shape(k, dMlp), -1f).toType(DataType.INT64, false),
                m.full(new Shape(k, dMlp), -1f).toType(DataType.INT64, false)};
        for (int start = 0; start < order.length; ) {
            int len = docs.get(order[start]).length;
            int end = Math.min(order.length, start + Math.min(BATCH, Math.max(1, BATCH_TOKENS / len)));
            int[][] batch = new int[end - start][];
            long[] ids = new long[end - start];
            float[] padMask = new float[(end - start) * len];
            for (int b = 0; b < batch.length; b++) {
                int[] t = docs.get(order[start + b]);
                batch[b] = Arrays.copyOf(t, len);               // pad value is never seen by a real position
                ids[b] = order[start + b];
                Arrays.fill(padMask, b * len + t.length, (b + 1) * len, Float.NEGATIVE_INFINITY);
            }
            NDArray[] next;
            try (NDScope ignored = new NDScope()) {
                NDArray post = fwd.hookPost(TorchForward.tokens(m, batch))
                        .add(m.create(padMask, new Shape(batch.length, len, 1)));
                NDArray bMax = post.max(new int[]{1});                     // [B, d_mlp]
                NDArray bPos = post.argMax(1);                             // first max: torch returns the first
                NDArray bDoc = m.create(ids, new Shape(batch.length, 1)).broadcast(batch.length, dMlp);
                next = merge(store, bMax, bDoc, bPos, k);
                NDScope.unregister(next);
            }
            for (NDArray a : store) a.close();
            store = next;
            start = end;
        }
        float[] max = store[0].toFloatArray();
        long[] doc = store[1].toLongArray(), pos = store[2].toLongArray();
        int[] d = new int[doc.length], p = new int[pos.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.toIntExact(doc[i]);
            p[i] = Math.toIntExact(pos[i]);
        }
        for (NDArray a : store) a.close();
        return TopK.of(k, dMlp, max, d, p);
    }

    /**
     * topk over concat(store, batch) along the document axis. torch.topk does not promise an order among
     * equal values, so it ranks a float64 key v - |v| doc 2^-50: for distinct float32 values the
     * perturbation (under 2^-26 relative, docs below 2^24) is smaller than their spacing, and equal
     * nonzero values come out lower document first. Values equal to exactly 0 are not separated.
     */
    private static NDArray[] merge(NDArray[] store, NDArray bMax, NDArray bDoc, NDArray bPos, int k) {
        NDArray vals = store[0].concat(bMax, 0);
        NDArray docs = store[1].concat(bDoc, 0);
        NDArray poss = store[2].concat(bPos.toType(DataType.INT64, false), 0);
        NDArray tieDoc = docs.lt(0).toType(DataType.FLOAT64, false).mul(EMPTY_DOC)
                .add(docs.toType(DataType.FLOAT64, false).maximum(0));
        NDArray v = vals.toType(DataType.FLOAT64, false);
        NDArray key = v.sub(v.abs().mul(tieDoc).mul(TIE));
        NDList top = key.topK(k, 0, true, true);
        NDArray at = top.get(1);
        return new NDArray[]{vals.gather(at, 0), docs.gather(at, 0), poss.gather(at, 0)};
    }
}
