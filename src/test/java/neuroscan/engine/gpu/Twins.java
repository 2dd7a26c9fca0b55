package neuroscan.engine.gpu;

import neuroscan.engine.Gelu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Every kernel, by the kernel's name, as plain scalar loops in double: what each kernel must compute,
 * written independently of both it and its Java twin (the CPU engine's ops, run alone by
 * neuroscan.engine.cpu.KernelTwins, and the store's neuroscan.store.TopK), which KernelsContract checks the
 * kernels against as well.
 */
public final class Twins {
    private Twins() {
    }

    /** embed: x[t] = W_E[tokens[t]] + W_pos[t - offsets[doc of t]]. */
    public static float[] embed(int[] tokens, int[] offsets, float[] W_E, float[] W_pos, int dModel) {
        float[] x = new float[tokens.length * dModel];
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int t = offsets[d]; t < offsets[d + 1]; t++)
                for (int i = 0; i < dModel; i++)
                    x[t * dModel + i] = W_E[tokens[t] * dModel + i] + W_pos[(t - offsets[d]) * dModel + i];
        return x;
    }

    /** layer_norm: per row (x - mean) / sqrt(var + eps) * w + b; w == null is LNPre. */
    public static float[] layerNorm(float[] x, float[] w, float[] b, int rows, int dModel, double eps) {
        float[] y = new float[rows * dModel];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < dModel; i++) mean += x[r * dModel + i];
            mean /= dModel;
            for (int i = 0; i < dModel; i++) var += Math.pow(x[r * dModel + i] - mean, 2);
            double inv = 1 / Math.sqrt(var / dModel + eps);
            for (int i = 0; i < dModel; i++) {
                double v = (x[r * dModel + i] - mean) * inv;
                y[r * dModel + i] = (float) (w == null ? v : v * w[i] + b[i]);
            }
        }
        return y;
    }

    /** gemm_bias: act(A[M,K] @ B[K,N] + bias) (+ R). act: neuroscan.engine.gpu.Calls.ACT_*. */
    public static float[] gemmBias(float[] A, float[] B, float[] bias, float[] R, int M, int N, int K, int act) {
        float[] C = new float[M * N];
        for (int r = 0; r < M; r++)
            for (int c = 0; c < N; c++) {
                double s = bias[c];
                for (int k = 0; k < K; k++) s += (double) A[r * K + k] * B[k * N + c];
                s = activation(act, s);
                C[r * N + c] = (float) (R == null ? s : s + R[r * N + c]);
            }
        return C;
    }

    /** causal_attention: qkv [T, 3 h dh] (q | k | v) -> z [T, h dh], causal within each document. */
    public static float[] causalAttention(float[] qkv, int[] offsets, int nHeads, int dHead) {
        int hd = nHeads * dHead, T = offsets[offsets.length - 1];
        float[] z = new float[T * hd];
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int h = 0; h < nHeads; h++)
                for (int t = offsets[d]; t < offsets[d + 1]; t++) {
                    int n = t - offsets[d] + 1;
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < n; j++) {
                        int key = offsets[d] + j;
                        for (int e = 0; e < dHead; e++)
                            s[j] += (double) qkv[t * 3 * hd + h * dHead + e] * qkv[key * 3 * hd + hd + h * dHead + e];
                        s[j] /= Math.sqrt(dHead);
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < n; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int e = 0; e < dHead; e++) {
                        double acc = 0;
                        for (int j = 0; j < n; j++) acc += s[j] / sum * qkv[(offsets[d] + j) * 3 * hd + 2 * hd + h * dHead + e];
                        z[t * hd + h * dHead + e] = (float) acc;
                    }
                }
        return z;
    }

    /** mlp_in_gelu_max: per document and neuron, max over positions of act(A @ W_in + b_in) and its first position. */
    public static void mlpInGeluMax(float[] A, float[] W_in, float[] b_in, int[] offsets, int N, int K, int act,
                             float[] max, int[] arg) {
        int T = offsets[offsets.length - 1];
        columnMax(gemmBias(A, W_in, b_in, null, T, N, K, act), offsets, N, max, arg);
    }

    /** Per document and column of h [T, N]: the max over the document's rows and its first position. */
    public static void columnMax(float[] post, int[] offsets, int N, float[] max, int[] arg) {
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int n = 0; n < N; n++) {
                float best = Float.NEGATIVE_INFINITY;
                int at = -1;
                for (int t = offsets[d]; t < offsets[d + 1]; t++) {
                    if (post[t * N + n] > best) {
                        best = post[t * N + n];
                        at = t - offsets[d];
                    }
                }
                max[d * N + n] = best;
                arg[d * N + n] = at;
            }
    }

    /** solu_ln_max's hook_mid: per row of pre [T, N], pre * exp(pre - max) / sum over the row's exp(pre - max). */
    public static float[] soluMid(float[] pre, int T, int N) {
        float[] mid = new float[T * N];
        for (int r = 0; r < T; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < N; c++) max = Math.max(max, pre[r * N + c]);
            for (int c = 0; c < N; c++) sum += Math.exp(pre[r * N + c] - max);
            for (int c = 0; c < N; c++) mid[r * N + c] = (float) (pre[r * N + c] * Math.exp(pre[r * N + c] - max) / sum);
        }
        return mid;
    }

    /** One (document, max, position) candidate for a neuron's top-k. */
    public record Entry(float max, int doc, int pos) {
    }

    /**
     * topk_merge, by brute force: for each neuron all candidates ever offered, sorted by max
     * descending then document ascending, the first k kept; empty slots are (-inf, -1, -1).
     */
    public static void topK(List<List<Entry>> perNeuron, int k, float[] max, int[] doc, int[] pos) {
        int dMlp = perNeuron.size();
        for (int n = 0; n < dMlp; n++) {
            List<Entry> all = new ArrayList<>(perNeuron.get(n));
            all.sort(Comparator.comparingDouble((Entry e) -> -e.max()).thenComparingInt(Entry::doc));
            for (int i = 0; i < k; i++) {
                Entry e = i < all.size() ? all.get(i) : new Entry(Float.NEGATIVE_INFINITY, -1, -1);
                max[i * dMlp + n] = e.max();
                doc[i * dMlp + n] = e.doc();
                pos[i * dMlp + n] = e.pos();
            }
        }
    }

    public static double activation(int act, double x) {
        return switch (act) {
            case neuroscan.engine.gpu.Calls.ACT_GELU -> Gelu.exact(x);
            case neuroscan.engine.gpu.Calls.ACT_GELU_NEW -> Gelu.tanh(x);
            default -> x;
        };
    }
}
