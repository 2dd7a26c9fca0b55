package neuroscan.engine.opencl;

import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.Calls;
import neuroscan.engine.gpu.KernelSources;
import neuroscan.engine.opencl.CL.Buffer;
import neuroscan.engine.opencl.CL.Event;
import neuroscan.engine.opencl.CL.Kernel;
import neuroscan.engine.opencl.CL.Program;
import neuroscan.engine.opencl.CL.Queue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels of {@code kernels/*.cl}, built for one device and head size, as bound operations: each op
 * object holds the buffers and shapes fixed at construction; {@code run} takes what changes per batch
 * (tokens, documents), builds the {@link Call} (argument order and geometry, shared with the CUDA
 * host) and enqueues it. Op names match the kernel files and their Java twins (Embed = embed.cl, ...).
 */
final class Kernels implements AutoCloseable {
    private final Map<String, Program> programs = new LinkedHashMap<>();
    private final Map<String, Kernel> kernels = new LinkedHashMap<>();
    private final int dHead;
    /** Bound to kernel arguments that a configuration does not use (LNPre's w/b, no residual). */
    final Buffer unused;

    Kernels(CL.Context ctx, CL.Device dev, int dHead) {
        this.dHead = dHead;
        String options = KernelSources.options(dHead);
        try {
            for (String name : KernelSources.files().keySet()) {
                Program p = CL.buildProgram(ctx, dev, "kernels/" + name + ".cl", KernelSources.source(name), options);
                programs.put(name, p);
                kernels.put(name, p.kernel(name));
            }
            unused = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4, "unused");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    int dHead() {
        return dHead;
    }

    /** The kernel object of {@code name}, e.g. to ask its work-group limit. */
    Kernel kernel(String name) {
        return kernels.get(name);
    }

    /**
     * Sets every argument of the call and enqueues it. One cl_kernel per file serves every op: OpenCL
     * captures the arguments at enqueue time, so resetting them for the next launch is safe.
     */
    Event launch(Queue q, Call c, List<Event> wait) {
        Kernel k = kernels.get(c.kernel());
        for (int i = 0; i < c.args().size(); i++) {
            switch (c.args().get(i)) {
                case null -> k.arg(i, unused);
                case Buffer b -> k.arg(i, b);
                case Integer v -> k.arg(i, v);
                case Float v -> k.arg(i, v);
                default -> throw new IllegalArgumentException(c.kernel() + ": argument " + i + " is not an OpenCL buffer");
            }
        }
        long[] global = new long[c.groups().length], local = new long[c.groups().length];
        for (int d = 0; d < global.length; d++) {
            global[d] = c.global(d);
            local[d] = c.local()[d];
        }
        return CL.enqueueKernel(q, k, global, local, wait);
    }

    @Override
    public void close() {
        for (Kernel k : kernels.values()) k.close();
        kernels.clear();
        for (Program p : programs.values()) p.close();
        programs.clear();
        if (unused != null) unused.close();
    }

    /** A kernel launch with its fixed arguments bound. */
    abstract static class Op implements AutoCloseable {
        @Override
        public void close() {
            // the kernel objects belong to Kernels; an op owns nothing on the device
        }
    }

    /** embed.cl: x[t] = W_E[tokens[t]] + W_pos[position of t in its document]. */
    final class Embed extends Op {
        private final Buffer tokens, offsets, W_E, W_pos, x;
        private final int dModel;

        Embed(Buffer tokens, Buffer offsets, int dModel, Buffer W_E, Buffer W_pos, Buffer x) {
            this.tokens = tokens;
            this.offsets = offsets;
            this.dModel = dModel;
            this.W_E = W_E;
            this.W_pos = W_pos;
            this.x = x;
        }

        Event run(Queue q, int nDocs, int T, List<Event> wait) {
            return launch(q, Calls.embed(tokens, offsets, nDocs, T, dModel, W_E, W_pos, x), wait);
        }
    }

    /** layer_norm.cl: y = LN(x) per row; {@code w == null} means LNPre (no affine). */
    final class LayerNorm extends Op {
        private final Buffer x, w, b, y;
        private final int dModel;
        private final float eps;

        LayerNorm(Buffer x, Buffer w, Buffer b, Buffer y, int dModel, float eps) {
            this.x = x;
            this.w = w;
            this.b = b;
            this.y = y;
            this.dModel = dModel;
            this.eps = eps;
        }

        Event run(Queue q, int T, List<Event> wait) {
            return launch(q, Calls.layerNorm(x, w, b, y, T, dModel, eps), wait);
        }
    }

    /** gemm_bias.cl: C[M,N] = act(A[M,K] @ B[K,N] + bias) (+ R when R != null; C may be R). */
    final class GemmBias extends Op {
        private final Buffer A, B, bias, R, C;
        private final int N, K, act;

        GemmBias(Buffer A, Buffer B, Buffer bias, Buffer R, Buffer C, int N, int K, int act) {
            this.A = A;
            this.B = B;
            this.bias = bias;
            this.R = R;
            this.C = C;
            this.N = N;
            this.K = K;
            this.act = act;
        }

        Event run(Queue q, int M, List<Event> wait) {
            return launch(q, Calls.gemmBias(A, B, bias, R, C, M, N, K, act), wait);
        }
    }

    /** causal_attention.cl: z = causal softmax(q k^T / sqrt(d_head)) v per document and head. */
    final class CausalAttention extends Op {
        private final Buffer qkv, offsets, z;
        private final int nHeads;

        CausalAttention(Buffer qkv, Buffer offsets, int nHeads, Buffer z) {
            this.qkv = qkv;
            this.offsets = offsets;
            this.nHeads = nHeads;
            this.z = z;
        }

        Event run(Queue q, int nDocs, int T, List<Event> wait) {
            return launch(q, Calls.causalAttention(qkv, offsets, nDocs, T, nHeads, z), wait);
        }
    }

    /** mlp_in_gelu_max.cl: per document and neuron, max and first argmax of act(A @ W_in + b_in). */
    final class MlpInGeluMax extends Op {
        private final Buffer A, W_in, b_in, offsets, docMax, docArg;
        private final int N, K, act;

        MlpInGeluMax(Buffer A, Buffer W_in, Buffer b_in, Buffer offsets, int N, int K, int act, Buffer docMax,
                     Buffer docArg) {
            this.A = A;
            this.W_in = W_in;
            this.b_in = b_in;
            this.offsets = offsets;
            this.N = N;
            this.K = K;
            this.act = act;
            this.docMax = docMax;
            this.docArg = docArg;
        }

        Event run(Queue q, int nDocs, List<Event> wait) {
            return launch(q, Calls.mlpInGeluMax(A, W_in, b_in, offsets, nDocs, N, K, act, docMax, docArg), wait);
        }
    }

    /** topk_merge.cl: merges a batch's [nDocs, d_mlp] maxima into the running [k, d_mlp] store. */
    final class TopkMerge extends Op {
        private final Buffer docMax, docArg, topMax, topDoc, topPos;
        private final int dMlp, topK;

        TopkMerge(Buffer docMax, Buffer docArg, int dMlp, int topK, Buffer topMax, Buffer topDoc, Buffer topPos) {
            this.docMax = docMax;
            this.docArg = docArg;
            this.dMlp = dMlp;
            this.topK = topK;
            this.topMax = topMax;
            this.topDoc = topDoc;
            this.topPos = topPos;
        }

        Event run(Queue q, int nDocs, int firstDoc, List<Event> wait) {
            return launch(q, Calls.topkMerge(docMax, docArg, nDocs, firstDoc, dMlp, topK, topMax, topDoc, topPos), wait);
        }
    }
}
