package neuroscan.engine.gpu;

import neuroscan.kernels.Activations;
import neuroscan.kernels.CausalAttention;
import neuroscan.kernels.GemmTile;
import neuroscan.kernels.LayerNorm;
import neuroscan.kernels.SoluLnMax;

import java.util.Arrays;

/**
 * The launches of every kernel of {@code kernels/}, for both runtimes: argument order (matching the
 * kernel's parameter list) and geometry. Tile sizes are the kernels' own {@code @BuildOption} constants,
 * and reach the C as -D build options ({@link KernelSources#options}), so host geometry and kernel agree.
 */
public final class Calls {
    private Calls() {
    }

    // The kernels' own constants (their @BuildOption defaults), so host geometry and kernel cannot disagree.
    public static final int ACT_NONE = Activations.ACT_NONE, ACT_GELU = Activations.ACT_GELU,
            ACT_GELU_NEW = Activations.ACT_GELU_NEW;
    public static final int GEMM_TM = GemmTile.GEMM_TM, GEMM_TN = GemmTile.GEMM_TN, GEMM_TK = GemmTile.GEMM_TK,
            GEMM_WM = GemmTile.GEMM_WM, GEMM_WN = GemmTile.GEMM_WN;
    public static final int LN_WG = LayerNorm.LN_WG, ATT_BQ = CausalAttention.ATT_BQ, ATT_BK = CausalAttention.ATT_BK;
    public static final int SOLU_WG = SoluLnMax.SOLU_WG, SOLU_KEEP_PRE = SoluLnMax.SOLU_KEEP_PRE,
            SOLU_STORE_MID = SoluLnMax.SOLU_STORE_MID, SOLU_STORE_POST = SoluLnMax.SOLU_STORE_POST;
    /** Work-group sizes of the kernels whose geometry is the host's choice alone. */
    public static final int EMBED_WG = 64, TOPK_WG = 64, NORM_WG = 64;

    /** The activation selector of a TransformerLens act_fn ("gelu" exact, "gelu_new" tanh). */
    public static int act(String actFn) {
        return "gelu_new".equals(actFn) ? ACT_GELU_NEW : ACT_GELU;
    }

    // ---------------------------------------------------------------- geometry: {groups, work-group}, written once

    public static int[][] embedGrid(int T, int dModel) {
        return new int[][]{{ceil(dModel, EMBED_WG), T}, {EMBED_WG, 1}};
    }

    public static int[][] layerNormGrid(int rows) {
        return new int[][]{{rows}, {LN_WG}};
    }

    public static int[][] gemmGrid(int M, int N) {
        return new int[][]{{ceil(N, GEMM_TN), ceil(M, GEMM_TM)}, {GEMM_WN, GEMM_WM}};
    }

    public static int[][] attentionGrid(int T, int nHeads) {
        return new int[][]{{ceil(T, ATT_BQ), nHeads}, {ATT_BQ, 1}};
    }

    public static int[][] mlpMaxGrid(int nDocs, int N) {
        return new int[][]{{ceil(N, GEMM_TN), nDocs}, {GEMM_WN, GEMM_WM}};
    }

    public static int[][] soluGrid(int nDocs) {
        return new int[][]{{nDocs}, {SOLU_WG}};
    }

    /** norm_bound: one work-item per vector. */
    public static int[][] normGrid(int count) {
        return new int[][]{{ceil(count, NORM_WG)}, {NORM_WG}};
    }

    public static int[][] topkGrid(int dMlp) {
        return new int[][]{{ceil(dMlp, TOPK_WG)}, {TOPK_WG}};
    }

    // ---------------------------------------------------------------- launches

    /** embed: x[t] = W_E[tokens[t]] + W_pos[position of t in its document]. */
    public static Call embed(DeviceBuffer tokens, DeviceBuffer offsets, int nDocs, int T, int dModel,
                             DeviceBuffer W_E, DeviceBuffer W_pos, DeviceBuffer x) {
        return call("embed", embedGrid(T, dModel), tokens, offsets, nDocs, T, dModel, W_E, W_pos, x);
    }

    /** layer_norm: y = LN(x) per row of {@code rows}; {@code w == null} means LNPre (no affine). */
    public static Call layerNorm(DeviceBuffer x, DeviceBuffer w, DeviceBuffer b, DeviceBuffer y, int rows, int dModel,
                                 float eps) {
        return call("layer_norm", layerNormGrid(rows), x, w, b, y, dModel, eps, w == null ? 0 : 1);
    }

    /** gemm_bias: C[M,N] = act(A[M,K] @ B[K,N] + bias) (+ R when R != null; C may be R). */
    public static Call gemmBias(DeviceBuffer A, DeviceBuffer B, DeviceBuffer bias, DeviceBuffer R, DeviceBuffer C,
                                int M, int N, int K, int act) {
        return call("gemm_bias", gemmGrid(M, N), A, B, bias, R, C, M, N, K, act, R == null ? 0 : 1);
    }

    /** causal_attention: z = causal softmax(q k^T / sqrt(d_head)) v per document and head. */
    public static Call causalAttention(DeviceBuffer qkv, DeviceBuffer offsets, int nDocs, int T, int nHeads,
                                       DeviceBuffer z) {
        return call("causal_attention", attentionGrid(T, nHeads), qkv, offsets, nDocs, T, nHeads, z);
    }

