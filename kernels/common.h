/*
 * common.h: the portability layer every kernel is built with. The kernels are Java (the files under
 * kernels/neuroscan/kernels/); the build translates each to C that spells qualifiers, indices, barriers and math only
 * through these macros, never in OpenCL- or CUDA-only words. The hosts prepend this file to each
 * generated kernel: the OpenCL host at run time, nvcc at build time, NVRTC at run time.
 *
 * Conventions: row-major float32 matrices, int indices (every buffer here is < 2^31 elements).
 */
#ifndef NEUROSCAN_COMMON_H
#define NEUROSCAN_COMMON_H

#ifdef __OPENCL_VERSION__
  #define KERNEL          __kernel
  #define GLOBAL          __global                 /* pointer into device memory                 */
  #define LOCAL_PTR       __local                  /* pointer into work-group (shared) memory    */
  #define LOCAL_DECL      __local                  /* declares a work-group array in a kernel    */
  #define DEVICE_FN       static inline            /* a helper called from kernels               */
  #define RESTRICT        restrict
  #define GLOBAL_ID(d)    ((int) get_global_id(d))
  #define LOCAL_ID(d)     ((int) get_local_id(d))
  #define GROUP_ID(d)     ((int) get_group_id(d))
  #define LOCAL_SIZE(d)   ((int) get_local_size(d))
  #define NUM_GROUPS(d)   ((int) get_num_groups(d))
  #define GLOBAL_SIZE(d)  ((int) get_global_size(d))
  #define BARRIER()       barrier(CLK_LOCAL_MEM_FENCE)
  #define EXPF(x)         exp(x)
  #define ERFF(x)         erf(x)
  #define TANHF(x)        tanh(x)
  #define SQRTF(x)        sqrt(x)
  #define RSQRTF(x)       rsqrt(x)
  #define FMAF(a, b, c)   fma(a, b, c)
  #define FMAXF(a, b)     fmax(a, b)
  #define FMINF(a, b)     fmin(a, b)
  #define FABSF(x)        fabs(x)
  #define F2I(x)          convert_int_sat_rtz(x)   /* Java's (int) f: toward zero, saturating, NaN -> 0 */
  #define NEG_INF         (-INFINITY)
  #define POS_INF         INFINITY
  #define NS_AS_UINT(x)   as_uint(x)
  #define NS_AS_FLOAT(x)  as_float(x)
#else /* CUDA (nvcc, NVRTC): 1-D to 3-D grids map onto blockIdx/threadIdx the same way */
  #define KERNEL          extern "C" __global__
  #define GLOBAL
  #define LOCAL_PTR
  #define LOCAL_DECL      __shared__
  #define DEVICE_FN       static __device__ __forceinline__
  #define RESTRICT        __restrict__
  #define NS_DIM3(v, d)   ((d) == 0 ? (v).x : (d) == 1 ? (v).y : (v).z)
  #define LOCAL_ID(d)     ((int) NS_DIM3(threadIdx, d))
  #define GROUP_ID(d)     ((int) NS_DIM3(blockIdx, d))
  #define LOCAL_SIZE(d)   ((int) NS_DIM3(blockDim, d))
  #define NUM_GROUPS(d)   ((int) NS_DIM3(gridDim, d))
  #define GLOBAL_ID(d)    ((int) (NS_DIM3(blockIdx, d) * NS_DIM3(blockDim, d) + NS_DIM3(threadIdx, d)))
  #define GLOBAL_SIZE(d)  ((int) (NS_DIM3(gridDim, d) * NS_DIM3(blockDim, d)))
  #define BARRIER()       __syncthreads()
  #define EXPF(x)         expf(x)
  #define ERFF(x)         erff(x)
  #define TANHF(x)        tanhf(x)
  #define SQRTF(x)        sqrtf(x)
  #define RSQRTF(x)       rsqrtf(x)
  #define FMAF(a, b, c)   fmaf(a, b, c)
  #define FMAXF(a, b)     fmaxf(a, b)
  #define FMINF(a, b)     fminf(a, b)
  #define FABSF(x)        fabsf(x)
  #define F2I(x)          __float2int_rz(x)        /* cvt.rzi.s32.f32: saturating, NaN -> 0, as Java */
  #define NEG_INF         (-__int_as_float(0x7f800000))
  #define POS_INF         __int_as_float(0x7f800000)
  #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    #define NS_MMA_HW     1                        /* tensor cores with TF32: mma.sync, cvt.rna.tf32 */
  #endif
  #define NS_AS_UINT(x)   __float_as_uint(x)
  #define NS_AS_FLOAT(x)  __uint_as_float(x)
