package neuroscan.engine;

import neuroscan.model.Weights;

import java.util.List;

/** {@link Engine} over {@link ReferenceForward}: slow and exact; the oracle for the fast engines. */
public final class ReferenceEngine implements Engine {
    private final ReferenceForward forward;
    private final int dMlp;

    public ReferenceEngine(Weights weights) {
        this.forward = new ReferenceForward(weights);
        this.dMlp = weights.cfg().dMlp();
    }

    @Override
    public int dMlp() {
        return dMlp;
    }

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax) {
        for (int d = 0; d < docs.size(); d++) {
            int[] t = docs.get(d);
            float[] post = forward.hookPost(t);
            for (int n = 0; n < dMlp; n++) {
                float best = Float.NEGATIVE_INFINITY;
                int at = -1;
                for (int p = 0; p < t.length; p++) {
                    float v = post[p * dMlp + n];
                    // strict: the first position wins ties; a NaN activation makes the max NaN (first NaN's position)
                    if (v > best || (v != v && best == best)) {
                        best = v;
                        at = p;
                    }
                }
                max[d * dMlp + n] = best;
                argmax[d * dMlp + n] = at;
            }
        }
    }

    @Override
    public float[] hookPost(int[] tokens) {
        return forward.hookPost(tokens);
    }

    @Override
    public String describe() {
        return "reference";
    }
}
