package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.HostTopKScan;
import neuroscan.engine.TopKScan;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.GpuEngineContract;
import neuroscan.store.TopK;
import neuroscan.engine.gpu.Twins;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The OpenCL engine: {@link GpuEngineContract}'s checks against the reference, plus what only it does (the
 * top-k store on the device, halving a batch that does not fit, bad input).
 */
class OpenClEngineTest extends GpuEngineContract {
    @Override
    protected Engine open(Integer maxBatchTokens) {
        Device.get();
        return maxBatchTokens == null ? OpenClEngine.open(weights, 0) : OpenClEngine.open(weights, 0, maxBatchTokens);
    }

    @Override
    protected GpuEngine open(neuroscan.model.Weights w, int maxBatchTokens) {
        Device.get();
        return OpenClEngine.open(w, 0, maxBatchTokens);
    }

    @Test
    void describesItselfAndKeepsTheRequestedBatch() {
        Device.get();
        try (GpuEngine e = OpenClEngine.open(weights, 0, CFG.nCtx())) {
            assertTrue(e.describe().startsWith("opencl: "), e.describe());
            assertEquals(CFG.nCtx(), e.maxBatchTokens());
        }
    }

    @Test
    void topKOnTheDeviceMatchesBruteForceOverTheReference() {
        Device.get();
        int n = CFG.dMlp(), k = 6;
        List<List<Twins.Entry>> offered = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            List<Twins.Entry> l = new ArrayList<>();
            for (int d = 0; d < docs.size(); d++) l.add(new Twins.Entry(refMax[d * n + j], 100 + d, refArg[d * n + j]));
            offered.add(l);
        }
        float[] eMax = new float[k * n];
        int[] eDoc = new int[k * n], ePos = new int[k * n];
        Twins.topK(offered, k, eMax, eDoc, ePos);

        float[] max = new float[k * n];
        int[] doc = new int[k * n], pos = new int[k * n];
        try (GpuEngine e = OpenClEngine.open(weights, 0, 2 * CFG.nCtx()); TopKScan top = e.topKScan(new TopK(k, n))) {
            assertEquals("device", top.mergeLocation());
            top.add(docs.subList(0, 17), ids(100, 17));         // two calls, each several batches
            top.add(docs.subList(17, docs.size()), ids(117, docs.size() - 17));
            TopK t = top.store();
            for (int r = 0; r < k; r++)
                for (int j = 0; j < n; j++) {
                    max[r * n + j] = t.max(r, j);
                    doc[r * n + j] = t.doc(r, j);
                    pos[r * n + j] = t.pos(r, j);
                }
        }
        neuroscan.engine.gpu.KernelsContract.assertClose(eMax, max, 1e-4, "top-k max");
        for (int i = 0; i < k * n; i++) {
            if (doc[i] == eDoc[i]) {
                assertEquals(ePos[i], pos[i], "pos " + i);
            } else if (Math.abs(eMax[i] - refMax[(doc[i] - 100) * n + i % n]) > 1e-4) {
                fail("slot " + i + ": doc " + doc[i] + ", expected " + eDoc[i]);   // only near-ties may swap
            }
        }
    }

    @Test
    void aBatchThatDoesNotFitIsHalvedBeforeGivingUp() {
        Device.get();
        long oneCtx = batchBytes(CFG.nCtx());
        // room for a batch of 2 n_ctx but not 4 or 8: 8 -> 4 -> 2
        try (GpuEngine e = OpenClEngine.open(weights, 0, 8 * CFG.nCtx(), batchBytes(2 * CFG.nCtx()) + 4)) {
            assertEquals(2 * CFG.nCtx(), e.maxBatchTokens());
            checkDocMax(e);
        }
        var tooSmall = assertThrows(NeuroscanException.class, () -> OpenClEngine.open(weights, 0, 4 * CFG.nCtx(), oneCtx - 4));
        String m = tooSmall.getMessage();
        assertTrue(m.matches("OpenCL device .*: out of memory even for one n_ctx document; tried batches of "
                + "384 \\(needs .* [KMG]iB, .* [KMG]iB are available after the weights\\), 192 \\(.*\\), 96 \\(.*\\) tokens"), m);
    }

    private static int[] ids(int first, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = first + i;
        return ids;
    }

    private static long batchBytes(int tokens) {
        return neuroscan.engine.gpu.GpuModel.batchBytes(CFG, tokens);
    }

    @Test
    void badInputIsRejectedBeforeAnythingRuns() {
        Device.get();
        try (GpuEngine e = OpenClEngine.open(weights, 0)) {
            float[] max = new float[CFG.dMlp()];
            int[] arg = new int[CFG.dMlp()];
            var tooLong = assertThrows(IllegalArgumentException.class,
                    () -> e.docMax(List.of(new int[CFG.nCtx() + 1]), max, arg));
            assertEquals("document 0 has 97 tokens; 1..96 expected", tooLong.getMessage());
            var badToken = assertThrows(IllegalArgumentException.class, () -> e.docMax(List.of(new int[]{1, 61}), max, arg));
            assertEquals("token id 61 outside vocabulary of 61", badToken.getMessage());
            assertThrows(IllegalArgumentException.class, () -> e.docMax(List.of(new int[0]), max, arg));
            // and the engine still works afterwards
            e.docMax(docs.subList(6, 7), max, arg);
            neuroscan.engine.gpu.KernelsContract.assertClose(java.util.Arrays.copyOfRange(refMax, 6 * CFG.dMlp(), 7 * CFG.dMlp()), max, 1e-4, "doc 6");
            assertArrayEquals(new int[CFG.dMlp()], arg);   // one token: position 0 everywhere
        }
    }
}
