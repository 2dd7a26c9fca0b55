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
import neuroscan.engine.ScreenCounts;
import neuroscan.kernels.MlpInGeluMax;
import neuroscan.kernels.MlpRecompute;
import neuroscan.kernels.MlpScreen;
import neuroscan.kernels.SoluLnMax;
import neuroscan.kernels.TopkMerge;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;
import neuroscan.store.NeuronStats;
import neuroscan.store.TopK;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The one GPU {@link Engine}, for OpenCL and CUDA alike ({@link GpuDevice}): the forward pass to every
 * layer's {@code hook_post}, the max over positions and the top-k merge, written once as task graphs of the
 * Java kernels.
 *
 * <p>The weights go to the device once. A batch (documents packed back to back) runs as one graph: embed,
 * then per layer LN1, the QKV projection, causal attention, the output projection + residual, LN2, and the
 * MLP input GEMM with GELU and the per-document max fused ({@code mlp_in_gelu_max}); for every layer but the
 * last that kernel also stores hook_post from its registers, and {@code mlp_out} (the W_out GEMM + b_out)
 * adds it into the residual. In a scan ({@link #topKScan}) each layer's maxima go through {@code topk_merge}
 * into that layer's running [k, d_mlp] store and {@code stats_merge} into its statistics ({@link DeviceStats}),
 * which stay on the device and come back only when asked (checkpoints, the end), as one flat store and one
 * flat {@link NeuronStats} (neuron g = layer * d_mlp + n): nothing comes back per batch.
 * SoLU's MLP is the plain GEMM into pre, then {@code solu_ln_max} per document (hook_mid = pre * softmax(pre),
 * its max and positive count over positions, and in place for a layer that feeds another the inner LayerNorm
 * to hook_post).
 * Each graph exists twice, one per token slot: while batch i computes, batch i + 1's tokens are staged on
 * the host and uploaded on the transfer stream. The batch buffers are sized for the largest batch that fits
 * the device, halving from the requested size. Not thread-safe: one caller at a time (the report stage gives
 * a GPU one worker).
 */
public final class GpuEngine implements Engine {
    private final ModelConfig cfg;
    private final GpuDevice device;
    private final DeviceMemory memory;
    private final int dm, hd, dMlp, act, nLayers, width;
    private final boolean solu;
    private final long memoryBudget;
    private final GpuArray W_E, W_pos;
    private final Layer[] layers;
    private Buffers b;
    private Screening.Mode screening = Screening.Mode.AUTO;
    private int progress;   // documents of the current docMax call already in the caller's arrays

    /**
     * One block's weights on the device; W_out, b_out only where a next block reads the MLP's output, and so
     * SoLU's mlp.ln.w/b (null: LNPre).
     */
    private record Layer(GpuArray ln1w, GpuArray ln1b, GpuArray Wqkv, GpuArray bqkv, GpuArray W_O, GpuArray b_O,
                         GpuArray ln2w, GpuArray ln2b, GpuArray W_in, GpuArray b_in, GpuArray W_out, GpuArray b_out,
                         GpuArray mlnw, GpuArray mlnb) {
        static Layer of(ModelConfig cfg, Weights.Block blk, int l, boolean last) {
            String p = "blocks." + l + ".";
            boolean lnw = cfg.hasLnWeights();
            return new Layer(lnw ? GpuArray.floats(p + "ln1.w", blk.ln1_w().data()) : null,
                    lnw ? GpuArray.floats(p + "ln1.b", blk.ln1_b().data()) : null,
                    GpuArray.floats(p + "W_QKV", MemorySegment.ofArray(GpuModel.fuseQkv(cfg, blk))),
                    GpuArray.floats(p + "b_QKV", MemorySegment.ofArray(GpuModel.fuseQkvBias(cfg, blk))),
                    GpuArray.floats(p + "W_O", blk.W_O().data()),   // [h, d_head, d_model] is already [h * d_head, d_model]
                    GpuArray.floats(p + "b_O", blk.b_O().data()),
                    lnw ? GpuArray.floats(p + "ln2.w", blk.ln2_w().data()) : null,
                    lnw ? GpuArray.floats(p + "ln2.b", blk.ln2_b().data()) : null,
                    GpuArray.floats(p + "W_in", blk.W_in().data()), GpuArray.floats(p + "b_in", blk.b_in().data()),
                    last ? null : GpuArray.floats(p + "W_out", blk.W_out().data()),
                    last ? null : GpuArray.floats(p + "b_out", blk.b_out().data()),
                    last || blk.mlp_ln_w() == null ? null : GpuArray.floats(p + "mlp.ln.w", blk.mlp_ln_w().data()),
                    last || blk.mlp_ln_b() == null ? null : GpuArray.floats(p + "mlp.ln.b", blk.mlp_ln_b().data()));
        }

        List<GpuArray> arrays() {
            List<GpuArray> all = new ArrayList<>();
            for (GpuArray a : new GpuArray[]{ln1w, ln1b, Wqkv, bqkv, W_O, b_O, ln2w, ln2b, W_in, b_in, W_out, b_out, mlnw, mlnb}) {
                if (a != null) all.add(a);
            }
            return all;
        }
    }

    private GpuEngine(Weights w, GpuDevice device, int maxBatchTokens, long memoryBudget) {
        this.cfg = w.cfg();
        this.device = device;
        this.memoryBudget = memoryBudget;
        this.dm = cfg.dModel();
        this.hd = cfg.nHeads() * cfg.dHead();
        this.dMlp = cfg.dMlp();
        this.nLayers = cfg.nLayers();
        this.width = cfg.neurons();
        this.solu = cfg.solu();
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
                    + " work-items; the kernels need " + Calls.largestWorkGroup());
        }
        memory = new DeviceMemory(device);
        W_E = GpuArray.floats("W_E", w.W_E().data());
        W_pos = GpuArray.floats("W_pos", w.W_pos().data());
        layers = new Layer[nLayers];
        for (int l = 0; l < nLayers; l++) layers[l] = Layer.of(cfg, w.blocks().get(l), l, l == nLayers - 1);
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
        List<GpuArray> all = new ArrayList<>(List.of(W_E, W_pos));
        for (Layer l : layers) all.addAll(l.arrays());
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
        return width;
    }

    /** The batch size in use (after any halving to fit the device). */
    public int maxBatchTokens() {
        return b.maxTokens;
    }

    @Override
    public String describe() {
        return device.describe() + ", batches of " + b.maxTokens + " tokens, task graphs";
    }

    /**
     * Whether scans opened from now on screen the last layer's MLP input GEMM on the tensor cores (Screening;
     * AUTO: where the device has them). ON where it cannot run is an error, at once. Earlier layers are not
     * screened: their W_out GEMM needs every activation anyway; nor are SoLU models (no GELU shape to bound).
     */
    public GpuEngine screening(Screening.Mode mode) {
        if (solu && mode == Screening.Mode.ON) throw new NeuroscanException("--screen: SoLU models are not screened (their softmax is not bounded)");
        Screening.enabled(mode, device, dm);
        screening = mode;
        return this;
    }

    /** Whether a scan opened now, without statistics, screens. */
    public boolean screens() {
        return !solu && Screening.enabled(screening, device, dm);
    }

    /** A task's name in layer l: the first layer's names are the single-layer graph's ("qkv"), then "qkv.1". */
    static String task(String name, int layer) {
        return layer == 0 ? name : name + "." + layer;
    }

    // ---------------------------------------------------------------- per-document maxima, back to the host

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
        GpuModel.validate(cfg, docs);
        GpuModel.checkResultArrays(docs.size(), width, max, argmax);
        if (positive != null && positive.length < (long) docs.size() * width) throw new IllegalArgumentException("positive holds fewer than docs x neurons entries");
        if (docs.isEmpty()) return;
        int from = 0;
        while (true) {
            try {
                readBack(docs, from, max, argmax, positive);
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
    private void readBack(List<int[]> docs, int from, float[] max, int[] argmax, int[] positive) {
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
            Slot sl = b.slots[s];
            for (int l = 0; l < nLayers; l++) {   // layer l's [docs, d_mlp] into the flat rows
                MemorySegment mx = memory.host(sl.docMax[l]), ag = memory.host(sl.docArg[l]), ps = memory.host(sl.docPos[l]);
                for (int d = 0; d < bt.count(); d++) {
                    int at = (bt.first() + d) * width + l * dMlp;
                    MemorySegment.copy(mx, JAVA_FLOAT, 4L * d * dMlp, max, at, dMlp);
                    MemorySegment.copy(ag, JAVA_INT, 4L * d * dMlp, argmax, at, dMlp);
                    if (positive != null) MemorySegment.copy(ps, JAVA_INT, 4L * d * dMlp, positive, at, dMlp);
                }
            }
            progress = bt.first() + bt.count();
        }
    }

    /**
     * Packs batch {@code bt} into the slot's staging memory: tokens, offsets, the documents' global ids and
     * sampling hashes (or nothing for {@code ids == null}), and sets the sizes the next execution runs with.
     */
    private void stage(Slot s, List<int[]> docs, Batch bt, int[] ids) {
        Batches.stage(docs, bt, memory.host(s.tokens), memory.host(s.offsets));
        s.tokens.use(bt.tokens());
        s.offsets.use(bt.count() + 1);
        if (ids != null) {
            MemorySegment.copy(ids, bt.first(), memory.host(s.docIds), JAVA_INT, 0, bt.count());
            MemorySegment keys = memory.host(s.docKeys);
            for (int i = 0; i < bt.count(); i++) keys.setAtIndex(JAVA_INT, i, NeuronStats.docKey(ids[bt.first() + i]));
            s.docIds.use(bt.count());
            s.docKeys.use(bt.count());
        }
        for (int l = 0; l < nLayers; l++) {
            s.docMax[l].use((long) bt.count() * dMlp);
            s.docArg[l].use((long) bt.count() * dMlp);
            s.docPos[l].use((long) bt.count() * dMlp);
        }
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
            for (GpuArray a : b.post) a.use((long) tokens.length * dMlp);
            p.execute();
            p.awaitDone();
            float[] out = new float[tokens.length * width];
            for (int l = 0; l < nLayers; l++) {
                MemorySegment h = memory.host(b.post[l]);
                for (int r = 0; r < tokens.length; r++) MemorySegment.copy(h, JAVA_FLOAT, 4L * r * dMlp, out, r * width + l * dMlp, dMlp);
            }
            return out;
        } catch (RuntimeException e) {
            drain();
            throw device.error(e);
        }
    }

    /** Runs the documents (which must fit one batch) task by task, with a top-k merge into a scratch store of k = 20, timed. */
    public List<KernelTime> profile(List<int[]> docs) {
        return profile(docs, new TopK(20, width), Screening.Mode.OFF);
    }

    /**
     * As {@link #profile(List)}, merging into a copy of {@code start} with screening {@code mode}: with a
     * filled store (say, a finished scan's) the screen's tasks are timed with the thresholds a scan meets.
     */
    public List<KernelTime> profile(List<int[]> docs, TopK start, Screening.Mode mode) {
        GpuModel.validate(cfg, docs);
        List<Batch> batches = Batches.split(docs, 0, b.maxTokens, b.maxDocs);
        if (batches.size() != 1) throw new IllegalArgumentException("profile() takes documents that fit one batch");
        Batch bt = batches.getFirst();
        int[] ids = new int[bt.count()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        Screening.Mode saved = screening;
        screening = mode;
        // the FP32 profile keeps statistics, as a scan does; a screened one cannot (Screening), so it has none
        try (Store scratch = new Store(start.k(), start, mode == Screening.Mode.OFF ? new NeuronStats(width) : null)) {
            stage(b.slots[0], docs, bt, ids);
            Map<String, ExecutionPlan.Work> work = new LinkedHashMap<>();
            ExecutionPlan p = scratch.plans[0];
            work(work, docs, bt);
            return p.profile(work);
        } catch (RuntimeException e) {
            drain();
            throw device.error(e);
        } finally {
            screening = saved;
        }
    }

    /** FLOPs (2 per multiply-add; LayerNorm 8 per element) and bytes of each task of a batch: counted once, here. */
    private void work(Map<String, ExecutionPlan.Work> work, List<int[]> docs, Batch bt) {
        double T = bt.tokens(), n = bt.count();
        double attention = GpuModel.attentionFlop(cfg, docs, bt.first(), bt.count());
        work.put("embed", () -> new double[]{0, 4.0 * 3 * T * dm});
        for (int l = 0; l < nLayers; l++) {
            boolean last = l == nLayers - 1;
            work.put(task("ln1", l), () -> new double[]{8.0 * T * dm, 4.0 * 3 * T * dm});
            work.put(task("qkv", l), () -> new double[]{2.0 * T * dm * 3 * hd, 4.0 * (T * dm + 3.0 * dm * hd + 3.0 * T * hd)});
            work.put(task("attention", l), () -> new double[]{attention, 4.0 * 4 * T * hd});
            work.put(task("out", l), () -> new double[]{2.0 * T * hd * dm, 4.0 * (T * hd + (double) hd * dm + 2.0 * T * dm)});
            work.put(task("ln2", l), () -> new double[]{8.0 * T * dm, 4.0 * 3 * T * dm});
            if (solu) {   // softmax + max: ~8 FLOPs per element, the LN ~8 more; h read twice (three times with the LN)
                work.put(task("mlp_in", l), () -> new double[]{2.0 * T * dm * dMlp, 4.0 * (T * dm + (double) dm * dMlp + T * dMlp)});
                work.put(task("solu_ln_max", l), () -> new double[]{(last ? 8.0 : 16.0) * T * dMlp,
                        4.0 * ((last ? 2.0 : 5.0) * T * dMlp + 2.0 * n * dMlp)});
            } else {
                work.put(task("mlp_in_gelu_max", l), () -> new double[]{2.0 * T * dm * dMlp,
                        4.0 * (T * dm + (double) dm * dMlp + 2.0 * n * dMlp + (last ? 0 : T * dMlp))});
            }
            if (!last) {
                work.put(task("mlp_out", l), () -> new double[]{2.0 * T * dMlp * dm, 4.0 * (T * dMlp + (double) dMlp * dm + 2.0 * T * dm)});
            }
            work.put(task("topk_merge", l), () -> new double[]{0, 4.0 * (2.0 * n * dMlp + 6.0 * 20 * dMlp)});
            // the screen (last layer): its GEMM on the tensor cores (TF32 FLOPs); the recompute's depend on the candidates
            work.put(task("norm_rows", l), () -> new double[]{2.0 * T * dm, 4.0 * (T * dm + T)});
            work.put(task("mlp_screen", l), () -> new double[]{2.0 * T * dm * dMlp, 4.0 * (T * dm + (double) dm * dMlp + 3.0 * n * dMlp)});
            work.put(task("stats_merge", l), () -> new double[]{0, 4.0 * (3.0 * n * dMlp + 8.0 * n * dMlp)});
        }
    }

    // ---------------------------------------------------------------- the scan: top-k on the device

    /**
     * A scan whose running store (and statistics, unless null) stay on the device ({@code topk_merge} and
     * {@code stats_merge} after every batch, in the batch's graph).
     */
    @Override
    public TopKScan topKScan(TopK start, NeuronStats stats) {
        if (start.neurons() != width) throw new IllegalArgumentException("store of " + start.neurons() + " neurons, model " + width);
        if (stats != null && stats.neurons() != width) throw new IllegalArgumentException("stats of " + stats.neurons() + " neurons, model " + width);
        try {
            return new Store(start.k(), start, stats);
        } catch (RuntimeException e) {
            throw device.error(e);
        }
    }

    /** The device store (and statistics) of one scan, one [k, d_mlp] block per layer, and the two slots' merge graphs. */
    private final class Store implements TopKScan {
        final int k;
        final GpuArray[] max, doc, pos, nan;
        final DeviceStats stats;   // null: a scan without statistics
        final ExecutionPlan[] plans = new ExecutionPlan[2];
        final ExecutionPlan download;
        final TopK before;   // its per-neuron NaN counts, to which the device's are added
        final boolean screen;   // the last layer's MLP screened (Screening)
        final GpuArray colNorm, rowNorm, cand, candCount;   // the screen's (null without it)
        long screened;   // pairs the screen saw (the recomputed ones are counted on the device, in candCount)
        int next;

        Store(int k, TopK start, NeuronStats startStats) {
            this.k = k;
            stats = startStats == null ? null : new DeviceStats(memory, startStats, nLayers, dMlp);
            long n = (long) k * dMlp;
            max = new GpuArray[nLayers];
            doc = new GpuArray[nLayers];
            pos = new GpuArray[nLayers];
            nan = new GpuArray[nLayers];
            before = start.copy();
            screen = !solu && Screening.enabled(screening, device, dm, startStats != null);
            colNorm = screen ? GpuArray.floats("W_in column norms", dMlp) : null;
            rowNorm = screen ? GpuArray.floats("LN2 row norms", b.maxTokens) : null;
            cand = screen ? GpuArray.ints("screen candidates", (long) b.maxDocs * dMlp) : null;
            candCount = screen ? GpuArray.ints("screen counts", b.maxDocs) : null;
            float[] m0 = start.copyOfMax();
            int[] d0 = start.copyOfDoc(), p0 = start.copyOfPos();
            try {
                for (int l = 0; l < nLayers; l++) {
                    String sfx = nLayers == 1 ? "" : " " + l;
                    max[l] = GpuArray.floats("top-k max" + sfx, n);
                    doc[l] = GpuArray.ints("top-k doc" + sfx, n);
                    pos[l] = GpuArray.ints("top-k pos" + sfx, n);
                    nan[l] = GpuArray.ints("NaN count" + sfx, dMlp);
                    MemorySegment hm = memory.host(max[l]), hd = memory.host(doc[l]), hp = memory.host(pos[l]);
                    for (int r = 0; r < k; r++) {   // layer l's columns of the flat store
                        int at = r * width + l * dMlp;
                        MemorySegment.copy(m0, at, hm, JAVA_FLOAT, 4L * r * dMlp, dMlp);
                        MemorySegment.copy(d0, at, hd, JAVA_INT, 4L * r * dMlp, dMlp);
                        MemorySegment.copy(p0, at, hp, JAVA_INT, 4L * r * dMlp, dMlp);
                    }
                    memory.host(nan[l]).fill((byte) 0);
                }
                if (stats != null) stats.stage();
                TaskGraph up = new TaskGraph("store in").transferToDevice(DataTransferMode.EVERY_EXECUTION, all());
                if (screen) {
                    memory.host(candCount).fill((byte) 0);
                    up.transferToDevice(DataTransferMode.EVERY_EXECUTION, candCount)
                            .task("norm_cols", MlpScreen::normBound, layers[nLayers - 1].W_in(), dMlp, dm, 1, dMlp, colNorm);
                }
                ExecutionPlan.Builder ub = ExecutionPlan.on(memory, up.snapshot());
                if (screen) ub.grid("norm_cols", () -> ExecutionPlan.Geometry.of(Calls.normGrid(dMlp)));
                try (ExecutionPlan p = ub.build()) {
                    p.execute();
                    device.sync(GpuDevice.Stream.TRANSFER);
                    p.sync();
                }
                for (int s = 0; s < 2; s++) plans[s] = graph("scan slot " + s, b.slots[s], this).build();
                TaskGraph out = new TaskGraph("store out").transferToHost(DataTransferMode.EVERY_EXECUTION, all());
                if (screen) out.transferToHost(DataTransferMode.EVERY_EXECUTION, candCount);
                download = ExecutionPlan.on(memory, out.snapshot()).build();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private GpuArray[] all() {
            List<GpuArray> a = new ArrayList<>();
            for (int l = 0; l < nLayers; l++) a.addAll(List.of(max[l], doc[l], pos[l], nan[l]));
            if (stats != null) a.addAll(List.of(stats.arrays()));   // the statistics travel with the store
            return a.toArray(GpuArray[]::new);
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
                    if (stats != null) stats.counted(bt.tokens());
                    if (screen) screened += (long) bt.count() * dMlp;
                }
            } catch (RuntimeException e) {
                drain();
                throw device.error(e);   // the store may hold part of a batch: no retry here
            }
        }

        /** Brings the store and the statistics back to the staging memory. */
        private void download() {
            download.execute();
            download.awaitDone();
        }

        @Override
        public NeuronStats stats() {
            if (stats == null) return null;
            try {
                download();
                return stats.read();
            } catch (RuntimeException e) {
                drain();
                throw device.error(e);
            }
        }

        @Override
        public TopK store() {
            try {
                download();
                int n = k * width;
                float[] m = new float[n];
                int[] d = new int[n], p = new int[n], nanPer = new int[width];
                for (int l = 0; l < nLayers; l++) {
                    MemorySegment hm = memory.host(max[l]), hd = memory.host(doc[l]), hp = memory.host(pos[l]);
                    for (int r = 0; r < k; r++) {
                        int at = r * width + l * dMlp;
                        MemorySegment.copy(hm, JAVA_FLOAT, 4L * r * dMlp, m, at, dMlp);
                        MemorySegment.copy(hd, JAVA_INT, 4L * r * dMlp, d, at, dMlp);
                        MemorySegment.copy(hp, JAVA_INT, 4L * r * dMlp, p, at, dMlp);
                    }
                    MemorySegment.copy(memory.host(nan[l]), JAVA_INT, 0, nanPer, l * dMlp, dMlp);
                }
                TopK t = TopK.of(k, width, m, d, p);
                for (int c = 0; c < width; c++) t.addNanCount(c, before.nanCount(c) + nanPer[c]);
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
        public ScreenCounts screenCounts() {
            if (!screen) return null;
            download.execute();
            download.awaitDone();
            long recomputed = 0;
            for (int d = 0; d < b.maxDocs; d++) recomputed += memory.host(candCount).getAtIndex(JAVA_INT, d);
            return new ScreenCounts(screened, recomputed);
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
            for (GpuArray[] arrays : new GpuArray[][]{max, doc, pos, nan}) {
                for (GpuArray a : arrays) if (a != null) memory.release(a);
            }
            if (stats != null) stats.release();
            for (GpuArray a : new GpuArray[]{colNorm, rowNorm, cand, candCount}) if (a != null) memory.release(a);
        }
    }

    // ---------------------------------------------------------------- the graphs

    /**
     * The graph of a batch in slot {@code s}: x = embed; per layer x += attn(LN1(x)), a = LN2(x), the MLP; then,
     * by what the graph is for: {@code store != null}, a scan (each layer's maxima merged into the device store);
     * {@code hookPost}, every layer's activations back to the host (the unfused GEMM); else each layer's maxima
     * back to the host. The MLP of every layer but the last also adds W_out @ hook_post + b_out into x.
     */
    private ExecutionPlan.Builder graph(String name, Slot s, Store store) {
        return graph(name, s, store, false);
    }

    private ExecutionPlan.Builder graph(String name, Slot s, Store store, boolean hookPost) {
        TaskGraph g = new TaskGraph(name);
        if (store != null) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, s.tokens, s.offsets, s.docIds, s.docKeys);
        else g.transferToDevice(DataTransferMode.EVERY_EXECUTION, s.tokens, s.offsets);
        float eps = (float) cfg.eps();
        boolean ln = cfg.normalization() != null;
        int affine = cfg.hasLnWeights() ? 1 : 0;
        g.task("embed", Embed::embed, s.tokens, s.offsets, b.nDocs, b.T, dm, W_E, W_pos, b.x);
        List<GpuArray> back = new ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            Layer w = layers[l];
            boolean last = l == nLayers - 1;
            if (ln) g.task(task("ln1", l), LayerNorm::layerNorm, b.x, w.ln1w(), w.ln1b(), b.a, dm, eps, affine);
            g.task(task("qkv", l), GemmBias::gemmBias, b.a, w.Wqkv(), w.bqkv(), null, b.qkv, b.T, 3 * hd, dm, Calls.ACT_NONE, 0);
            g.task(task("attention", l), CausalAttention::causalAttention, b.qkv, s.offsets, b.nDocs, b.T, cfg.nHeads(), b.z);
            g.task(task("out", l), GemmBias::gemmBias, b.z, w.W_O(), w.b_O(), b.x, b.x, b.T, dm, hd, Calls.ACT_NONE, 1);
            if (ln) g.task(task("ln2", l), LayerNorm::layerNorm, b.x, w.ln2w(), w.ln2b(), b.a, dm, eps, affine);
            // the layer's maxima: in batch arrays for the device merge (and as hookPost's scratch), else in the slot's
            boolean batch = store != null || hookPost;
            GpuArray mx = batch ? b.docMax[l] : s.docMax[l], ag = batch ? b.docArg[l] : s.docArg[l], ps = batch ? b.docPos[l] : s.docPos[l];
            GpuArray post;
            if (solu) {
                post = solu(g, s, hookPost, l, mx, ag, ps);
            } else if (store != null && store.screen && last) {   // the tensor-core screen, then FP32 for the candidates only
                post = null;
                g.task(task("norm_rows", l), MlpScreen::normBound, b.a, b.T, dm, dm, 1, store.rowNorm)
                        .task(task("mlp_screen", l), MlpScreen::mlpScreen, b.a, w.W_in(), w.b_in(), s.offsets, store.rowNorm,
                                store.colNorm, store.max[l], store.doc[l], dMlp, dm, store.k, act, Screening.relErr(dm), mx, ag,
                                store.cand)
                        .task(task("mlp_recompute", l), MlpRecompute::mlpRecompute, b.a, w.W_in(), w.b_in(), s.offsets,
                                store.cand, dMlp, dm, act, mx, ag, store.candCount);
            } else if (hookPost) {
                post = b.post[l];
                g.task(task("mlp_in", l), GemmBias::gemmBias, b.a, w.W_in(), w.b_in(), null, post, b.T, dMlp, dm, act, 0);
            } else {
                post = last ? null : b.h;   // the epilogue stores hook_post only where W_out reads it
                g.task(task("mlp_in_gelu_max", l), MlpInGeluMax::mlpInGeluMax, b.a, w.W_in(), w.b_in(), s.offsets, dMlp, dm, act,
                        mx, ag, ps, post, last ? 0 : 1);
            }
            if (hookPost) {
                back.add(b.post[l]);
            } else if (store != null) {
                g.task(task("topk_merge", l), TopkMerge::topkMerge, mx, ag, s.docIds, b.nDocs, dMlp, store.k,
                        store.max[l], store.doc[l], store.pos[l], store.nan[l]);
                if (store.stats != null) store.stats.task(g, task("stats_merge", l), l, mx, ag, ps, s.docIds, s.docKeys, b.nDocs);
            } else {
                back.add(mx);
                back.add(ag);
                back.add(ps);
            }
            if (!last) g.task(task("mlp_out", l), GemmBias::gemmBias, post, w.W_out(), w.b_out(), b.x, b.x, b.T, dm, dMlp, Calls.ACT_NONE, 1);
        }
        if (!back.isEmpty()) g.transferToHost(DataTransferMode.EVERY_EXECUTION, back.toArray(GpuArray[]::new));
        ExecutionPlan.Builder p = ExecutionPlan.on(memory, g.snapshot())
                .grid("embed", () -> ExecutionPlan.Geometry.of(Calls.embedGrid(b.T.get(), dm)));
        for (int l = 0; l < nLayers; l++) {
            p.grid(task("qkv", l), () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(b.T.get(), 3 * hd)))
                    .grid(task("attention", l), () -> ExecutionPlan.Geometry.of(Calls.attentionGrid(b.T.get(), cfg.nHeads())))
                    .grid(task("out", l), () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(b.T.get(), dm)));
            if (ln) {
                p.grid(task("ln1", l), () -> ExecutionPlan.Geometry.of(Calls.layerNormGrid(b.T.get())))
                        .grid(task("ln2", l), () -> ExecutionPlan.Geometry.of(Calls.layerNormGrid(b.T.get())));
            }
            if (hookPost || solu) p.grid(task("mlp_in", l), () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(b.T.get(), dMlp)));
            else if (store != null && store.screen && l == nLayers - 1) {
                p.grid(task("norm_rows", l), () -> ExecutionPlan.Geometry.of(Calls.normGrid(b.T.get())))
                        .grid(task("mlp_screen", l), () -> ExecutionPlan.Geometry.of(Calls.mlpMaxGrid(b.nDocs.get(), dMlp)))
                        .grid(task("mlp_recompute", l), () -> ExecutionPlan.Geometry.of(Calls.mlpMaxGrid(b.nDocs.get(), dMlp)));
            } else p.grid(task("mlp_in_gelu_max", l), () -> ExecutionPlan.Geometry.of(Calls.mlpMaxGrid(b.nDocs.get(), dMlp)));
            if (solu) p.grid(task("solu_ln_max", l), () -> ExecutionPlan.Geometry.of(Calls.soluGrid(b.nDocs.get())));
            if (solu && hookPost && l < nLayers - 1) p.grid(task("mlp_ln", l), () -> ExecutionPlan.Geometry.of(Calls.layerNormGrid(b.T.get())));
            if (store != null) p.grid(task("topk_merge", l), () -> ExecutionPlan.Geometry.of(Calls.topkGrid(dMlp)));
            if (store != null && store.stats != null) p.grid(task("stats_merge", l), () -> ExecutionPlan.Geometry.of(Calls.topkGrid(dMlp)));
            if (l < nLayers - 1) p.grid(task("mlp_out", l), () -> ExecutionPlan.Geometry.of(Calls.gemmGrid(b.T.get(), dm)));
        }
        return p;
    }

    /**
     * SoLU's MLP of layer l up to W_out's input, which it returns: pre = W_in + b_in, then solu_ln_max. In a scan or
     * a docMax batch, in b.h, left as hook_post (the fused inner LN) for a layer that feeds another; for hookPost,
     * hook_mid in b.post[l] (what comes back), with a separate LayerNorm into b.h for W_out.
     */
    private GpuArray solu(TaskGraph g, Slot s, boolean hookPost, int l, GpuArray mx, GpuArray ag, GpuArray ps) {
        Layer w = layers[l];
        boolean last = l == nLayers - 1;
        GpuArray h = hookPost ? b.post[l] : b.h;
        int affine = w.mlnw() != null ? 1 : 0;
        int mode = hookPost ? Calls.SOLU_STORE_MID : last ? Calls.SOLU_KEEP_PRE : Calls.SOLU_STORE_POST;
        float eps = (float) cfg.eps();
        g.task(task("mlp_in", l), GemmBias::gemmBias, b.a, w.W_in(), w.b_in(), null, h, b.T, dMlp, dm, Calls.ACT_NONE, 0);
        g.task(task("solu_ln_max", l), SoluLnMax::soluLnMax, h, s.offsets, dMlp, mx, ag, ps, w.mlnw(), w.mlnb(), affine, eps, mode);
        if (!hookPost || last) return h;
        g.task(task("mlp_ln", l), LayerNorm::layerNorm, h, w.mlnw(), w.mlnb(), b.h, dMlp, eps, affine);
        return b.h;
    }

    /** One token slot: what a batch uploads, and where its per-document results land (one pair per layer). */
    private static final class Slot {
        final GpuArray tokens, offsets, docIds, docKeys;
        final GpuArray[] docMax, docArg, docPos;

        Slot(int s, int maxTokens, int maxDocs, int dMlp, int nLayers) {
            tokens = GpuArray.ints("tokens " + s, maxTokens);
            offsets = GpuArray.ints("offsets " + s, maxDocs + 1);
            docIds = GpuArray.ints("document ids " + s, maxDocs);
            docKeys = GpuArray.ints("document keys " + s, maxDocs);
            docMax = new GpuArray[nLayers];
            docArg = new GpuArray[nLayers];
            docPos = new GpuArray[nLayers];
            for (int l = 0; l < nLayers; l++) {
                String sfx = nLayers == 1 ? "" : " layer " + l;
                docMax[l] = GpuArray.floats("docMax " + s + sfx, (long) maxDocs * dMlp);
                docArg[l] = GpuArray.ints("docArg " + s + sfx, (long) maxDocs * dMlp);
                docPos[l] = GpuArray.ints("docPos " + s + sfx, (long) maxDocs * dMlp);
            }
        }

        List<GpuArray> arrays() {
            List<GpuArray> a = new ArrayList<>(List.of(tokens, offsets, docIds, docKeys));
            a.addAll(List.of(docMax));
            a.addAll(List.of(docArg));
            a.addAll(List.of(docPos));
            return a;
        }
    }

    /** The batch-sized arrays, the sizes a batch runs with, and the read-back graphs. */
    private final class Buffers implements AutoCloseable {
        final int maxTokens, maxDocs;
        final IntParam T, nDocs;
        final GpuArray x, a, qkv, z, h;
        final GpuArray[] docMax, docArg, docPos, post;
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
            h = nLayers == 1 && !solu ? null : add(GpuArray.floats(solu ? "SoLU pre, then hook_post (W_out's input)"
                    : "hook_post (W_out's input)", (long) maxTokens * dMlp));
            docMax = new GpuArray[nLayers];
            docArg = new GpuArray[nLayers];
            docPos = new GpuArray[nLayers];
            post = new GpuArray[nLayers];
            for (int l = 0; l < nLayers; l++) {
                String sfx = nLayers == 1 ? "" : " layer " + l;
                docMax[l] = add(GpuArray.floats("docMax" + sfx, (long) maxDocs * dMlp));
                docArg[l] = add(GpuArray.ints("docArg" + sfx, (long) maxDocs * dMlp));
                docPos[l] = add(GpuArray.ints("docPos" + sfx, (long) maxDocs * dMlp));
                post[l] = GpuArray.floats("hook_post" + sfx, (long) cfg.nCtx() * dMlp);
            }
            for (int s = 0; s < 2; s++) {
                slots[s] = new Slot(s, maxTokens, maxDocs, dMlp, nLayers);
                for (GpuArray g : slots[s].arrays()) add(g);
            }
        }

        private GpuArray add(GpuArray g) {
            arrays.add(g);
            return g;
        }

        /** Builds the read-back graphs (allocating every batch array now, so a device too small fails here). */
        void build() {
            b = this;   // the graph builders read the current buffers
            for (int s = 0; s < 2; s++) readBack[s] = graph("docMax slot " + s, slots[s], null).build();
            for (GpuArray g : arrays) memory.buffer(g);
        }

        /** hook_post of one document ([n_ctx, d_mlp] per layer at most): its graph and buffers are made on first use. */
        ExecutionPlan hookPost() {
            if (hookPost == null) {
                arrays.addAll(List.of(post));
                hookPost = graph("hook_post", slots[0], null, true).build();
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
