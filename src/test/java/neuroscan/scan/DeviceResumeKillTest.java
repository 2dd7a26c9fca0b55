package neuroscan.scan;

import neuroscan.engine.Engine;
import neuroscan.engine.opencl.CL;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a scan whose top-k store lives on the device (the GPU engine on OpenCL; PoCL in CI), then
 * resume: the store uploaded from the checkpoint and merged on, byte-identical to an uninterrupted scan.
 */
class DeviceResumeKillTest {
    static Path reference;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void uninterrupted() {
        Assumptions.assumeTrue(CL.unavailable().isEmpty(), () -> "OpenCL tests skipped: " + CL.unavailable().orElse(""));
        reference = tmp.resolve("reference");
        try (Engine e = ScanChild.openCl()) {
            new Scanner(e, ScanChild.options(reference, false), ScanListener.NONE)
                    .scan(ScanFixtures.SOURCES, ScanFixtures.documents(ScanChild.texts()), ScanFixtures::tokenize);
        }
        assertEquals("device", Manifest.read(reference).topkMerge());
    }

    @Test
    void killTwiceThenResumeOnTheDevice() throws Exception {
        Path out = tmp.resolve("twice");
        try (ResumeKillTest.Child c = new ResumeKillTest.Child(out, false, "--opencl")) {
            c.await("checkpoint", 2);
            c.kill();
        }
        try (ResumeKillTest.Child c = new ResumeKillTest.Child(out, true, "--opencl")) {
            c.await("checkpoint", 3);
            c.kill();
        }
        assertFalse(Manifest.read(out).complete(), "killed mid-scan");
        Manifest m;
        try (Engine e = ScanChild.openCl()) {
            m = new Scanner(e, ScanChild.options(out, true), ScanListener.NONE)
                    .scan(ScanFixtures.SOURCES, ScanFixtures.documents(ScanChild.texts()), ScanFixtures::tokenize);
        }
        assertTrue(m.complete());
        assertEquals("device", m.topkMerge());
        assertArrayEquals(Files.readAllBytes(reference.resolve(StoreFile.NAME)), Files.readAllBytes(out.resolve(StoreFile.NAME)),
                "store.safetensors after kill + resume");
        assertArrayEquals(Files.readAllBytes(reference.resolve(TokenCache.NAME)), Files.readAllBytes(out.resolve(TokenCache.NAME)),
                "tokens.safetensors after kill + resume");
    }
}
