package neuroscan.engine.cuda;

import neuroscan.engine.gpu.KernelSources;
import neuroscan.kernel.translate.PtxBuild;
import neuroscan.kernel.translate.Translator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ctx.mmaTf32 through common.h's CUDA half: for sm_80 and newer nvcc emits the tensor-core instruction
 * (mma.sync m16n8k8 TF32, operands through cvt.rna.tf32) and ptxas assembles it for sm_90 (H100/H200);
 * for older targets the same source is the model (no mma). Skips without nvcc.
 */
class MmaPtxTest {
    @TempDir
    Path tmp;

    @Test
    void mmaTilesBecomeTensorCoreInstructionsForSm80AndTheModelBefore() throws Exception {
        Path nvcc = PtxBuild.nvcc();
        Assumptions.assumeTrue(nvcc != null, "CUDA compile test skipped: nvcc not found (set NVCC)");
        Translator.Result r = Translator.translate(List.of(Path.of("src/test/java/neuroscan/kernel/translate/MmaKernels.java")),
                System.getProperty("java.class.path"), Path.of("").toAbsolutePath());
        assertEquals(List.of(), r.errors());
        Translator.Output o = r.kernels().stream().filter(k -> k.name().equals("mma_tiles")).findFirst().orElseThrow();
        Path cu = tmp.resolve("mma_tiles.cu");
        Files.writeString(cu, "#line 1 \"common.h\"\n" + KernelSources.text("common.h") + "\n" + o.c());
        String sm80 = ptx(nvcc, cu, PtxBuild.MMA_ARCH), sm75 = ptx(nvcc, cu, PtxBuild.ARCH);
        assertTrue(sm80.contains("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"), sm80);
        assertTrue(sm80.contains("cvt.rna.tf32.f32"), "operands rounded as the model rounds them");
        assertFalse(sm75.contains("mma.sync"), "below sm_80 the model runs");
        Path ptx = tmp.resolve("sm80.ptx");
        Files.writeString(ptx, sm80);
        run(List.of(nvcc.resolveSibling("ptxas").toString(), "-arch=sm_90", ptx.toString(), "-o", tmp.resolve("x.cubin").toString()));
    }

    private String ptx(Path nvcc, Path cu, String arch) throws Exception {
        Path out = tmp.resolve(arch + ".ptx");
        run(List.of(nvcc.toString(), "-ptx", "-arch=" + arch, "-o", out.toString(), cu.toString()));
        return Files.readString(out);
    }

    private void run(List<String> cmd) throws Exception {
        Path log = tmp.resolve("log.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + ": timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + Files.readString(log));
    }
}
