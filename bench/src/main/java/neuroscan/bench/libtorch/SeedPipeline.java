package neuroscan.bench.libtorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import neuroscan.store.TopK;

import java.util.Arrays;
import java.util.List;

/**
 * The seed notebook's scan, in LibTorch: batches of 16 documents right-padded with PAD to n_ctx, the
 * full forward pass, max over all n_ctx positions (pads included), then {@code MaxStore.batch_update}:
 * sort the batch's per-document maxima descending per neuron, and for each row in turn replace, in
 * every neuron whose store minimum it beats, that minimum (a masked replace), stopping at the first
 * row that changes nothing; finally {@code inference_mode}'s sort. The seed keeps no positions, so
 * the returned store has pos = -1 everywhere.
 */
final class SeedPipeline {
    static final int BATCH = 16;
    static final int PAD = neuroscan.bench.Corpus.PAD;

    private final TorchForward fwd;
    private final NDManager m;

    SeedPipeline(TorchForward fwd, NDManager m) {
        this.fwd = fwd;
        this.m = m;
    }

    TopK run(List<int[]> docs, int k) {
        int dMlp = fwd.cfg.dMlp(), nCtx = fwd.cfg.nCtx();
        NDArray max = m.full(new Shape(k, dMlp), Float.NEGATIVE_INFINITY);
        NDArray index = m.full(new Shape(k, dMlp), -1f).toType(DataType.INT64, false);
        NDArray rows = m.arange(0, k, 1, DataType.INT64).reshape(k, 1);
        for (int start = 0; start < docs.size(); start += BATCH) {
            int end = Math.min(docs.size(), start + BATCH);
            int[][] batch = new int[end - start][];
            for (int b = 0; b < batch.length; b++) {
                int[] t = docs.get(start + b);
                batch[b] = Arrays.copyOf(t, nCtx);
                Arrays.fill(batch[b], t.length, nCtx, PAD);
            }
            NDArray newMax, newIndex;
            try (NDScope ignored = new NDScope()) {
                NDArray acts = fwd.hookPost(TorchForward.tokens(m, batch)).max(new int[]{1});   // [B, d_mlp]
                NDArray textIndices = m.arange(start, end, 1, DataType.INT64);
                // batch_update: new_acts.sort(0, descending=True); text_indices[sorted_indices]
                NDArray sortedIdx = acts.argSort(0, false);
                NDArray sortedActs = acts.gather(sortedIdx, 0);
                NDArray newIndices = textIndices.take(sortedIdx);
                newMax = max;
                newIndex = index;
                for (int i = 0; i < batch.length; i++) {
                    NDArray act = sortedActs.get(i), idx = newIndices.get(i);
                    // update: min_max_act, min_max_indices = self.max.min(0); mask = new_act > min_max_act
                    NDArray minAct = newMax.min(new int[]{0});
                    NDArray minAt = newMax.argMin(0);
                    NDArray mask = act.gt(minAct);
                    if (mask.sum().toType(DataType.INT64, false).getLong() == 0) break;
                    // self.max[min_max_indices[mask], mask] = new_act[mask], as a where over [k, d_mlp]
                    NDArray sel = rows.eq(minAt.expandDims(0)).logicalAnd(mask.expandDims(0));
                    newMax = NDArrays.where(sel, act.expandDims(0).broadcast(k, dMlp), newMax);
                    newIndex = NDArrays.where(sel, idx.expandDims(0).broadcast(k, dMlp), newIndex);
                }
                if (newMax != max) NDScope.unregister(newMax, newIndex);
            }
            if (newMax != max) {
                max.close();
                index.close();
                max = newMax;
                index = newIndex;
            }
        }
        // inference_mode: self.max.sort(0, descending=True); self.index.gather(0, indices)
        NDArray order = max.argSort(0, false);
        float[] outMax = max.gather(order, 0).toFloatArray();
        long[] outDoc = index.gather(order, 0).toLongArray();
        int[] doc = new int[outDoc.length], pos = new int[outDoc.length];
        for (int i = 0; i < doc.length; i++) doc[i] = Math.toIntExact(outDoc[i]);
        Arrays.fill(pos, -1);
        return TopK.of(k, dMlp, outMax, doc, pos);
    }
}
