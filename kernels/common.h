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
#endif

#endif
