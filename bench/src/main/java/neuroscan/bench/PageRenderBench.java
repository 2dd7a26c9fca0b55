package neuroscan.bench;

import neuroscan.view.HtmlPage;
import neuroscan.view.NeuronReport;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Rendering a whole site's pages (no disk): 2048 neuron pages of k examples of {@code docLen} tokens,
 * built from synthetic reports with GELU-like activations (most tokens near zero, a few strong).
 * Goal: 2048 pages well under a minute. Only HtmlPage.render is timed; reports are made in setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class PageRenderBench {
    @Param({"20"})
    int k;

    @Param({"1024", "400"})
    int docLen;

    static final String[] WORDS = {" the", " of", " and", " to", " a", " in", " is", " for", " that", " on", " THE",
            " NEWS", "ING", " with", "\n", " was", " caf\u00e9", " \u0645\u0631\u062d\u0628\u0627", "'s", ",", ".",
            " 2019", " <b>", " &", " \"quoted\""};

    NeuronReport[] pool;

    @Setup(Level.Trial)
    public void setup() {
        pool = new NeuronReport[16];
        for (int i = 0; i < pool.length; i++) pool[i] = synthetic(i, k, docLen, i);
    }

    static NeuronReport synthetic(int neuron, int k, int len, long seed) {
        Random rnd = new Random(seed);
        List<NeuronReport.Example> ex = new ArrayList<>();
        for (int r = 0; r < k; r++) {
            List<String> t = new ArrayList<>(len);
            float[] a = new float[len];
            t.add("<|BOS|>");
            for (int i = 1; i < len; i++) t.add(WORDS[rnd.nextInt(WORDS.length)]);
            for (int i = 0; i < len; i++) {
                a[i] = rnd.nextDouble() < 0.05 ? (float) (rnd.nextDouble() * 4) : (float) (rnd.nextDouble() * 0.27 - 0.17);
            }
            a[rnd.nextInt(len)] = 5 - r * 0.05f;
            ex.add(NeuronReport.Example.of(r, rnd.nextInt(10_000), t, a));
        }
        var logits = new NeuronReport.Logits(List.of(new NeuronReport.TokenValue(" THE", 0.6f)),
                List.of(new NeuronReport.TokenValue(" the", -0.4f)));
        return new NeuronReport("gelu-1l", "c4-10k", 0, neuron, logits, ex, 2048, null);
    }

    /** All 2048 pages, in parallel as Site renders them; returns the characters made. */
    @Benchmark
    public long site2048() {
        return IntStream.range(0, 2048).parallel().mapToLong(n -> {
            var p = pool[n % pool.length];
            var r = new NeuronReport(p.model(), p.dataset(), 0, n, p.logits(), p.examples(), 2048, null);
            return HtmlPage.render(r).length();
        }).sum();
    }
}
