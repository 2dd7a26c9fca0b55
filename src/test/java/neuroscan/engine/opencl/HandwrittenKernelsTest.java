package neuroscan.engine.opencl;

import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.Calls;
import neuroscan.engine.gpu.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The generated kernels (Java, translated by the build) against the hand-written OpenCL C they replace
 * (kept for this test in src/test/resources/handwritten-kernels/), on PoCL: the same inputs give
 * bit-identical outputs for every kernel in every configuration the hosts launch.
 */
class HandwrittenKernelsTest {
    private static Kernels handwritten;
    private static int handwrittenDHead = -1;
    private final Random rnd = new Random(7);

    private static String resource(String name) {
        try (InputStream in = HandwrittenKernelsTest.class.getResourceAsStream("/handwritten-kernels/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Function<String, String> HANDWRITTEN = name -> {
        StringBuilder sb = new StringBuilder("#line 1 \"common.h\"\n").append(resource("common.h")).append('\n');
        if (name.equals("gemm_bias") || name.equals("mlp_in_gelu_max")) {
            sb.append("#line 1 \"gemm_tile.h\"\n").append(resource("gemm_tile.h")).append('\n');
        }
        return sb.append("#line 1 \"").append(name).append(".cl\"\n").append(resource(name + ".cl")).toString();
    };

    private static Kernels handwritten(Device dev, int dHead) {
        if (handwrittenDHead != dHead) {
            if (handwritten != null) handwritten.close();
            handwritten = new Kernels(dev.ctx, dev.info.device(), dHead, HANDWRITTEN);
            handwrittenDHead = dHead;
        }
        return handwritten;
    }

    @AfterAll
    static void close() {
        if (handwritten != null) handwritten.close();
    }

    /** Runs {@code call} (built over fresh copies of {@code inputs}) with both versions; compares every output. */
    private void same(int dHead, List<Object> inputs, Function<List<DeviceBuffer>, Call> call) {
        Device dev = Device.get();
        List<int[]> results = new ArrayList<>();
        for (int version = 0; version < 2; version++) {
            List<DeviceBuffer> bufs = new ArrayList<>();
            try {
                for (Object in : inputs) bufs.add(in instanceof float[] f ? dev.floats(f) : dev.ints((int[]) in));
                Call c = call.apply(bufs);
                Kernels k = version == 0 ? dev.kernels(dHead) : handwritten(dev, dHead);
                k.launch(dev.queue, c, List.of()).close();
                dev.queue.finish();
                List<Integer> bits = new ArrayList<>();
                for (int i = 0; i < bufs.size(); i++) {
                    int n = inputs.get(i) instanceof float[] f ? f.length : ((int[]) inputs.get(i)).length;
                    if (inputs.get(i) instanceof float[]) {
                        for (float v : dev.read(bufs.get(i), n)) bits.add(Float.floatToRawIntBits(v));
                    } else {
                        for (int v : dev.readInts(bufs.get(i), n)) bits.add(v);
                    }
                }
                results.add(bits.stream().mapToInt(Integer::intValue).toArray());
            } finally {
                for (DeviceBuffer b : bufs) b.close();
            }
        }
        assertArrayEquals(results.get(1), results.get(0), "generated vs hand-written: every output bit");
    }

    private float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    private static float[] nan(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, Float.NaN);
        return v;
    }

    @Test
    void embed() {
        int[] offsets = {0, 1, 18, 88, 91};
        int T = 91, dModel = 45, vocab = 37;
        int[] tokens = new int[T];
        for (int t = 0; t < T; t++) tokens[t] = rnd.nextInt(vocab);
        same(64, List.of(tokens, offsets, gaussian(vocab * dModel), gaussian(70 * dModel), nan(T * dModel)),
                b -> Calls.embed(b.get(0), b.get(1), 4, T, dModel, b.get(2), b.get(3), b.get(4)));
    }

    @Test
    void layerNorm() {
        for (int dModel : new int[]{45, 512}) {
            float[] x = gaussian(7 * dModel);
            for (int i = 0; i < x.length; i++) x[i] += 100;
            same(64, List.of(x, gaussian(dModel), gaussian(dModel), nan(7 * dModel)),
                    b -> Calls.layerNorm(b.get(0), b.get(1), b.get(2), b.get(3), 7, dModel, 1e-5f));
            same(64, List.of(x, nan(7 * dModel)), b -> Calls.layerNorm(b.get(0), null, null, b.get(1), 7, dModel, 1e-5f));
        }
    }

    @Test
    void gemmBias() {
        int M = 130, N = 129, K = 83;
        for (int act = 0; act <= 2; act++) {
            final int a = act;
            same(64, List.of(gaussian(M * K), gaussian(K * N), gaussian(N), nan(M * N)),
                    b -> Calls.gemmBias(b.get(0), b.get(1), b.get(2), null, b.get(3), M, N, K, a));
        }
        same(64, List.of(gaussian(M * K), gaussian(K * N), gaussian(N), gaussian(M * N)),
                b -> Calls.gemmBias(b.get(0), b.get(1), b.get(2), b.get(3), b.get(3), M, N, K, Calls.ACT_NONE));
    }

    @Test
    void causalAttention() {
        int[] offsets = {0, 1, 32, 64, 97, 167, 172};
        int T = 172;
        for (int dHead : new int[]{16, 64}) {
            int nHeads = 3, hd = nHeads * dHead;
            same(dHead, List.of(scaled(gaussian(T * 3 * hd), 1.5f), offsets, nan(T * hd)),
                    b -> Calls.causalAttention(b.get(0), b.get(1), offsets.length - 1, T, nHeads, b.get(2)));
        }
    }

    private static float[] scaled(float[] v, float s) {
        for (int i = 0; i < v.length; i++) v[i] *= s;
        return v;
    }

    @Test
    void mlpInGeluMax() {
        int[] offsets = {0, 1, 64, 128, 193, 343, 350};
        int nDocs = 6, T = 350, N = 130, K = 45;
        for (int act = 1; act <= 2; act++) {
            final int a = act;
            same(64, List.of(gaussian(T * K), gaussian(K * N), gaussian(N), offsets, nan(nDocs * N), new int[nDocs * N]),
                    b -> Calls.mlpInGeluMax(b.get(0), b.get(1), b.get(2), b.get(3), nDocs, N, K, a, b.get(4), b.get(5)));
        }
    }

    @Test
    void topkMerge() {
        int dMlp = 70, k = 5, nDocs = 9;
        float[] max = new float[nDocs * dMlp];
        int[] arg = new int[nDocs * dMlp];
        for (int i = 0; i < max.length; i++) {
            max[i] = rnd.nextInt(8) == 0 ? Float.NaN : rnd.nextInt(6) * 0.5f - 1;
            arg[i] = rnd.nextInt(10) == 0 ? -1 : rnd.nextInt(1000);
        }
        float[] topMax = new float[k * dMlp];
        int[] topDoc = new int[k * dMlp], topPos = new int[k * dMlp];
        java.util.Arrays.fill(topMax, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(topDoc, -1);
        java.util.Arrays.fill(topPos, -1);
        same(64, List.of(max, arg, topMax, topDoc, topPos),
                b -> Calls.topkMerge(b.get(0), b.get(1), nDocs, 100, dMlp, k, b.get(2), b.get(3), b.get(4)));
    }
}
