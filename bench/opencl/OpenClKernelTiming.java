import neuroscan.engine.opencl.OpenClDevices;
import neuroscan.engine.opencl.OpenClEngine;
import neuroscan.engine.gpu.KernelTime;
import neuroscan.model.ModelConfig;
import neuroscan.model.RandomWeights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-kernel device time of the OpenCL pipeline at gelu-1l shapes (d_model 512, 8 heads, d_mlp 2048,
 * n_ctx 1024) on random weights, from OpenCL profiling events: ms, GFLOP/s and GB/s per kernel, the
 * median over the repetitions, plus the end-to-end docMax rate (uploads, overlap and readback included).
 * A plain main (no JMH: a device timer is what matters here). After {@code mvn -q -DskipTests package}, with the
 * shaded jar (the dependencies: KernelSources reads kernels.json with Jackson) and the test classes
 * (RandomWeights, from src/support) on the classpath:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/neuroscan.jar:target/test-classes bench/opencl/OpenClKernelTiming.java [device] [reps]
 * </pre>
 */
public final class OpenClKernelTiming {
    public static void main(String[] args) {
        int device = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ModelConfig cfg = new ModelConfig(1, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5, null);
        // 4096 tokens as c4 documents come: two full n_ctx ones and shorter ones
        int[] lengths = {1024, 1024, 812, 610, 400, 226};
        SplittableRandom r = new SplittableRandom(1);
        List<int[]> docs = new ArrayList<>();
        for (int len : lengths) docs.add(r.ints(len, 0, cfg.dVocab()).toArray());
        int tokens = docs.stream().mapToInt(d -> d.length).sum();

        System.out.println("device " + OpenClDevices.select(device).describe());
        try (neuroscan.engine.gpu.GpuEngine e = OpenClEngine.open(RandomWeights.create(cfg, 1), device, tokens)) {
            System.out.println(e.describe() + "; " + docs.size() + " documents, " + tokens + " tokens; median of " + reps
                    + " runs after 1 warm-up");
            e.profile(docs);                                            // warm-up: kernel compilation, first touch
            Map<String, List<KernelTime>> runs = new LinkedHashMap<>();
            for (int i = 0; i < reps; i++) {
                List<KernelTime> times = e.profile(docs);
                for (int k = 0; k < times.size(); k++) {
                    KernelTime t = times.get(k);
                    // two launches of gemm_bias and layer_norm per pass: keep them apart by launch order
                    String key = t.kernel() + (times.subList(0, k).stream().anyMatch(o -> o.kernel().equals(t.kernel())) ? " #2" : "");
                    runs.computeIfAbsent(key, x -> new ArrayList<>()).add(t);
                }
            }
            System.out.printf("%-20s %10s %10s %10s %10s%n", "kernel", "ms", "GFLOP", "GFLOP/s", "GB/s");
            double total = 0;
            for (var en : runs.entrySet()) {
                KernelTime t = median(en.getValue());
                total += t.millis();
                System.out.printf("%-20s %10.3f %10.3f %10.2f %10.2f%n", en.getKey(), t.millis(), t.gflop(),
                        t.gflopPerSecond(), t.gbytePerSecond());
            }
            System.out.printf("%-20s %10.3f   (%.0f tokens/s of kernel time)%n", "sum", total, tokens / (total / 1e3));

            float[] max = new float[docs.size() * cfg.dMlp()];
            int[] arg = new int[max.length];
            List<int[]> twice = new ArrayList<>(docs);
            twice.addAll(docs);
            float[] max2 = new float[twice.size() * cfg.dMlp()];
            int[] arg2 = new int[max2.length];
            e.docMax(docs, max, arg);                                   // warm-up
            double best = Double.MAX_VALUE;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                e.docMax(twice, max2, arg2);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            System.out.printf("docMax end to end (2 batches, best of %d): %d tokens in %.3f s = %.0f tokens/s%n", reps,
                    2 * tokens, best, 2 * tokens / best);
        }
    }

    private static KernelTime median(List<KernelTime> ts) {
        List<KernelTime> sorted = new ArrayList<>(ts);
        sorted.sort((a, b) -> Double.compare(a.millis(), b.millis()));
        return sorted.get(sorted.size() / 2);
    }
}
