import neuroscan.engine.cuda.CU;
import neuroscan.engine.cuda.CudaDevices;
import neuroscan.engine.cuda.CudaEngine;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.KernelTime;
import neuroscan.model.ModelConfig;
import neuroscan.model.RandomWeights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-task GPU time of the CUDA engine's batch graph at gelu-1l shapes (d_model 512, 8 heads of 64, d_mlp 2048,
 * n_ctx 1024, vocab 48262) on random weights: {@link GpuEngine#profile} runs one batch task by task (embed, ln1,
 * qkv, attention, out, ln2, mlp_in_gelu_max, topk_merge), each timed by CUDA events; printed are the median ms,
 * GFLOP, GFLOP/s, GB/s and % of the GPU's FP32 peak at its reported clock (SMs x FP32 lanes x 2 x clock; the GPU
 * check also quotes a measured peak, bench/gpu/fma_peak.py). Then docMax end to end over two such batches
 * (uploads on the transfer stream, the second batch's upload overlapping the first's compute, readback).
 *
 * <p>The batch is what a CUDA scan runs: 16,384 tokens (CudaEngine's default batch) in 20 documents, 12 of n_ctx
 * and 8 shorter ones, as c4 documents come. A plain main; with the shaded jar and the test classes (RandomWeights,
 * from src/support) on the classpath, from source (a JDK) or compiled (bench/gpu-bundle.sh does, for the GPU
 * check's JRE, which has no compiler):
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/neuroscan.jar:target/test-classes bench/cuda/CudaKernelTiming.java [device] [reps]
 * </pre>
 * Exit status 2, with one line on stderr, where there is no CUDA GPU.
 */
public final class CudaKernelTiming {
    /** The task names of the batch graph, in order (GpuEngine.profile), for a reader checking the table. */
    static final List<String> TASKS = List.of("embed", "ln1", "qkv", "attention", "out", "ln2", "mlp_in_gelu_max", "topk_merge");

    public static void main(String[] args) {
        int device = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        var why = CU.unavailable();
        if (why.isPresent()) {
            System.err.println("CudaKernelTiming: no CUDA GPU: " + why.get());
            System.exit(2);
        }
        ModelConfig cfg = gelu1l();
        List<int[]> docs = batch(cfg);
        int tokens = docs.stream().mapToInt(d -> d.length).sum();
        CudaDevices.Info gpu = CudaDevices.select(device);
        System.out.println("device " + gpu.describe() + "; " + CudaDevices.driverVersion());
        try (GpuEngine e = CudaEngine.open(RandomWeights.create(cfg, 1), device, tokens)) {
            time(e, cfg, docs, gpu.fp32PeakFlops(), reps);
            screened(e, cfg, docs, reps);
        }
    }

    static ModelConfig gelu1l() {
        return new ModelConfig(1, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5, null);
    }

    /** 16,384 tokens: 12 documents of n_ctx and 812, 610, 400, 226 twice. */
    static List<int[]> batch(ModelConfig cfg) {
        int[] lengths = {1024, 1024, 1024, 1024, 812, 610, 400, 226, 1024, 1024, 1024, 1024, 812, 610, 400, 226,
                1024, 1024, 1024, 1024};
        SplittableRandom r = new SplittableRandom(1);
        List<int[]> docs = new ArrayList<>();
        for (int len : lengths) docs.add(r.ints(len, 0, cfg.dVocab()).toArray());
        return docs;
    }

    /** The per-task table (median of {@code reps} profiles after one warm-up) and docMax end to end; peakFlops may be NaN. */
    static void time(GpuEngine e, ModelConfig cfg, List<int[]> docs, double peakFlops, int reps) {
        int tokens = docs.stream().mapToInt(d -> d.length).sum();
        System.out.println(e.describe() + "; " + docs.size() + " documents, " + tokens + " tokens; median of " + reps
                + " runs after 1 warm-up");
        e.profile(docs);                                            // warm-up: modules loaded, first touch
        Map<String, List<KernelTime>> runs = new LinkedHashMap<>();
        for (int i = 0; i < reps; i++) {
            for (KernelTime t : e.profile(docs)) runs.computeIfAbsent(t.kernel(), k -> new ArrayList<>()).add(t);
        }
        if (!List.copyOf(runs.keySet()).equals(TASKS)) {
            System.out.println("note: the profiled tasks are " + runs.keySet() + ", not " + TASKS);
        }
        System.out.printf("%-18s %10s %10s %10s %10s %8s%n", "task", "ms", "GFLOP", "GFLOP/s", "GB/s", "% peak");
        double total = 0, flop = 0;
        for (var en : runs.entrySet()) {
            KernelTime t = median(en.getValue());
            total += t.millis();
            flop += t.gflop();
            System.out.printf("%-18s %10.4f %10.3f %10.1f %10.1f %7.1f%%%n", en.getKey(), t.millis(), t.gflop(),
                    t.gflopPerSecond(), t.gbytePerSecond(), 100 * t.gflopPerSecond() * 1e9 / peakFlops);
        }
        double all = flop / (total / 1e3);
        System.out.printf("%-18s %10.4f %10.3f %10.1f %10s %7.1f%%   (%.1f M tokens/s of task time)%n", "sum", total, flop, all, "",
                100 * all * 1e9 / peakFlops, tokens / (total / 1e3) / 1e6);
        if (!Double.isNaN(peakFlops)) System.out.printf("%% peak: of %.1f TFLOP/s FP32 at the reported clock%n", peakFlops / 1e12);

        List<int[]> twice = new ArrayList<>(docs);
        twice.addAll(docs);
        float[] max = new float[twice.size() * cfg.dMlp()];
        int[] arg = new int[max.length];
        e.docMax(twice, max, arg);                                  // warm-up: the graphs captured
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            e.docMax(twice, max, arg);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("docMax end to end (2 batches, best of %d): %d tokens in %.2f ms = %.1f M tokens/s%n", reps,
                2 * tokens, best * 1e3, 2 * tokens / best / 1e6);
    }

    /**
     * The same batch through the screened graph (issue 14: norm_rows, mlp_screen, mlp_recompute in place of
     * mlp_in_gelu_max), merging into the top-20 store of 60 other documents of the same shape (their FP32
     * maxima, from docMax): the thresholds a scan meets after its first batches. Prints the screen's tasks
     * and the MLP's time screened vs FP32.
     */
    static void screened(GpuEngine e, ModelConfig cfg, List<int[]> docs, int reps) {
        SplittableRandom r = new SplittableRandom(2);
        List<int[]> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) for (int[] d : docs) others.add(r.ints(d.length, 0, cfg.dVocab()).toArray());
        float[] max = new float[others.size() * cfg.dMlp()];
        int[] arg = new int[max.length], ids = new int[others.size()];
        e.docMax(others, max, arg);
        for (int i = 0; i < ids.length; i++) ids[i] = 1_000_000 + i;
        neuroscan.store.TopK store = new neuroscan.store.TopK(20, cfg.dMlp());
        store.merge(others.size(), ids, max, arg);
        var on = neuroscan.engine.gpu.Screening.Mode.ON;
        e.profile(docs, store, on);                                 // warm-up
        Map<String, List<KernelTime>> runs = new LinkedHashMap<>();
        for (int i = 0; i < reps; i++) {
            for (KernelTime t : e.profile(docs, store, on)) runs.computeIfAbsent(t.kernel(), k -> new ArrayList<>()).add(t);
        }
        Map<String, List<KernelTime>> fp32 = new LinkedHashMap<>();
        for (int i = 0; i < reps; i++) {
            for (KernelTime t : e.profile(docs)) fp32.computeIfAbsent(t.kernel(), k -> new ArrayList<>()).add(t);
        }
        System.out.println("screened (TF32 tensor cores + FP32 recompute of candidates), store of 60 other documents' top 20:");
        double mlp = 0;
        for (var en : runs.entrySet()) {
            KernelTime t = median(en.getValue());
            if (List.of("norm_rows", "mlp_screen", "mlp_recompute").contains(en.getKey())) mlp += t.millis();
            System.out.printf("%-18s %10.4f ms%n", en.getKey(), t.millis());
        }
        double exact = median(fp32.get("mlp_in_gelu_max")).millis();
        System.out.printf("MLP screened %.4f ms vs mlp_in_gelu_max %.4f ms: %.2fx%n", mlp, exact, exact / mlp);
    }

    private static KernelTime median(List<KernelTime> ts) {
        List<KernelTime> sorted = new ArrayList<>(ts);
        sorted.sort((a, b) -> Double.compare(a.millis(), b.millis()));
        return sorted.get(sorted.size() / 2);
    }
}
