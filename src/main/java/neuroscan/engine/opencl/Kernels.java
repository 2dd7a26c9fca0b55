package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;
import neuroscan.engine.opencl.CL.Buffer;
import neuroscan.engine.opencl.CL.Event;
import neuroscan.engine.opencl.CL.Kernel;
import neuroscan.engine.opencl.CL.Program;
import neuroscan.engine.opencl.CL.Queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels of {@code kernels/*.cl}, built for one device and head size, as bound operations: each
 * op object owns a kernel instance whose buffers and shape arguments are set once at construction;
 * {@code run} sets only what changes per batch (tokens, documents) and enqueues it. Op names match the
 * kernel files and their Java twins (Embed = embed.cl, ...). Tile sizes live here and reach the
 * kernels as -D build options, so host geometry and kernel code cannot disagree.
 */
final class Kernels implements AutoCloseable {
    static final int ACT_NONE = 0, ACT_GELU = 1, ACT_GELU_NEW = 2;
    static final int GEMM_TM = 64, GEMM_TN = 64, GEMM_TK = 16, GEMM_WM = 16, GEMM_WN = 16;
    static final int LN_WG = 64, ATT_BQ = 32, ATT_BK = 32, EMBED_WG = 64, TOPK_WG = 64;

    /** Each kernel file and the headers prepended to it (in this order). */
    private static final Map<String, List<String>> FILES = new LinkedHashMap<>();

    static {
        FILES.put("embed", List.of("common.h"));
        FILES.put("layer_norm", List.of("common.h"));
        FILES.put("gemm_bias", List.of("common.h", "gemm_tile.h"));
        FILES.put("causal_attention", List.of("common.h"));
        FILES.put("mlp_in_gelu_max", List.of("common.h", "gemm_tile.h"));
        FILES.put("topk_merge", List.of("common.h"));
    }

    private final Map<String, Program> programs = new LinkedHashMap<>();
    private final int dHead;
    /** Bound to kernel arguments that a configuration does not use (LNPre's w/b, no residual). */
    final Buffer unused;

    Kernels(CL.Context ctx, CL.Device dev, int dHead) {
        this.dHead = dHead;
        String options = options(dHead);
        try {
            for (var f : FILES.entrySet()) {
                String file = f.getKey() + ".cl";
                programs.put(f.getKey(), CL.buildProgram(ctx, dev, "kernels/" + file, source(f.getValue(), file), options));
            }
            unused = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4, "unused");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The -D build options: the geometry the host launches with, so kernel and host cannot disagree. */
    static String options(int dHead) {
        return "-D D_HEAD=" + dHead + " -D GEMM_TM=" + GEMM_TM + " -D GEMM_TN=" + GEMM_TN
                + " -D GEMM_TK=" + GEMM_TK + " -D GEMM_WM=" + GEMM_WM + " -D GEMM_WN=" + GEMM_WN
                + " -D LN_WG=" + LN_WG + " -D ATT_BQ=" + ATT_BQ + " -D ATT_BK=" + ATT_BK;
    }

    /** Each kernel file (without .cl) and the headers prepended to it. */
    static Map<String, List<String>> files() {
        return java.util.Collections.unmodifiableMap(FILES);
    }

    /** The program text: the headers, then the kernel file, each under a #line naming it for the build log. */
    static String source(List<String> headers, String file) {
        StringBuilder sb = new StringBuilder();
        for (String h : headers) sb.append("#line 1 \"").append(h).append("\"\n").append(resource(h)).append('\n');
        return sb.append("#line 1 \"").append(file).append("\"\n").append(resource(file)).toString();
    }

    private static String resource(String name) {
        try (InputStream in = Kernels.class.getResourceAsStream("/kernels/" + name)) {
            if (in == null) throw new NeuroscanException("kernels/" + name + ": missing from the classpath (a broken build?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NeuroscanException("kernels/" + name + ": " + e.getMessage(), e);
        }
    }

    int dHead() {
        return dHead;
    }

    private Kernel kernel(String file) {
        return programs.get(file).kernel(file);
    }

    static long roundUp(long n, long m) {
        return (n + m - 1) / m * m;
    }

    @Override
    public void close() {
        for (Program p : programs.values()) p.close();
        programs.clear();
        if (unused != null) unused.close();
    }

    /** A kernel with its fixed arguments bound. */
    abstract static class Op implements AutoCloseable {
        final Kernel k;

        Op(Kernel k) {
            this.k = k;
        }

        String name() {
            return k.name();
        }

        Event launch(Queue q, long[] global, long[] local, List<Event> wait) {
            return CL.enqueueKernel(q, k, global, local, wait);
        }

        @Override
        public void close() {
            k.close();
        }
    }

    /** embed.cl: x[t] = W_E[tokens[t]] + W_pos[position of t in its document]. */
    final class Embed extends Op {
        private final int dModel;

        Embed(Buffer tokens, Buffer offsets, int dModel, Buffer W_E, Buffer W_pos, Buffer x) {
            super(kernel("embed"));
            this.dModel = dModel;
            k.arg(0, tokens).arg(1, offsets).arg(4, dModel).arg(5, W_E).arg(6, W_pos).arg(7, x);
        }

        Event run(Queue q, int nDocs, int T, List<Event> wait) {
            k.arg(2, nDocs).arg(3, T);
            return launch(q, new long[]{roundUp(dModel, EMBED_WG), T}, new long[]{EMBED_WG, 1}, wait);
        }
    }

    /** layer_norm.cl: y = LN(x) per row; {@code w == null} means LNPre (no affine). */
    final class LayerNorm extends Op {
        LayerNorm(Buffer x, Buffer w, Buffer b, Buffer y, int dModel, float eps) {
            super(kernel("layer_norm"));
            k.arg(0, x).arg(1, w == null ? unused : w).arg(2, b == null ? unused : b).arg(3, y)
                    .arg(4, dModel).arg(5, eps).arg(6, w == null ? 0 : 1);
        }

        Event run(Queue q, int T, List<Event> wait) {
            return launch(q, new long[]{(long) T * LN_WG}, new long[]{LN_WG}, wait);
        }
    }

    /** gemm_bias.cl: C[M,N] = act(A[M,K] @ B[K,N] + bias) (+ R when R != null; C may be R). */
    final class GemmBias extends Op {
        private final int N;

        GemmBias(Buffer A, Buffer B, Buffer bias, Buffer R, Buffer C, int N, int K, int act) {
            super(kernel("gemm_bias"));
            this.N = N;
            k.arg(0, A).arg(1, B).arg(2, bias).arg(3, R == null ? unused : R).arg(4, C)
                    .arg(6, N).arg(7, K).arg(8, act).arg(9, R == null ? 0 : 1);
        }

        Event run(Queue q, int M, List<Event> wait) {
            k.arg(5, M);
            long gx = (N + GEMM_TN - 1) / GEMM_TN * (long) GEMM_WN, gy = (M + GEMM_TM - 1) / GEMM_TM * (long) GEMM_WM;
            return launch(q, new long[]{gx, gy}, new long[]{GEMM_WN, GEMM_WM}, wait);
        }
    }

    /** causal_attention.cl: z = causal softmax(q k^T / sqrt(d_head)) v per document and head. */
    final class CausalAttention extends Op {
        private final int nHeads;

        CausalAttention(Buffer qkv, Buffer offsets, int nHeads, Buffer z) {
            super(kernel("causal_attention"));
            this.nHeads = nHeads;
            k.arg(0, qkv).arg(1, offsets).arg(4, nHeads).arg(5, z);
        }

        Event run(Queue q, int nDocs, int T, List<Event> wait) {
            k.arg(2, nDocs).arg(3, T);
            return launch(q, new long[]{roundUp(T, ATT_BQ), nHeads}, new long[]{ATT_BQ, 1}, wait);
        }
    }

    /** mlp_in_gelu_max.cl: per document and neuron, max and first argmax of act(A @ W_in + b_in). */
    final class MlpInGeluMax extends Op {
        private final int N;

        MlpInGeluMax(Buffer A, Buffer W_in, Buffer b_in, Buffer offsets, int N, int K, int act, Buffer docMax,
                     Buffer docArg) {
            super(kernel("mlp_in_gelu_max"));
            this.N = N;
            k.arg(0, A).arg(1, W_in).arg(2, b_in).arg(3, offsets).arg(4, N).arg(5, K).arg(6, act)
                    .arg(7, docMax).arg(8, docArg);
        }

        Event run(Queue q, int nDocs, List<Event> wait) {
            long gx = (N + GEMM_TN - 1) / GEMM_TN * (long) GEMM_WN;
            return launch(q, new long[]{gx, (long) nDocs * GEMM_WM}, new long[]{GEMM_WN, GEMM_WM}, wait);
        }
    }

    /** topk_merge.cl: merges a batch's [nDocs, d_mlp] maxima into the running [k, d_mlp] store. */
    final class TopkMerge extends Op {
        private final int dMlp;

        TopkMerge(Buffer docMax, Buffer docArg, int dMlp, int topK, Buffer topMax, Buffer topDoc, Buffer topPos) {
            super(kernel("topk_merge"));
            this.dMlp = dMlp;
            k.arg(0, docMax).arg(1, docArg).arg(4, dMlp).arg(5, topK).arg(6, topMax).arg(7, topDoc).arg(8, topPos);
        }

        Event run(Queue q, int nDocs, int firstDoc, List<Event> wait) {
            k.arg(2, nDocs).arg(3, firstDoc);
            return launch(q, new long[]{roundUp(dMlp, TOPK_WG)}, new long[]{TOPK_WG}, wait);
        }
    }
}
