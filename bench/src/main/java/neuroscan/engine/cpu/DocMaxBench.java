package neuroscan.engine.cpu;

import neuroscan.model.ModelConfig;
import neuroscan.model.RandomWeights;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The whole scan step, {@link CpuEngine#docMax}, on a random gelu-1l-shaped model (d_vocab 48262) over
 * 96 synthetic documents with C4-like lengths (log-normal, mean 449 tokens, 11 of them cut at n_ctx 1024),
 * on all cores. {@code flop} counts the forward pass up to hook_post (projections + causal attention):
 * compare it with {@link FmaPeakBench#allCores}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
@State(Scope.Benchmark)
public class DocMaxBench {
    static final int DOCS = 96, VOCAB = 48262;

    /** 0 = all available processors. */
    @Param("0")
    public int threads;

    private CpuEngine engine;
    private List<int[]> docs;
    private long flopPerCall, tokensPerCall;
    private float[] max;
    private int[] argmax;

    @Setup
    public void setup() {
        ModelConfig c = ModelConfig.gelu1lShaped(512, 8, 2048, 1024, VOCAB);
        engine = threads > 0 ? new CpuEngine(RandomWeights.create(c, 7), threads) : new CpuEngine(RandomWeights.create(c, 7));
        docs = c4LikeDocs(new SplittableRandom(42), DOCS, c.nCtx(), VOCAB);
        for (int[] d : docs) {
            tokensPerCall += d.length;
            flopPerCall += Flops.forward(d.length, 512, 8, 64, 2048);
        }
        max = new float[DOCS * c.dMlp()];
        argmax = new int[DOCS * c.dMlp()];
        System.out.printf("%n%s: %d docs, %d tokens (mean %.0f), %.1f GFLOP per call (%.2f MFLOP/token)%n",
                engine.describe(), DOCS, tokensPerCall, (double) tokensPerCall / DOCS, flopPerCall / 1e9,
                flopPerCall / 1e6 / tokensPerCall);
    }

    /** Log-normal lengths (median 330) clipped to [2, n_ctx]: roughly C4's length profile with BOS. */
    static List<int[]> c4LikeDocs(SplittableRandom r, int n, int nCtx, int vocab) {
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            double g = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
            int len = (int) Math.max(2, Math.min(nCtx, Math.round(Math.exp(5.8 + 0.8 * g))));
            docs.add(r.ints(len, 0, vocab).toArray());
        }
        return docs;
    }

    /** Tokens and documents done, reported as tokens/s and docs/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long tokens, docs;

        @Setup(Level.Iteration)
        public void reset() {
            tokens = docs = 0;
        }
    }

    @Benchmark
    public float docMax(Flops f, Work w) {
        engine.docMax(docs, max, argmax);
        f.flop += flopPerCall;
        w.tokens += tokensPerCall;
        w.docs += DOCS;
        return max[0];
    }

    @TearDown
    public void close() {
        engine.close();
    }
}
