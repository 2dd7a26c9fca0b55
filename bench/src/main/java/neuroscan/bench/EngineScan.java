package neuroscan.bench;

import neuroscan.engine.Engine;
import neuroscan.store.TopK;

import java.util.List;

/**
 * neuroscan's scan minus reading, tokenizing and writing the run: {@link Engine#docMax} over windows of
 * 64 documents and {@link TopK#merge}, what {@code Scanner} does per batch.
 */
public final class EngineScan {
    static final int WINDOW = 64;

    private EngineScan() {
    }

    public static TopK scan(Engine engine, List<int[]> docs, int k) {
        int dMlp = engine.neurons();
        TopK store = new TopK(k, dMlp);
        float[] max = new float[WINDOW * dMlp];
        int[] argmax = new int[WINDOW * dMlp];
        for (int s = 0; s < docs.size(); s += WINDOW) {
            int e = Math.min(docs.size(), s + WINDOW);
            engine.docMax(docs.subList(s, e), max, argmax);
            int[] ids = new int[e - s];
            for (int i = 0; i < ids.length; i++) ids[i] = s + i;
            store.merge(ids.length, ids, max, argmax);
        }
        return store;
    }
}
