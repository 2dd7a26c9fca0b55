package neuroscan.engine.cpu;

import neuroscan.model.ModelConfig;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** Random inputs, workspaces sized for an op test, and the tolerance check the engine tests share. */
final class TestData {
    private TestData() {
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return v;
    }

    /** A workspace whose buffers fit an op with these sizes. */
    static Workspace workspace(int dModel, int nHeads, int dHead, int dMlp, int nCtx, int maxDocs) {
        return new Workspace(new ModelConfig(1, dModel, nHeads, dHead, dMlp, nCtx, 10, "gelu", "LN",
                ModelConfig.DEFAULT_EPS, null), maxDocs);
    }

    /** |got - want| <= atol + rtol |want|, the engines' agreement criterion. */
    static boolean close(double got, double want, double atol, double rtol) {
        return Math.abs(got - want) <= atol + rtol * Math.abs(want);
    }

    static void assertClose(double got, double want, double atol, double rtol, String what) {
        if (!close(got, want, atol, rtol)) fail(what + ": got " + got + ", want " + want);
    }
}
