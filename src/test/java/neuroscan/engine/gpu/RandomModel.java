package neuroscan.engine.gpu;

import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;

import java.util.List;
import java.util.Random;

/** Random models and documents for the OpenCL tests. */
public final class RandomModel {
    private RandomModel() {
    }

    /** The CPU engine's random model (non-zero biases, peaked attention), so both engines test on the same kind. */
    public static Weights create(ModelConfig c, long seed) {
        return neuroscan.model.RandomWeights.create(c, seed);
    }

    /** Documents of random lengths in 1..maxLen with random token ids. */
    public static List<int[]> docs(Random r, int n, int maxLen, int vocab) {
        int[][] docs = new int[n][];
        for (int d = 0; d < n; d++) {
            docs[d] = new int[1 + r.nextInt(maxLen)];
            for (int i = 0; i < docs[d].length; i++) docs[d][i] = r.nextInt(vocab);
        }
        return List.of(docs);
    }
}
