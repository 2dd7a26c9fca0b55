package neuroscan.scan;

import neuroscan.engine.ReferenceEngine;

import java.nio.file.Path;
import java.util.List;

/**
 * A scan in its own JVM, for {@link ResumeKillTest} to SIGKILL. Usage: {@code ScanChild OUT_DIR [--resume] [--opencl] [--two-layers]}
 * (--opencl: the GPU engine on OpenCL device 0, its top-k store on the device; --two-layers: the reference engine
 * on a random 2-layer model, {@link #TWO_LAYERS}).
 * Prints "started", "checkpoint NEXT_DOC" after each checkpoint and "done", flushing each line, so the
 * parent can kill it at a known point. The engine sleeps per batch so a kill has time to land.
 */
public final class ScanChild {
    static final int DOCS = 240;
    static final long SLEEP_MS = 12;

    /** The scan both the child and the in-process reference run. */
    static ScanOptions options(Path out, boolean resume) {
        return ScanOptions.defaults(out, ScanFixtures.N_CTX).withTopK(4).withWindowDocs(8).withCheckpointEvery(16)
                .withBatch(40, 4).withThreads(2).withResume(resume).withQuiet(true);
    }

    /** A 2-layer GELU model of the fixture's sizes: its store has both layers' keys. */
    static final neuroscan.model.ModelConfig TWO_LAYERS = new neuroscan.model.ModelConfig(2, ScanFixtures.D_MODEL,
            ScanFixtures.N_HEADS, ScanFixtures.D_MODEL / ScanFixtures.N_HEADS, ScanFixtures.D_MLP, ScanFixtures.N_CTX,
            ScanFixtures.D_VOCAB, "gelu", "LN", 1e-5, null);

    static neuroscan.model.Weights twoLayers() {
        return neuroscan.model.RandomWeights.create(TWO_LAYERS, 5);
    }

    static ScanOptions twoLayerOptions(Path out, boolean resume) {
        return options(out, resume).withHook(neuroscan.store.Hook.of(TWO_LAYERS));
    }

    static List<String> texts() {
        return ScanFixtures.corpus(99, DOCS);
    }

    /** The GPU engine on OpenCL device 0 for the fixture model, batches of two n_ctx documents. */
    static neuroscan.engine.Engine openCl() {
        return neuroscan.engine.opencl.OpenClEngine.open(ScanFixtures.model(3), 0, 2 * ScanFixtures.N_CTX);
    }

    public static void main(String[] args) {
        Path out = Path.of(args[0]);
        List<String> flags = List.of(args).subList(1, args.length);
        boolean resume = flags.contains("--resume");
        boolean two = flags.contains("--two-layers");
        var engine = flags.contains("--opencl") ? ScanFixtures.slowedScan(openCl(), SLEEP_MS)
                : ScanFixtures.slowed(new ReferenceEngine(two ? twoLayers() : ScanFixtures.model(3)), SLEEP_MS, -1);
        System.out.println("started");
        System.out.flush();
        new Scanner(engine, two ? twoLayerOptions(out, resume) : options(out, resume), new ScanListener() {
            @Override
            public void checkpointed(long docsDone, int nextDoc) {
                System.out.println("checkpoint " + nextDoc);
                System.out.flush();
            }
        }).scan(ScanFixtures.SOURCES, ScanFixtures.documents(texts()), ScanFixtures::tokenize);
        System.out.println("done");
        System.out.flush();
    }
}
