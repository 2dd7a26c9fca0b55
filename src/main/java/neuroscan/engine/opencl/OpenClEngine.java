package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.opencl.CL.Buffer;
import neuroscan.engine.opencl.CL.Event;
import neuroscan.engine.opencl.CL.Queue;
import neuroscan.engine.gpu.Batches;
import neuroscan.engine.gpu.Batches.Batch;
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

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@link Engine} on an OpenCL device: the kernels of {@code kernels/} driven through {@link CL}.
 *
 * <p>The weights are uploaded once. The per-batch pipeline (embed, LN1, QKV projection, causal attention,
 * output projection + residual, LN2, MLP input + GELU + per-document max) is built once for a maximum
 * batch of tokens: buffers allocated, kernel arguments bound, and then replayed for every batch with
 * only the batch's token and document counts changing. Documents are packed back to back. Tokens are
 * double-buffered: the next batch is uploaded on a second queue while the current one computes, and
 * the per-document results of batch i are read back while batch i + 1 runs.
 *
 * <p>If the buffers for the requested batch do not fit the device, halved batches are tried (down to
 * one n_ctx document) before giving up with a clear message. Not thread-safe.
 */
public final class OpenClEngine implements Engine {
    public static final int DEFAULT_MAX_BATCH_TOKENS = GpuModel.DEFAULT_MAX_BATCH_TOKENS;

    private final ModelConfig cfg;
    private final OpenClDevices.Info info;
    private final int dm, hd, dMlp, act;
    private final long memoryBudget;   // bytes the batch buffers may take (tests shrink it)
    private final Owned owned = new Owned();   // device objects, released in reverse
    private final CL.Context ctx;
    private final Queue compute, transfer;
    private final Kernels kernels;
    private Buffer W_E, W_pos, ln1w, ln1b, Wqkv, bqkv, W_O, b_O, ln2w, ln2b, W_in, b_in;
    private long weightBytes;
    private Pipeline p;
    private int progress;   // documents of the current docMax call whose results are in the caller's arrays

    /** Opens device {@code deviceIndex} of {@link OpenClDevices#list()} with the default batch size. */
    public static OpenClEngine open(Weights weights, int deviceIndex) {
        return open(weights, deviceIndex, Math.max(DEFAULT_MAX_BATCH_TOKENS, weights.cfg().nCtx()));
    }

    /**
     * Opens device {@code deviceIndex} for batches of up to {@code maxBatchTokens} tokens (at least
     * n_ctx; halved automatically while the buffers do not fit the device).
     */
    public static OpenClEngine open(Weights weights, int deviceIndex, int maxBatchTokens) {
        return open(weights, deviceIndex, maxBatchTokens, Long.MAX_VALUE);
    }

    /** As {@link #open(Weights, int, int)}, with at most {@code memoryBudget} bytes for the batch buffers. */
    static OpenClEngine open(Weights weights, int deviceIndex, int maxBatchTokens, long memoryBudget) {
        return new OpenClEngine(weights, OpenClDevices.select(deviceIndex), maxBatchTokens, memoryBudget);
    }

    private OpenClEngine(Weights w, OpenClDevices.Info info, int maxBatchTokens, long memoryBudget) {
        this.memoryBudget = memoryBudget;
        this.cfg = w.cfg();
        GpuModel.checkIntIndexable(cfg, maxBatchTokens);
        this.info = info;
        this.dm = cfg.dModel();
        this.hd = cfg.nHeads() * cfg.dHead();
        this.dMlp = cfg.dMlp();
        this.act = Calls.act(cfg.actFn());
        if (maxBatchTokens < cfg.nCtx()) {
            throw new IllegalArgumentException("a batch of " + maxBatchTokens + " tokens cannot hold an n_ctx (" + cfg.nCtx()
                    + ") document");
        }
        try {
            ctx = owned.add(CL.createContext(info.device()));
            compute = owned.add(CL.createQueue(ctx, info.device(), true));
            transfer = owned.add(CL.createQueue(ctx, info.device(), false));
            kernels = owned.add(new Kernels(ctx, info.device(), cfg.dHead()));
            checkWorkGroupSizes();
            upload(w);
            p = allocate(maxBatchTokens);
        } catch (RuntimeException e) {
            close();
            throw e instanceof CLException c ? deviceError(c) : e;
        }
    }

