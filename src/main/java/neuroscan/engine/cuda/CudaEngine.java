package neuroscan.engine.cuda;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.gpu.Batches;
import neuroscan.engine.gpu.Batches.Batch;
import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.Calls;
import neuroscan.engine.gpu.GpuModel;
import neuroscan.engine.gpu.KernelTime;
import neuroscan.engine.gpu.Owned;
import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@link Engine} on an NVIDIA GPU through the CUDA driver API: the same kernels as the OpenCL engine
 * (the same {@code kernels/} sources, the same {@link Calls}), with what CUDA adds:
 * <ul>
 * <li>the weights are uploaded once;</li>
 * <li>a batch's seven launches (embed, LN1, QKV, attention, W_O + residual, LN2, MLP + GELU + max) form a
 *     CUDA graph, built once per token slot and replayed for every batch with updated sizes
 *     ({@link Launches.Graph});</li>
 * <li>tokens are staged in pinned host memory and uploaded on a second stream while the previous batch
 *     computes; per-document results come back into pinned memory asynchronously.</li>
 * </ul>
 * CUDA contexts are per thread, so every public method makes the engine's context current first. Not
 * thread-safe.
 */
public final class CudaEngine implements Engine {
    private final ModelConfig cfg;
    private final CudaDevices.Info gpu;
    private final int dm, hd, dMlp, act;
    private final Owned owned = new Owned();   // device objects, released in reverse
    private final MemorySegment ctx, compute, transfer;
    private final Modules modules;
    private CudaBuffer W_E, W_pos, ln1w, ln1b, Wqkv, bqkv, W_O, b_O, ln2w, ln2b, W_in, b_in;
    private long weightBytes;
    private Pipeline p;

    /** GPU {@code deviceIndex} of {@link CudaDevices#list()} with the default batch size. */
    public static CudaEngine open(Weights weights, int deviceIndex) {
        return open(weights, deviceIndex, Math.max(GpuModel.DEFAULT_MAX_BATCH_TOKENS * 2, weights.cfg().nCtx()));
    }

    /** For batches of up to {@code maxBatchTokens} tokens (halved while the buffers do not fit). */
    public static CudaEngine open(Weights weights, int deviceIndex, int maxBatchTokens) {
        return new CudaEngine(weights, CudaDevices.select(deviceIndex), maxBatchTokens);
    }

    private CudaEngine(Weights w, CudaDevices.Info gpu, int maxBatchTokens) {
        this.cfg = w.cfg();
        GpuModel.checkIntIndexable(cfg, maxBatchTokens);
        this.gpu = gpu;
        this.dm = cfg.dModel();
        this.hd = cfg.nHeads() * cfg.dHead();
        this.dMlp = cfg.dMlp();
        this.act = Calls.act(cfg.actFn());
        // embed's grid has a row per token, and CUDA caps a grid's y extent
        maxBatchTokens = Math.min(maxBatchTokens, Launches.MAX_GRID_YZ);
        if (maxBatchTokens < cfg.nCtx()) {
            throw new IllegalArgumentException("a batch of " + maxBatchTokens + " tokens cannot hold an n_ctx (" + cfg.nCtx()
                    + ") document");
        }
        ctx = CU.create("cuDevicePrimaryCtxRetain", gpu.device());
        owned.add(() -> CU.invoke("cuDevicePrimaryCtxRelease", gpu.device()));
        try {
            CU.check("cuCtxSetCurrent", ctx);
            compute = stream();
            transfer = stream();
            modules = owned.add(new Modules(gpu, cfg.dHead()));
            upload(w);
            p = allocate(maxBatchTokens);
        } catch (RuntimeException e) {
            close();
            throw e instanceof CudaException c ? deviceError(c) : e;
        }
    }

    @Override
    public int dMlp() {
        return dMlp;
    }

    public int maxBatchTokens() {
        return p.maxTokens;
    }