    /** mlp_in_gelu_max: per document and neuron, max and first argmax of act(A @ W_in + b_in), and its positives. */
    public static Call mlpInGeluMax(DeviceBuffer A, DeviceBuffer W_in, DeviceBuffer b_in, DeviceBuffer offsets,
                                    int nDocs, int N, int K, int act, DeviceBuffer docMax, DeviceBuffer docArg, DeviceBuffer docPos) {
        return mlpInGeluMax(A, W_in, b_in, offsets, nDocs, N, K, act, docMax, docArg, docPos, null);
    }

    /** As above, also storing the activations [T, N] into {@code post} (null: not stored). */
    public static Call mlpInGeluMax(DeviceBuffer A, DeviceBuffer W_in, DeviceBuffer b_in, DeviceBuffer offsets,
                                    int nDocs, int N, int K, int act, DeviceBuffer docMax, DeviceBuffer docArg, DeviceBuffer docPos,
                                    DeviceBuffer post) {
        return call("mlp_in_gelu_max", mlpMaxGrid(nDocs, N), A, W_in, b_in, offsets, N, K, act, docMax, docArg, docPos, post,
                post == null ? 0 : 1);
    }

    /** stats_merge: adds a batch's [nDocs, N] maxima and positives to the running per-neuron statistics. */
    public static Call statsMerge(DeviceBuffer docMax, DeviceBuffer docArg, DeviceBuffer docPos, DeviceBuffer docIds,
                                  DeviceBuffer docKeys, DeviceBuffer salt, int nDocs, int N, DeviceBuffer edges, int nEdges, int m,
                                  DeviceBuffer posLo, DeviceBuffer posHi, DeviceBuffer hist, DeviceBuffer sKey, DeviceBuffer sDoc,
                                  DeviceBuffer sMax, DeviceBuffer sPos) {
        return call("stats_merge", topkGrid(N), docMax, docArg, docPos, docIds, docKeys, salt, nDocs, N, edges, nEdges, m,
                posLo, posHi, hist, sKey, sDoc, sMax, sPos);
    }

    /**
     * solu_ln_max: in place on h [T, N] (pre), per document and neuron the max, first argmax and positive count of hook_mid =
     * pre * softmax(pre); h left as pre, hook_mid or LN(hook_mid) by {@code mode} (SOLU_*; lnW == null: LNPre).
     */
    public static Call soluLnMax(DeviceBuffer h, DeviceBuffer offsets, int nDocs, int N, DeviceBuffer docMax,
                                 DeviceBuffer docArg, DeviceBuffer docPos, DeviceBuffer lnW, DeviceBuffer lnB, float eps, int mode) {
        return call("solu_ln_max", soluGrid(nDocs), h, offsets, N, docMax, docArg, docPos, lnW, lnB, lnW == null ? 0 : 1, eps, mode);
    }

    /** topk_merge: merges a batch's [nDocs, d_mlp] maxima (row d is document docIds[d]) into the running [k, d_mlp] store. */
    public static Call topkMerge(DeviceBuffer docMax, DeviceBuffer docArg, DeviceBuffer docIds, int nDocs, int dMlp, int k,
                                 DeviceBuffer topMax, DeviceBuffer topDoc, DeviceBuffer topPos, DeviceBuffer nanCount) {
        return call("topk_merge", topkGrid(dMlp), docMax, docArg, docIds, nDocs, dMlp, k, topMax, topDoc, topPos, nanCount);
    }

    /** norm_bound: out[i] >= ||X[i * stride + k * step], k < len||_2 for i < count (the screen's norms). */
    public static Call normBound(DeviceBuffer X, int count, int len, int stride, int step, DeviceBuffer out) {
        return call("norm_bound", normGrid(count), X, count, len, stride, step, out);
    }

    /** mlp_screen: which (document, neuron) pairs may reach the store's k-th entry (Screening); the others get -inf / -1. */
    public static Call mlpScreen(DeviceBuffer A, DeviceBuffer W_in, DeviceBuffer b_in, DeviceBuffer offsets, DeviceBuffer rowNorm,
                                 DeviceBuffer colNorm, DeviceBuffer topMax, DeviceBuffer topDoc, int nDocs, int N, int K, int k,
                                 int act, float relErr, DeviceBuffer docMax, DeviceBuffer docArg, DeviceBuffer cand) {
        return call("mlp_screen", mlpMaxGrid(nDocs, N), A, W_in, b_in, offsets, rowNorm, colNorm, topMax, topDoc, N, K, k, act,
                relErr, docMax, docArg, cand);
    }

    /** mlp_recompute: mlp_in_gelu_max's values for the pairs mlp_screen flagged; adds each document's count to candCount. */
    public static Call mlpRecompute(DeviceBuffer A, DeviceBuffer W_in, DeviceBuffer b_in, DeviceBuffer offsets, DeviceBuffer cand,
                                    int nDocs, int N, int K, int act, DeviceBuffer docMax, DeviceBuffer docArg, DeviceBuffer candCount) {
        return call("mlp_recompute", mlpMaxGrid(nDocs, N), A, W_in, b_in, offsets, cand, N, K, act, docMax, docArg, candCount);
    }

    /** Work-items per work-group the GEMM kernels need (the largest of all kernels). */
    public static int largestWorkGroup() {
        return Math.max(GEMM_WM * GEMM_WN, SOLU_WG);
    }

    private static Call call(String kernel, int[][] grid, Object... args) {
        return new Call(kernel, Arrays.asList(args), grid[0], grid[1]);
    }

    public static int ceil(int n, int m) {
        return (n + m - 1) / m;
    }
}
