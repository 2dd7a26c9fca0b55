package neuroscan.engine.cuda;

import neuroscan.engine.ReferenceEngine;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.engine.opencl.RandomModel;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole CUDA forward pass (graphs, two token slots, pinned memory) against {@link ReferenceEngine}
 * (plain loops in double) and the CPU engine on a small random model. Skips without a CUDA GPU.
 */
class CudaEngineTest {
    // d_model 48 and d_mlp 100 divide no tile; 3 heads of 16; n_ctx 96 > attention blocks of 32
    static final ModelConfig CFG = ModelConfig.gelu1lShaped(48, 3, 100, 96, 61);
    static Weights weights;
    static ReferenceEngine reference;
    static List<int[]> docs;
    static float[] refMax;
    static int[] refArg;

    @BeforeAll
    static void setUp() {
        weights = RandomModel.create(CFG, 7);
        reference = new ReferenceEngine(weights);
        docs = new ArrayList<>(RandomModel.docs(new Random(3), 40, CFG.nCtx(), CFG.dVocab()));
        docs.set(5, new int[CFG.nCtx()]);   // a full n_ctx document and a one-token one
        docs.set(6, new int[]{4});
        refMax = new float[docs.size() * CFG.dMlp()];
        refArg = new int[docs.size() * CFG.dMlp()];
        reference.docMax(docs, refMax, refArg);
    }

    @AfterAll
    static void tearDown() {
        reference.close();
    }

    @Test
    void docMaxMatchesTheReferenceAcrossManyBatchesOfTheReplayedGraphs() {
        Gpu.get();
        // batches of n_ctx tokens: dozens of batches of different sizes through the two slots' graphs
        try (CudaEngine e = CudaEngine.open(weights, 0, CFG.nCtx())) {
            assertEquals(CFG.nCtx(), e.maxBatchTokens());
            check(e);
            check(e);   // a second call replays the graphs built by the first
        }
    }

    @Test
    void docMaxMatchesTheReferenceInOneBatchAndTheCpuEngine() {
        Gpu.get();
        try (CudaEngine e = CudaEngine.open(weights, 0); CpuEngine cpu = new CpuEngine(weights, 2)) {
            assertTrue(e.describe().startsWith("cuda: "), e.describe());
            float[] max = check(e);
            float[] cpuMax = new float[max.length];
            cpu.docMax(docs, cpuMax, new int[max.length]);
            CudaKernelsTest.assertClose(cpuMax, max, 1e-4, "docMax vs the CPU engine");
        }
    }

    @Test
    void hookPostMatchesTheReference() {
        Gpu.get();
        try (CudaEngine e = CudaEngine.open(weights, 0)) {
            for (int[] doc : List.of(docs.get(0), docs.get(5), docs.get(6))) {
                CudaKernelsTest.assertClose(reference.hookPost(doc), e.hookPost(doc), 1e-4, "hook_post");
            }
        }
    }

    @Test
    void profileTimesEveryKernelOfABatch() {
        Gpu.get();
        try (CudaEngine e = CudaEngine.open(weights, 0)) {
            var times = e.profile(docs.subList(0, 8));
            assertEquals(List.of("embed", "layer_norm", "gemm_bias", "causal_attention", "gemm_bias", "layer_norm",
                    "mlp_in_gelu_max"), times.stream().map(t -> t.kernel()).toList());
            for (var t : times) assertTrue(t.millis() > 0, t.toString());
        }
    }

    private static float[] check(CudaEngine e) {
        int n = CFG.dMlp();
        float[] max = new float[docs.size() * n];
        int[] arg = new int[docs.size() * n];
        e.docMax(docs, max, arg);
        CudaKernelsTest.assertClose(refMax, max, 1e-4, "docMax");
        for (int d = 0; d < docs.size(); d++) {
            float[] post = null;
            for (int j = 0; j < n; j++) {
                int i = d * n + j;
                if (arg[i] == refArg[i]) continue;
                if (post == null) post = reference.hookPost(docs.get(d));
                if (Math.abs(post[arg[i] * n + j] - refMax[i]) > 1e-4) {   // a different argmax must be a near-tie
                    fail("doc " + d + " neuron " + j + ": argmax " + arg[i] + ", reference " + refArg[i]);
                }
            }
        }
        return max;
    }
}
