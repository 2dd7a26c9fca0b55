package neuroscan.engine.opencl;

import neuroscan.engine.gpu.KernelSources;
import neuroscan.kernel.CpuRunner;
import neuroscan.kernel.KernelFailure;
import neuroscan.kernel.Mma;
import neuroscan.kernel.translate.MmaKernels;
import neuroscan.kernel.translate.Translator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tensor-core intrinsic's model (ctx.mmaTf32, KernelMath.tf32): on the CPU runner against oracles
 * written independently of it (TF32 rounding from the value's binade in double; each tile element from
 * PTX's fragment layout and exact BigDecimal sums rounded once per step), and on PoCL, whose translated C
 * must give the CPU runner's bits.
 */
class MmaTest {
    private static final Path SOURCE = Path.of("src/test/java/neuroscan/kernel/translate/MmaKernels.java");

    /** tf32 by arithmetic: the multiple of the binade's TF32 ulp nearest x, ties away from zero. */
    static float tf32Oracle(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x) || x == 0) return x;
        double ax = Math.abs((double) x);
        int e = Math.max(Math.getExponent(x), -126);   // subnormals share the smallest binade's ulp
        double ulp = Math.scalb(1.0, e - 10);
        double r = Math.floor(ax / ulp + 0.5) * ulp;    // exact: ax / ulp < 2^11
        if (r >= Math.scalb(1.0, 128)) r = Double.POSITIVE_INFINITY;
        return (float) Math.copySign(r, x);
    }

    private static float[] specials() {
        Random rnd = new Random(11);
        float[] v = new float[4096];
        float[] fixed = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x3f801000),   // a tie: away
                Float.intBitsToFloat(0xbf801000), Float.intBitsToFloat(0x3f800fff), Float.intBitsToFloat(0x3f803000),
                Float.intBitsToFloat(0x7f7ff000), Float.intBitsToFloat(0x00001000), Float.intBitsToFloat(0x007ff000)};
        System.arraycopy(fixed, 0, v, 0, fixed.length);
        for (int i = fixed.length; i < v.length; i++) v[i] = i % 2 == 0 ? Float.intBitsToFloat(rnd.nextInt()) : (float) rnd.nextGaussian();
        return v;
    }

    @Test
    void tf32RoundsToNearestTiesAwayWithinHalfAnUlp() {
        for (float x : specials()) {
            float r = Mma.tf32(x), want = tf32Oracle(x);
            if (Float.isNaN(x)) {
                assertTrue(Float.isNaN(r));
                continue;
            }
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(r), "tf32(" + x + ")");
            assertEquals(0, Float.floatToRawIntBits(r) & 0x1fff, "TF32 keeps 10 significand bits");
            if (Float.isFinite(r) && Math.abs(x) >= Float.MIN_NORMAL) {
                assertTrue(Math.abs((double) r - x) <= Math.scalb(Math.abs((double) x), -11), "|x - tf32(x)| <= 2^-11 |x| for " + x);
            }
        }
    }

    /** D[t][r][c] = C + sum_k tf32(A) tf32(B), each step rounded once from the exact sum (an fma's result). */
    private static float[] oracle(float[] A, float[] B, float[] C, int tiles) {
        float[] D = new float[tiles * MmaKernels.TILE];
        for (int t = 0; t < tiles; t++)
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 8; c++) {
                    float s = C[t * 128 + r * 8 + c];
                    for (int k = 0; k < MmaKernels.MK; k++) {
                        BigDecimal p = new BigDecimal(tf32Oracle(A[t * 16 * MmaKernels.MK + r * MmaKernels.MK + k]))
                                .multiply(new BigDecimal(tf32Oracle(B[t * MmaKernels.MK * 8 + k * 8 + c])));
                        s = new BigDecimal(s).add(p).floatValue();   // exact sum, one rounding
                    }
                    D[t * 128 + r * 8 + c] = s;
                }
        return D;
    }

    private record Tiles(float[] A, float[] B, float[] C, int groups) {
    }

    private static Tiles tiles(long seed, int groups) {
        Random rnd = new Random(seed);
        int tiles = 2 * groups;
        float[] A = new float[tiles * 16 * MmaKernels.MK], B = new float[tiles * MmaKernels.MK * 8], C = new float[tiles * 128];
        for (int i = 0; i < A.length; i++) A[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(9) - 4));
        for (int i = 0; i < B.length; i++) B[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < C.length; i++) C[i] = i % 3 == 0 ? 0f : (float) (rnd.nextGaussian() * 100);
        return new Tiles(A, B, C, groups);
    }

    private static float[] runCpu(Tiles t) {
        float[] D = new float[t.C.length];
        CpuRunner.run("mma_tiles", new int[]{t.groups, 1}, new int[]{16, 4}, ctx -> MmaKernels.mmaTiles(ctx, t.A, t.B, t.C, D));
        return D;
    }

    @Test
    void theCpuRunnersMmaIsTheFragmentLayoutAndTf32ProductsSummedInOrder() {
        Tiles t = tiles(5, 3);
        assertArrayEquals(bits(oracle(t.A, t.B, t.C, 6)), bits(runCpu(t)));
    }

    @Test
    void aWarpWhoseLanesDivergeAtTheMmaIsReported() {
        KernelFailure f = assertThrows(KernelFailure.class,
                () -> CpuRunner.run("divergent_mma", new int[]{1}, new int[]{32}, ctx -> MmaKernels.divergentMma(ctx, new float[32])));
        assertTrue(f.getMessage().contains("diverged at mmaTf32"), f.getMessage());
        KernelFailure g = assertThrows(KernelFailure.class,
                () -> CpuRunner.run("divergent_mma", new int[]{1}, new int[]{16}, ctx -> MmaKernels.divergentMma(ctx, new float[32])));
        assertTrue(g.getMessage().contains("multiple of 32"), g.getMessage());
    }

    @Test
    void poclGivesTheCpuRunnersBits() throws IOException {
        Device dev = Device.get();
        Translator.Result r = Translator.translate(List.of(SOURCE), System.getProperty("java.class.path"), Path.of("").toAbsolutePath());
        assertEquals(List.of(), r.errors());
        Tiles t = tiles(9, 4);
        float[] cpu = runCpu(t);
        try (CL.Program p = CL.buildProgram(dev.ctx, dev.info.device(), "mma_tiles", program(r, "mma_tiles"), "");
             CL.Kernel k = p.kernel("mma_tiles");
             var a = dev.floats(t.A); var b = dev.floats(t.B); var c = dev.floats(t.C); var d = dev.filled(t.C.length, Float.NaN)) {
            k.arg(0, a);
            k.arg(1, b);
            k.arg(2, c);
            k.arg(3, d);
            CL.enqueueKernel(dev.queue, k, new long[]{16L * t.groups, 4}, new long[]{16, 4}, List.of()).close();
            assertArrayEquals(bits(cpu), bits(dev.read(d, t.C.length)), "mma tiles, PoCL vs the CPU runner");
        }
        float[] x = specials(), cpuY = new float[x.length];
        CpuRunner.run("round_tf32", new int[]{x.length / 64}, new int[]{64}, ctx -> MmaKernels.roundTf32(ctx, x, cpuY, x.length));
        try (CL.Program p = CL.buildProgram(dev.ctx, dev.info.device(), "round_tf32", program(r, "round_tf32"), "");
             CL.Kernel k = p.kernel("round_tf32"); var xb = dev.floats(x); var yb = dev.filled(x.length, 0f)) {
            k.arg(0, xb);
            k.arg(1, yb);
            k.arg(2, x.length);
            CL.enqueueKernel(dev.queue, k, new long[]{x.length}, new long[]{64}, List.of()).close();
            float[] cl = dev.read(yb, x.length);
            for (int i = 0; i < x.length; i++) {
                if (Float.isNaN(x[i])) assertTrue(Float.isNaN(cl[i]));
                else assertEquals(Float.floatToRawIntBits(cpuY[i]), Float.floatToRawIntBits(cl[i]), "tf32(" + x[i] + ") on PoCL");
            }
        }
    }

    private static String program(Translator.Result r, String kernel) {
        for (Translator.Output o : r.kernels()) {
            if (o.name().equals(kernel)) return "#line 1 \"common.h\"\n" + KernelSources.text("common.h") + "\n" + o.c();
        }
        throw new IllegalArgumentException(kernel);
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int j = 0; j < v.length; j++) b[j] = Float.floatToRawIntBits(v[j]);
        return b;
    }
}
