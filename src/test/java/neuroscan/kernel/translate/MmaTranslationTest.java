package neuroscan.kernel.translate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ctx.mmaTf32 and KernelMath.tf32 through the translator: the C they become, and each misuse refused at its line and column. */
class MmaTranslationTest {
    @TempDir
    Path dir;

    private static String source(String workGroup, String decls, String call) {
        return """
                package t;
                import neuroscan.kernel.*;
                import static neuroscan.kernel.KernelMath.*;
                public final class T {
                    @Kernel%s public static void k(KernelContext ctx, float[] x) {
                        float[] As = ctx.localFloats(128);
                        float[] Bs = ctx.localFloats(64);
                %s
                %s
                        x[0] = acc[0] + tf32(x[1]);
                    }
                }
                """.formatted(workGroup, decls, call);
    }

    private Translator.Result translate(String src) throws IOException {
        Path f = dir.resolve("T.java");
        Files.writeString(f, src);
        return Translator.translate(List.of(f), System.getProperty("java.class.path"), dir);
    }

    private String error(String src) throws IOException {
        Translator.Result r = translate(src);
        assertFalse(r.errors().isEmpty(), "expected an error");
        KernelSyntaxError e = r.errors().getFirst();
        return e.file() + ":" + e.line() + ":" + e.column() + ": " + e.message();
    }

    private static final String ACC = "        float[] acc = new float[8];";
    private static final String CALL = "        ctx.mmaTf32(As, 0, 8, 1, Bs, 0, 1, 8, acc, 4);";

    @Test
    void mmaBecomesTheCommonHMacroAndMarksTheKernel() throws IOException {
        Translator.Result r = translate(source("(workGroup = {32, 2})", ACC, CALL));
        assertEquals(List.of(), r.errors());
        Translator.Output o = r.kernels().getFirst();
        String c = o.c();
        assertTrue(c.contains("MMA_TF32(As, 0, 8, 1, Bs, 0, 1, 8, acc, 4);"), c);
        assertTrue(c.contains("x[0] = acc[0] + TF32F(x[1]);"), c);
        assertTrue(c.contains("float acc[8] = {0};"), c);
        assertTrue(o.mma(), "kernels.json marks it a tensor-core kernel");
        Translator.Output plain = translate(source("(workGroup = {32, 2})", ACC, "")).kernels().getFirst();
        assertFalse(plain.mma());
    }

    @Test
    void aKernelWithoutWholeWarpsIsRefused() throws IOException {
        assertEquals("T.java:9:9: ctx.mmaTf32 is a warp-wide instruction: kernel k must declare @Kernel(workGroup = {...}) "
                + "with a multiple of 32 work-items (it declares none)", error(source("", ACC, CALL)));
        assertEquals("T.java:9:9: ctx.mmaTf32 is a warp-wide instruction: kernel k must declare @Kernel(workGroup = {...}) "
                + "with a multiple of 32 work-items (it declares [16, 3] = 48)", error(source("(workGroup = {16, 3})", ACC, CALL)));
    }

    @Test
    void operandsMustBeWorkGroupArraysAndTheAccumulatorPrivate() throws IOException {
        assertEquals("T.java:9:21: ctx.mmaTf32's a must be a work-group array (ctx.localFloats): the lanes read their fragments from it",
                error(source("(workGroup = {64})", ACC, "        ctx.mmaTf32(x, 0, 8, 1, Bs, 0, 1, 8, acc, 4);")));
        assertEquals("T.java:9:47: ctx.mmaTf32's acc must be a private float array (new float[n]): the lane's accumulators stay in registers",
                error(source("(workGroup = {64})", "        float[] acc = ctx.localFloats(8);", CALL)));
    }
}
