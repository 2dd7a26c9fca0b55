/*
 * layer_norm.cl: y[t] = (x[t] - mean) / sqrt(var + eps) * w + b  (TransformerLens LN; with affine == 0
 * it is LNPre: no w, b). One work-group of LN_WG work-items per row: each work-item sums a strided
 * part of the row, then a tree reduction in local memory combines them. Two passes (mean, then the
 * mean of squared deviations) rather than E[x^2] - E[x]^2, which cancels badly for large means.
 */
#ifndef LN_WG
#define LN_WG 64   /* a power of two, for the tree reduction */
#endif

/* Sum of every work-item's v over the work-group; all work-items get the result. */
DEVICE_FN float group_sum(float v, LOCAL_PTR float* red) {
    const int lid = LOCAL_ID(0);
    red[lid] = v;
    BARRIER();
    for (int s = LN_WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        BARRIER();
    }
    float total = red[0];
    BARRIER();   /* red is reused by the next reduction */
    return total;
}

KERNEL void layer_norm(const GLOBAL float* RESTRICT x, const GLOBAL float* RESTRICT w,
                       const GLOBAL float* RESTRICT b, GLOBAL float* RESTRICT y, int dModel, float eps,
                       int affine) {
    LOCAL_DECL float red[LN_WG];
    const int row = GROUP_ID(0), lid = LOCAL_ID(0);
    const GLOBAL float* xr = x + row * dModel;
    float s = 0.0f;
    for (int i = lid; i < dModel; i += LN_WG) s += xr[i];
    const float mean = group_sum(s, red) / dModel;
    float q = 0.0f;
    for (int i = lid; i < dModel; i += LN_WG) {
        float d = xr[i] - mean;
        q += d * d;
    }
    const float inv = 1.0f / SQRTF(group_sum(q, red) / dModel + eps);
    for (int i = lid; i < dModel; i += LN_WG) {
        float v = (xr[i] - mean) * inv;
        y[row * dModel + i] = affine ? v * w[i] + b[i] : v;
    }
}
