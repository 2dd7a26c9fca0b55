package neuroscan.engine.cpu;

import neuroscan.model.ModelConfig;

import static neuroscan.engine.cpu.Microkernel.MR;
import static neuroscan.engine.cpu.Microkernel.NR;
import static neuroscan.engine.cpu.Microkernel.roundUp;

/**
 * One thread's scratch, sized once by n_ctx (a bin holds at most n_ctx tokens and
 * {@link CpuEngine#MAX_DOCS_PER_BIN} documents), so the engine's memory does not grow with the number of
 * documents: about 14 MiB per thread for gelu-1l (8 MiB more with more layers or SoLU: {@link #h}). Row strides are rounded up to the 64-float tile width
 * so the kernels store whole tiles.
 */
final class Workspace {
    final int ldx, ldq, ldz, lds, ldm;
    /** Per row of the bin: token id, position in its document, document slot. */
    final int[] tokens, pos, slot;
    /** Per document slot: first row and length. */
    final int[] segStart, segLen;
    /** Residual stream, LayerNorm output, fused q|k|v, attention heads output: [rows x ld]. */
    final float[] x, a, qkv, z;
    /** Attention: keys and values packed per head, a block's scores [MR x lds], 1/sum per query. */
    final float[] keyPanels, valuePanels, scores, rowScale;
    /** Microkernel row-tail operand [MR x k] and a C tile [MR x NR]. */
    final float[] aTail, cTile;
    /** Gather offsets (row strides) for the key transpose. */
    final int[] rowIndex = new int[VectorMath.VL];
    /** One vector, for fixed-order lane sums. */
    final float[] lanes = new float[VectorMath.VL];
    /** MlpInGeluMax: the tile's vectors that need GELU. */
    final int[] todo = new int[MR * NR / VectorMath.VL];
    /** VectorMath's GELU scratch, one vector per todo entry. */
    final float[] geluTmp = new float[MR * NR];
    /** Running max / argmax per document slot and neuron of the layer being folded: [slots x ldm]. */
    final float[] max;
    final int[] arg;
    /**
     * One layer's MLP activations [rows x ldm], for every layer but a GELU model's last (whose activations are
     * folded straight from the GEMM's registers): the input of W_out, and what SoLU's row-wise softmax needs
     * whole. Empty for single-layer GELU models. {@code row}: one row of scratch (SoLU's exponentials).
     */
    final float[] h, row;
    /** Positions with activation > 0 per document slot and neuron: [slots x ldm]. */
    final int[] positive;

    Workspace(ModelConfig c, int maxDocs) {
        int rowsCap = roundUp(c.nCtx(), MR), hd = c.nHeads() * c.dHead();
        ldx = roundUp(c.dModel(), NR);
        ldq = roundUp(3 * hd, NR);
        ldz = roundUp(hd, NR);
        lds = roundUp(c.nCtx(), NR);
        ldm = roundUp(c.dMlp(), NR);
        tokens = new int[rowsCap];
        pos = new int[rowsCap];
        slot = new int[rowsCap];
        segStart = new int[maxDocs];
        segLen = new int[maxDocs];
        x = new float[rowsCap * ldx];
        a = new float[rowsCap * ldx];
        qkv = new float[rowsCap * ldq];
        z = new float[rowsCap * ldz];
        keyPanels = new float[lds * c.dHead()];
        valuePanels = new float[lds * roundUp(c.dHead(), NR)];
        scores = new float[MR * lds];
        rowScale = new float[MR];
        boolean materialize = c.nLayers() > 1 || c.solu();
        // the W_out GEMM's rows are d_mlp long
        aTail = new float[MR * Math.max(Math.max(c.dModel(), hd), Math.max(c.dHead(), materialize ? c.dMlp() : 0))];
        cTile = new float[MR * NR];
        max = new float[maxDocs * ldm];
        arg = new int[maxDocs * ldm];
        h = new float[materialize ? rowsCap * ldm : 0];
        row = new float[c.solu() ? ldm : 0];
        positive = new int[maxDocs * ldm];
    }
}
