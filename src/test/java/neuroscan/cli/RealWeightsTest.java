package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.hub.HubClient;
import neuroscan.hub.HubSettings;
import neuroscan.hub.Known;
import neuroscan.store.StoreFile;
import neuroscan.store.TopK;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DESIGN.md's reference table for L0N424 (real gelu-1l, first 112 documents of c4-10k, padding
 * included, k = 10). Needs the real artifacts in the Hugging Face cache (run `./neuroscan --neuron 424`
 * once with a network); skips itself, saying why, where they are absent.
 */
class RealWeightsTest {
    // rank -> data index, max position, max act (from the seed notebook)
    static final int[] DOC = {11, 93, 104, 53, 76, 40, 20, 36, 10, 88};
    static final int[] POS = {34, 283, 327, 33, 5, 4, 276, 797, 122, 130};
    static final float[] MAX = {5.0445f, 4.7326f, 4.5474f, 4.4202f, 4.2794f, 4.2630f, 4.1302f, 4.0616f, 4.0435f, 4.0290f};

    @TempDir
    Path tmp;

    @Test
    void reproducesTheSeedTableForL0N424() throws Exception {
        Path modelDir, tokDir, data;
        try (HubClient hub = new HubClient(HubSettings.fromEnvironment().withOffline(true), HubClient.Options.defaults())) {
            Known known = new Known(hub);
            modelDir = known.resolveModelDir("gelu-1l");
            tokDir = known.resolveTokenizerDir("gelu-1l");
            var files = known.resolveDatasetFiles("c4-10k");
            data = files.size() == 1 ? files.getFirst() : files.getFirst().getParent();
        } catch (NeuroscanException e) {
            Assumptions.abort("real gelu-1l / c4-10k not in the Hugging Face cache, so the reference-table check is skipped ("
                    + e.getMessage() + ")");
            return;
        }
        Path run = tmp.resolve("run");
        var r = CliFixtures.run("scan", "--model", modelDir.toString(), "--tokenizer", tokDir.toString(), "--dataset", data.toString(),
                "--max-docs", "112", "--top-k", "10", "--include-padding", "--out", run.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        TopK t = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        for (int rank = 0; rank < 10; rank++) {
            assertEquals(DOC[rank], t.doc(rank, 424), "rank " + rank + " data index");
            assertEquals(POS[rank], t.pos(rank, 424), "rank " + rank + " max position");
            assertEquals(MAX[rank], t.max(rank, 424), 1e-3, "rank " + rank + " max act");
        }
    }
}
