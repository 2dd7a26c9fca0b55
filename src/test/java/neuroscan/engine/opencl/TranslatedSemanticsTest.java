package neuroscan.engine.opencl;

import neuroscan.engine.gpu.KernelSources;
import neuroscan.kernel.CpuRunner;
import neuroscan.kernel.translate.SubsetKernels;
import neuroscan.kernel.translate.Translator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where Java and C differ, the translation keeps Java's meaning: {@link SubsetKernels} translated and run
 * on PoCL gives the CPU runner's bits (float-to-int casts of NaN and huge values, shift counts of 32 and
 * more, >>> of negatives, fmax/fmin with NaN, integer division of negatives, work-group and private
 * arrays through helpers). And a C compiler's error in a generated kernel names the Java line.
 */
class TranslatedSemanticsTest {
    private static final Path SOURCE = Path.of("src/test/java/neuroscan/kernel/translate/SubsetKernels.java");

    private static Translator.Result translate() throws IOException {
        Translator.Result r = Translator.translate(List.of(SOURCE), System.getProperty("java.class.path"), Path.of("").toAbsolutePath());
        assertEquals(List.of(), r.errors());
        return r;
    }

    private static String program(Translator.Result r, String kernel) {
        for (Translator.Output o : r.kernels()) {
            if (o.name().equals(kernel)) return "#line 1 \"common.h\"\n" + KernelSources.text("common.h") + "\n" + o.c();
        }
        throw new IllegalArgumentException(kernel);
    }

    @Test
    void javaSemanticsSurviveTranslation() throws IOException {
        Device dev = Device.get();
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        float[] f = {nan, inf, -inf, 1e10f, -1e10f, -2.5f, 2.5f, 0.7f, -0.0f, 3e9f, -2147483648f, 0.49f};
        int[] i = {-7, 31, 32, 33, -1, 5, 100, Integer.MIN_VALUE, 0, 63, 64, -33};
        int n = f.length;
        int[] cpuInt = new int[n * 8];
        float[] cpuFloat = new float[n * 4];
        int[] groups = {1}, local = {16};
        CpuRunner.run("java_semantics", groups, local, ctx -> SubsetKernels.javaSemantics(ctx, f, i, cpuInt, cpuFloat, n));
        assertEquals(0, cpuInt[0], "Java: (int) NaN");
        assertEquals(Integer.MAX_VALUE, cpuInt[3 * 8], "Java: (int) 1e10f saturates");
        assertEquals(-7 << 25, cpuInt[1], "Java: -7 << -7 shifts by 25");
        assertEquals(inf, cpuFloat[0], "fmax(NaN, inf) = inf");

        try (CL.Program p = CL.buildProgram(dev.ctx, dev.info.device(), "java_semantics", program(translate(), "java_semantics"), "");
             CL.Kernel k = p.kernel("java_semantics");
             var fb = dev.floats(f); var ib = dev.ints(i); var oi = dev.filledInts(n * 8, 12345); var of = dev.filled(n * 4, -1f)) {
            k.arg(0, fb);
            k.arg(1, ib);
            k.arg(2, oi);
            k.arg(3, of);
            k.arg(4, n);
            CL.enqueueKernel(dev.queue, k, new long[]{16}, new long[]{16}, List.of()).close();
            assertArrayEquals(cpuInt, dev.readInts(oi, n * 8), "int results, PoCL vs the CPU runner");
            assertArrayEquals(bits(cpuFloat), bits(dev.read(of, n * 4)), "float results, PoCL vs the CPU runner");
        }
    }

    @Test
    void workGroupAndPrivateArraysThroughHelpers() throws IOException {
        Device dev = Device.get();
        int n = 100, wg = SubsetKernels.WG, groups = (n + wg - 1) / wg;
        float[] in = new float[n];
        java.util.Random rnd = new java.util.Random(3);
        for (int j = 0; j < n; j++) in[j] = (float) rnd.nextGaussian();
        float[] cpu = new float[groups];
        CpuRunner.run("group_max", new int[]{groups}, new int[]{wg}, ctx -> SubsetKernels.groupMax(ctx, in, cpu, n));
        for (int g = 0; g < groups; g++) {
            float want = Float.NEGATIVE_INFINITY;
            for (int j = g * wg; j < Math.min(n, (g + 1) * wg); j++) want = Math.max(want, in[j] * 0 + in[j] * 1 + in[j] * 2);
            if (n < (g + 1) * wg) want = Math.max(want, 0f);   // the work-items past n contribute 0
            assertEquals(want, cpu[g], 1e-6f, "group " + g);
        }
        try (CL.Program p = CL.buildProgram(dev.ctx, dev.info.device(), "group_max", program(translate(), "group_max"), "");
             CL.Kernel k = p.kernel("group_max"); var ib = dev.floats(in); var ob = dev.filled(groups, Float.NaN)) {
            k.arg(0, ib);
            k.arg(1, ob);
            k.arg(2, n);
            CL.enqueueKernel(dev.queue, k, new long[]{(long) groups * wg}, new long[]{wg}, List.of()).close();
            assertArrayEquals(bits(cpu), bits(dev.read(ob, groups)));
        }
    }

    @Test
    void aCompilerErrorNamesTheJavaLine() throws IOException {
        Device dev = Device.get();
        String text = program(translate(), "group_max");
        // break the statement that stands for "red[lid] = sum(three);" and let the OpenCL compiler find it
        String broken = text.replace("red[lid] = sum(three);", "red[lid] = sum(three) +;");
        assertTrue(!broken.equals(text));
        long javaLine = 0;
        List<String> lines = java.nio.file.Files.readAllLines(SOURCE);
        for (int j = 0; j < lines.size(); j++) if (lines.get(j).contains("red[lid] = sum(three);")) javaLine = j + 1;
        try {
            CL.buildProgram(dev.ctx, dev.info.device(), "group_max", broken, "").close();
            throw new AssertionError("the broken program built");
        } catch (neuroscan.NeuroscanException e) {
            assertTrue(e.getMessage().contains("SubsetKernels.java:" + javaLine), e.getMessage());
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int j = 0; j < v.length; j++) b[j] = Float.floatToRawIntBits(v[j]);
        return b;
    }
}
