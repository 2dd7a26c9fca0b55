import neuroscan.engine.cuda.CudaDevices;
import neuroscan.engine.cuda.CudaEngine;
import neuroscan.engine.gpu.KernelTime;
import neuroscan.model.ModelConfig;
import neuroscan.model.RandomWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Per-kernel GPU time of the CUDA pipeline at gelu-1l shapes (d_model 512, 8 heads, d_mlp 2048, n_ctx 1024)
 * on random weights, from CUDA events: ms, GFLOP/s and the fraction of the GPU's FP32 peak (SMs x FP32
 * lanes x 2 x clock), median over the repetitions; then the end-to-end docMax rate of the graph pipeline
 * (uploads, overlap and readback included). A plain main; run with the shaded jar and the test classes
 * (RandomWeights, from src/support) on the classpath:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/neuroscan.jar:target/test-classes bench/cuda/CudaKernelTiming.java [device] [reps]
 * </pre>
 */
public final class CudaKernelTiming {
    public static void main(String[] args) {
        int device = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        ModelConfig cfg = new ModelConfig(1, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5, null);
        SplittableRandom r = new SplittableRandom(1);
        // 16,384 tokens as c4 documents come: full n_ctx ones and shorter ones
        int[] lengths = {1024, 1024, 1024, 1024, 812, 610, 400, 226, 1024, 1024, 1024, 1024, 812, 610, 400, 226,
                1024, 1024, 1024, 1024, 1024, 1024, 1024, 256};
        List<int[]> docs = new ArrayList<>();
        for (int len : lengths) docs.add(r.ints(len, 0, cfg.dVocab()).toArray());
        int tokens = docs.stream().mapToInt(d -> d.length).sum();
        var why = neuroscan.engine.cuda.CU.unavailable();
        if (why.isPresent()) {
            System.err.println("CudaKernelTiming: no CUDA GPU: " + why.get());
            System.exit(2);
        }
        CudaDevices.Info gpu = CudaDevices.select(device);
        double peak = gpu.fp32PeakFlops();
        System.out.println("device " + gpu.describe() + "; " + CudaDevices.driverVersion());
        try (neuroscan.engine.gpu.GpuEngine e = CudaEngine.open(RandomWeights.create(cfg, 1), device, tokens)) {
            System.out.println(e.describe() + "; " + docs.size() + " documents, " + tokens + " tokens; median of " + reps
                    + " runs after 1 warm-up");
            e.profile(docs);
            List<List<KernelTime>> runs = new ArrayList<>();
            for (int i = 0; i < reps; i++) runs.add(e.profile(docs));
            System.out.printf("%-18s %9s %10s %9s%n", "kernel", "ms", "GFLOP/s", "% peak");
            for (int k = 0; k < runs.getFirst().size(); k++) {
                List<Double> ms = new ArrayList<>();
                for (List<KernelTime> run : runs) ms.add(run.get(k).millis());
                ms.sort(null);
                KernelTime t = runs.getFirst().get(k);
                double med = ms.get(ms.size() / 2), gflops = t.gflop() / (med / 1e3);
                System.out.printf("%-18s %9.3f %10.1f %8.1f%%%n", t.kernel(), med, gflops, 100 * gflops * 1e9 / peak);
            }
            float[] max = new float[docs.size() * cfg.dMlp()];
            int[] arg = new int[max.length];
            e.docMax(docs, max, arg);   // warm: graphs built
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) e.docMax(docs, max, arg);
            double s = (System.nanoTime() - t0) / 1e9 / reps;
            System.out.printf("docMax end to end: %.2f ms per %d tokens, %.1f M tokens/s%n", s * 1e3, tokens, tokens / s / 1e6);
        }
    }
}
