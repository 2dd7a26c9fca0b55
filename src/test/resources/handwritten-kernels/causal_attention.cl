/*
 * causal_attention.cl: z[t, h] = softmax_j(q[t,h] . k[j,h] / sqrt(d_head)) @ v[j,h] over the keys j of
 * t's own document with j <= t. qkv is the fused projection [T, 3 * n_heads * D_HEAD] (q | k | v, head
 * major inside each); z is [T, n_heads * D_HEAD], ready for the W_O projection.
 *
 * One work-group per (block of ATT_BQ consecutive packed tokens, head); one work-item per query.
 * Keys and values are streamed through local memory in tiles of ATT_BK rows, shared by the whole
 * block, and folded into an ONLINE softmax (running max m, running sum l, rescaled accumulator), so the
 * L x L score matrix never exists: memory is O(T), and each K/V row is read once per block, not per query.
 * A block may straddle two documents; its key range starts at the first query's document, and each
 * query masks keys outside [its document's start, itself].
 * Grid: (ceil(T / ATT_BQ) * ATT_BQ, n_heads), work-group (ATT_BQ, 1). D_HEAD is a build option.
 */
#ifndef ATT_BQ
#define ATT_BQ 32
#endif
#ifndef ATT_BK
#define ATT_BK 32
#endif

KERNEL void causal_attention(const GLOBAL float* RESTRICT qkv, const GLOBAL int* RESTRICT offsets,
                             int nDocs, int T, int nHeads, GLOBAL float* RESTRICT z) {
    LOCAL_DECL float Ks[ATT_BK * D_HEAD];
    LOCAL_DECL float Vs[ATT_BK * D_HEAD];
    const int lid = LOCAL_ID(0), h = GROUP_ID(1);
    const int first = GROUP_ID(0) * ATT_BQ;
    const int t = first + lid;
    const int valid = t < T;
    const int dm = nHeads * D_HEAD, stride = 3 * dm;
    const int last = (first + ATT_BQ < T ? first + ATT_BQ : T) - 1;
    const int kBegin = offsets[doc_of(offsets, nDocs, first)], kEnd = last + 1;
    const int myStart = valid ? offsets[doc_of(offsets, nDocs, t)] : 0;

    const float scale = 1.0f / SQRTF((float) D_HEAD);
    float q[D_HEAD], acc[D_HEAD];
    for (int d = 0; d < D_HEAD; d++) {
        q[d] = valid ? qkv[t * stride + h * D_HEAD + d] * scale : 0.0f;
        acc[d] = 0.0f;
    }
    float m = NEG_INF, l = 0.0f;

    for (int k0 = kBegin; k0 < kEnd; k0 += ATT_BK) {
        for (int idx = lid; idx < ATT_BK * D_HEAD; idx += ATT_BQ) {
            const int kk = idx / D_HEAD, d = idx % D_HEAD, key = k0 + kk;
            const int base = key * stride + h * D_HEAD + d;
            Ks[idx] = key < kEnd ? qkv[base + dm] : 0.0f;
            Vs[idx] = key < kEnd ? qkv[base + 2 * dm] : 0.0f;
        }
        BARRIER();
        /* this query sees tile rows [lo, hi): keys in its document, not after itself */
        const int lo = (myStart > k0 ? myStart : k0) - k0;
        const int hi = (t + 1 < k0 + ATT_BK ? t + 1 : k0 + ATT_BK) - k0;
        if (valid && lo < hi) {
            float s[ATT_BK];
            float mt = NEG_INF;
            for (int kk = 0; kk < ATT_BK; kk++) {
                float dot = 0.0f;
                for (int d = 0; d < D_HEAD; d++) dot += q[d] * Ks[kk * D_HEAD + d];
                s[kk] = (kk >= lo && kk < hi) ? dot : NEG_INF;
                mt = s[kk] > mt ? s[kk] : mt;
            }
            /* rescale what was accumulated under the old max; exp(-inf) = 0 on the first tile */
            const float mNew = m > mt ? m : mt;
            const float corr = EXPF(m - mNew);
            l *= corr;
            for (int d = 0; d < D_HEAD; d++) acc[d] *= corr;
            for (int kk = 0; kk < ATT_BK; kk++) {
                const float p = EXPF(s[kk] - mNew);   /* masked keys: exp(-inf) = 0 */
                l += p;
                for (int d = 0; d < D_HEAD; d++) acc[d] += p * Vs[kk * D_HEAD + d];
            }
            m = mNew;
        }
        BARRIER();   /* before the next tile overwrites Ks/Vs */
    }
    if (valid) {
        const float inv = 1.0f / l;
        for (int d = 0; d < D_HEAD; d++) z[t * dm + h * D_HEAD + d] = acc[d] * inv;
    }
}
