/*
 * common.h: the portability layer every kernel file is built with. The OpenCL host prepends it to each
 * kernel source; so do the CUDA builds (nvcc at build time, NVRTC at run time). Kernels therefore spell
 * qualifiers, indices, barriers and math only through these macros, never in OpenCL- or CUDA-only words.
 *
 * Conventions: row-major float32 matrices, int indices (every buffer here is < 2^31 elements), a batch's
 * documents packed back to back: document d owns tokens [offsets[d], offsets[d+1]).
 */
#ifndef NEUROSCAN_COMMON_H
#define NEUROSCAN_COMMON_H

#ifdef __OPENCL_VERSION__
  #define KERNEL        __kernel
  #define GLOBAL        __global                 /* pointer into device memory                 */
  #define LOCAL_PTR     __local                  /* pointer into work-group (shared) memory    */
  #define LOCAL_DECL    __local                  /* declares a work-group array in a kernel    */
  #define DEVICE_FN     static inline            /* a helper called from kernels               */
  #define RESTRICT      restrict
  #define GLOBAL_ID(d)  ((int) get_global_id(d))
  #define LOCAL_ID(d)   ((int) get_local_id(d))
  #define GROUP_ID(d)   ((int) get_group_id(d))
  #define BARRIER()     barrier(CLK_LOCAL_MEM_FENCE)
  #define EXPF(x)       exp(x)
  #define ERFF(x)       erf(x)
  #define TANHF(x)      tanh(x)
  #define SQRTF(x)      sqrt(x)
  #define NEG_INF       (-INFINITY)
#else /* CUDA (nvcc, NVRTC): 1-D/2-D grids map onto blockIdx/threadIdx the same way */
  #define KERNEL        extern "C" __global__
  #define GLOBAL
  #define LOCAL_PTR
  #define LOCAL_DECL    __shared__
  #define DEVICE_FN     static __device__ __forceinline__
  #define RESTRICT      __restrict__
  #define NS_DIM3(v, d) ((d) == 0 ? (v).x : (d) == 1 ? (v).y : (v).z)
  #define LOCAL_ID(d)   ((int) NS_DIM3(threadIdx, d))
  #define GROUP_ID(d)   ((int) NS_DIM3(blockIdx, d))
  #define GLOBAL_ID(d)  ((int) (NS_DIM3(blockIdx, d) * NS_DIM3(blockDim, d) + NS_DIM3(threadIdx, d)))
  #define BARRIER()     __syncthreads()
  #define EXPF(x)       expf(x)
  #define ERFF(x)       erff(x)
  #define TANHF(x)      tanhf(x)
  #define SQRTF(x)      sqrtf(x)
  #define NEG_INF       (-__int_as_float(0x7f800000))
#endif

/* Activation selectors passed as an int kernel argument (host: Kernels.ACT_*). */
#define ACT_NONE      0
#define ACT_GELU      1   /* TransformerLens "gelu": exact, 0.5 x (1 + erf(x / sqrt 2)) */
#define ACT_GELU_NEW  2   /* "gelu_new": the tanh approximation */

DEVICE_FN float activation(int act, float x) {
    if (act == ACT_GELU) return 0.5f * x * (1.0f + ERFF(x * 0.70710678118654752f));
    if (act == ACT_GELU_NEW) {
        return 0.5f * x * (1.0f + TANHF(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    }
    return x;
}

/* The document that owns packed token t: the last d with offsets[d] <= t (binary search, offsets ascending). */
DEVICE_FN int doc_of(const GLOBAL int* offsets, int nDocs, int t) {
    int lo = 0, hi = nDocs - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if (offsets[mid] <= t) lo = mid; else hi = mid - 1;
    }
    return lo;
}

#endif
