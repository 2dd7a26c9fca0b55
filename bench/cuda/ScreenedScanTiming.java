import neuroscan.engine.ScreenCounts;
import neuroscan.engine.TopKScan;
import neuroscan.engine.cuda.CU;
import neuroscan.engine.cuda.CudaEngine;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.Screening;
import neuroscan.engine.opencl.OpenClEngine;
import neuroscan.model.ModelLoader;
import neuroscan.model.Weights;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The screened scan against the FP32 one on the same GPU (issue 14): every document of a run's token cache
 * through {@code GpuEngine.topKScan} (the scan's device store, batches as the scanner cuts them: sorted by
 * length, 64 documents at most) with screening ON and OFF, {@code reps} times each, alternating; the stores
 * must be equal bit for bit (documents, positions, max bits, NaN counts). Without the scan's statistics on
 * either side (the screen cannot keep them exact yet), so the two differ only in the MLP. Writes screen.md
 * and screen.json into OUT: median seconds of each, the ratio, the screen's counters.
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp neuroscan.jar ScreenedScanTiming MODEL TOKENS OUT [k] [reps] [cuda|opencl]
 * </pre>
 * Exit 1 when the stores differ; 2, with one line, where the backend is missing.
 */
public final class ScreenedScanTiming {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]), tokens = Path.of(args[1]), out = Path.of(args[2]);
        int k = args.length > 3 ? Integer.parseInt(args[3]) : 20, reps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        String backend = args.length > 5 ? args[5] : "cuda";
        if (backend.equals("cuda") && CU.unavailable().isPresent()) {
            System.err.println("ScreenedScanTiming: no CUDA GPU: " + CU.unavailable().get());
            System.exit(2);
        }
        Weights w = ModelLoader.load(model).weights();
        TokenCache cache = TokenCache.open(tokens);
        List<int[]> docs = new ArrayList<>();
        int[] ids = new int[cache.nDocs()];
        for (int i = 0; i < cache.nDocs(); i++) {
            docs.add(cache.doc(cache.docs().start() + i));
            ids[i] = cache.docs().start() + i;
        }
        Integer[] order = new Integer[docs.size()];   // the scanner's order: by length, then index
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> docs.get(a).length != docs.get(b).length ? Integer.compare(docs.get(a).length, docs.get(b).length) : Integer.compare(a, b));
        List<int[]> sorted = new ArrayList<>();
        int[] sortedIds = new int[ids.length];
        for (int i = 0; i < order.length; i++) {
            sorted.add(docs.get(order[i]));
            sortedIds[i] = ids[order[i]];
        }
        int width = w.cfg().nLayers() * w.cfg().dMlp();
        try (GpuEngine e = backend.equals("cuda") ? CudaEngine.open(w, 0) : OpenClEngine.open(w, 0)) {
            System.out.println(e.describe() + "; " + docs.size() + " documents, " + cache.nTokens() + " tokens, k " + k);
            double[] fp32 = new double[reps], screened = new double[reps];
            TopK a = null, b = null;
            ScreenCounts counts = null;
            run(e, sorted, sortedIds, k, width, Screening.Mode.OFF);   // warm-up: modules, graphs
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                a = run(e, sorted, sortedIds, k, width, Screening.Mode.OFF).store;
                fp32[r] = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                Result s = run(e, sorted, sortedIds, k, width, Screening.Mode.ON);
                screened[r] = (System.nanoTime() - t0) / 1e9;
                b = s.store;
                counts = s.counts;
                System.out.printf(Locale.ROOT, "rep %d: FP32 %.3f s, screened %.3f s%n", r + 1, fp32[r], screened[r]);
            }
            boolean same = Arrays.equals(a.copyOfDoc(), b.copyOfDoc()) && Arrays.equals(a.copyOfPos(), b.copyOfPos());
            float[] am = a.copyOfMax(), bm = b.copyOfMax();
            for (int i = 0; i < am.length && same; i++) same = Float.floatToRawIntBits(am[i]) == Float.floatToRawIntBits(bm[i]);
            for (int n = 0; n < width && same; n++) same = a.nanCount(n) == b.nanCount(n);
            double mf = median(fp32), ms = median(screened);
            String md = String.format(Locale.ROOT, """
                    # Screened vs FP32 scan on the device store (issue 14, bench/cuda/ScreenedScanTiming.java)

                    %s; %d documents, %d tokens, k %d; median of %d, the whole scan through GpuEngine.topKScan (no statistics on either side)

                    | | FP32 | screened |
                    |---|---:|---:|
                    | scan | %.3f s | %.3f s |

                    speed-up %.2fx (goal: >= 1.6x at 10,000 documents on an H100/H200); stores bit-identical: %s
                    pairs screened %d, recomputed in FP32 %d, fraction skipped %.4f
                    """, e.describe(), docs.size(), cache.nTokens(), k, reps, mf, ms, mf / ms, same ? "yes" : "NO",
                    counts.screened(), counts.recomputed(), counts.fractionSkipped());
            String json = String.format(Locale.ROOT, "{\"backend\": \"%s\", \"docs\": %d, \"tokens\": %d, \"k\": %d, \"reps\": %d, "
                            + "\"fp32_s\": %.6f, \"screened_s\": %.6f, \"speedup\": %.4f, \"identical\": %b, \"pairs_screened\": %d, "
                            + "\"candidates_recomputed\": %d, \"fraction_skipped\": %.6f}%n", e.describe().replace("\"", "'"), docs.size(),
                    cache.nTokens(), k, reps, mf, ms, mf / ms, same, counts.screened(), counts.recomputed(), counts.fractionSkipped());
            Files.createDirectories(out);
            Files.writeString(out.resolve("screen.md"), md);
            Files.writeString(out.resolve("screen.json"), json);
            System.out.print(md);
            if (!same) System.exit(1);
        }
    }

    private record Result(TopK store, ScreenCounts counts) {
    }

    private static Result run(GpuEngine e, List<int[]> docs, int[] ids, int k, int width, Screening.Mode mode) {
        e.screening(mode);
        try (TopKScan top = e.topKScan(new TopK(k, width))) {
            for (int i = 0; i < docs.size(); i += 64) {
                int j = Math.min(docs.size(), i + 64);
                top.add(docs.subList(i, j), Arrays.copyOfRange(ids, i, j));
            }
            return new Result(top.store(), top.screenCounts());
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