    @Override
    public String describe() {
        return "cuda: " + gpu.name() + " (" + gpu.arch() + ", device " + gpu.index() + ", " + modules.origin()
                + "), batches of " + p.maxTokens + " tokens, CUDA graphs";
    }

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax) {
        GpuModel.validate(cfg, docs);
        GpuModel.checkResultArrays(docs.size(), dMlp, max, argmax);
        if (docs.isEmpty()) return;
        try {
            CU.check("cuCtxSetCurrent", ctx);
            runBatches(docs, max, argmax);
        } catch (CudaException e) {
            throw deviceError(e);
        }
    }

    @Override
    public float[] hookPost(int[] tokens) {
        GpuModel.validate(cfg, List.of(tokens));
        try {
            CU.check("cuCtxSetCurrent", ctx);
            Batch b = new Batch(0, 1, tokens.length);
            copyIn(List.of(tokens), b, 0, compute);
            for (Call c : trunk(b, 0)) Launches.launch(modules, compute, c);
            CudaBuffer post = p.post();
            Launches.launch(modules, compute, Calls.gemmBias(p.a, W_in, b_in, null, post, tokens.length, dMlp, dm, act));
            float[] out = new float[tokens.length * dMlp];
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(JAVA_FLOAT, out.length);
                CU.check("cuMemcpyDtoHAsync", host, post.ptr(), host.byteSize(), compute);
                CU.check("cuStreamSynchronize", compute);
                MemorySegment.copy(host, JAVA_FLOAT, 0, out, 0, out.length);
            }
            return out;
        } catch (CudaException e) {
            throw deviceError(e);
        }
    }

    /**
     * Runs the documents (which must fit one batch) kernel by kernel, without the graph, timing each launch
     * with CUDA events.
     */
    public List<KernelTime> profile(List<int[]> docs) {
        GpuModel.validate(cfg, docs);
        List<Batch> batches = Batches.split(docs, 0, p.maxTokens, p.maxDocs);
        if (batches.size() != 1) throw new IllegalArgumentException("profile() takes documents that fit one batch");
        Batch b = batches.getFirst();
        try {
            CU.check("cuCtxSetCurrent", ctx);
            copyIn(docs, b, 0, compute);
            List<Call> calls = forward(b, 0);
            List<MemorySegment> events = new ArrayList<>();
            List<KernelTime> out = new ArrayList<>();
            try {
                MemorySegment prev = event(CU.EVENT_DEFAULT, events);
                CU.check("cuEventRecord", prev, compute);
                List<MemorySegment> ends = new ArrayList<>();
                for (Call c : calls) {
                    Launches.launch(modules, compute, c);
                    MemorySegment end = event(CU.EVENT_DEFAULT, events);
                    CU.check("cuEventRecord", end, compute);
                    ends.add(end);
                }
                CU.check("cuStreamSynchronize", compute);
                for (int i = 0; i < calls.size(); i++) {
                    Call c = calls.get(i);
                    out.add(new KernelTime(c.kernel(), CU.elapsedMillis(prev, ends.get(i)), flop(c, docs, b) / 1e9, 0));
                    prev = ends.get(i);
                }
            } finally {
                for (MemorySegment e : events) CU.invoke("cuEventDestroy", e);
            }
            return out;
        } catch (CudaException e) {
            throw deviceError(e);
        }
    }

    /** FLOPs of a launch (2 per multiply-add; LayerNorm counted as 8 per element). */
    private double flop(Call c, List<int[]> docs, Batch b) {
        List<Object> a = c.args();
        return switch (c.kernel()) {
            case "layer_norm" -> 8.0 * b.tokens() * dm;
            case "gemm_bias" -> 2.0 * (int) a.get(5) * (int) a.get(6) * (int) a.get(7);   // M, N, K
            case "causal_attention" -> GpuModel.attentionFlop(cfg, docs, b.first(), b.count());
            case "mlp_in_gelu_max" -> 2.0 * b.tokens() * dm * dMlp;
            default -> 0;
        };
    }

    @Override
    public void close() {
        if (p != null) {
            p.close();
            p = null;
        }
        owned.close();
    }

    // ---------------------------------------------------------------- the batch loop

    /**
     * Batch i uses token slot i % 2. While batch i computes (one graph launch on the compute stream), batch
     * i + 1's tokens go up on the transfer stream and batch i - 1's results are copied out of pinned memory.
     * A slot is restaged only after the batch that last used it is done.
     */
    private void runBatches(List<int[]> docs, float[] max, int[] argmax) {
        List<Batch> batches = Batches.split(docs, 0, p.maxTokens, p.maxDocs);
        try {
            upload(docs, batches.getFirst(), 0);
            for (int i = 0; i < batches.size(); i++) {
                int s = i & 1;
                Batch b = batches.get(i);
                CU.check("cuStreamWaitEvent", compute, p.uploaded[s], 0);
                p.graph[s].launch(modules, compute, forward(b, s));
                long bytes = 4L * b.count() * dMlp;
                CU.check("cuMemcpyDtoHAsync", p.hostMax[s], p.docMax[s].ptr(), bytes, compute);
                CU.check("cuMemcpyDtoHAsync", p.hostArg[s], p.docArg[s].ptr(), bytes, compute);
                CU.check("cuEventRecord", p.done[s], compute);
                if (i > 0) collect(batches.get(i - 1), 1 - s, max, argmax);
                if (i + 1 < batches.size()) upload(docs, batches.get(i + 1), 1 - s);
            }
            collect(batches.getLast(), (batches.size() - 1) & 1, max, argmax);
        } catch (RuntimeException e) {
            CU.invoke("cuStreamSynchronize", compute);   // leave nothing in flight on the buffers
            CU.invoke("cuStreamSynchronize", transfer);
            throw e;
        }
    }

    /** Waits for the batch in {@code slot} and copies its results into the caller's arrays. */
    private void collect(Batch b, int slot, float[] max, int[] argmax) {
        CU.check("cuEventSynchronize", p.done[slot]);
        int n = b.count() * dMlp, at = b.first() * dMlp;
        MemorySegment.copy(p.hostMax[slot], JAVA_FLOAT, 0, max, at, n);
        MemorySegment.copy(p.hostArg[slot], JAVA_INT, 0, argmax, at, n);
    }

    /** Uploads the batch on the transfer stream (see {@link #copyIn}) and records {@code uploaded[slot]}. */
    private void upload(List<int[]> docs, Batch b, int slot) {
        copyIn(docs, b, slot, transfer);
        CU.check("cuEventRecord", p.uploaded[slot], transfer);
    }

    /** Packs the batch's tokens and offsets into pinned slot {@code slot} and copies them to the device on {@code stream}. */
    private void copyIn(List<int[]> docs, Batch b, int slot, MemorySegment stream) {
        Batches.stage(docs, b, p.hostTokens[slot], p.hostOffsets[slot]);
        CU.check("cuMemcpyHtoDAsync", p.tokens[slot].ptr(), p.hostTokens[slot], 4L * b.tokens(), stream);
        CU.check("cuMemcpyHtoDAsync", p.offsets[slot].ptr(), p.hostOffsets[slot], 4L * (b.count() + 1), stream);
    }

    /** x = embed; x += attn(LN1(x)); a = LN2(x): the launches up to the MLP. */
    private List<Call> trunk(Batch b, int s) {
        int T = b.tokens(), n = b.count();
        float eps = (float) cfg.eps();
        boolean ln = cfg.normalization() != null;
        List<Call> calls = new ArrayList<>();
        calls.add(Calls.embed(p.tokens[s], p.offsets[s], n, T, dm, W_E, W_pos, p.x));
        if (ln) calls.add(Calls.layerNorm(p.x, ln1w, ln1b, p.a, T, dm, eps));
        calls.add(Calls.gemmBias(p.a, Wqkv, bqkv, null, p.qkv, T, 3 * hd, dm, Calls.ACT_NONE));
        calls.add(Calls.causalAttention(p.qkv, p.offsets[s], n, T, cfg.nHeads(), p.z));
        calls.add(Calls.gemmBias(p.z, W_O, b_O, p.x, p.x, T, dm, hd, Calls.ACT_NONE));
        if (ln) calls.add(Calls.layerNorm(p.x, ln2w, ln2b, p.a, T, dm, eps));
        return calls;
    }

    /** A batch's whole forward pass: the trunk, then the MLP with GELU and the per-document max. */
    private List<Call> forward(Batch b, int s) {
        List<Call> calls = trunk(b, s);
        calls.add(Calls.mlpInGeluMax(p.a, W_in, b_in, p.offsets[s], b.count(), dMlp, dm, act, p.docMax[s], p.docArg[s]));
        return calls;
    }

    // ---------------------------------------------------------------- device memory

    private MemorySegment stream() {
        MemorySegment s = CU.create("cuStreamCreate", CU.STREAM_NON_BLOCKING);
        owned.add(() -> CU.invoke("cuStreamDestroy", s));
        return s;
    }

    private static MemorySegment event(int flags, List<MemorySegment> into) {
        MemorySegment e = CU.create("cuEventCreate", flags);
        into.add(e);
        return e;
    }

    /** The weights, once, in the layouts the kernels want (Q, K, V fused into one [d_model, 3 h d_head] matrix). */
    private void upload(Weights w) {
        Weights.Block b = w.blocks().getFirst();
        try {
            W_E = weight(w.W_E().data(), "W_E");
            W_pos = weight(w.W_pos().data(), "W_pos");
            if (cfg.hasLnWeights()) {
                ln1w = weight(b.ln1_w().data(), "ln1.w");
                ln1b = weight(b.ln1_b().data(), "ln1.b");
                ln2w = weight(b.ln2_w().data(), "ln2.w");
                ln2b = weight(b.ln2_b().data(), "ln2.b");
            }
            Wqkv = weight(MemorySegment.ofArray(GpuModel.fuseQkv(cfg, b)), "W_QKV");
            bqkv = weight(MemorySegment.ofArray(GpuModel.fuseQkvBias(cfg, b)), "b_QKV");
            W_O = weight(b.W_O().data(), "W_O");        // [h, d_head, d_model] is already [h * d_head, d_model]
            b_O = weight(b.b_O().data(), "b_O");
            W_in = weight(b.W_in().data(), "W_in");
            b_in = weight(b.b_in().data(), "b_in");
        } catch (CudaException e) {
            if (!e.isOutOfMemory()) throw e;
            throw new NeuroscanException("GPU " + gpu.name() + ": the model's weights do not fit ("
                    + GpuModel.size(weightBytes) + " uploaded before " + e.getMessage() + "); try another --device", e);
        }
    }

    /** A device copy of {@code data} (heap arrays and mapped files alike), staged through native memory in chunks. */
    private CudaBuffer weight(MemorySegment data, String what) {
        CudaBuffer buf = owned.add(CudaBuffer.allocate(data.byteSize(), what));
        long chunk = 64L << 20;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment stage = a.allocate(Math.min(chunk, Math.max(data.byteSize(), 1)), 64);
            for (long off = 0; off < data.byteSize(); off += chunk) {
                long n = Math.min(chunk, data.byteSize() - off);
                stage.asSlice(0, n).copyFrom(data.asSlice(off, n));
                CU.check("cuMemcpyHtoDAsync", buf.ptr() + off, stage, n, compute);
                CU.check("cuStreamSynchronize", compute);
            }
        }
        weightBytes += data.byteSize();
        return buf;
    }

    /** The pipeline for the largest batch (from maxTokens, halving) that fits in the GPU's free memory. */
    private Pipeline allocate(int maxTokens) {
        List<String> tried = new ArrayList<>();
        for (int tokens = maxTokens; ; tokens /= 2) {
            long free = (long) (CU.memInfo()[0] * 0.9);   // leave a tenth to the driver and other users
            // batchBytes counts one docMax/docArg pair; this engine keeps one per slot
            long need = GpuModel.batchBytes(cfg, tokens) + 4L * GpuModel.docsFor(tokens) * dMlp * 2;
            String why;
            if (need > free) {
                why = "needs " + GpuModel.size(need) + ", " + GpuModel.size(free) + " are free";
            } else {
                try {
                    return new Pipeline(tokens, GpuModel.docsFor(tokens));
                } catch (CudaException e) {
                    if (!e.isOutOfMemory()) throw e;
                    why = e.getMessage();
                }
            }
            tried.add(tokens + " (" + why + ")");
            if (tokens / 2 < cfg.nCtx()) {
                throw new NeuroscanException("GPU " + gpu.name() + ": out of memory even for one n_ctx document; tried batches of "
                        + String.join(", ", tried) + " tokens");
            }
            System.err.println("neuroscan: GPU " + gpu.name() + ": a batch of " + tokens + " tokens does not fit (" + why
                    + "); trying " + tokens / 2);
        }
    }

    private NeuroscanException deviceError(CudaException e) {
        String hint = e.isOutOfMemory() ? "; try another --device" : "";
        return new NeuroscanException("GPU " + gpu.name() + ": " + e.getMessage() + hint, e);
    }

    /** The batch-sized device buffers, pinned host staging, events and graphs: made once, reused for every batch. */
    private final class Pipeline implements AutoCloseable {
        final int maxTokens, maxDocs;
        final CudaBuffer x, a, qkv, z;
        final CudaBuffer[] tokens = new CudaBuffer[2], offsets = new CudaBuffer[2], docMax = new CudaBuffer[2],
                docArg = new CudaBuffer[2];
        final MemorySegment[] hostTokens = new MemorySegment[2], hostOffsets = new MemorySegment[2],
                hostMax = new MemorySegment[2], hostArg = new MemorySegment[2];
        final MemorySegment[] uploaded = new MemorySegment[2], done = new MemorySegment[2];
        final Launches.Graph[] graph = {new Launches.Graph(), new Launches.Graph()};
        private CudaBuffer post;
        private final Owned mine = new Owned();

        Pipeline(int maxTokens, int maxDocs) {
            this.maxTokens = maxTokens;
            this.maxDocs = maxDocs;
            try {
                mine.add(graph[0]);
                mine.add(graph[1]);
                x = buffer(maxTokens * (long) dm, "x");
                a = cfg.normalization() == null ? x : buffer(maxTokens * (long) dm, "LN out");
                qkv = buffer(maxTokens * 3L * hd, "qkv");
                z = buffer(maxTokens * (long) hd, "z");
                for (int s = 0; s < 2; s++) {
                    // results per slot too: batch i's copy-out may still run when batch i + 1 computes
                    docMax[s] = buffer((long) maxDocs * dMlp, "docMax");
                    docArg[s] = buffer((long) maxDocs * dMlp, "docArg");
                    tokens[s] = buffer(maxTokens, "tokens");
                    offsets[s] = buffer(maxDocs + 1, "offsets");
                    hostTokens[s] = pinned(4L * maxTokens);
                    hostOffsets[s] = pinned(4L * (maxDocs + 1));
                    hostMax[s] = pinned(4L * maxDocs * dMlp);
                    hostArg[s] = pinned(4L * maxDocs * dMlp);
                    uploaded[s] = event();
                    done[s] = event();
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** [n_ctx, d_mlp] for hookPost, made on first use. */
        CudaBuffer post() {
            if (post == null) post = buffer((long) cfg.nCtx() * dMlp, "hook_post");
            return post;
        }

        private CudaBuffer buffer(long floats, String what) {
            CudaBuffer b = CudaBuffer.allocate(4 * floats, what);
            mine.add(b);
            CU.check("cuMemsetD32Async", b.ptr(), 0, floats, compute);
            return b;
        }

        /** Page-locked host memory: the copies to and from it are real DMA, asynchronous to the host. */
        private MemorySegment pinned(long bytes) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                CU.check("cuMemHostAlloc", out, bytes, 0);
                MemorySegment m = out.get(ADDRESS, 0).reinterpret(bytes);
                mine.add(() -> CU.invoke("cuMemFreeHost", m));
                return m;
            }
        }

        private MemorySegment event() {
            MemorySegment e = CU.create("cuEventCreate", CU.EVENT_DISABLE_TIMING);
            mine.add(() -> CU.invoke("cuEventDestroy", e));
            return e;
        }

        @Override
        public void close() {
            CU.invoke("cuStreamSynchronize", compute);
            CU.invoke("cuStreamSynchronize", transfer);
            mine.close();
        }
    }
}
