package neuroscan.cli;

import neuroscan.engine.opencl.CL;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scan --screen / --exact-fp32 end to end on the fixture model and parquet; usage and backend errors are one line. */
class ScreenCliTest {
    @TempDir
    Path tmp;

    private CliFixtures.Result scan(Path model, Path out, String... extra) {
        String[] base = {"scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(), "--max-docs", "120",
                "--top-k", "4", "--out", out.toString(), "--quiet", "--backend", "opencl", "--checkpoint-every", "32"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliFixtures.run(args);
    }

    /**
     * A scan keeps statistics (density, histogram, quantile samples), which the screen cannot keep exact yet:
     * --screen is refused in one line naming them, and the default scans in FP32 (no screening counters), the
     * same bytes as --exact-fp32. (The screened store itself is tested on the engine: ScreenedScanContract.)
     */
    @Test
    void withTheScansStatisticsScreeningIsRefusedOrOff() throws Exception {
        Assumptions.assumeTrue(CL.unavailable().isEmpty(), () -> "OpenCL screen test skipped: " + CL.unavailable().orElse(""));
        Path model = CliFixtures.demoModel(tmp.resolve("model"));
        Path exact = tmp.resolve("exact"), auto = tmp.resolve("auto");
        var a = scan(model, exact, "--exact-fp32");
        assertEquals(0, a.code(), a.err());
        var b = scan(model, auto);
        assertEquals(0, b.code(), b.err());
        assertArrayEquals(Files.readAllBytes(exact.resolve(StoreFile.NAME)), Files.readAllBytes(auto.resolve(StoreFile.NAME)));
        assertNull(Manifest.read(exact).screening(), "--exact-fp32 screens nothing");
        assertNull(Manifest.read(auto).screening(), "a scan with statistics does not screen");
        var c = scan(model, tmp.resolve("screened"), "--screen");
        assertEquals(1, c.code(), c.err());
        assertEquals(1, c.err().strip().lines().count(), c.err());
        assertTrue(c.err().contains("--screen") && c.err().contains("statistics"), c.err());
    }

    /**
     * --no-stats drops the statistics, and then --screen screens (the emulated MMA on PoCL): counters in the
     * manifest, and the top k equal to the FP32 scan's (with and without statistics) in documents, positions and
     * value bits; --no-stats --exact-fp32 writes the same bytes as the screened scan.
     */
    @Test
    void withoutStatisticsTheScreenRunsAndKeepsTheFp32TopK() throws Exception {
        Assumptions.assumeTrue(CL.unavailable().isEmpty(), () -> "OpenCL screen test skipped: " + CL.unavailable().orElse(""));
        Path model = CliFixtures.demoModel(tmp.resolve("model"));
        Path withStats = tmp.resolve("stats"), exact = tmp.resolve("exact"), screened = tmp.resolve("screened");
        for (var r : new CliFixtures.Result[]{scan(model, withStats, "--exact-fp32"), scan(model, exact, "--no-stats", "--exact-fp32"),
                scan(model, screened, "--no-stats", "--screen")}) {
            assertEquals(0, r.code(), r.err());
        }
        StoreFile s = StoreFile.read(screened.resolve(StoreFile.NAME)), f = StoreFile.read(withStats.resolve(StoreFile.NAME));
        assertNull(s.stats(), "--no-stats keeps no statistics");
        assertTrue(f.stats() != null, "the default keeps statistics");
        assertArrayEquals(f.topK().copyOfDoc(), s.topK().copyOfDoc());
        assertArrayEquals(f.topK().copyOfPos(), s.topK().copyOfPos());
        assertArrayEquals(f.topK().copyOfMax(), s.topK().copyOfMax());
        assertArrayEquals(Files.readAllBytes(exact.resolve(StoreFile.NAME)), Files.readAllBytes(screened.resolve(StoreFile.NAME)));
        var counters = Manifest.read(screened).screening();
        assertTrue(counters != null && counters.pairsScreened() > 0, "the screened scan counts its pairs");
        assertTrue(counters.candidatesRecomputed() <= counters.pairsScreened());
        assertNull(Manifest.read(exact).screening(), "--exact-fp32 screens nothing");
    }

    @Test
    void bothSwitchesOrScreeningOnTheCpuAreOneLineErrors() throws Exception {
        Path model = CliFixtures.demoModel(tmp.resolve("model"));
        var both = scan(model, tmp.resolve("x"), "--screen", "--exact-fp32");
        assertEquals(2, both.code(), both.err());
        assertEquals(1, both.err().strip().lines().count(), both.err());
        var cpu = CliFixtures.run("scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(), "--max-docs", "4",
                "--out", tmp.resolve("y").toString(), "--quiet", "--backend", "cpu", "--screen");
        assertEquals(1, cpu.code(), cpu.err());
        assertEquals(1, cpu.err().strip().lines().count(), cpu.err());
        assertTrue(cpu.err().contains("--screen"), cpu.err());
    }
}
