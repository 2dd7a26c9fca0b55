package neuroscan.engine;

import neuroscan.model.Weights;

import java.util.List;

/** {@link Engine} over {@link ReferenceForward}: slow and exact; the oracle for the fast engines. */
public final class ReferenceEngine implements Engine {
    private final ReferenceForward forward;
    private final int neurons;

    public ReferenceEngine(Weights weights) {
        this.forward = new ReferenceForward(weights);
        this.neurons = weights.cfg().neurons();
    }

    @Override
    public int neurons() {
        return neurons;
    }

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
        for (int d = 0; d < docs.size(); d++) {
            int[] t = docs.get(d);
            float[] acts = forward.activations(t);
            for (int n = 0; n < neurons; n++) {
                float best = Float.NEGATIVE_INFINITY;
                int at = -1, above = 0;
                for (int p = 0; p < t.length; p++) {
                    float v = acts[p * neurons + n];
                    if (v > 0) above++;
                    // strict: the first position wins ties; a NaN activation makes the max NaN (first NaN's position)
                    if (v > best || (v != v && best == best)) {
                        best = v;
                        at = p;
                    }
                }
                max[d * neurons + n] = best;
                argmax[d * neurons + n] = at;
                if (positive != null) positive[d * neurons + n] = above;
            }
        }
    }

    @Override
    public float[] hookPost(int[] tokens) {
        return forward.activations(tokens);
    }

    @Override
    public String describe() {
        return "reference";
    }
}
