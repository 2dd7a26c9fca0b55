package neuroscan.engine.cpu;

import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;

import java.util.Arrays;

/**
 * The CPU engine's ops run one at a time on plain row-major arrays: the Java (Vector API) twins of the
 * GPU kernels, which {@code KernelsContract} holds every kernel against. Each goes through the op's own
 * {@code apply}, with the padded row strides and {@link Panels} packing the engine uses, so a twin
 * computes exactly what {@link CpuEngine} does. Test and benchmark code (src/support), never in the jar.
 */
public final class KernelTwins {
    private KernelTwins() {
    }

    /** Per document and neuron ([nDocs, N] row-major): max over positions and its first position. */
    public record DocMax(float[] max, int[] argmax, int[] positive) {
    }

    /**
     * kernels' {@code embed}, through {@link Embed#apply}: documents packed back to back, document d in
     * rows [offsets[d], offsets[d + 1]); returns x [T, d_model], row t = W_E[tokens[t]] + W_pos[t - offsets[d]].
     *
     * @param W_E [d_vocab, d_model] row-major; @param W_pos [n_ctx, d_model] row-major
     */
    public static float[] embed(int[] tokens, int[] offsets, float[] W_E, float[] W_pos, int dModel) {
        int T = offsets[offsets.length - 1];
        Embed op = new Embed(Tensor.of("W_E", W_E, W_E.length / dModel, dModel),
                Tensor.of("W_pos", W_pos, W_pos.length / dModel, dModel));
        float[] x = new float[T * dModel];
        op.apply(tokens, positions(offsets), T, x, dModel);
        return x;
    }

    /**
     * kernels' {@code layer_norm}, through {@link LayerNorm#apply}: y [rows, d_model] = LN(x) per row;
     * {@code w == null} (and b) is LNPre, as the kernel's has_affine = 0.
     */
    public static float[] layerNorm(float[] x, int rows, int dModel, float[] w, float[] b, double eps) {
        LayerNorm op = new LayerNorm(w == null ? "LNPre" : "LN", w, b, eps, dModel);
        float[] y = new float[rows * dModel];
        op.apply(x, dModel, rows, y, dModel, new float[VectorMath.VL]);
        return y;
    }

    /**
     * kernels' {@code gemm_bias} without activation (act = ACT_NONE), through {@link GemmBias#apply}:
     * C [M, N] = A [M, K] @ B [K, N] + bias, plus R [M, N] when R != null (the residual form,
     * {@code accumulate}).
     */
    public static float[] gemmBias(float[] A, int M, int K, float[] B, int N, float[] bias, float[] R) {
        GemmBias op = new GemmBias(panels(B, K, N, bias));
        int ldo = op.w.nPad;
        float[] out = new float[M * ldo];
        if (R != null) for (int r = 0; r < M; r++) System.arraycopy(R, r * N, out, r * ldo, N);
        op.apply(A, K, M, out, ldo, R != null, workspace(M, K, 1, 1, N));
        return unpad(out, M, ldo, N);
    }

    /**
     * kernels' {@code causal_attention}, through {@link CausalAttention#apply} once per document: qkv
     * [T, 3 H d_head] (q | k | v, head h at h d_head within each part), document d in rows
     * [offsets[d], offsets[d + 1]); returns z [T, H d_head].
     */
    public static float[] causalAttention(float[] qkv, int[] offsets, int nHeads, int dHead) {
        int nDocs = offsets.length - 1, hd = nHeads * dHead, longest = 1;
        for (int d = 0; d < nDocs; d++) longest = Math.max(longest, offsets[d + 1] - offsets[d]);
        CausalAttention op = new CausalAttention(nHeads, dHead);
        Workspace ws = workspace(longest, hd, nHeads, dHead, 1);
        float[] z = new float[offsets[nDocs] * hd];
        for (int d = 0; d < nDocs; d++) {
            if (offsets[d + 1] > offsets[d]) op.apply(qkv, 3 * hd, offsets[d], offsets[d + 1] - offsets[d], z, hd, ws);
        }
        return z;
    }

    /**
     * kernels' {@code mlp_in_gelu_max}, through {@link MlpInGeluMax#apply} (all documents in one call, as
     * a bin): A [T, K] with document d in rows [offsets[d], offsets[d + 1]), W_in [K, N], b_in [N]; actFn
     * "gelu" or "gelu_new". An empty document keeps (-inf, -1). Also counts each document's positions with post > 0.
     */
    public static DocMax mlpInGeluMax(float[] A, int K, float[] W_in, int N, float[] b_in, int[] offsets, String actFn) {
        int nDocs = offsets.length - 1, T = offsets[nDocs];
        MlpInGeluMax op = new MlpInGeluMax(panels(W_in, K, N, b_in), actFn);
        int ldm = op.w.nPad;
        int[] slot = new int[T];
        for (int d = 0; d < nDocs; d++) Arrays.fill(slot, offsets[d], offsets[d + 1], d);
        float[] max = new float[nDocs * ldm];
        int[] arg = new int[nDocs * ldm];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(arg, -1);
        int[] pos = new int[nDocs * ldm];
        op.apply(A, K, T, slot, positions(offsets), max, arg, pos, ldm, workspace(T, K, 1, 1, N));
        int[] argmax = new int[nDocs * N], positive = new int[nDocs * N];
        for (int d = 0; d < nDocs; d++) {
            System.arraycopy(arg, d * ldm, argmax, d * N, N);
            System.arraycopy(pos, d * ldm, positive, d * N, N);
        }
        return new DocMax(unpad(max, nDocs, ldm, N), argmax, positive);
    }