#endif

/*
 * TF32 and the warp's matrix multiply-accumulate (Java: KernelMath.tf32, KernelContext.mmaTf32; the model
 * both halves share below sm_80 and on OpenCL is neuroscan.kernel.Mma, which the CPU runner runs).
 * D[16x8] = A[16x8] B[8x8] + C: A(r, k) = a[r * aRow + k * aCol], B(k, c) = b[k * bRow + c * bCol] in
 * work-group memory; each lane's acc[0..4) holds D at rows g, g + 8 and columns 2t, 2t + 1 (g = lane / 4,
 * t = lane % 4), PTX's fragment layout for mma.m16n8k8.
 */
#define NS_LANE()       ((LOCAL_ID(0) + LOCAL_SIZE(0) * (LOCAL_ID(1) + LOCAL_SIZE(1) * LOCAL_ID(2))) & 31)
#define TF32F(x)        ns_tf32(x)
#define MMA_TF32(a, aOff, aRow, aCol, b, bOff, bRow, bCol, acc, accOff) \
    ns_mma_tf32((a) + (aOff), aRow, aCol, (b) + (bOff), bRow, bCol, (acc) + (accOff))

/* Round to nearest, ties away from zero, to a 10-bit significand (cvt.rna.tf32.f32); inf and NaN unchanged. */
DEVICE_FN float ns_tf32(float x) {
#ifdef NS_MMA_HW
    unsigned int u;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(u) : "f"(x));
    return NS_AS_FLOAT(u & 0xffffe000u);
#else
    const unsigned int u = NS_AS_UINT(x);
    if ((u & 0x7f800000u) == 0x7f800000u) return x;
    return NS_AS_FLOAT((u + 0x1000u) & 0xffffe000u);
#endif
}

DEVICE_FN void ns_mma_tf32(const LOCAL_PTR float* a, int aRow, int aCol, const LOCAL_PTR float* b, int bRow, int bCol,
                           float* acc) {
    const int lane = NS_LANE(), g = lane >> 2, t = lane & 3;
#ifdef NS_MMA_HW
    const unsigned int a0 = NS_AS_UINT(ns_tf32(a[g * aRow + t * aCol])), a1 = NS_AS_UINT(ns_tf32(a[(g + 8) * aRow + t * aCol]));
    const unsigned int a2 = NS_AS_UINT(ns_tf32(a[g * aRow + (t + 4) * aCol])), a3 = NS_AS_UINT(ns_tf32(a[(g + 8) * aRow + (t + 4) * aCol]));
    const unsigned int b0 = NS_AS_UINT(ns_tf32(b[t * bRow + g * bCol])), b1 = NS_AS_UINT(ns_tf32(b[(t + 4) * bRow + g * bCol]));
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(acc[0]), "+f"(acc[1]), "+f"(acc[2]), "+f"(acc[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#else
    for (int i = 0; i < 4; i++) {   /* products of TF32 values are exact: the sums are the only roundings */
        const int r = g + 8 * (i >> 1), c = 2 * t + (i & 1);
        float s = acc[i];
        for (int k = 0; k < 8; k++) s = FMAF(ns_tf32(a[r * aRow + k * aCol]), ns_tf32(b[k * bRow + c * bCol]), s);
        acc[i] = s;
    }
#endif
}

#endif
