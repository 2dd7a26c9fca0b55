/*
 * embed.cl: x[t] = W_E[tokens[t]] + W_pos[p], p = t's position inside its own document.
 * The batch packs several documents back to back (document d owns [offsets[d], offsets[d+1])), so the
 * position restarts at 0 for every document. One work-item per (t, i) with i along dimension 0: a
 * work-group reads consecutive floats of one embedding row. Purely memory bound, so no tiling.
 * Token ids are checked on the host before upload.
 */
KERNEL void embed(const GLOBAL int* RESTRICT tokens, const GLOBAL int* RESTRICT offsets, int nDocs, int T,
                  int dModel, const GLOBAL float* RESTRICT W_E, const GLOBAL float* RESTRICT W_pos,
                  GLOBAL float* RESTRICT x) {
    const int i = GLOBAL_ID(0), t = GLOBAL_ID(1);
    if (i >= dModel || t >= T) return;
    const int p = t - offsets[doc_of(offsets, nDocs, t)];
    /* W_E is [d_vocab, d_model]: 48262 x 512 still fits an int index, but widen for larger vocabularies. */
    x[t * dModel + i] = W_E[(long) tokens[t] * dModel + i] + W_pos[p * dModel + i];
}
