package neuroscan.kernel.translate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The translator, Java in and C out: for each construct of the subset the C it becomes (golden
 * fragments), and for each construct outside it the error, at its line and column.
 */
class TranslatorTest {
    @TempDir
    Path dir;

    private static final String HEAD = """
            package t;
            import neuroscan.kernel.*;
            import static neuroscan.kernel.KernelMath.*;
            public final class T {
            """;

    /** A class T whose body is {@code members}; the kernel body's first line is line 6 when written as below. */
    private static String kernel(String body) {
        return HEAD + "    @Kernel public static void k(KernelContext ctx, float[] x, int[] y, int n, float f) {\n"
                + body + "\n    }\n}\n";
    }

    private Translator.Result translate(String... sources) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < sources.length; i++) {
            Matcher m = Pattern.compile("public final class (\\w+)").matcher(sources[i]);
            String name = m.find() ? m.group(1) : "T" + i;
            Path f = dir.resolve(name + ".java");
            Files.writeString(f, sources[i]);
            files.add(f);
        }
        return Translator.translate(files, System.getProperty("java.class.path"), dir);
    }

    private String c(String body) throws IOException {
        Translator.Result r = translate(kernel(body));
        if (!r.errors().isEmpty()) fail("unexpected errors: " + r.errors());
        return r.kernels().getFirst().c();
    }

    /** The one error the source gets (the first, when a construct yields more), as "line:col: message". */
    private String error(String... sources) throws IOException {
        Translator.Result r = translate(sources);
        assertTrue(!r.errors().isEmpty(), "expected an error");
        assertTrue(r.kernels().isEmpty(), "no output with errors");
        KernelSyntaxError e = r.errors().getFirst();
        assertTrue(e.file().endsWith(".java"), e.toString());
        return e.line() + ":" + e.column() + ": " + e.message();
    }

    private static void contains(String c, String... fragments) {
        for (String f : fragments) assertTrue(c.contains(f), "missing\n  " + f + "\nin\n" + c);
    }

    // ---------------------------------------------------------------- the subset, translated

    @Test
    void kernelSignatureIsRestrictConstGlobalPointersAndScalars() throws IOException {
        String c = c("        x[0] = n;");
        contains(c, "KERNEL void k(GLOBAL float* RESTRICT x, const GLOBAL int* RESTRICT y, int n, float f) {");
    }

    @Test
    void mayAliasDropsRestrict() throws IOException {
        Translator.Result r = translate(HEAD + """
                    @Kernel public static void k(KernelContext ctx, float[] a, @MayAlias float[] r, @MayAlias float[] c) {
                        c[0] = r[0] + a[0];
                    }
                }
                """);
        contains(r.kernels().getFirst().c(), "KERNEL void k(const GLOBAL float* RESTRICT a, const GLOBAL float* r, GLOBAL float* c)");
    }

    @Test
    void contextCallsBecomeMacros() throws IOException {
        String c = c("""
                        final int a = ctx.globalId(0) + ctx.localId(1) + ctx.groupId(2);
                        final int b = ctx.localSize(0) * ctx.groupCount(1) + ctx.globalSize(2);
                        ctx.barrier();
                        y[0] = a + b;""");
        contains(c, "const int a = GLOBAL_ID(0) + LOCAL_ID(1) + GROUP_ID(2);",
                "const int b = LOCAL_SIZE(0) * NUM_GROUPS(1) + GLOBAL_SIZE(2);", "BARRIER();");
    }

    @Test
    void arraysBecomeWorkGroupAndZeroedPrivateArrays() throws IOException {
        String c = c("""
                        float[] s = ctx.localFloats(n2 * 2);
                        int[] p = ctx.localInts(8);
                        float[][] acc = new float[2][3];
                        int[] one = new int[4], two = new int[5];
                        s[0] = acc[1][2] + one[0] + two[1] + p[0];""".replace("n2", "4"));
        contains(c, "LOCAL_DECL float s[4 * 2];", "LOCAL_DECL int p[8];", "float acc[2][3] = {0};",
                "int one[4] = {0}, two[5] = {0};", "s[0] = acc[1][2] + one[0] + two[1] + p[0];");
    }

    @Test
    void literalsAreSpelledForC() throws IOException {
        String c = c("        x[0] = 1f + 2.5f + 1e-5f + 0x1p3f + .5F + 1_000 + 0b101 + 0x1F;");
        contains(c, "x[0] = 1.0f + 2.5f + 1e-5f + 0x1p3f + .5f + 1000 + 5 + 0x1F;");
    }

    @Test
    void castsKeepJavaSemantics() throws IOException {
        String c = c("        y[0] = (int) f + (int) (f * 2f);\n        x[0] = (float) n / 2;");
        contains(c, "y[0] = F2I(f) + F2I((f * 2.0f));", "x[0] = (float) n / 2;");
    }

    @Test
    void shiftCountsAreMaskedAsInJava() throws IOException {
        String c = c("        y[0] = (n << 3) + (n >> n) + (n >>> 1) + (n >>> n);\n        int m = n;\n        m <<= n;\n        y[1] = m;");
        contains(c, "y[0] = (n << 3) + (n >> (n & 31)) + ((int) ((unsigned int) (n) >> 1)) + ((int) ((unsigned int) (n) >> (n & 31)));",
                "m <<= (n & 31);");
    }

    @Test
    void mathGoesThroughCommonHMacros() throws IOException {
        String c = c("        x[0] = exp(f) + erf(f) + tanh(f) + sqrt(f) + rsqrt(f) + fma(f, f, f) + fmax(f, 1f) + fmin(f, 1f) + abs(f)"
                + " + Float.NEGATIVE_INFINITY + Float.POSITIVE_INFINITY;");
        contains(c, "x[0] = EXPF(f) + ERFF(f) + TANHF(f) + SQRTF(f) + RSQRTF(f) + FMAF(f, f, f) + FMAXF(f, 1.0f) + FMINF(f, 1.0f)"
                + " + FABSF(f) + NEG_INF + POS_INF;");
    }

    @Test
    void controlFlowKeepsItsShape() throws IOException {
        String c = c("""
                        int s = 0;
                        for (int i = 0, j = 1; i < n; i++, j += 2) {
                            if (i == 3) continue; else if (i > 9) break;
                            s += j;
                        }
                        while (s > 100) s /= 2;
                        do {
                            s--;
                        } while (s > 50);
                        final boolean big = s > 10 && !(s > 20) || s == 0;
                        if (big) {
                            y[0] = s;
                        } else {
                            y[0] = big ? 1 : -s;
                        }""");
        contains(c, "for (int i = 0, j = 1; i < n; i++, j += 2) {", "if (i == 3) continue;", "else if (i > 9) break;",
                "while (s > 100) s /= 2;", "do {", "} while (s > 50);", "const bool big = s > 10 && !(s > 20) || s == 0;",
                "if (big) {", "} else {", "y[0] = big ? 1 : -s;");
    }

    @Test
    void helpersTakeTheirCallersMemorySpacesAndDropTheContext() throws IOException {
        Translator.Result r = translate(HEAD + """
                    static float total(KernelContext ctx, float[] g, float[] l, float[] p, int[] out) {
                        out[ctx.localId(0)] = 1;
                        return g[0] + l[0] + p[0];
                    }
                    /** The kernel. */
                    @Kernel public static void k(KernelContext ctx, float[] x, int[] y) {
                        float[] l = ctx.localFloats(16);
                        float[] p = new float[4];
                        x[0] = total(ctx, x, l, p, y);
                    }
                }
                """);
        assertEquals(List.of(), r.errors());
        String c = r.kernels().getFirst().c();
        contains(c, "DEVICE_FN float total(const GLOBAL float* g, const LOCAL_PTR float* l, const float p[4], GLOBAL int* out) {",
                "x[0] = total(x, l, p, y);", "KERNEL void k(GLOBAL float* RESTRICT x, GLOBAL int* RESTRICT y) {",
                "/*\n * The kernel.\n */");
        assertTrue(c.indexOf("DEVICE_FN float total") < c.indexOf("KERNEL void k"), "helpers come first");
        assertEquals("read-write", r.kernels().getFirst().params().get(1).written() ? "read-write" : "read");
    }

    @Test
    void constantsBecomeMacrosAndBuildOptionsDefaults() throws IOException {
        Translator.Result r = translate(HEAD + """
                    /** Tile width. */
                    @BuildOption public static final int TILE = 32;
                    public static final int HALF = TILE / 2;
                    static final float SCALE = 0.5f;
                    static final int UNUSED = 7;
                    @Kernel public static void k(KernelContext ctx, float[] x) {
                        float[] s = ctx.localFloats(HALF);
                        s[0] = SCALE * Integer.MAX_VALUE;
                        x[0] = s[0];
                    }
                }
                """);
        assertEquals(List.of(), r.errors());
        String c = r.kernels().getFirst().c();
        contains(c, "#ifndef TILE\n#define TILE 32   /* Tile width. */\n#endif", "#define HALF (TILE / 2)", "#define SCALE 0.5f",
                "LOCAL_DECL float s[HALF];", "s[0] = SCALE * 2147483647;");
        assertTrue(!c.contains("UNUSED"), "only constants the kernel uses");
        assertEquals(java.util.Map.of("TILE", 32), r.options());
    }

    @Test
    void lineDirectivesNameTheJavaLinesAndCommentsStay() throws IOException {
        String c = c("""
                        // a comment line
                        final int a = n;   // trailing

                        y[0] = a;""");
        contains(c, "// a comment line", "const int a = n;   // trailing", "#line 9 \"T.java\"\n    y[0] = a;");
    }

    @Test
    void generatedLinesMapToTheJavaLinesTheyCameFrom() throws IOException {
        // every statement line of the real kernels: its first variable or call appears on the Java line #line implies
        List<Path> files;
        try (var s = Files.walk(Path.of("kernels"))) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        Translator.Result r = Translator.translate(files, System.getProperty("java.class.path"), Path.of("").toAbsolutePath());
        assertEquals(List.of(), r.errors());
        int checked = 0;
        for (Translator.Output o : r.kernels()) {
            String file = null;
            long line = -1;
            for (String l : o.c().split("\n")) {
                Matcher m = Pattern.compile("^#line (\\d+) \"(.*)\"$").matcher(l);
                if (m.matches()) {
                    line = Long.parseLong(m.group(1));
                    file = m.group(2);
                    continue;
                }
                if (file == null || line < 0) continue;
                Matcher id = Pattern.compile("\\b([a-z][A-Za-z0-9_]*)\\s*(\\[|=|\\+=|\\()").matcher(l.replaceAll("//.*", ""));
                String s = l.strip();
                if (s.startsWith("*") || s.startsWith("/*")) continue;   // doc comments: no #line, but the test does not count them either
                if (id.find() && !s.startsWith("//") && !s.startsWith("DEVICE_FN") && !s.startsWith("KERNEL")) {
                    String java = Files.readAllLines(Path.of(file)).get((int) line - 1);
                    // a helper's C name is its Java name in snake case (gemm_tile: gemmTile)
                    String name = Pattern.compile("_([a-z])").matcher(id.group(1)).replaceAll(mr -> mr.group(1).toUpperCase());
                    assertTrue(java.contains(name), o.name() + ": C line '" + s + "' maps to " + file + ":" + line + " '" + java.strip() + "'");
                    checked++;
                }
                line++;
            }
        }
        assertTrue(checked > 100, "checked " + checked + " lines");
    }

    // ---------------------------------------------------------------- outside the subset

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            double local            | double d = 1.0;                  | 6:9: double is outside the kernel subset
            double arithmetic       | x[0] = (float) (f * 1.0);       | 6:24: double is outside the kernel subset
            long index              | long i = n; x[0] = 1;           | 6:9: long is outside the kernel subset
            object                  | Object o = null;                | 6:9: is outside the kernel subset
            string                  | String s = "a";                 | 6:9: is outside the kernel subset
            exceptions              | throw new RuntimeException();   | 6:9: throw (exceptions) is outside the kernel subset
            try                     | try { x[0] = 1; } finally { }   | 6:9: try is outside the kernel subset
            non-constant array size | float[] a = new float[n];       | 6:31: a private array's size must be a positive compile-time constant
            local array in a loop   | for (int i = 0; i < 2; i++) { float[] a = ctx.localFloats(4); } | 6:39: only at the top of a kernel's body
            java.lang.Math          | x[0] = (float) Math.sqrt(f);    | 6:24: java.lang.Math.sqrt(): a kernel may call only KernelMath
            array length            | y[0] = x.length;                | 6:16: array.length
            for-each                | for (float v : x) y[0] = 1;     | 6:9: the for-each loop is outside the kernel subset
            switch                  | switch (n) { default: y[0] = 1; } | 6:9: switch is outside the kernel subset
            lambda                  | Runnable r = () -> {};          | 6:9: java.lang.Runnable is outside the kernel subset
            shift count             | y[0] = n << 33;                 | 6:21: shift count 33 is outside [0, 31]
            narrowing compound      | int i = 0; i += f; y[0] = i;    | 6:20: int += float narrows implicitly
            array alias             | float[] a = x; a[0] = 1;        | 6:9: an array variable is declared only as
            array reassignment      | float[] a = new float[2]; a = new float[3]; | 6:35: cannot be reassigned
            reserved word           | int half = 1; y[0] = half;      | 6:9: 'half' is reserved in OpenCL C, CUDA or common.h
            dimension not constant  | y[0] = ctx.globalId(n);         | 6:16: must be a constant 0, 1 or 2
            context as a value      | Object o = ctx;                 | 6:9: java.lang.Object is outside the kernel subset
            float remainder         | x[0] = f % 2f;                  | 6:16: float % is outside the kernel subset
            labelled break          | a: for (;;) break a;            | 6:9: a labelled statement is outside the kernel subset
            javac's own errors      | y[0] = undefinedName;           | 6:16: cannot find symbol
            """)
    void refusedConstructsFailAtTheirLineAndColumn(String what, String body, String expected) throws IOException {
        String got = error(kernel("        " + body));
        String where = expected.substring(0, expected.indexOf(": ") + 2);
        assertTrue(got.startsWith(where) && got.contains(expected.substring(where.length())), what + ": got " + got);
    }

    @Test
    void recursionIsRefused() throws IOException {
        String got = error(HEAD + """
                    static int depth(int n) {
                        return n <= 0 ? 0 : 1 + depth(n - 1);
                    }
                    @Kernel public static void k(KernelContext ctx, int[] y) {
                        y[0] = depth(3);
                    }
                }
                """);
        assertTrue(got.startsWith("5:5: recursion (k -> depth -> depth)"), got);
    }

    @Test
    void aHelperParameterHasOneMemorySpace() throws IOException {
        String got = error(HEAD + """
                    static float first(float[] a) {
                        return a[0];
                    }
                    @Kernel public static void k(KernelContext ctx, float[] x) {
                        float[] l = ctx.localFloats(4);
                        x[0] = first(x);
                        x[1] = first(l);
                    }
                }
                """);
        assertTrue(got.startsWith("11:16: first's parameter a gets work-group memory here but global memory at T.java:10"), got);
    }

    @Test
    void kernelShapeIsChecked() throws IOException {
        assertTrue(error(HEAD + "    @Kernel public static int k(KernelContext ctx) { return 0; }\n}\n")
                .contains("a @Kernel is public static void"));
        assertTrue(error(HEAD + "    @Kernel public static void k(float[] x) { x[0] = 1; }\n}\n")
                .contains("a @Kernel's first parameter is its KernelContext"));
        assertTrue(error(HEAD + "    @Kernel public static void k(KernelContext ctx, boolean b) { }\n}\n")
                .contains("a kernel's scalars are int or float"));
        assertTrue(error(HEAD + """
                    @Kernel public static void a(KernelContext ctx, float[] x) { x[0] = 1; }
                    @Kernel public static void k(KernelContext ctx, float[] x) { a(ctx, x); }
                }
                """).contains("a kernel cannot call another @Kernel method"));
        assertTrue(error(HEAD + "    static int g;\n    @Kernel public static void k(KernelContext ctx, int[] y) { y[0] = g; }\n}\n")
                .contains("not a static final constant"));
    }
}
