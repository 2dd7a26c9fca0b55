package neuroscan.engine.gpu;

import neuroscan.kernels.Activations;
import neuroscan.kernels.CausalAttention;
import neuroscan.kernels.GemmTile;
import neuroscan.kernels.LayerNorm;

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
    /** Work-group sizes of the kernels whose geometry is the host's choice alone. */
    public static final int EMBED_WG = 64, TOPK_WG = 64;

    /** The activation selector of a TransformerLens act_fn ("gelu" exact, "gelu_new" tanh). */
    public static int act(String actFn) {
        return "gelu_new".equals(actFn) ? ACT_GELU_NEW : ACT_GELU;
    }

    /** embed.cl: x[t] = W_E[tokens[t]] + W_pos[position of t in its document]. */
    public static Call embed(DeviceBuffer tokens, DeviceBuffer offsets, int nDocs, int T, int dModel,
                             DeviceBuffer W_E, DeviceBuffer W_pos, DeviceBuffer x) {
        return call("embed", new int[]{ceil(dModel, EMBED_WG), T}, new int[]{EMBED_WG, 1},
                tokens, offsets, nDocs, T, dModel, W_E, W_pos, x);
    }

    /** layer_norm.cl: y = LN(x) per row of {@code rows}; {@code w == null} means LNPre (no affine). */
    public static Call layerNorm(DeviceBuffer x, DeviceBuffer w, DeviceBuffer b, DeviceBuffer y, int rows, int dModel,
                                 float eps) {
        return call("layer_norm", new int[]{rows}, new int[]{LN_WG}, x, w, b, y, dModel, eps, w == null ? 0 : 1);
    }

    /** gemm_bias.cl: C[M,N] = act(A[M,K] @ B[K,N] + bias) (+ R when R != null; C may be R). */
    public static Call gemmBias(DeviceBuffer A, DeviceBuffer B, DeviceBuffer bias, DeviceBuffer R, DeviceBuffer C,
                                int M, int N, int K, int act) {
        return call("gemm_bias", new int[]{ceil(N, GEMM_TN), ceil(M, GEMM_TM)}, new int[]{GEMM_WN, GEMM_WM},
                A, B, bias, R, C, M, N, K, act, R == null ? 0 : 1);
    }

    /** causal_attention.cl: z = causal softmax(q k^T / sqrt(d_head)) v per document and head. */
    public static Call causalAttention(DeviceBuffer qkv, DeviceBuffer offsets, int nDocs, int T, int nHeads,
                                       DeviceBuffer z) {
        return call("causal_attention", new int[]{ceil(T, ATT_BQ), nHeads}, new int[]{ATT_BQ, 1},
                qkv, offsets, nDocs, T, nHeads, z);
    }

    /** mlp_in_gelu_max.cl: per document and neuron, max and first argmax of act(A @ W_in + b_in). */
    public static Call mlpInGeluMax(DeviceBuffer A, DeviceBuffer W_in, DeviceBuffer b_in, DeviceBuffer offsets,
                                    int nDocs, int N, int K, int act, DeviceBuffer docMax, DeviceBuffer docArg) {
        return call("mlp_in_gelu_max", new int[]{ceil(N, GEMM_TN), nDocs}, new int[]{GEMM_WN, GEMM_WM},
                A, W_in, b_in, offsets, N, K, act, docMax, docArg);
    }

    /** topk_merge.cl: merges a batch's [nDocs, d_mlp] maxima into the running [k, d_mlp] store. */
    public static Call topkMerge(DeviceBuffer docMax, DeviceBuffer docArg, int nDocs, int firstDoc, int dMlp, int k,
                                 DeviceBuffer topMax, DeviceBuffer topDoc, DeviceBuffer topPos) {
        return call("topk_merge", new int[]{ceil(dMlp, TOPK_WG)}, new int[]{TOPK_WG},
                docMax, docArg, nDocs, firstDoc, dMlp, k, topMax, topDoc, topPos);
    }

    /** Work-items per work-group the GEMM kernels need (the largest of all kernels). */
    public static int largestWorkGroup() {
        return GEMM_WM * GEMM_WN;
    }

    private static Call call(String kernel, int[] groups, int[] local, Object... args) {
        return new Call(kernel, Arrays.asList(args), groups, local);
    }

    static int ceil(int n, int m) {
        return (n + m - 1) / m;
    }
}
