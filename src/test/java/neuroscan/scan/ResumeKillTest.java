package neuroscan.scan;

import neuroscan.engine.ReferenceEngine;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 at several points, then resume: the final store and token cache are byte-identical to an
 * uninterrupted scan. The scan runs in a child JVM ({@link ScanChild}) killed with
 * {@link Process#destroyForcibly()} (SIGKILL), so nothing gets a chance to clean up or flush.
 */
class ResumeKillTest {
    static final long TIMEOUT_S = 60;
    static Path reference;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void uninterrupted() {
        reference = tmp.resolve("reference");
        new Scanner(new ReferenceEngine(ScanFixtures.model(3)), ScanChild.options(reference, false), ScanListener.NONE)
                .scan(ScanFixtures.SOURCES, ScanFixtures.documents(ScanChild.texts()), ScanFixtures::tokenize);
    }

    /** A running child scan whose stdout lines arrive on a queue. */
    static final class Child implements AutoCloseable {
        final Process p;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(Path out, boolean resume, String... flags) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", System.getProperty("java.class.path"), ScanChild.class.getName(),
                    out.toString()));
            if (resume) cmd.add("--resume");
            cmd.addAll(List.of(flags));
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Thread reader = new Thread(() -> {
                try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (IOException ignored) {
                    // the child was killed
                }
                lines.add("<eof>");
            });
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for the n-th line starting with prefix; fails if the child ends or the time runs out. */
        void await(String prefix, int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
            int seen = 0;
            while (seen < n) {
                String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertNotNull(l, "timed out waiting for '" + prefix + "' #" + n);
                assertNotEquals("<eof>", l, "child ended before '" + prefix + "' #" + n);
                if (l.startsWith(prefix)) seen++;
            }
        }

        void kill() throws InterruptedException {
            p.destroyForcibly();
            assertTrue(p.waitFor(TIMEOUT_S, TimeUnit.SECONDS));
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }

    static void resumeInProcessAndCompare(Path out) throws IOException {
        Manifest m = new Scanner(new ReferenceEngine(ScanFixtures.model(3)), ScanChild.options(out, true), ScanListener.NONE)
                .scan(ScanFixtures.SOURCES, ScanFixtures.documents(ScanChild.texts()), ScanFixtures::tokenize);
        assertTrue(m.complete());
        assertArrayEquals(Files.readAllBytes(reference.resolve(StoreFile.NAME)), Files.readAllBytes(out.resolve(StoreFile.NAME)),
                "store.safetensors after kill + resume");
        assertNotNull(StoreFile.read(out.resolve(StoreFile.NAME)).stats(), "the compared store holds the statistics");
        assertArrayEquals(Files.readAllBytes(reference.resolve(TokenCache.NAME)), Files.readAllBytes(out.resolve(TokenCache.NAME)),
                "tokens.safetensors after kill + resume");
        Manifest ref = Manifest.read(reference);
        assertEquals(ref.nDocs(), m.nDocs());
        assertEquals(ref.nTokens(), m.nTokens());
        assertFalse(Files.exists(out.resolve(Checkpoint.DIR)));
    }

    /** A 2-layer model: killed twice (the second time while resuming), then resumed; both layers' keys byte for byte. */
    @Test
    void aTwoLayerScanKilledTwiceResumesByteForByte() throws Exception {
        Path whole = tmp.resolve("two-whole"), out = tmp.resolve("two-killed");
        new Scanner(new ReferenceEngine(ScanChild.twoLayers()), ScanChild.twoLayerOptions(whole, false), ScanListener.NONE)
                .scan(ScanFixtures.SOURCES, ScanFixtures.documents(ScanChild.texts()), ScanFixtures::tokenize);
        try (Child c = new Child(out, false, "--two-layers")) {
            c.await("checkpoint", 2);
            c.kill();
        }
        try (Child c = new Child(out, true, "--two-layers")) {
            c.await("checkpoint", 3);
            c.kill();
        }
        assertFalse(Manifest.read(out).complete(), "killed mid-scan");
        Manifest m = new Scanner(new ReferenceEngine(ScanChild.twoLayers()), ScanChild.twoLayerOptions(out, true), ScanListener.NONE)
                .scan(ScanFixtures.SOURCES, ScanFixtures.documents(ScanChild.texts()), ScanFixtures::tokenize);
        assertTrue(m.complete());
        StoreFile s = StoreFile.read(out.resolve(StoreFile.NAME));
        assertEquals(2, s.hook().nLayers());
        assertNotNull(s.stats(), "the compared store holds the statistics");
        assertArrayEquals(Files.readAllBytes(whole.resolve(StoreFile.NAME)), Files.readAllBytes(out.resolve(StoreFile.NAME)),
                "store.safetensors after two kills + resume");
        assertFalse(Files.exists(out.resolve(Checkpoint.DIR)));
    }

    @Test
    void killAfterFirstCheckpoint() throws Exception {
        Path out = tmp.resolve("k1");
        try (Child c = new Child(out, false)) {
            c.await("checkpoint", 1);
            c.kill();
        }
        assertFalse(Manifest.read(out).complete(), "killed mid-scan");
        resumeInProcessAndCompare(out);
    }

    @Test
    void killAfterSeveralCheckpoints() throws Exception {
        Path out = tmp.resolve("k5");
        try (Child c = new Child(out, false)) {
            c.await("checkpoint", 5);
            c.kill();
        }
        assertFalse(Manifest.read(out).complete(), "killed mid-scan");
        resumeInProcessAndCompare(out);
    }

    @Test
    void killTwiceThenResume() throws Exception {
        Path out = tmp.resolve("twice");
        try (Child c = new Child(out, false)) {
            c.await("checkpoint", 2);
            c.kill();
        }
        try (Child c = new Child(out, true)) {   // the resumed child is killed too, mid-way
            c.await("checkpoint", 3);
            c.kill();
        }
        assertFalse(Manifest.read(out).complete(), "killed mid-scan");
        resumeInProcessAndCompare(out);
    }

    @Test
    void killAtRandomMoments() throws Exception {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        int partial = 0;
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("random" + i);
            // after a random checkpoint (0: right after start-up; 15 is the last, before the finishing
            // writes) plus a random fraction of the ~50 ms between checkpoints: anywhere in the scan
            int after = r.nextInt(16);
            long delay = r.nextInt(60);
            try (Child c = new Child(out, false)) {
                if (after == 0) c.await("started", 1);
                else c.await("checkpoint", after);
                Thread.sleep(delay);
                c.kill();
            }
            if (Manifest.exists(out) && !Manifest.read(out).complete()) partial++;
            try {
                resumeInProcessAndCompare(out);
            } catch (AssertionError e) {
                throw new AssertionError("kill " + delay + " ms after checkpoint " + after + " (seed " + seed + "): " + e.getMessage(), e);
            }
        }
        System.out.println("ResumeKillTest: " + partial + " of 3 random kills landed mid-scan (seed " + seed + ")");
    }
}