    @Override
    public int dMlp() {
        return dMlp;
    }

    /** The batch size in use (after any halving to fit the device). */
    public int maxBatchTokens() {
        return p.maxTokens;
    }

    @Override
    public String describe() {
        return "opencl: " + info.name() + " (" + info.platform() + ", device " + info.index() + "), batches of "
                + p.maxTokens + " tokens";
    }

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax) {
        GpuModel.validate(cfg, docs);
        GpuModel.checkResultArrays(docs.size(), dMlp, max, argmax);
        if (docs.isEmpty()) return;
        int from = 0;
        while (true) {
            try {
                runBatches(docs, from, new ReadBack(max, argmax), null);
                return;
            } catch (CLException e) {
                if (!e.isOutOfMemory()) throw deviceError(e);
                from = progress;                  // finished documents are kept; the rest is redone smaller
                shrink(e);
            }
        }
    }

    @Override
    public float[] hookPost(int[] tokens) {
        GpuModel.validate(cfg, List.of(tokens));
        try {
            Batch b = new Batch(0, 1, tokens.length);
            upload(List.of(tokens), b, 0, compute, true);
            trunk(List.of(tokens), b, 0, List.of(), null);
            kernels.launch(compute, Calls.gemmBias(p.a, W_in, b_in, null, p.post(), tokens.length, dMlp, dm, act), List.of()).close();
            compute.finish();
            return Transfers.readFloats(compute, p.post(), tokens.length * dMlp);
        } catch (CLException e) {
            throw deviceError(e);
        }
    }

    /**
     * A top-k store kept on the device: batches are merged into it with {@code topk_merge} as they
     * finish, and only the final [k, d_mlp] result crosses back to the host.
     */
    public DeviceTopK topK(int k) {
        if (k < 1) throw new IllegalArgumentException("k must be positive: " + k);
        return new DeviceTopK(k);
    }

    /**
     * Runs the documents (which must fit one batch) through every kernel, including a top-k merge
     * into a scratch store of k = 20, and returns each launch's device time from profiling events.
     */
    public List<KernelTime> profile(List<int[]> docs) {
        GpuModel.validate(cfg, docs);
        List<Batch> batches = Batches.split(docs, 0, p.maxTokens, p.maxDocs);
        if (batches.size() != 1) throw new IllegalArgumentException("profile() takes documents that fit one batch");
        Batch b = batches.getFirst();
        Timings t = new Timings();
        try (DeviceTopK scratch = topK(20)) {
            upload(docs, b, 0, compute, true);
            trunk(docs, b, 0, List.of(), t);
            t.add(kernels.launch(compute, mlpMax(b, 0), List.of()), 2.0 * b.tokens() * dm * dMlp,
                    4.0 * ((long) b.tokens() * dm + (long) dm * dMlp + 2L * b.count() * dMlp));
            t.add(scratch.merge(b.count(), 0), 0, 4.0 * (2L * b.count() * dMlp + 6L * scratch.k * dMlp));
            compute.finish();
            return t.times();
        } catch (CLException e) {
            throw deviceError(e);
        } finally {
            t.close();
        }
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

    /** What happens to a batch's per-document maxima. */
    private interface Sink {
        /** Enqueues what follows the MLP kernel; returns the event after which the batch is done on the device. */
        Event enqueue(Batch b, int slot);

        /** Runs once that event completed. */
        void collect(Batch b, int slot);
    }

    /** Reads [nDocs, d_mlp] max/argmax back into the caller's arrays. */
    private final class ReadBack implements Sink {
        private final float[] max;
        private final int[] argmax;

        ReadBack(float[] max, int[] argmax) {
            this.max = max;
            this.argmax = argmax;
        }

        @Override
        public Event enqueue(Batch b, int slot) {
            long bytes = 4L * b.count() * dMlp;
            CL.read(compute, p.docMax, 0, p.hostMax[slot].asSlice(0, bytes), false, List.of()).close();
            return CL.read(compute, p.docArg, 0, p.hostArg[slot].asSlice(0, bytes), false, List.of());
        }

        @Override
        public void collect(Batch b, int slot) {
            int n = b.count() * dMlp, at = b.first() * dMlp;
            MemorySegment.copy(p.hostMax[slot], JAVA_FLOAT, 0, max, at, n);
            MemorySegment.copy(p.hostArg[slot], JAVA_INT, 0, argmax, at, n);
        }
    }

    /**
     * Runs documents [from, size) batch by batch. Slot i % 2 holds batch i's tokens: while batch i
     * computes, batch i + 1 is uploaded into the other slot on the transfer queue, and batch i - 1's
     * results are collected. The slot is reused only after its previous batch is done.
     */
    private void runBatches(List<int[]> docs, int from, Sink sink, Timings timings) {
        progress = from;
        if (from >= docs.size()) return;
        List<Batch> batches = Batches.split(docs, from, p.maxTokens, p.maxDocs);
        List<List<Event>> uploads = new ArrayList<>(List.of(List.of(), List.of()));
        Event[] done = new Event[2];
        try {
            uploads.set(0, upload(docs, batches.getFirst(), 0, transfer, false));
            transfer.flush();
            for (int i = 0; i < batches.size(); i++) {
                int s = i & 1;
                Batch b = batches.get(i);
                trunk(docs, b, s, uploads.get(s), timings);
                addOrClose(timings, kernels.launch(compute, mlpMax(b, s), List.of()), 0, 0);
                done[s] = sink.enqueue(b, s);
                compute.flush();
                closeAll(uploads.get(s));
                uploads.set(s, List.of());
                if (i > 0) finish(sink, batches.get(i - 1), 1 - s, done);
                if (i + 1 < batches.size()) {
                    uploads.set(1 - s, upload(docs, batches.get(i + 1), 1 - s, transfer, false));
                    transfer.flush();
                }
            }
            finish(sink, batches.getLast(), (batches.size() - 1) & 1, done);
        } catch (RuntimeException e) {
            drain();
            throw e;
        } finally {
            for (List<Event> u : uploads) closeAll(u);
            for (Event e : done) if (e != null) e.close();
        }
    }

    private void finish(Sink sink, Batch b, int slot, Event[] done) {
        done[slot].await();
        sink.collect(b, slot);
        done[slot].close();
        done[slot] = null;
        progress = b.first() + b.count();
    }

    /**
     * Packs the batch's tokens and offsets into host slot {@code slot} and enqueues their upload on {@code q}.
     * Non-blocking, it returns the two write events; blocking, it returns once the data is on the device.
     */
    private List<Event> upload(List<int[]> docs, Batch b, int slot, Queue q, boolean blocking) {
        Batches.stage(docs, b, p.hostTokens[slot], p.hostOffsets[slot]);
        Event tok = CL.write(q, p.tokens[slot], 0, p.hostTokens[slot].asSlice(0, 4L * b.tokens()), blocking, List.of());
        Event off;
        try {
            off = CL.write(q, p.offsets[slot], 0, p.hostOffsets[slot].asSlice(0, 4L * (b.count() + 1)), blocking, List.of());
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
        if (!blocking) return List.of(tok, off);
        tok.close();
        off.close();
        return List.of();
    }

    /** Everything up to LN2: x = embed; x += attn(LN1(x)); a = LN2(x). The first kernel waits on {@code wait}. */
    private void trunk(List<int[]> docs, Batch b, int s, List<Event> wait, Timings t) {
        int T = b.tokens(), n = b.count();
        double attnFlop = GpuModel.attentionFlop(cfg, docs, b.first(), n);
        float eps = (float) cfg.eps();
        boolean ln = cfg.normalization() != null;
        addOrClose(t, kernels.launch(compute, Calls.embed(p.tokens[s], p.offsets[s], n, T, dm, W_E, W_pos, p.x), wait),
                0, 4.0 * 3 * T * dm);
        if (ln) {
            addOrClose(t, kernels.launch(compute, Calls.layerNorm(p.x, ln1w, ln1b, p.a, T, dm, eps), List.of()),
                    8.0 * T * dm, 4.0 * 3 * T * dm);
        }
        addOrClose(t, kernels.launch(compute, Calls.gemmBias(p.a, Wqkv, bqkv, null, p.qkv, T, 3 * hd, dm, Calls.ACT_NONE),
                List.of()), 2.0 * T * dm * 3 * hd,
                4.0 * ((long) T * dm + 3L * dm * hd + 3L * T * hd));
        addOrClose(t, kernels.launch(compute, Calls.causalAttention(p.qkv, p.offsets[s], n, T, cfg.nHeads(), p.z), List.of()),
                attnFlop, 4.0 * 4 * T * hd);
        addOrClose(t, kernels.launch(compute, Calls.gemmBias(p.z, W_O, b_O, p.x, p.x, T, dm, hd, Calls.ACT_NONE), List.of()),
                2.0 * T * hd * dm,
                4.0 * ((long) T * hd + (long) hd * dm + 2L * T * dm));
        if (ln) {
            addOrClose(t, kernels.launch(compute, Calls.layerNorm(p.x, ln2w, ln2b, p.a, T, dm, eps), List.of()),
                    8.0 * T * dm, 4.0 * 3 * T * dm);
        }
    }

    private neuroscan.engine.gpu.Call mlpMax(Batch b, int s) {
        return Calls.mlpInGeluMax(p.a, W_in, b_in, p.offsets[s], b.count(), dMlp, dm, act, p.docMax, p.docArg);
    }

    private static void addOrClose(Timings t, Event e, double flop, double bytes) {
        if (t != null) t.add(e, flop, bytes);
        else e.close();
    }

    private void drain() {
        try {
            compute.finish();
            transfer.finish();
        } catch (RuntimeException ignored) {
            // the original error is the one to report
        }
    }

    private static void closeAll(List<Event> events) {
        for (Event e : events) e.close();
    }

    /** Profiling events of one run, with the work each launch did. */
    private static final class Timings implements AutoCloseable {
        private final List<Event> events = new ArrayList<>();
        private final List<double[]> work = new ArrayList<>();

        void add(Event e, double flop, double bytes) {
            events.add(e);
            work.add(new double[]{flop, bytes});
        }

        List<KernelTime> times() {
            CL.waitFor(events);
            List<KernelTime> out = new ArrayList<>();
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                out.add(new KernelTime(e.what(), (e.endNanos() - e.startNanos()) / 1e6, work.get(i)[0] / 1e9,
                        work.get(i)[1] / 1e9));
            }
            return out;
        }

        @Override
        public void close() {
            closeAll(events);
        }
    }

    // ---------------------------------------------------------------- device memory


    private void checkWorkGroupSizes() {
        long need = Calls.largestWorkGroup();
        long max = info.device().maxWorkGroupSize();
        if (max < need) {
            throw new NeuroscanException("OpenCL device " + info.name() + ": work-groups of at most " + max
                    + " work-items; the GEMM kernels need " + need);
        }
    }

    /** The weights, once, in the layouts the kernels want (Q, K, V fused into one [d_model, 3 h d_head] matrix). */
    private void upload(Weights w) {
        Weights.Block b = w.blocks().getFirst();
        try {
            W_E = weight(w.W_E());
            W_pos = weight(w.W_pos());
            if (cfg.hasLnWeights()) {
                ln1w = weight(b.ln1_w());
                ln1b = weight(b.ln1_b());
                ln2w = weight(b.ln2_w());
                ln2b = weight(b.ln2_b());
            }
            Wqkv = owned.add(Transfers.upload(ctx, compute, GpuModel.fuseQkv(cfg, b), "W_QKV"));
            bqkv = owned.add(Transfers.upload(ctx, compute, GpuModel.fuseQkvBias(cfg, b), "b_QKV"));
            W_O = weight(b.W_O());        // [h, d_head, d_model] is already [h * d_head, d_model]
            b_O = weight(b.b_O());
            W_in = weight(b.W_in());
            b_in = weight(b.b_in());
            weightBytes += 4L * (3L * dm * hd + 3L * hd);
        } catch (CLException e) {
            if (!e.isOutOfMemory()) throw e;
            throw new NeuroscanException("OpenCL device " + info.name() + ": the model's weights do not fit ("
                    + GpuModel.size(weightBytes) + " uploaded before " + e.getMessage() + "); try another --device", e);
        }
    }

    private Buffer weight(Tensor t) {
        long bytes = t.data().byteSize();
        if (bytes > info.device().maxAllocSize()) {
            throw new NeuroscanException("OpenCL device " + info.name() + ": tensor " + t.name() + " (" + GpuModel.size(bytes)
                    + ") exceeds the device's largest buffer (" + GpuModel.size(info.device().maxAllocSize()) + ")");
        }
        Buffer buf = owned.add(Transfers.upload(ctx, compute, t.data(), t.name()));
        weightBytes += bytes;
        return buf;
    }

    /** The pipeline for the largest batch (starting at maxTokens, halving) that fits the device. */
    private Pipeline allocate(int maxTokens) {
        List<String> tried = new ArrayList<>();
        // leave a tenth of the device to the driver and other users
        long free = Math.min((long) ((info.device().globalMemSize() - weightBytes) * 0.9), memoryBudget);
        for (int tokens = maxTokens; ; tokens /= 2) {
            String why;
            long need = GpuModel.batchBytes(cfg, tokens);
            if (GpuModel.largestBuffer(cfg, tokens) > info.device().maxAllocSize()) {
                why = "a buffer would exceed the device's largest allocation of " + GpuModel.size(info.device().maxAllocSize());
            } else if (need > free) {
                why = "needs " + GpuModel.size(need) + ", " + GpuModel.size(Math.max(free, 0)) + " are available after the weights";
            } else {
                try {
                    return new Pipeline(tokens, GpuModel.docsFor(tokens));
                } catch (CLException e) {
                    if (!e.isOutOfMemory()) throw e;
                    why = e.getMessage();
                }
            }
            tried.add(tokens + " (" + why + ")");
            if (tokens / 2 < cfg.nCtx()) {
                throw new NeuroscanException("OpenCL device " + info.name() + ": out of memory even for one n_ctx document; tried batches of "
                        + String.join(", ", tried) + " tokens");
            }
            System.err.println("neuroscan: OpenCL device " + info.name() + ": a batch of " + tokens
                    + " tokens does not fit (" + why + "); trying " + tokens / 2);
        }
    }

    /** After a device out-of-memory error mid-run: rebuild the pipeline for half the batch. */
    private void shrink(CLException cause) {
        int half = p.maxTokens / 2;
        if (half < cfg.nCtx()) {
            throw new NeuroscanException("OpenCL device " + info.name() + ": out of memory with a batch of "
                    + p.maxTokens + " tokens (" + cause.getMessage() + ") and one n_ctx document needs " + cfg.nCtx(), cause);
        }
        System.err.println("neuroscan: OpenCL device " + info.name() + ": " + cause.getMessage() + " with a batch of "
                + p.maxTokens + " tokens; retrying with " + half);
        p.close();
        p = null;
        p = allocate(half);
    }

    private NeuroscanException deviceError(CLException e) {
        String hint = e.isOutOfMemory() ? "; try a smaller batch or another --device" : "";
        return new NeuroscanException("OpenCL device " + info.name() + ": " + e.getMessage() + hint, e);
    }


    /** The batch-sized buffers and host staging: allocated once, reused for every batch. */
    private final class Pipeline implements AutoCloseable {
        final int maxTokens, maxDocs;
        final Buffer x, a, qkv, z, docMax, docArg;
        final Buffer[] tokens = new Buffer[2], offsets = new Buffer[2];
        final MemorySegment[] hostTokens = new MemorySegment[2], hostOffsets = new MemorySegment[2],
                hostMax = new MemorySegment[2], hostArg = new MemorySegment[2];
        private Buffer post;
        private final Owned mine = new Owned();
        private final Arena arena = Arena.ofShared();

        Pipeline(int maxTokens, int maxDocs) {
            this.maxTokens = maxTokens;
            this.maxDocs = maxDocs;
            try {
                x = buffer(maxTokens * (long) dm, "x");
                a = cfg.normalization() == null ? x : buffer(maxTokens * (long) dm, "LN out");
                qkv = buffer(maxTokens * 3L * hd, "qkv");
                z = buffer(maxTokens * (long) hd, "z");
                docMax = buffer((long) maxDocs * dMlp, "docMax");
                docArg = buffer((long) maxDocs * dMlp, "docArg");
                for (int s = 0; s < 2; s++) {
                    tokens[s] = buffer(maxTokens, "tokens");
                    offsets[s] = buffer(maxDocs + 1, "offsets");
                    hostTokens[s] = arena.allocate(JAVA_INT, maxTokens);
                    hostOffsets[s] = arena.allocate(JAVA_INT, maxDocs + 1);
                    hostMax[s] = arena.allocate(JAVA_FLOAT, (long) maxDocs * dMlp);
                    hostArg[s] = arena.allocate(JAVA_INT, (long) maxDocs * dMlp);
                }
                compute.finish();   // drivers may allocate lazily: the fills above make failures show here
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** hook_post of one document, [n_ctx, d_mlp] at most: made on first use. */
        Buffer post() {
            if (post == null) post = buffer((long) cfg.nCtx() * dMlp, "hook_post");
            return post;
        }

        private Buffer buffer(long floats, String what) {
            Buffer b = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4 * floats, what);
            mine.add(b);
            CL.fill(compute, b, 0, List.of()).close();
            return b;
        }


        @Override
        public void close() {
            try {
                compute.finish();
            } catch (RuntimeException ignored) {
                // releasing anyway
            }
            mine.close();
            arena.close();
        }
    }

    // ---------------------------------------------------------------- top-k on the device

    /** The running top-k of every neuron, on the device; see {@link #topK(int)}. Use one at a time per engine. */
    public final class DeviceTopK implements AutoCloseable {
        final int k;
        private final Buffer max, doc, pos;

        private DeviceTopK(int k) {
            this.k = k;
            Owned mine = new Owned();
            try {
                max = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4L * k * dMlp, "top-k max");
                mine.add(max);
                doc = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4L * k * dMlp, "top-k doc");
                mine.add(doc);
                pos = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4L * k * dMlp, "top-k pos");
                mine.add(pos);
                CL.fill(compute, max, Float.floatToRawIntBits(Float.NEGATIVE_INFINITY), List.of()).close();
                CL.fill(compute, doc, -1, List.of()).close();
                CL.fill(compute, pos, -1, List.of()).close();
                compute.finish();
            } catch (CLException e) {
                mine.close();
                throw deviceError(e);
            }
        }

        public int k() {
            return k;
        }

        /** Runs the documents, numbered firstDoc, firstDoc + 1, ..., and merges their maxima into the store. */
        public void add(List<int[]> docs, int firstDoc) {
            GpuModel.validate(cfg, docs);
            if (firstDoc < 0 || firstDoc + (long) docs.size() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("document numbers " + firstDoc + ".. out of range");
            }
            if (docs.isEmpty()) return;
            try {
                runBatches(docs, 0, new Sink() {
                    @Override
                    public Event enqueue(Batch b, int slot) {
                        return merge(b.count(), firstDoc + b.first());
                    }

                    @Override
                    public void collect(Batch b, int slot) {
                    }
                }, null);
            } catch (CLException e) {
                throw deviceError(e);   // the store may hold part of a batch: no retry here
            }
        }

        Event merge(int nDocs, int firstDoc) {
            return kernels.launch(compute, Calls.topkMerge(p.docMax, p.docArg, nDocs, firstDoc, dMlp, k, max, doc, pos), List.of());
        }

        /** Copies the store out, each [k, d_mlp] row-major: max descending per neuron, doc/pos -1 where empty. */
        public void read(float[] maxOut, int[] docOut, int[] posOut) {
            int n = k * dMlp;
            try {
                compute.finish();
                System.arraycopy(Transfers.readFloats(compute, max, n), 0, maxOut, 0, n);
                System.arraycopy(Transfers.readInts(compute, doc, n), 0, docOut, 0, n);
                System.arraycopy(Transfers.readInts(compute, pos, n), 0, posOut, 0, n);
            } catch (CLException e) {
                throw deviceError(e);
            }
        }

        @Override
        public void close() {
            closeQuietly(pos);
            closeQuietly(doc);
            closeQuietly(max);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // releasing anyway
        }
    }
}
