package neuroscan.engine.cpu;

import neuroscan.model.ModelConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Each op of the CPU engine on one core at gelu-1l's shape, on a full bin of 1020 rows (what the engine
 * feeds the projections) and a 512-token document for attention. Compare {@code flop} with
 * {@link FmaPeakBench#oneCore}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Threads(1)
@State(Scope.Thread)
public class OpsBench {
    static final int D_MODEL = 512, HEADS = 8, D_HEAD = 64, D_MLP = 2048, N_CTX = 1024;
    static final int ROWS = 1020, DOC = 512, DOCS_PER_BIN = 4;

    private Workspace ws;
    private GemmBias qkv, out, mlpUnfused;
    private float[] pre;
    private MlpInGeluMax mlp;
    private LayerNorm ln;
    private CausalAttention attention;
    private float[] a, mlpMax;
    private int[] slot, pos, mlpArg, mlpPositive;

    @Setup
    public void setup() {
        var r = new SplittableRandom(1);
        ModelConfig c = ModelConfig.gelu1lShaped(D_MODEL, HEADS, D_MLP, N_CTX, 100);
        ws = new Workspace(c, CpuEngine.MAX_DOCS_PER_BIN);
        float[] wQkv = random(r, D_MODEL * 3 * D_MODEL), wIn = random(r, D_MODEL * D_MLP);
        qkv = new GemmBias(new Panels(D_MODEL, 3 * D_MODEL, (i, j) -> wQkv[i * 3 * D_MODEL + j], random(r, 3 * D_MODEL)));
        Panels inPanels = new Panels(D_MODEL, D_MLP, (i, j) -> wIn[i * D_MLP + j], random(r, D_MLP));
        mlp = new MlpInGeluMax(inPanels, "gelu");
        mlpUnfused = new GemmBias(inPanels);
        pre = new float[ROWS * ws.ldm];
        float[] wO = random(r, D_MODEL * D_MODEL);
        out = new GemmBias(new Panels(D_MODEL, D_MODEL, (i, j) -> wO[i * D_MODEL + j], random(r, D_MODEL)));
        ln = new LayerNorm("LN", random(r, D_MODEL), random(r, D_MODEL), 1e-5, D_MODEL);
        attention = new CausalAttention(HEADS, D_HEAD);
        a = random(r, ROWS * ws.ldx);
        float[] q = random(r, ws.qkv.length);
        System.arraycopy(q, 0, ws.qkv, 0, q.length);
        slot = new int[ROWS];
        pos = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            slot[i] = i * DOCS_PER_BIN / ROWS;
            pos[i] = i - slot[i] * ROWS / DOCS_PER_BIN;
        }
        mlpMax = new float[DOCS_PER_BIN * ws.ldm];
        mlpArg = new int[DOCS_PER_BIN * ws.ldm];
        mlpPositive = new int[DOCS_PER_BIN * ws.ldm];
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return v;
    }

    /** The fused QKV projection, [1020 x 512] @ [512 x 1536] + bias. */
    @Benchmark
    public float gemmBiasQkv(Flops f) {
        qkv.apply(a, ws.ldx, ROWS, ws.qkv, ws.ldq, false, ws);
        f.flop += Flops.gemm(ROWS, D_MODEL, 3 * D_MODEL);
        return ws.qkv[0];
    }

    /** The attention output projection, x += [1020 x 512] @ W_O [512 x 512] + b_O. */
    @Benchmark
    public float gemmBiasOut(Flops f) {
        out.apply(a, ws.ldx, ROWS, ws.x, ws.ldx, true, ws);
        f.flop += Flops.gemm(ROWS, D_MODEL, D_MODEL);
        return ws.x[0];
    }

    /** The same product as {@link #mlpInGeluMax} without the fused epilogue, for the ratio. */
    @Benchmark
    public float gemmBiasMlpIn(Flops f) {
        mlpUnfused.apply(a, ws.ldx, ROWS, pre, ws.ldm, false, ws);
        f.flop += Flops.gemm(ROWS, D_MODEL, D_MLP);
        return pre[0];
    }

    /** [1020 x 512] @ W_in [512 x 2048] + b_in, GELU, max/argmax over 4 documents' rows. */
    @Benchmark
    public float mlpInGeluMax(Flops f) {
        Arrays.fill(mlpMax, Float.NEGATIVE_INFINITY);
        Arrays.fill(mlpPositive, 0);
        mlp.apply(a, ws.ldx, ROWS, slot, pos, mlpMax, mlpArg, mlpPositive, ws.ldm, ws);
        f.flop += Flops.gemm(ROWS, D_MODEL, D_MLP);
        return mlpMax[0];
    }

    /** Causal attention of one 512-token document, 8 heads of 64. */
    @Benchmark
    public float causalAttention(Flops f) {
        attention.apply(ws.qkv, ws.ldq, 0, DOC, ws.z, ws.ldz, ws);
        f.flop += Flops.attention(DOC, HEADS, D_HEAD);
        return ws.z[0];
    }

    /** LayerNorm of 1020 rows of 512; memory-bound, counted as 8 FLOP per element. */
    @Benchmark
    public float layerNorm(Flops f) {
        ln.apply(a, ws.ldx, ROWS, ws.x, ws.ldx, ws.lanes);
        f.flop += 8L * ROWS * D_MODEL;
        return ws.x[0];
    }
}