    /**
     * kernels' {@code gemm_bias} with act = ACT_GELU / ACT_GELU_NEW and no residual: the unfused path of
     * {@code CpuEngine.hookPost} ({@link GemmBias#apply} into padded rows, then
     * {@link MlpInGeluMax#activate}), returning act(A [M, K] @ W_in [K, N] + b_in) as [M, N].
     */
    public static float[] mlpPost(float[] A, int M, int K, float[] W_in, int N, float[] b_in, String actFn) {
        Panels panels = panels(W_in, K, N, b_in);
        MlpInGeluMax op = new MlpInGeluMax(panels, actFn);
        Workspace ws = workspace(M, K, 1, 1, N);
        int ldo = panels.nPad;
        float[] pre = new float[M * ldo];
        new GemmBias(panels).apply(A, K, M, pre, ldo, false, ws);
        for (int r = 0; r < M; r++) op.activate(pre, r * ldo, N, ws);
        return unpad(pre, M, ldo, N);
    }

    /** SoLU's MLP after the GEMM: hook_mid and hook_post [T, N], and hook_mid's max (and positives) over each document's positions. */
    public record Solu(float[] mid, float[] post, DocMax max) {
    }

    /**
     * kernels' {@code solu_ln_max}, through the CPU engine's SoLU path: {@link Solu#mid} on padded rows, the max
     * over positions by {@link ColumnMax#fold} (all documents as one bin), and the MLP's LayerNorm
     * ({@link LayerNorm#apply}: LN with w, b, or LNPre for {@code w == null}) for hook_post. pre [T, N], document d
     * in rows [offsets[d], offsets[d + 1]).
     */
    public static Solu solu(float[] pre, int N, int[] offsets, float[] w, float[] b, double eps) {
        int nDocs = offsets.length - 1, T = offsets[nDocs], ld = Microkernel.roundUp(N, VectorMath.VL);
        float[] h = new float[T * ld];
        for (int r = 0; r < T; r++) System.arraycopy(pre, r * N, h, r * ld, N);
        neuroscan.engine.cpu.Solu.mid(h, ld, T, N, new float[ld], new float[VectorMath.VL]);
        int[] slot = new int[T];
        for (int d = 0; d < nDocs; d++) Arrays.fill(slot, offsets[d], offsets[d + 1], d);
        float[] max = new float[nDocs * ld];
        int[] arg = new int[nDocs * ld], pos = new int[nDocs * ld];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(arg, -1);
        ColumnMax.fold(h, ld, T, N, slot, positions(offsets), max, arg, pos, ld);
        int[] argmax = new int[nDocs * N], positive = new int[nDocs * N];
        for (int d = 0; d < nDocs; d++) {
            System.arraycopy(arg, d * ld, argmax, d * N, N);
            System.arraycopy(pos, d * ld, positive, d * N, N);
        }
        float[] mid = unpad(h, T, ld, N);
        new LayerNorm(w == null ? "LNPre" : "LN", w, b, eps, N).apply(h, ld, T, h, ld, new float[VectorMath.VL]);
        return new Solu(mid, unpad(h, T, ld, N), new DocMax(unpad(max, nDocs, ld, N), argmax, positive));
    }

    /** B [K, N] row-major packed as the engine packs its weights. */
    private static Panels panels(float[] B, int K, int N, float[] bias) {
        return new Panels(K, N, (r, c) -> B[r * N + c], bias);
    }

    /** Each packed row's position inside its own document. */
    private static int[] positions(int[] offsets) {
        int[] pos = new int[offsets[offsets.length - 1]];
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int t = offsets[d]; t < offsets[d + 1]; t++) pos[t] = t - offsets[d];
        return pos;
    }

    /** The first n columns of rows ld apart, as a dense [rows, n]. */
    private static float[] unpad(float[] padded, int rows, int ld, int n) {
        float[] dense = new float[rows * n];
        for (int r = 0; r < rows; r++) System.arraycopy(padded, r * ld, dense, r * n, n);
        return dense;
    }

    /** One op's scratch: {@code rows} rows (the longest document for attention) of the given widths, one document slot. */
    private static Workspace workspace(int rows, int dModel, int nHeads, int dHead, int dMlp) {
        return new Workspace(new ModelConfig(1, dModel, nHeads, dHead, dMlp, Math.max(rows, 1), 1, "gelu", null,
                ModelConfig.DEFAULT_EPS, null), 1);
    }
}
