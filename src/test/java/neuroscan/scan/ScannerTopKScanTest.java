package neuroscan.scan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.engine.Engine;
import neuroscan.engine.HostTopKScan;
import neuroscan.engine.ReferenceEngine;
import neuroscan.engine.TopKScan;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.model.Weights;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static neuroscan.scan.ScanFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The scanner feeds batches to the engine's {@link TopKScan} and takes the store only from
 * {@link TopKScan#store()}, once per checkpoint and once at the end; the manifest's {@code topk_merge}
 * says where the merge ran. {@link DeviceMergingEngine} stands in for a GPU engine that merges on the device.
 */
class ScannerTopKScanTest {
    static Weights weights;
    static List<String> texts;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        weights = model(42);
        texts = corpus(5, 70);
    }

    /** Windows of 8, batches of at most 5 documents, a checkpoint every 16 documents: 4 checkpoints in 70. */
    ScanOptions opts(String dir) {
        return ScanOptions.defaults(tmp.resolve(dir), N_CTX).withTopK(5).withWindowDocs(8).withBatch(60, 5)
                .withCheckpointEvery(16).withThreads(2).withQuiet(true);
    }

    /** What a scan's listener saw. */
    static final class Seen implements ScanListener {
        final List<Integer> checkpoints = new ArrayList<>();
        int progress;
        long startedAt = -1;

        @Override
        public void started(long docsDone, long tokensDone, long docsTotal) {
            startedAt = docsDone;
        }

        @Override
        public void progress(long docsDone, long tokensDone) {
            progress++;
        }

        @Override
        public void checkpointed(long docsDone, int nextDoc) {
            checkpoints.add(nextDoc);
        }
    }

    static Manifest scan(Engine e, ScanOptions o, ScanListener l) {
        return new Scanner(e, o, l).scan(SOURCES, documents(texts), ScanFixtures::tokenize);
    }

    byte[] bytes(String dir, String file) throws IOException {
        return Files.readAllBytes(tmp.resolve(dir).resolve(file));
    }

    /** topk_merge as written in dir/manifest.json. */
    String topkMergeOnDisk(String dir) throws IOException {
        JsonNode j = new ObjectMapper().readTree(Files.readString(tmp.resolve(dir).resolve(Manifest.NAME)));
        assertTrue(j.has("topk_merge"), dir + ": manifest.json has topk_merge");
        return j.get("topk_merge").asText();
    }

    /** An engine that fails on its batch number {@code afterBatches} (0-based), so the scan stops after a checkpoint or two. */
    static Engine failing(int afterBatches) {
        return slowed(new ReferenceEngine(weights), 0, afterBatches);
    }

    @Test
    void cpuEngineMergesOnTheHost() throws IOException {
        try (CpuEngine cpu = new CpuEngine(weights, 2)) {
            assertInstanceOf(HostTopKScan.class, cpu.topKScan(new TopK(5, D_MLP)), "the CPU engine's scan is the host one");
            Manifest m = scan(cpu, opts("cpu"), ScanListener.NONE);
            assertEquals("host", m.topkMerge());
            assertEquals(cpu.describe(), m.backend());
        }
        assertEquals("host", topkMergeOnDisk("cpu"));
        assertEquals("host", Manifest.read(tmp.resolve("cpu")).topkMerge());
        scan(new ReferenceEngine(weights), opts("ref"), ScanListener.NONE);
        assertEquals("host", topkMergeOnDisk("ref"));
    }

    @Test
    void deviceMergeIsRecordedAndTheStoreComesOnlyFromStore() throws IOException {
        Manifest host = scan(new ReferenceEngine(weights), opts("host"), ScanListener.NONE);
        DeviceMergingEngine dev = new DeviceMergingEngine(new ReferenceEngine(weights));
        Seen seen = new Seen();
        Manifest m = scan(dev, opts("device"), seen);

        assertEquals("device", m.topkMerge());
        assertEquals("device", topkMergeOnDisk("device"));
        assertEquals("host", host.topkMerge());
        assertEquals(host.backend(), m.backend(), "the backend is still the engine's describe()");
        assertArrayEquals(bytes("host", StoreFile.NAME), bytes("device", StoreFile.NAME));
        assertArrayEquals(bytes("host", TokenCache.NAME), bytes("device", TokenCache.NAME));
        assertEquals(bruteForce(weights, texts, 0, texts.size(), 5, false), StoreFile.read(tmp.resolve("device/store.safetensors")).topK());

        assertEquals(1, dev.scans.size(), "one TopKScan per scan");
        DeviceMergingEngine.Scan s = dev.last();
        assertEquals(new TopK(5, D_MLP), s.start, "a fresh scan starts from the empty store");
        assertEquals(List.of(16, 32, 48, 64), seen.checkpoints);
        assertEquals(seen.checkpoints.size() + 1, s.stores, "store() once per checkpoint and once at the end");
        assertEquals(seen.progress, s.adds, "add() once per batch");
        assertTrue(s.adds > s.stores, "more batches (" + s.adds + ") than store() calls: never per batch");
        assertEquals(texts.size(), s.docsAdded);
        assertEquals(1, s.closes, "closed once");
        assertEquals(0.0, m.timings().topkS(), "no host merge time when the device merges");
    }

    @Test
    void noCheckpointsMeansOneStoreAtTheEnd() throws IOException {
        DeviceMergingEngine dev = new DeviceMergingEngine(new ReferenceEngine(weights));
        Seen seen = new Seen();
        scan(dev, opts("once").withCheckpointEvery(100_000), seen);
        assertEquals(List.of(), seen.checkpoints);
        assertEquals(1, dev.last().stores);
        assertTrue(dev.last().adds > 1);
        scan(new ReferenceEngine(weights), opts("ref"), ScanListener.NONE);
        assertArrayEquals(bytes("ref", StoreFile.NAME), bytes("once", StoreFile.NAME));
    }

    @Test
    void resumeWithTheDeviceScanIsByteIdentical() throws IOException {
        scan(new ReferenceEngine(weights), opts("ref"), ScanListener.NONE);

        DeviceMergingEngine crashing = new DeviceMergingEngine(failing(9));
        Seen first = new Seen();
        var e = assertThrows(IllegalStateException.class, () -> scan(crashing, opts("run"), first));
        assertEquals("engine failure (test)", e.getMessage(), "the engine's error, not masked");
        assertEquals(1, crashing.last().closes, "closed after the failure");
        assertFalse(first.checkpoints.isEmpty(), "a checkpoint was taken before the failure");
        assertEquals(first.checkpoints.size(), crashing.last().stores, "store() only at the checkpoints");
        Manifest partial = Manifest.read(tmp.resolve("run"));
        assertFalse(partial.complete());
        assertEquals("device", partial.topkMerge());

        DeviceMergingEngine dev = new DeviceMergingEngine(new ReferenceEngine(weights));
        Seen second = new Seen();
        Manifest m = scan(dev, opts("run").withResume(true), second);
        int resumedAt = first.checkpoints.getLast();
        assertEquals(resumedAt, second.startedAt, "resumed from the last checkpoint");
        DeviceMergingEngine.Scan s = dev.last();
        TopK checkpointStore = bruteForce(weights, texts, 0, resumedAt, 5, false);
        assertEquals(checkpointStore, s.start, "the scan continues from the checkpoint's store");
        assertEquals(texts.size() - resumedAt, s.docsAdded, "only the documents after the checkpoint");
        assertEquals(second.checkpoints.size() + 1, s.stores);
        assertEquals(1, s.closes);
        assertArrayEquals(bytes("ref", StoreFile.NAME), bytes("run", StoreFile.NAME));
        assertArrayEquals(bytes("ref", TokenCache.NAME), bytes("run", TokenCache.NAME));
        assertTrue(m.complete());
        assertEquals(2, m.timings().sessions());
        assertEquals("device", m.topkMerge(), "the same location is not repeated");
        assertEquals("device", topkMergeOnDisk("run"));
    }

    @Test
    void resumeOnTheOtherSideRecordsBoth() throws IOException {
        scan(new ReferenceEngine(weights), opts("ref"), ScanListener.NONE);

        // host, then device (twice: the second device session adds nothing), then the store is still exact
        Seen s1 = new Seen(), s2 = new Seen();
        assertThrows(IllegalStateException.class, () -> scan(failing(9), opts("hd"), s1));
        assertEquals("host", Manifest.read(tmp.resolve("hd")).topkMerge());
        assertThrows(IllegalStateException.class, () -> scan(new DeviceMergingEngine(failing(9)), opts("hd").withResume(true), s2));
        assertFalse(s1.checkpoints.isEmpty());
        assertTrue(s2.startedAt > 0 && !s2.checkpoints.isEmpty(), "the second session resumed and checkpointed too");
        assertEquals("host, then device", Manifest.read(tmp.resolve("hd")).topkMerge(), "the unfinished manifest says so already");
        Manifest hd = scan(new DeviceMergingEngine(new ReferenceEngine(weights)), opts("hd").withResume(true), ScanListener.NONE);
        assertEquals("host, then device", hd.topkMerge());
        assertEquals("host, then device", topkMergeOnDisk("hd"));
        assertEquals(3, hd.timings().sessions());
        assertArrayEquals(bytes("ref", StoreFile.NAME), bytes("hd", StoreFile.NAME));

        // device, then host
        assertThrows(IllegalStateException.class, () -> scan(new DeviceMergingEngine(failing(9)), opts("dh"), ScanListener.NONE));
        Manifest dh = scan(new ReferenceEngine(weights), opts("dh").withResume(true), ScanListener.NONE);
        assertEquals("device, then host", dh.topkMerge());
        assertArrayEquals(bytes("ref", StoreFile.NAME), bytes("dh", StoreFile.NAME));
    }

    @Test
    void aFailingCloseDoesNotMaskTheScansError() {
        var closeFailure = new IllegalStateException("close failed (test)");
        DeviceMergingEngine dev = new DeviceMergingEngine(failing(3)).failingClose(closeFailure);
        var e = assertThrows(IllegalStateException.class, () -> scan(dev, opts("masked"), ScanListener.NONE));
        assertEquals("engine failure (test)", e.getMessage());
        assertEquals(List.of(closeFailure), List.of(e.getSuppressed()), "the close failure rides along as suppressed");
        assertEquals(1, dev.last().closes);
    }

    @Test
    void aFinishedRunIsReturnedWithoutStartingAScan() {
        scan(new ReferenceEngine(weights), opts("done"), ScanListener.NONE);
        DeviceMergingEngine dev = new DeviceMergingEngine(new ReferenceEngine(weights));
        Manifest m = scan(dev, opts("done").withResume(true), ScanListener.NONE);
        assertEquals("host", m.topkMerge(), "the finished run as it was");
        assertTrue(dev.scans.isEmpty(), "nothing to scan, so no TopKScan");
    }

    /** Compute time is the time in add() less the host merge time; the top-k time is the host merge time. */
    @Test
    void timingsSplitAddIntoComputeAndHostMerge() {
        final long mergeMs = 10, sleepMs = 14;
        class Timed implements TopKScan {
            final HostTopKScan host;
            long merge;
            int adds;

            Timed(TopK start) {
                host = new HostTopKScan(new ReferenceEngine(weights), start);
            }

            @Override
            public void add(List<int[]> docs, int[] docIds) {
                adds++;
                host.add(docs, docIds);
                try {
                    Thread.sleep(sleepMs);
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
                merge += mergeMs * 1_000_000;   // says 10 ms of the >= 14 ms were merging on the host
            }

            @Override
            public TopK store() {
                return host.store();
            }

            @Override
            public String mergeLocation() {
                return "host";
            }

            @Override
            public long hostMergeNanos() {
                return merge;
            }

            @Override
            public void close() {
            }
        }
        List<Timed> made = new ArrayList<>();
        Engine ref = new ReferenceEngine(weights);
        Engine e = new Engine() {
            @Override
            public int neurons() {
                return ref.neurons();
            }

            @Override
            public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
                throw new AssertionError("not through topKScan");
            }

            @Override
            public float[] hookPost(int[] tokens) {
                return ref.hookPost(tokens);
            }

            @Override
            public TopKScan topKScan(TopK start, neuroscan.store.NeuronStats stats) {
                Timed t = new Timed(start);
                made.add(t);
                return t;
            }

            @Override
            public String describe() {
                return "timed";
            }
        };
        Manifest m = scan(e, opts("timed"), ScanListener.NONE);
        int adds = made.getFirst().adds;
        assertTrue(adds > 5, "batches: " + adds);
        assertEquals(adds * mergeMs / 1000.0, m.timings().topkS(), 1e-9, "topk_s is exactly the reported host merge time");
        assertTrue(m.timings().computeS() >= adds * (sleepMs - mergeMs) / 1000.0 - 0.002,
                "compute_s " + m.timings().computeS() + " holds the rest of add()");
        assertTrue(m.timings().computeS() < m.timings().totalS());
    }
}
