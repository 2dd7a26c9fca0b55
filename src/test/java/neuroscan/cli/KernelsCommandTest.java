package neuroscan.cli;

import neuroscan.engine.gpu.KernelSources;
import neuroscan.engine.opencl.CL;
import neuroscan.engine.opencl.OpenClDevices;
import neuroscan.kernel.translate.PtxBuild;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelsCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void listsEveryKernelWithItsJavaMethodAndParameters() {
        Run r = run("kernels");
        assertEquals(0, r.code(), r.err());
        for (String k : List.of("embed", "layer_norm", "gemm_bias", "causal_attention", "mlp_in_gelu_max", "topk_merge", "stats_merge",
                "solu_ln_max")) {
            assertTrue(r.out().contains("\n" + k + "  =  ") || r.out().startsWith(k + "  =  "), k + " missing:\n" + r.out());
        }
        assertTrue(r.out().contains("gemm_bias  =  GemmBias.gemmBias  (kernels/neuroscan/kernels/GemmBias.java)\n"
                + "    float[] A (read), float[] B (read), float[] bias (read), float[] R (read), float[] C (written), int M, int N, "
                + "int K, int act, int addResidual\n"), r.out());
        assertTrue(r.out().contains("build options (-D, defaults): D_HEAD=64 ATT_BQ=32 ATT_BK=32 GEMM_TM=64"), r.out());
    }

    @Test
    void emitsOpenClThatBuildsOnTheDevice() throws Exception {
        Run r = run("kernels", "--emit", dir.toString(), "layer_norm", "gemmBias");
        assertEquals(0, r.code(), r.err());
        assertEquals(dir.resolve("layer_norm.cl") + "\n" + dir.resolve("gemm_bias.cl") + "\n", r.out().replace("\r", ""));
        String cl = Files.readString(dir.resolve("gemm_bias.cl"));
        assertTrue(cl.contains("#define KERNEL          __kernel") && cl.contains("KERNEL void gemm_bias("), cl);
        assertTrue(cl.contains("#line 46 \"kernels/neuroscan/kernels/GemmTile.java\"") || cl.contains("GemmTile.java\""), cl);
        var why = CL.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "OpenCL build skipped: " + why.orElse(""));
        var dev = OpenClDevices.select(0);
        try (var ctx = CL.createContext(dev.device());
             var p = CL.buildProgram(ctx, dev.device(), "gemm_bias.cl", cl, "")) {
            p.kernel("gemm_bias").close();
        }
    }

    @Test
    void emitsCudaThatNvccCompiles() throws Exception {
        Run r = run("kernels", "--emit", dir.toString(), "--target", "cuda", "mlp_in_gelu_max");
        assertEquals(0, r.code(), r.err());
        Path cu = dir.resolve("mlp_in_gelu_max.cu");
        assertTrue(Files.readString(cu).contains("#define KERNEL          extern \"C\" __global__"));
        Path nvcc = PtxBuild.nvcc();
        Assumptions.assumeTrue(nvcc != null, "nvcc not found: the CUDA compile is skipped");
        Process p = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=sm_90", "-o", dir.resolve("m.ptx").toString(), cu.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        assertTrue(Files.readString(dir.resolve("m.ptx")).contains(".entry mlp_in_gelu_max("));
    }

    @Test
    void anUnknownKernelIsOneLine() {
        Run r = run("kernels", "no_such\u001b[2J");
        assertEquals(1, r.code());
        assertEquals("neuroscan: no kernel named \"no_such\\u001b[2J\"; the kernels are " + String.join(", ", KernelSources.names()),
                r.err().strip());
    }
}
