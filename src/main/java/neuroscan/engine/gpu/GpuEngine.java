package neuroscan.engine.gpu;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.TopKScan;
import neuroscan.engine.gpu.Batches.Batch;
import neuroscan.engine.gpu.graph.DataTransferMode;
import neuroscan.engine.gpu.graph.DeviceMemory;
import neuroscan.engine.gpu.graph.ExecutionPlan;
import neuroscan.engine.gpu.graph.GpuArray;
import neuroscan.engine.gpu.graph.IntParam;
import neuroscan.engine.gpu.graph.TaskGraph;
import neuroscan.kernels.CausalAttention;
import neuroscan.kernels.Embed;
import neuroscan.kernels.GemmBias;
import neuroscan.kernels.LayerNorm;
import neuroscan.kernels.MlpInGeluMax;
import neuroscan.kernels.TopkMerge;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;
import neuroscan.store.TopK;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The one GPU {@link Engine}, for OpenCL and CUDA alike ({@link GpuDevice}): the forward pass to
 * {@code hook_post}, the max over positions and the top-k merge, written once as task graphs of the Java
 * kernels.
 *
 * <p>The weights go to the device once. A batch (documents packed back to back) runs as one graph:
 * embed, LN1, the QKV projection, causal attention, the output projection + residual, LN2, and the MLP
 * input GEMM with GELU and the per-document max fused; in a scan ({@link #topKScan}) the graph ends with
 * {@code topk_merge} into the running [k, d_mlp] store, which stays on the device and comes back only when
 * asked (checkpoints, the end): nothing comes back per batch. Each graph exists twice, one per token slot:
 * while batch i computes, batch i + 1's tokens are staged on the host and uploaded on the transfer stream.
 * The batch buffers are sized for the largest batch that fits the device, halving from the requested size.
 * Not thread-safe: one caller at a time (the report stage gives a GPU one worker).
 */
public final class GpuEngine implements Engine {
    private final ModelConfig cfg;
    private final GpuDevice device;
    private final DeviceMemory memory;
    private final int dm, hd, dMlp, act;
    private final long memoryBudget;
    private final GpuArray W_E, W_pos, ln1w, ln1b, Wqkv, bqkv, W_O, b_O, ln2w, ln2b, W_in, b_in;
    private Buffers b;
    private int progress;   // documents of the current docMax call already in the caller's arrays

    private GpuEngine(Weights w, GpuDevice device, int maxBatchTokens, long memoryBudget) {
        this.cfg = w.cfg();
        this.device = device;
        this.memoryBudget = memoryBudget;
        this.dm = cfg.dModel();
        this.hd = cfg.nHeads() * cfg.dHead();
        this.dMlp = cfg.dMlp();
        if (cfg.nLayers() > 1 || cfg.solu()) throw new NeuroscanException("the GPU engine runs single-layer GELU models only (for now)");
        this.act = Calls.act(cfg.actFn());
        // embed's grid has a row per token, and a device may cap a grid's y extent (CUDA: 65535)
        maxBatchTokens = Math.min(maxBatchTokens, device.maxGroups()[1]);
        if (maxBatchTokens < cfg.nCtx()) {
            throw new IllegalArgumentException("a batch of " + maxBatchTokens + " tokens cannot hold an n_ctx (" + cfg.nCtx()
                    + ") document");
        }
        GpuModel.checkIntIndexable(cfg, maxBatchTokens);
        if (device.maxWorkGroupSize() < Calls.largestWorkGroup()) {
            throw new NeuroscanException(device.name() + ": work-groups of at most " + device.maxWorkGroupSize()
                    + " work-items; the GEMM kernels need " + Calls.largestWorkGroup());
        }
        memory = new DeviceMemory(device);
        Weights.Block blk = w.blocks().getFirst();
        W_E = GpuArray.floats("W_E", w.W_E().data());
        W_pos = GpuArray.floats("W_pos", w.W_pos().data());
        boolean lnw = cfg.hasLnWeights();
        ln1w = lnw ? GpuArray.floats("ln1.w", blk.ln1_w().data()) : null;
        ln1b = lnw ? GpuArray.floats("ln1.b", blk.ln1_b().data()) : null;
        ln2w = lnw ? GpuArray.floats("ln2.w", blk.ln2_w().data()) : null;
        ln2b = lnw ? GpuArray.floats("ln2.b", blk.ln2_b().data()) : null;
        Wqkv = GpuArray.floats("W_QKV", MemorySegment.ofArray(GpuModel.fuseQkv(cfg, blk)));
        bqkv = GpuArray.floats("b_QKV", MemorySegment.ofArray(GpuModel.fuseQkvBias(cfg, blk)));
        W_O = GpuArray.floats("W_O", blk.W_O().data());   // [h, d_head, d_model] is already [h * d_head, d_model]
        b_O = GpuArray.floats("b_O", blk.b_O().data());
        W_in = GpuArray.floats("W_in", blk.W_in().data());
        b_in = GpuArray.floats("b_in", blk.b_in().data());
        try {
            uploadWeights();
            b = allocate(maxBatchTokens);
        } catch (RuntimeException e) {
            release();   // the device itself is closed by open()
            throw e instanceof NeuroscanException n ? n : device.error(e);
        }
    }

    /** The engine on {@code device} (which it then owns), for batches of up to {@code maxBatchTokens} tokens. */
    public static GpuEngine open(Weights w, GpuDevice device, int maxBatchTokens) {
        return open(w, device, maxBatchTokens, Long.MAX_VALUE);
    }

    /** As {@link #open(Weights, GpuDevice, int)}, with at most {@code memoryBudget} bytes for the batch buffers. */
    public static GpuEngine open(Weights w, GpuDevice device, int maxBatchTokens, long memoryBudget) {
        try {
            return new GpuEngine(w, device, maxBatchTokens, memoryBudget);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    private void uploadWeights() {
        TaskGraph g = new TaskGraph("weights");
        List<GpuArray> all = new ArrayList<>(List.of(W_E, W_pos, Wqkv, bqkv, W_O, b_O, W_in, b_in));
        if (ln1w != null) all.addAll(List.of(ln1w, ln1b, ln2w, ln2b));
        for (GpuArray a : all) {
            if (a.bytes() > device.maxAllocation()) {
                throw new NeuroscanException(device.name() + ": tensor " + a.name() + " (" + GpuModel.size(a.bytes())
                        + ") exceeds the device's largest buffer (" + GpuModel.size(device.maxAllocation()) + ")");
            }
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, all.toArray(GpuArray[]::new));
        try (ExecutionPlan p = ExecutionPlan.on(memory, g.snapshot()).build()) {
            p.execute();
            device.sync(GpuDevice.Stream.TRANSFER);
            p.sync();
        } catch (RuntimeException e) {
            if (!device.isOutOfMemory(e)) throw e;
            throw new NeuroscanException(device.name() + ": the model's weights do not fit (" + GpuModel.size(memory.allocatedBytes())
                    + " uploaded before " + e.getMessage() + "); try another --device", e);
        }
    }

    @Override
    public int neurons() {
        return dMlp;
    }

    /** The batch size in use (after any halving to fit the device). */
    public int maxBatchTokens() {
        return b.maxTokens;
    }

    @Override
    public String describe() {
        return device.describe() + ", batches of " + b.maxTokens + " tokens, task graphs";
    }

    // ---------------------------------------------------------------- per-document maxima, back to the host

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax) {
        GpuModel.validate(cfg, docs);
        GpuModel.checkResultArrays(docs.size(), dMlp, max, argmax);
        if (docs.isEmpty()) return;
        int from = 0;
        while (true) {
            try {
                readBack(docs, from, max, argmax);
                return;
            } catch (RuntimeException e) {
                drain();
                if (!device.isOutOfMemory(e)) throw device.error(e);
                from = progress;   // finished documents are kept; the rest is redone with smaller batches
                shrink(e);
            }
        }
    }

    /** Batches [from, size): batch i + 1 is staged and uploaded while batch i computes; results collected in order. */
    private void readBack(List<int[]> docs, int from, float[] max, int[] argmax) {
        progress = from;
        List<Batch> batches = Batches.split(docs, from, b.maxTokens, b.maxDocs);
        stage(b.slots[0], docs, batches.getFirst(), null);
        b.readBack[0].execute();
        for (int i = 0; i < batches.size(); i++) {
            int s = i & 1;
            if (i + 1 < batches.size()) {
                b.readBack[1 - s].awaitUploads();
                stage(b.slots[1 - s], docs, batches.get(i + 1), null);
                b.readBack[1 - s].execute();
            }
            b.readBack[s].awaitDone();
            Batch bt = batches.get(i);
            int n = bt.count() * dMlp, at = bt.first() * dMlp;
            MemorySegment.copy(memory.host(b.slots[s].docMax), JAVA_FLOAT, 0, max, at, n);
            MemorySegment.copy(memory.host(b.slots[s].docArg), JAVA_INT, 0, argmax, at, n);
            progress = bt.first() + bt.count();
        }
    }

    /**
     * Packs batch {@code bt} into the slot's staging memory: tokens, offsets, the documents' global ids
     * (or nothing for {@code ids == null}), and sets the sizes the next execution runs with.
     */
    private void stage(Slot s, List<int[]> docs, Batch bt, int[] ids) {
        Batches.stage(docs, bt, memory.host(s.tokens), memory.host(s.offsets));
        s.tokens.use(bt.tokens());
        s.offsets.use(bt.count() + 1);
        if (ids != null) {
            MemorySegment.copy(ids, bt.first(), memory.host(s.docIds), JAVA_INT, 0, bt.count());
            s.docIds.use(bt.count());
        }
        s.docMax.use((long) bt.count() * dMlp);
        s.docArg.use((long) bt.count() * dMlp);
        b.T.set(bt.tokens());
        b.nDocs.set(bt.count());
    }

    @Override
    public float[] hookPost(int[] tokens) {
        GpuModel.validate(cfg, List.of(tokens));
        try {
            ExecutionPlan p = b.hookPost();
            b.readBack[0].awaitUploads();
            b.readBack[1].awaitUploads();
            stage(b.slots[0], List.of(tokens), new Batch(0, 1, tokens.length), null);
            b.post.use((long) tokens.length * dMlp);
            p.execute();
            p.awaitDone();
            float[] out = new float[tokens.length * dMlp];
            MemorySegment.copy(memory.host(b.post), JAVA_FLOAT, 0, out, 0, out.length);
            return out;
        } catch (RuntimeException e) {
            drain();
            throw device.error(e);
        }
    }

    /** Runs the documents (which must fit one batch) task by task, with a top-k merge into a scratch store of k = 20, timed. */
    public List<KernelTime> profile(List<int[]> docs) {
        GpuModel.validate(cfg, docs);
        List<Batch> batches = Batches.split(docs, 0, b.maxTokens, b.maxDocs);
        if (batches.size() != 1) throw new IllegalArgumentException("profile() takes documents that fit one batch");
        Batch bt = batches.getFirst();
        int[] ids = new int[bt.count()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        try (Store scratch = new Store(20, new TopK(20, dMlp))) {
            stage(b.slots[0], docs, bt, ids);
            Map<String, ExecutionPlan.Work> work = new LinkedHashMap<>();
            ExecutionPlan p = scratch.plans[0];
            work(work, docs, bt);
            return p.profile(work);
        } catch (RuntimeException e) {
            drain();
            throw device.error(e);
        }
    }

    /** FLOPs (2 per multiply-add; LayerNorm 8 per element) and bytes of each task of a batch: counted once, here. */
    private void work(Map<String, ExecutionPlan.Work> work, List<int[]> docs, Batch bt) {
        double T = bt.tokens(), n = bt.count();
        double attention = GpuModel.attentionFlop(cfg, docs, bt.first(), bt.count());
        work.put("embed", () -> new double[]{0, 4.0 * 3 * T * dm});
        work.put("ln1", () -> new double[]{8.0 * T * dm, 4.0 * 3 * T * dm});
        work.put("qkv", () -> new double[]{2.0 * T * dm * 3 * hd, 4.0 * (T * dm + 3.0 * dm * hd + 3.0 * T * hd)});
        work.put("attention", () -> new double[]{attention, 4.0 * 4 * T * hd});
        work.put("out", () -> new double[]{2.0 * T * hd * dm, 4.0 * (T * hd + (double) hd * dm + 2.0 * T * dm)});
        work.put("ln2", () -> new double[]{8.0 * T * dm, 4.0 * 3 * T * dm});
        work.put("mlp_in_gelu_max", () -> new double[]{2.0 * T * dm * dMlp, 4.0 * (T * dm + (double) dm * dMlp + 2.0 * n * dMlp)});
        work.put("topk_merge", () -> new double[]{0, 4.0 * (2.0 * n * dMlp + 6.0 * 20 * dMlp)});
    }

    // ---------------------------------------------------------------- the scan: top-k on the device

    /** A scan whose running store stays on the device ({@code topk_merge} after every batch, in the batch's graph). */
    @Override
    public TopKScan topKScan(TopK start) {
        if (start.neurons() != dMlp) throw new IllegalArgumentException("store of " + start.neurons() + " neurons, model " + dMlp);
        try {
            return new Store(start.k(), start);
        } catch (RuntimeException e) {
            throw device.error(e);
        }
    }

    /** The device store of one scan and the two slots' merge graphs. */
    private final class Store implements TopKScan {
        final int k;
        final GpuArray max, doc, pos, nan;
        final ExecutionPlan[] plans = new ExecutionPlan[2];
        final ExecutionPlan download;
        final TopK before;   // its per-neuron NaN counts, to which the device's are added
        int next;

        Store(int k, TopK start) {
            this.k = k;
            long n = (long) k * dMlp;
            max = GpuArray.floats("top-k max", n);
            doc = GpuArray.ints("top-k doc", n);
            pos = GpuArray.ints("top-k pos", n);
            nan = GpuArray.ints("NaN count", dMlp);
            before = start.copy();
            try {
                MemorySegment.copy(start.copyOfMax(), 0, memory.host(max), JAVA_FLOAT, 0, (int) n);
                MemorySegment.copy(start.copyOfDoc(), 0, memory.host(doc), JAVA_INT, 0, (int) n);
                MemorySegment.copy(start.copyOfPos(), 0, memory.host(pos), JAVA_INT, 0, (int) n);
                memory.host(nan).fill((byte) 0);
                TaskGraph up = new TaskGraph("store in").transferToDevice(DataTransferMode.EVERY_EXECUTION, max, doc, pos, nan);
                try (ExecutionPlan p = ExecutionPlan.on(memory, up.snapshot()).build()) {
                    p.execute();
                    device.sync(GpuDevice.Stream.TRANSFER);
                }
                for (int s = 0; s < 2; s++) {
                    Slot sl = b.slots[s];
                    TaskGraph g = forward("scan slot " + s, sl, true)
                            .task("mlp_in_gelu_max", MlpInGeluMax::mlpInGeluMax, b.a, W_in, b_in, sl.offsets, dMlp, dm, act,
                                    b.docMax, b.docArg)
                            .task("topk_merge", TopkMerge::topkMerge, b.docMax, b.docArg, sl.docIds, b.nDocs, dMlp, k, max, doc, pos, nan);
                    plans[s] = grids(ExecutionPlan.on(memory, g.snapshot()))
                            .grid("mlp_in_gelu_max", () -> ExecutionPlan.Geometry.of(Calls.mlpMaxGrid(b.nDocs.get(), dMlp)))
                            .grid("topk_merge", () -> ExecutionPlan.Geometry.of(Calls.topkGrid(dMlp))).build();
                }
                download = ExecutionPlan.on(memory, new TaskGraph("store out")
                        .transferToHost(DataTransferMode.EVERY_EXECUTION, max, doc, pos, nan).snapshot()).build();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void add(List<int[]> docs, int[] docIds) {
            GpuModel.validate(cfg, docs);
            if (docIds.length < docs.size()) throw new IllegalArgumentException("fewer document ids than documents");
            for (int i = 0; i < docs.size(); i++) if (docIds[i] < 0) throw new IllegalArgumentException("negative document index " + docIds[i]);
            if (docs.isEmpty()) return;
            try {
                for (Batch bt : Batches.split(docs, 0, b.maxTokens, b.maxDocs)) {
                    int s = next;
                    next ^= 1;
                    plans[s].awaitUploads();   // the slot's staging memory is free again
                    stage(b.slots[s], docs, bt, docIds);
                    plans[s].execute();
                }
            } catch (RuntimeException e) {
                drain();
                throw device.error(e);   // the store may hold part of a batch: no retry here
            }
        }

        @Override
        public TopK store() {
            try {
                download.execute();
                download.awaitDone();
                int n = k * dMlp;
                float[] m = new float[n];
                int[] d = new int[n], p = new int[n], nanPer = new int[dMlp];
                MemorySegment.copy(memory.host(max), JAVA_FLOAT, 0, m, 0, n);
                MemorySegment.copy(memory.host(doc), JAVA_INT, 0, d, 0, n);
                MemorySegment.copy(memory.host(pos), JAVA_INT, 0, p, 0, n);
                MemorySegment.copy(memory.host(nan), JAVA_INT, 0, nanPer, 0, dMlp);
                TopK t = TopK.of(k, dMlp, m, d, p);
                for (int c = 0; c < dMlp; c++) t.addNanCount(c, before.nanCount(c) + nanPer[c]);
                return t;
            } catch (RuntimeException e) {
                drain();
                throw device.error(e);
            }
        }

        @Override
        public String mergeLocation() {
            return "device";
        }

        @Override
        public long hostMergeNanos() {
            return 0;
        }

        @Override
        public void close() {
            drain();
            for (ExecutionPlan p : plans) if (p != null) p.close();
            if (download != null) download.close();
            for (GpuArray a : new GpuArray[]{max, doc, pos, nan}) memory.release(a);
        }
    }

    // ---------------------------------------------------------------- the graphs

    /** Embed to LN2 for a batch in slot {@code s}: x = embed; x += attn(LN1(x)); a = LN2(x). */
    private TaskGraph forward(String name, Slot s, boolean ids) {
        TaskGraph g = new TaskGraph(name);
        if (ids) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, s.tokens, s.offsets, s.docIds);
        else g.transferToDevice(DataTransferMode.EVERY_EXECUTION, s.tokens, s.offsets);
        float eps = (float) cfg.eps();
        boolean ln = cfg.normalization() != null;
        int affine = ln1w == null ? 0 : 1;
        g.task("embed", Embed::embed, s.tokens, s.offsets, b.nDocs, b.T, dm, W_E, W_pos, b.x);
        if (ln) g.task("ln1", LayerNorm::layerNorm, b.x, ln1w, ln1b, b.a, dm, eps, affine);
        g.task("qkv", GemmBias::gemmBias, b.a, Wqkv, bqkv, null, b.qkv, b.T, 3 * hd, dm, Calls.ACT_NONE, 0);
        g.task("attention", CausalAttention::causalAttention, b.qkv, s.offsets, b.nDocs, b.T, cfg.nHeads(), b.z);
        g.task("out", GemmBias::gemmBias, b.z, W_O, b_O, b.x, b.x, b.T, dm, hd, Calls.ACT_NONE, 1);
        if (ln) g.task("ln2", LayerNorm::layerNorm, b.x, ln2w, ln2b, b.a, dm, eps, affine);
        return g;
    }

    /** The grids of {@link #forward}'s tasks, from the batch's current token count. */
    private ExecutionPlan.Builder grids(ExecutionPlan.Builder p) {
        p.grid("embed", () -> ExecutionPlan.Geometry.of(Calls.embedGrid(b.T.get(), dm)))
                .grid("qkv", () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(b.T.get(), 3 * hd)))
                .grid("attention", () -> ExecutionPlan.Geometry.of(Calls.attentionGrid(b.T.get(), cfg.nHeads())))
                .grid("out", () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(b.T.get(), dm)));
        if (cfg.normalization() != null) {
            p.grid("ln1", () -> ExecutionPlan.Geometry.of(Calls.layerNormGrid(b.T.get()))).grid("ln2", () -> ExecutionPlan.Geometry.of(Calls.layerNormGrid(b.T.get())));
        }
        return p;
    }

    /** One token slot: what a batch uploads, and where its per-document results land. */
    private static final class Slot {
        final GpuArray tokens, offsets, docIds, docMax, docArg;

        Slot(int s, int maxTokens, int maxDocs, int dMlp) {
            tokens = GpuArray.ints("tokens " + s, maxTokens);
            offsets = GpuArray.ints("offsets " + s, maxDocs + 1);
            docIds = GpuArray.ints("document ids " + s, maxDocs);
            docMax = GpuArray.floats("docMax " + s, (long) maxDocs * dMlp);
            docArg = GpuArray.ints("docArg " + s, (long) maxDocs * dMlp);
        }
    }

    /** The batch-sized arrays, the sizes a batch runs with, and the read-back graphs. */
    private final class Buffers implements AutoCloseable {
        final int maxTokens, maxDocs;
        final IntParam T, nDocs;
        final GpuArray x, a, qkv, z, docMax, docArg, post;
        final Slot[] slots = new Slot[2];
        final ExecutionPlan[] readBack = new ExecutionPlan[2];
        private ExecutionPlan hookPost;
        final List<GpuArray> arrays = new ArrayList<>();

        Buffers(int maxTokens, int maxDocs) {
            this.maxTokens = maxTokens;
            this.maxDocs = maxDocs;
            T = new IntParam("T", maxTokens);
            nDocs = new IntParam("nDocs", maxDocs);
            x = add(GpuArray.floats("x", (long) maxTokens * dm));
            a = cfg.normalization() == null ? x : add(GpuArray.floats("LN out", (long) maxTokens * dm));
            qkv = add(GpuArray.floats("qkv", maxTokens * 3L * hd));
            z = add(GpuArray.floats("z", (long) maxTokens * hd));
            docMax = add(GpuArray.floats("docMax", (long) maxDocs * dMlp));
            docArg = add(GpuArray.ints("docArg", (long) maxDocs * dMlp));
            post = GpuArray.floats("hook_post", (long) cfg.nCtx() * dMlp);
            for (int s = 0; s < 2; s++) {
                slots[s] = new Slot(s, maxTokens, maxDocs, dMlp);
                for (GpuArray g : new GpuArray[]{slots[s].tokens, slots[s].offsets, slots[s].docIds, slots[s].docMax, slots[s].docArg}) add(g);
            }
        }

        private GpuArray add(GpuArray g) {
            arrays.add(g);
            return g;
        }

        /** Builds the read-back graphs (allocating every batch array now, so a device too small fails here). */
        void build() {
            b = this;   // the graph builders read the current buffers
            for (int s = 0; s < 2; s++) {
                Slot sl = slots[s];
                TaskGraph g = forward("docMax slot " + s, sl, false)
                        .task("mlp_in_gelu_max", MlpInGeluMax::mlpInGeluMax, a, W_in, b_in, sl.offsets, dMlp, dm, act, sl.docMax, sl.docArg)
                        .transferToHost(DataTransferMode.EVERY_EXECUTION, sl.docMax, sl.docArg);
                readBack[s] = grids(ExecutionPlan.on(memory, g.snapshot()))
                        .grid("mlp_in_gelu_max", () -> ExecutionPlan.Geometry.of(Calls.mlpMaxGrid(nDocs.get(), dMlp))).build();
            }
            for (GpuArray g : arrays) memory.buffer(g);
        }

        /** hook_post of one document ([n_ctx, d_mlp] at most): its graph and buffer are made on first use. */
        ExecutionPlan hookPost() {
            if (hookPost == null) {
                arrays.add(post);
                TaskGraph g = forward("hook_post", slots[0], false)
                        .task("mlp_in", GemmBias::gemmBias, a, W_in, b_in, null, post, T, dMlp, dm, act, 0)
                        .transferToHost(DataTransferMode.EVERY_EXECUTION, post);
                hookPost = grids(ExecutionPlan.on(memory, g.snapshot())).grid("mlp_in", () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(T.get(), dMlp))).build();
            }
            return hookPost;
        }

        @Override
        public void close() {
            drain();
            for (ExecutionPlan p : readBack) if (p != null) p.close();
            if (hookPost != null) hookPost.close();
            for (GpuArray g : arrays) memory.release(g);
        }
    }

    // ---------------------------------------------------------------- device memory

    /** The buffers for the largest batch (starting at maxTokens, halving) that fits the device. */
    private Buffers allocate(int maxTokens) {
        List<String> tried = new ArrayList<>();
        for (int tokens = maxTokens; ; tokens /= 2) {
            String why;
            long free = Math.min(device.memoryAvailable(), memoryBudget);
            long need = GpuModel.batchBytes(cfg, tokens);
            if (GpuModel.largestBuffer(cfg, tokens) > device.maxAllocation()) {
                why = "a buffer would exceed the device's largest allocation of " + GpuModel.size(device.maxAllocation());
            } else if (need > free) {
                why = "needs " + GpuModel.size(need) + ", " + GpuModel.size(Math.max(free, 0)) + " are available after the weights";
            } else {
                Buffers bf = new Buffers(tokens, GpuModel.docsFor(tokens));
                try {
                    bf.build();
                    return bf;
                } catch (RuntimeException e) {
                    bf.close();
                    b = null;
                    if (!device.isOutOfMemory(e)) throw e;
                    why = e.getMessage();
                }
            }
            tried.add(tokens + " (" + why + ")");
            if (tokens / 2 < cfg.nCtx()) {
                throw new NeuroscanException(device.name() + ": out of memory even for one n_ctx document; tried batches of "
                        + String.join(", ", tried) + " tokens");
            }
            System.err.println("neuroscan: " + device.name() + ": a batch of " + tokens + " tokens does not fit (" + why
                    + "); trying " + tokens / 2);
        }
    }

    /** After a device out-of-memory error mid-run: rebuild the buffers for half the batch. */
    private void shrink(RuntimeException cause) {
        int half = b.maxTokens / 2;
        if (half < cfg.nCtx()) {
            throw new NeuroscanException(device.name() + ": out of memory with a batch of " + b.maxTokens + " tokens ("
                    + cause.getMessage() + ") and one n_ctx document needs " + cfg.nCtx(), cause);
        }
        System.err.println("neuroscan: " + device.name() + ": " + cause.getMessage() + " with a batch of " + b.maxTokens
                + " tokens; retrying with " + half);
        b.close();
        b = null;
        b = allocate(half);
    }

    private void drain() {
        try {
            device.sync(GpuDevice.Stream.TRANSFER);
            device.sync(GpuDevice.Stream.COMPUTE);
        } catch (RuntimeException ignored) {
            // the original error is the one to report
        }
    }

    /** The batch buffers and every device allocation, not the device. */
    private void release() {
        if (b != null) {
            b.close();
            b = null;
        }
        if (memory != null) memory.close();
    }

    @Override
    public void close() {
        release();
        device.close();
    }
}
