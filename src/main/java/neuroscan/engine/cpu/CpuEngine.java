package neuroscan.engine.cpu;

import neuroscan.engine.Engine;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fast CPU engine: every layer's scanned hook ({@code blocks.{l}.mlp.hook_post}, SoLU's {@code hook_mid})
 * with the Vector API on every core, same semantics as {@link neuroscan.engine.ReferenceForward} (float32
 * instead of double accumulation). Neurons are flat over the layers (g = layer * d_mlp + n).
 *
 * <p>{@link #docMax} packs documents, longest first, into bins of at most n_ctx tokens (short documents
 * share a bin, so the projections always see many rows, while attention and the max stay per
 * document), and the pool's threads take bins from a shared counter, each in its own
 * {@link Workspace}. Per bin: {@link Embed}, {@link LayerNorm}, {@link GemmBias} (QKV),
 * {@link CausalAttention} per document, GemmBias (W_O, plus the residual), LayerNorm, then the MLP: for a
 * GELU model's last layer the fused {@link MlpInGeluMax}; for every other layer the W_in GEMM into a
 * [rows, d_mlp] buffer, the activation (GELU; SoLU and its LayerNorm row by row, {@link Solu}), the max over
 * positions folded from it ({@link ColumnMax}) and, but for the last layer, W_out + b_out into the residual. No work is done on padding. Results do not depend on the thread count or on
 * which documents share a bin: every row is computed with the same operations in the same order, and
 * {@link #hookPost} gives bit for bit the activations docMax folds. Against the double-precision
 * reference the activations agree to ~1e-5 at gelu-1l's shape (CpuEngineTest). Speed: bench/README.md.
 *
 * <p>Calls are serialised (one scan at a time per engine): pass large batches to {@link #docMax} so all
 * threads stay busy.
 */
public final class CpuEngine implements Engine {
    /** Documents per bin; bounds the per-thread max/argmax scratch (1 MiB at d_mlp 2048). */
    static final int MAX_DOCS_PER_BIN = 64;

    private final ModelConfig cfg;
    private final int threads;
    private final Embed embed;
    private final Layer[] layers;
    private final CausalAttention attention;
    private final Workspace[] workspaces;
    private final ExecutorService pool;

    /** An engine on all available cores. */
    public CpuEngine(Weights weights) {
        this(weights, Runtime.getRuntime().availableProcessors());
    }

    public CpuEngine(Weights weights, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.cfg = weights.cfg();
        this.threads = threads;
        ModelConfig c = cfg;
        embed = new Embed(weights.W_E(), weights.W_pos());
        layers = new Layer[c.nLayers()];
        for (int l = 0; l < layers.length; l++) layers[l] = new Layer(c, weights.blocks().get(l), l == layers.length - 1);
        attention = new CausalAttention(c.nHeads(), c.dHead());
        workspaces = new Workspace[threads];
        for (int t = 0; t < threads; t++) workspaces[t] = new Workspace(c, MAX_DOCS_PER_BIN);
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "neuroscan-cpu-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    /** One block's weights, packed once. */
    private static final class Layer {
        final LayerNorm ln1, ln2, mlpLn;
        final GemmBias qkv, out, mlpIn, mlpOut;
        final MlpInGeluMax fused;

        Layer(ModelConfig c, Weights.Block b, boolean last) {
            int dm = c.dModel(), dh = c.dHead(), hd = c.nHeads() * dh, dMlp = c.dMlp();
            ln1 = new LayerNorm(c.normalization(), array(b.ln1_w()), array(b.ln1_b()), c.eps(), dm);
            ln2 = new LayerNorm(c.normalization(), array(b.ln2_w()), array(b.ln2_b()), c.eps(), dm);
            // SoLU's LayerNorm over d_mlp: LN with mlp.ln.w/b when the model's normalization is LN, else LNPre
            mlpLn = c.solu() ? new LayerNorm(b.mlp_ln_w() != null ? "LN" : "LNPre", array(b.mlp_ln_w()), array(b.mlp_ln_b()),
                    c.eps(), dMlp) : null;
            // W_Q|W_K|W_V [H, d_model, d_head] each -> one [d_model, 3 H d_head] matrix, column = part*H*dh + h*dh + d.
            float[][] wqkv = {b.W_Q().toArray(), b.W_K().toArray(), b.W_V().toArray()};
            float[] bqkv = concat(b.b_Q().toArray(), b.b_K().toArray(), b.b_V().toArray());
            qkv = new GemmBias(new Panels(dm, 3 * hd, (i, col) -> {
                int part = col / hd, h = col % hd / dh, d = col % dh;
                return wqkv[part][(h * dm + i) * dh + d];
            }, bqkv));
            float[] wo = b.W_O().toArray();                     // [H, d_head, d_model] = [H d_head, d_model]
            out = new GemmBias(new Panels(hd, dm, (r, col) -> wo[r * dm + col], b.b_O().toArray()));
            float[] wIn = b.W_in().toArray();
            Panels inPanels = new Panels(dm, dMlp, (r, col) -> wIn[r * dMlp + col], b.b_in().toArray());
            mlpIn = new GemmBias(inPanels);
            fused = c.solu() ? null : new MlpInGeluMax(inPanels, c.actFn());
            if (last) {
                mlpOut = null;   // nothing reads the last block's output
            } else {
                float[] wOut = b.W_out().toArray();
                mlpOut = new GemmBias(new Panels(dMlp, dm, (r, col) -> wOut[r * dm + col], b.b_out().toArray()));
            }
        }

        private static float[] array(neuroscan.model.Tensor t) {
            return t == null ? null : t.toArray();
        }
    }

    private static float[] concat(float[]... parts) {
        float[] r = new float[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, r, o, p.length);
            o += p.length;
        }
        return r;
    }

    @Override
    public int neurons() {
        return cfg.neurons();
    }

    @Override
    public synchronized void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
        int nDocs = docs.size(), width = cfg.neurons();
        if ((long) nDocs * width > Math.min(max.length, argmax.length) || (positive != null && (long) nDocs * width > positive.length)) {
            throw new IllegalArgumentException("output arrays hold fewer than " + nDocs + " x " + width + " entries");
        }
        for (int d = 0; d < nDocs; d++) check(docs.get(d), "document " + d);
        // Longest first (ties: lower index first), sorted as (n_ctx - length, index) packed in a long.
        long[] keys = new long[nDocs];
        for (int d = 0; d < nDocs; d++) keys[d] = (long) (cfg.nCtx() - docs.get(d).length) << 32 | d;
        Arrays.sort(keys);
        int[] order = new int[nDocs];
        for (int i = 0; i < nDocs; i++) order[i] = (int) keys[i];
        int[] binStart = bins(docs, order);
        int nBins = binStart.length - 1;
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < Math.min(threads, nBins); t++) {
            Workspace ws = workspaces[t];
            running.add(pool.submit(() -> {
                for (int bin; (bin = next.getAndIncrement()) < nBins; ) {
                    runBin(ws, docs, order, binStart[bin], binStart[bin + 1], max, argmax, positive);
                }
            }));
        }
        RuntimeException failure = null;
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Error err) throw err;
                if (failure == null) failure = e.getCause() instanceof RuntimeException re ? re : new RuntimeException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while scanning", e);
            }
        }
        if (failure != null) throw failure;
    }

    /** Bins over docs in {@code order}: consecutive runs of at most n_ctx tokens and MAX_DOCS_PER_BIN docs. */
    private int[] bins(List<int[]> docs, int[] order) {
        int[] starts = new int[order.length + 1];
        int nBins = 0, rows = 0, count = 0;
        for (int i = 0; i < order.length; i++) {
            int len = docs.get(order[i]).length;
            if (i == 0 || rows + len > cfg.nCtx() || count == MAX_DOCS_PER_BIN) {
                starts[nBins++] = i;
                rows = 0;
                count = 0;
            }
            rows += len;
            count++;
        }
        starts[nBins] = order.length;
        return Arrays.copyOf(starts, nBins + 1);
    }

    private void runBin(Workspace ws, List<int[]> docs, int[] order, int from, int to, float[] max, int[] argmax, int[] positive) {
        int rows = 0, slots = to - from, dMlp = cfg.dMlp(), width = cfg.neurons();
        for (int s = 0; s < slots; s++) rows = place(ws, docs.get(order[from + s]), s, rows);
        embed.apply(ws.tokens, ws.pos, rows, ws.x, ws.ldx);
        for (int l = 0; l < layers.length; l++) {
            Layer ly = layers[l];
            attentionBlock(ly, ws, rows, slots);
            Arrays.fill(ws.max, 0, slots * ws.ldm, Float.NEGATIVE_INFINITY);
            Arrays.fill(ws.arg, 0, slots * ws.ldm, -1);
            int[] pos = positive == null ? null : ws.positive;
            if (pos != null) Arrays.fill(pos, 0, slots * ws.ldm, 0);
            if (ly.fused != null && ly.mlpOut == null) {
                ly.fused.apply(ws.a, ws.ldx, rows, ws.slot, ws.pos, ws.max, ws.arg, pos, ws.ldm, ws);
            } else {
                mlpActivations(ly, ws, rows);
                ColumnMax.fold(ws.h, ws.ldm, rows, dMlp, ws.slot, ws.pos, ws.max, ws.arg, pos, ws.ldm);
                mlpOutput(ly, ws, rows);
            }
            for (int s = 0; s < slots; s++) {
                int d = order[from + s];
                System.arraycopy(ws.max, s * ws.ldm, max, d * width + l * dMlp, dMlp);
                System.arraycopy(ws.arg, s * ws.ldm, argmax, d * width + l * dMlp, dMlp);
                if (pos != null) System.arraycopy(pos, s * ws.ldm, positive, d * width + l * dMlp, dMlp);
            }
        }
    }

    /** Appends a document's rows at {@code row} as slot s; returns the next free row. */
    private static int place(Workspace ws, int[] tokens, int s, int row) {
        ws.segStart[s] = row;
        ws.segLen[s] = tokens.length;
        for (int p = 0; p < tokens.length; p++, row++) {
            ws.tokens[row] = tokens[p];
            ws.pos[row] = p;
            ws.slot[row] = s;
        }
        return row;
    }

    /** One block up to its MLP input, rows [0, rows) of the residual ws.x: x += attn(LN1(x)); leaves LN2(x) in ws.a. */
    private void attentionBlock(Layer ly, Workspace ws, int rows, int slots) {
        ly.ln1.apply(ws.x, ws.ldx, rows, ws.a, ws.ldx, ws.lanes);
        ly.qkv.apply(ws.a, ws.ldx, rows, ws.qkv, ws.ldq, false, ws);
        for (int s = 0; s < slots; s++) attention.apply(ws.qkv, ws.ldq, ws.segStart[s], ws.segLen[s], ws.z, ws.ldz, ws);
        ly.out.apply(ws.z, ws.ldz, rows, ws.x, ws.ldx, true, ws);
        ly.ln2.apply(ws.x, ws.ldx, rows, ws.a, ws.ldx, ws.lanes);
    }

    /** The scanned hook into ws.h: W_in + b_in, then GELU, or SoLU (hook_mid). */
    private void mlpActivations(Layer ly, Workspace ws, int rows) {
        int dMlp = cfg.dMlp(), ldm = ws.ldm;
        ly.mlpIn.apply(ws.a, ws.ldx, rows, ws.h, ldm, false, ws);
        if (cfg.solu()) Solu.mid(ws.h, ldm, rows, dMlp, ws.row, ws.lanes);
        else for (int r = 0; r < rows; r++) ly.fused.activate(ws.h, r * ldm, dMlp, ws);
    }

    /** But for the last block: hook_post (SoLU: LN(hook_mid), in place) @ W_out + b_out into the residual. */
    private void mlpOutput(Layer ly, Workspace ws, int rows) {
        if (ly.mlpOut == null) return;
        if (ly.mlpLn != null) ly.mlpLn.apply(ws.h, ws.ldm, rows, ws.h, ws.ldm, ws.lanes);
        ly.mlpOut.apply(ws.h, ws.ldm, rows, ws.x, ws.ldx, true, ws);
    }

    /**
     * Per-position activations of every layer through the unfused path (GemmBias into [L x d_mlp], then the
     * activation), flat [L, neurons]; bitwise equal to what {@link #docMax} folds.
     */
    @Override
    public synchronized float[] hookPost(int[] tokens) {
        check(tokens, "document");
        Workspace ws = workspaces[0];
        int rows = place(ws, tokens, 0, 0), dMlp = cfg.dMlp(), ldm = ws.ldm, width = cfg.neurons();
        float[] out = new float[rows * width];
        float[] h = ws.h.length > 0 ? ws.h : new float[rows * ldm];
        embed.apply(ws.tokens, ws.pos, rows, ws.x, ws.ldx);
        for (int l = 0; l < layers.length; l++) {
            Layer ly = layers[l];
            attentionBlock(ly, ws, rows, 1);
            if (h == ws.h) {
                mlpActivations(ly, ws, rows);
            } else {   // single-layer GELU: no scratch of its own
                ly.mlpIn.apply(ws.a, ws.ldx, rows, h, ldm, false, ws);
                for (int r = 0; r < rows; r++) ly.fused.activate(h, r * ldm, dMlp, ws);
            }
            for (int r = 0; r < rows; r++) System.arraycopy(h, r * ldm, out, r * width + l * dMlp, dMlp);
            if (h == ws.h) mlpOutput(ly, ws, rows);
        }
        return out;
    }

    private void check(int[] tokens, String what) {
        if (tokens == null || tokens.length < 1 || tokens.length > cfg.nCtx()) {
            throw new IllegalArgumentException(what + " has " + (tokens == null ? "no" : tokens.length)
                    + " tokens; expected 1.." + cfg.nCtx() + " (n_ctx)");
        }
        for (int t : tokens) {
            if (t < 0 || t >= cfg.dVocab()) {
                throw new IllegalArgumentException(what + ": token id " + t + " outside vocabulary of " + cfg.dVocab());
            }
        }
    }

    @Override
    public String describe() {
        return "cpu (" + threads + (threads == 1 ? " thread, " : " threads, ") + VectorMath.F.vectorBitSize() + "-bit vectors)";
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
