import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.Calls;
import neuroscan.engine.gpu.KernelSources;
import neuroscan.engine.opencl.CL;
import neuroscan.engine.opencl.CL.Buffer;
import neuroscan.engine.opencl.CL.Kernel;
import neuroscan.engine.opencl.OpenClDevices;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Device time of each kernel in its two versions, side by side on one OpenCL device: the generated C
 * (kernels/neuroscan/kernels/*.java translated by the build, {@link KernelSources#source}) and the
 * hand-written OpenCL C it replaced (a folder of common.h, gemm_tile.h and *.cl, as in commit f4073c6's
 * src/test/resources/handwritten-kernels/). gelu-1l shapes, 4096 tokens in 6 documents, random data;
 * launches exactly as {@link Calls} builds them. Per kernel: one warm-up launch of each version, then
 * {@code reps} launches alternating generated / hand-written, each timed by its profiling event; every
 * buffer a kernel writes is restored before each launch and is per version, so the outputs can be
 * compared bit for bit at the end. ratio = generated / hand-written of the medians; paired ratio = the
 * median of launch i's ratio (a pair runs seconds apart, under about the same load).
 * KernelSources reads kernels.json with Jackson, so the classpath needs the runtime dependencies:
 * <pre>
 * mvn -B -ntp -q -DskipTests compile dependency:build-classpath -Dmdep.outputFile=target/runtime.classpath -Dmdep.includeScope=runtime
 * java --enable-native-access=ALL-UNNAMED -cp target/classes:$(cat target/runtime.classpath) \
 *     bench/opencl/KernelVersions.java src/test/resources/handwritten-kernels [reps]
 * </pre>
 */
public final class KernelVersions {
    static final int D_MODEL = 512, HEADS = 8, D_HEAD = 64, D_MLP = 2048, N_CTX = 1024, VOCAB = 48262, K = 20;
    static final int[] OFFSETS = {0, 1024, 2048, 2860, 3470, 3870, 4096};
    static final int T = 4096, DOCS = 6, HD = HEADS * D_HEAD;

    /** One row of the table: host arrays (float[] / int[]), which of them the kernel writes, the launch over their buffers. */
    record Case(String label, List<Object> arrays, Set<Integer> written, Function<List<Buffer>, Call> call) {
    }

    static final SplittableRandom R = new SplittableRandom(1);

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        var info = OpenClDevices.select(0);
        CL.Device dev = info.device();
        CL.Context ctx = CL.createContext(dev);
        CL.Queue q = CL.createQueue(ctx, dev, true);
        String options = KernelSources.options(D_HEAD);
        Map<String, Kernel> gen = new HashMap<>(), hand = new HashMap<>();
        for (String name : KernelSources.names()) {
            gen.put(name, CL.buildProgram(ctx, dev, name, KernelSources.source(name), options).kernel(name));
            String text = "#line 1 \"common.h\"\n" + Files.readString(dir.resolve("common.h")) + "\n"
                    + (name.equals("gemm_bias") || name.equals("mlp_in_gelu_max")
                    ? "#line 1 \"gemm_tile.h\"\n" + Files.readString(dir.resolve("gemm_tile.h")) + "\n" : "")
                    + "#line 1 \"" + name + ".cl\"\n" + Files.readString(dir.resolve(name + ".cl"));
            hand.put(name, CL.buildProgram(ctx, dev, name + ".cl", text, options).kernel(name));
        }
        Buffer unused = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4, "unused");

        int[] tokens = R.ints(T, 0, VOCAB).toArray();
        float s = (float) (1 / Math.sqrt(D_MODEL));
        float[] topMax = new float[K * D_MLP];   // a store part-filled by earlier documents 0..99: sorted, ties by doc
        int[] topDoc = new int[K * D_MLP], topPos = new int[K * D_MLP];
        for (int n = 0; n < D_MLP; n++) {
            float[] col = gauss(K, 1);
            Arrays.sort(col);
            for (int i = 0; i < K; i++) {
                topMax[i * D_MLP + n] = col[K - 1 - i] + 1;
                topDoc[i * D_MLP + n] = 5 * i;
                topPos[i * D_MLP + n] = R.nextInt(N_CTX);
            }
        }
        List<Case> cases = List.of(
                new Case("embed", List.of(tokens, OFFSETS, gauss(VOCAB * D_MODEL, 0.1f), gauss(N_CTX * D_MODEL, 0.1f),
                        nan(T * D_MODEL)), Set.of(4),
                        b -> Calls.embed(b.get(0), b.get(1), DOCS, T, D_MODEL, b.get(2), b.get(3), b.get(4))),
                new Case("layer_norm (LN, w and b)", List.of(gauss(T * D_MODEL, 1), gauss(D_MODEL, 1), gauss(D_MODEL, 0.1f),
                        nan(T * D_MODEL)), Set.of(3),
                        b -> Calls.layerNorm(b.get(0), b.get(1), b.get(2), b.get(3), T, D_MODEL, 1e-5f)),
                new Case("gemm_bias (QKV, 4096x512 @ 512x1536)", List.of(gauss(T * D_MODEL, 1),
                        gauss(D_MODEL * 3 * HD, s), gauss(3 * HD, 0.1f), nan(T * 3 * HD)), Set.of(3),
                        b -> Calls.gemmBias(b.get(0), b.get(1), b.get(2), null, b.get(3), T, 3 * HD, D_MODEL, Calls.ACT_NONE)),
                new Case("causal_attention (8 heads of 64)", List.of(gauss(T * 3 * HD, 1), OFFSETS, nan(T * HD)), Set.of(2),
                        b -> Calls.causalAttention(b.get(0), b.get(1), DOCS, T, HEADS, b.get(2))),
                new Case("gemm_bias (W_O + residual in place)", List.of(gauss(T * HD, 1), gauss(HD * D_MODEL, s),
                        gauss(D_MODEL, 0.1f), gauss(T * D_MODEL, 1)), Set.of(3),
                        b -> Calls.gemmBias(b.get(0), b.get(1), b.get(2), b.get(3), b.get(3), T, D_MODEL, HD, Calls.ACT_NONE)),
                new Case("mlp_in_gelu_max (512 -> 2048, exact GELU)", List.of(gauss(T * D_MODEL, 1), gauss(D_MODEL * D_MLP, s),
                        gauss(D_MLP, 0.1f), OFFSETS, nan(DOCS * D_MLP), filled(DOCS * D_MLP, -7)), Set.of(4, 5),
                        b -> Calls.mlpInGeluMax(b.get(0), b.get(1), b.get(2), b.get(3), DOCS, D_MLP, D_MODEL,
                                Calls.ACT_GELU, b.get(4), b.get(5))),
                new Case("topk_merge (k = 20, 6 documents)", List.of(gauss(DOCS * D_MLP, 1), R.ints(DOCS * D_MLP, 0, N_CTX).toArray(),
                        topMax, topDoc, topPos), Set.of(2, 3, 4),
                        b -> Calls.topkMerge(b.get(0), b.get(1), DOCS, 100, D_MLP, K, b.get(2), b.get(3), b.get(4))));

        System.out.println("device " + info.describe() + "; " + DOCS + " documents, " + T + " tokens; median of "
                + reps + " launches per version after 1 warm-up, alternating generated / hand-written");
        System.out.println();
        System.out.println("| kernel | generated ms (median) | hand-written ms (median) | ratio | paired ratio | outputs |");
        System.out.println("|---|---:|---:|---:|---:|---|");
        List<String> runs = new ArrayList<>();
        double sumGen = 0, sumHand = 0;
        boolean allSame = true;
        for (Case c : cases) {
            try (Arena a = Arena.ofConfined()) {
                List<MemorySegment> host = new ArrayList<>();
                List<List<Buffer>> bufs = List.of(new ArrayList<>(), new ArrayList<>());   // [version][array]
                for (int i = 0; i < c.arrays().size(); i++) {
                    MemorySegment m = segment(a, c.arrays().get(i));
                    host.add(m);
                    Buffer shared = c.written().contains(i) ? null : upload(ctx, q, m);
                    for (List<Buffer> v : bufs) v.add(shared != null ? shared : CL.createBuffer(ctx, CL.MEM_READ_WRITE, m.byteSize(), "out"));
                }
                List<Call> calls = List.of(c.call().apply(bufs.get(0)), c.call().apply(bufs.get(1)));
                String name = calls.get(0).kernel();
                int params = KernelSources.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow().params().size();
                if (calls.get(0).args().size() != params) throw new IllegalStateException(name + ": argument count");
                List<List<Double>> ms = List.of(new ArrayList<>(), new ArrayList<>());
                for (int rep = -1; rep < reps; rep++) {
                    for (int v = 0; v < 2; v++) {
                        for (int i : c.written()) CL.write(q, bufs.get(v).get(i), 0, host.get(i), true, List.of()).close();
                        try (CL.Event e = launch(q, (v == 0 ? gen : hand).get(name), calls.get(v), unused)) {
                            e.await();
                            if (rep >= 0) ms.get(v).add((e.endNanos() - e.startNanos()) / 1e6);
                        }
                    }
                }
                String same = "bit-identical";
                for (int i : c.written()) {
                    long at = read(a, q, bufs.get(0).get(i)).mismatch(read(a, q, bufs.get(1).get(i)));
                    if (at >= 0) same = "DIFFER (array " + i + ", byte " + at + ")";
                }
                allSame &= same.equals("bit-identical");
                double g = median(ms.get(0)), h = median(ms.get(1));
                sumGen += g;
                sumHand += h;
                List<Double> paired = new ArrayList<>();   // launch i of one version against launch i of the other: the load drifts
                for (int i = 0; i < reps; i++) paired.add(ms.get(0).get(i) / ms.get(1).get(i));
                System.out.printf("| %s | %.1f | %.1f | %.2f | %.2f | %s |%n", c.label(), g, h, g / h, median(paired), same);
                runs.add(String.format("%s: generated %s, hand-written %s", name, fmt(ms.get(0)), fmt(ms.get(1))));
                Set<Buffer> all = new LinkedHashSet<>(bufs.get(0));
                all.addAll(bufs.get(1));
                all.forEach(Buffer::close);
            }
        }
        System.out.printf("| sum | %.1f | %.1f | %.2f | | %s |%n", sumGen, sumHand, sumGen / sumHand,
                allSame ? "all bit-identical" : "SOME DIFFER");
        System.out.println();
        System.out.println("every launch, ms:");
        for (String r : runs) System.out.println("  " + r);
    }

    static CL.Event launch(CL.Queue q, Kernel k, Call c, Buffer unused) {
        for (int i = 0; i < c.args().size(); i++) {
            switch (c.args().get(i)) {
                case null -> k.arg(i, unused);
                case Buffer b -> k.arg(i, b);
                case Integer v -> k.arg(i, (int) v);
                case Float v -> k.arg(i, (float) v);
                default -> throw new IllegalArgumentException("argument " + i);
            }
        }
        long[] global = new long[c.groups().length], local = new long[c.groups().length];
        for (int d = 0; d < global.length; d++) {
            global[d] = c.global(d);
            local[d] = c.local()[d];
        }
        return CL.enqueueKernel(q, k, global, local, List.of());
    }

    static MemorySegment segment(Arena a, Object array) {
        return array instanceof float[] f ? a.allocateFrom(ValueLayout.JAVA_FLOAT, f) : a.allocateFrom(ValueLayout.JAVA_INT, (int[]) array);
    }

    static Buffer upload(CL.Context ctx, CL.Queue q, MemorySegment m) {
        Buffer b = CL.createBuffer(ctx, CL.MEM_READ_WRITE, m.byteSize(), "in");
        CL.write(q, b, 0, m, true, List.of()).close();
        return b;
    }

    static MemorySegment read(Arena a, CL.Queue q, Buffer b) {
        MemorySegment m = a.allocate(b.bytes());
        CL.read(q, b, 0, m, true, List.of()).close();
        return m;
    }

    static float[] gauss(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) R.nextGaussian() * scale;
        return v;
    }

    static float[] nan(int n) {
        float[] v = new float[n];
        Arrays.fill(v, Float.NaN);
        return v;
    }

    static int[] filled(int n, int value) {
        int[] v = new int[n];
        Arrays.fill(v, value);
        return v;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    static String fmt(List<Double> xs) {
        return xs.stream().map(x -> String.format("%.1f", x)).toList().toString();
    }
}
