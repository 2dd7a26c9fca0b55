#!/usr/bin/env python3
"""The GPU's measured FP32 peak: a kernel of 16 independent fmaf chains per thread (no memory traffic), launched
over every SM through the CUDA driver API with ctypes (no PyTorch), timed by CUDA events; the best of 5 launches
of >= 20 ms each. The PTX comes from nvcc (-ptx, for the GPU's compute capability) or, without nvcc, from NVRTC
(libnvrtc.so). Printed next to the theoretical peak at the reported clock (SMs x FP32 lanes x 2 x
CU_DEVICE_ATTRIBUTE_CLOCK_RATE): the clock a long FMA run holds under the power limit is usually lower. With
--torch (and a PyTorch that sees the GPU) also cuBLAS's FP32 SGEMM (8192^3, TF32 off) for comparison.

  fma_peak.py [--json FILE] [--torch] [--compile-only]

--compile-only builds the PTX and counts its fma.rn.f32 instructions without a driver (a dry run's check).
Prints one JSON line; --json FILE writes it there too. Exit 0 on success, 1 on an error, 2 without CUDA."""
import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CHAINS = 16
SOURCE = r"""
extern "C" __global__ void fma_peak(float *out, int iters, float a, float b) {
    float x[%(chains)d];
#pragma unroll
    for (int c = 0; c < %(chains)d; c++) x[c] = (float) (threadIdx.x + c);
    for (int i = 0; i < iters; i++) {
#pragma unroll
        for (int c = 0; c < %(chains)d; c++) x[c] = fmaf(x[c], a, b);
    }
    float s = 0.0f;
#pragma unroll
    for (int c = 0; c < %(chains)d; c++) s += x[c];
    if (s == 1234.5f) out[blockIdx.x * blockDim.x + threadIdx.x] = s;   /* never true: keeps the chains alive */
}
""" % {"chains": CHAINS}

# CUdevice_attribute values (cuda.h)
ATTR_CLOCK_RATE, ATTR_SMS, ATTR_CC_MAJOR, ATTR_CC_MINOR = 13, 16, 75, 76


def fp32_lanes(major, minor):
    """FP32 lanes per SM: 64 on Volta, Turing and GA100 (8.0); 128 from GA10x (8.6) on, Hopper included."""
    return 64 if major < 8 or (major, minor) == (8, 0) else 128


def nvcc_path():
    for c in (os.environ.get("NVCC"), shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"):
        if c and os.path.exists(c):
            return c
    return None


def build_ptx(arch, out):
    """PTX text for compute_XY; out["ptx_from"] says how."""
    nvcc = nvcc_path()
    if nvcc:
        with tempfile.TemporaryDirectory() as d:
            src, ptx = os.path.join(d, "fma_peak.cu"), os.path.join(d, "fma_peak.ptx")
            with open(src, "w") as f:
                f.write(SOURCE)
            r = subprocess.run([nvcc, "-ptx", f"-arch=compute_{arch}", "-o", ptx, src], capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"nvcc failed: {r.stderr.strip()[-400:]}")
            with open(ptx) as f:
                out["ptx_from"] = f"nvcc ({nvcc})"
                return f.read()
    nvrtc = None
    for name in ([os.environ["NEUROSCAN_NVRTC_LIB"]] if os.environ.get("NEUROSCAN_NVRTC_LIB") else []) + ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"]:
        try:
            nvrtc = ctypes.CDLL(name)
            break
        except OSError:
            pass
    if nvrtc is None:
        raise RuntimeError("neither nvcc nor libnvrtc.so found: no PTX")
    prog = ctypes.c_void_p()
    if nvrtc.nvrtcCreateProgram(ctypes.byref(prog), SOURCE.encode(), b"fma_peak.cu", 0, None, None) != 0:
        raise RuntimeError("nvrtcCreateProgram failed")
    opts = (ctypes.c_char_p * 1)(f"--gpu-architecture=compute_{arch}".encode())
    if nvrtc.nvrtcCompileProgram(prog, 1, opts) != 0:
        raise RuntimeError("nvrtcCompileProgram failed")
    n = ctypes.c_size_t()
    nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(n))
    buf = ctypes.create_string_buffer(n.value)
    nvrtc.nvrtcGetPTX(prog, buf)
    nvrtc.nvrtcDestroyProgram(ctypes.byref(prog))
    out["ptx_from"] = "NVRTC"
    return buf.value.decode()


def driver():
    cu = ctypes.CDLL("libcuda.so.1")
    P, U, I, F = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_float
    sig = {
        "cuInit": [U], "cuDeviceGet": [ctypes.POINTER(I), I], "cuDeviceGetAttribute": [ctypes.POINTER(I), I, I],
        "cuDeviceGetName": [ctypes.c_char_p, I, I], "cuDevicePrimaryCtxRetain": [ctypes.POINTER(P), I],
        "cuCtxSetCurrent": [P], "cuDevicePrimaryCtxRelease_v2": [I], "cuModuleLoadData": [ctypes.POINTER(P), ctypes.c_char_p],
        "cuModuleGetFunction": [ctypes.POINTER(P), P, ctypes.c_char_p], "cuModuleUnload": [P],
        "cuMemAlloc_v2": [ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t], "cuMemFree_v2": [ctypes.c_uint64],
        "cuEventCreate": [ctypes.POINTER(P), U], "cuEventRecord": [P, P], "cuEventSynchronize": [P],
        "cuEventElapsedTime": [ctypes.POINTER(F), P, P], "cuEventDestroy_v2": [P], "cuCtxSynchronize": [],
        "cuLaunchKernel": [P, U, U, U, U, U, U, U, P, ctypes.POINTER(P), ctypes.POINTER(P)],
    }
    for name, args in sig.items():
        fn = getattr(cu, name)
        fn.argtypes, fn.restype = args, ctypes.c_int
    return cu


def measure(out):
    try:
        cu = driver()
    except OSError as e:
        out["error"] = f"libcuda.so.1: {e}"
        return 2

    def call(name, *args):
        rc = getattr(cu, name)(*args)
        if rc != 0:
            raise RuntimeError(f"{name} returned CUDA error {rc}")

    P = ctypes.c_void_p
    call("cuInit", 0)
    dev = ctypes.c_int()
    call("cuDeviceGet", ctypes.byref(dev), 0)

    def attr(a):
        v = ctypes.c_int()
        call("cuDeviceGetAttribute", ctypes.byref(v), a, dev)
        return v.value

    name = ctypes.create_string_buffer(256)
    call("cuDeviceGetName", name, 256, dev)
    sms, khz, major, minor = attr(ATTR_SMS), attr(ATTR_CLOCK_RATE), attr(ATTR_CC_MAJOR), attr(ATTR_CC_MINOR)
    lanes = fp32_lanes(major, minor)
    out.update(gpu=name.value.decode(), sms=sms, clock_mhz=khz / 1e3, capability=f"{major}.{minor}", fp32_lanes_per_sm=lanes,
               theoretical_tflops=round(sms * lanes * 2 * khz * 1e3 / 1e12, 2))
    ptx = build_ptx(f"{major}{minor}", out)
    ctx = P()
    call("cuDevicePrimaryCtxRetain", ctypes.byref(ctx), dev)
    call("cuCtxSetCurrent", ctx)
    mod, fn = P(), P()
    call("cuModuleLoadData", ctypes.byref(mod), ptx.encode() + b"\0")
    call("cuModuleGetFunction", ctypes.byref(fn), mod, b"fma_peak")
    block, blocks = 256, sms * 8
    buf = ctypes.c_uint64()
    call("cuMemAlloc_v2", ctypes.byref(buf), ctypes.c_size_t(4 * block * blocks))
    e0, e1 = P(), P()
    call("cuEventCreate", ctypes.byref(e0), 0)
    call("cuEventCreate", ctypes.byref(e1), 0)
    iters, a, b = ctypes.c_int(4096), ctypes.c_float(0.999999), ctypes.c_float(1e-6)

    def launch():
        params = (P * 4)(*(ctypes.addressof(v) for v in (buf, iters, a, b)))
        call("cuEventRecord", e0, None)
        call("cuLaunchKernel", fn, blocks, 1, 1, block, 1, 1, 0, None, params, None)
        call("cuEventRecord", e1, None)
        call("cuEventSynchronize", e1)
        ms = ctypes.c_float()
        call("cuEventElapsedTime", ctypes.byref(ms), e0, e1)
        return ms.value

    launch()                                                    # warm-up: module loaded, clocks up
    while True:
        ms = launch()
        if ms >= 20 or iters.value >= 1 << 26:
            break
        iters.value *= 2
    best = min(launch() for _ in range(5))
    flop = 2.0 * CHAINS * iters.value * block * blocks
    out.update(iters=iters.value, threads=block * blocks, launch_ms=round(best, 3),
               measured_tflops=round(flop / (best / 1e3) / 1e12, 2))
    out["pct_of_theoretical"] = round(100 * out["measured_tflops"] / out["theoretical_tflops"], 1)
    for e in (e0, e1):
        cu.cuEventDestroy_v2(e)
    cu.cuMemFree_v2(buf)
    cu.cuModuleUnload(mod)
    cu.cuDevicePrimaryCtxRelease_v2(dev)
    return 0


def torch_sgemm(out, n=8192, reps=10):
    try:
        import torch
    except ImportError:
        out["sgemm_note"] = "no torch"
        return
    if not torch.cuda.is_available():
        out["sgemm_note"] = "torch sees no GPU"
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    x = torch.randn(n, n, device="cuda")
    y = torch.randn(n, n, device="cuda")
    torch.mm(x, y)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(x, y)
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    out.update(sgemm_n=n, sgemm_ms=round(best * 1e3, 3), sgemm_tflops=round(2.0 * n ** 3 / best / 1e12, 2),
               sgemm_torch=torch.__version__)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--torch", action="store_true", help="also time cuBLAS FP32 SGEMM through PyTorch")
    ap.add_argument("--compile-only", action="store_true", help="build the PTX (compute_90) and count its FMAs; no driver")
    a = ap.parse_args()
    out, rc = {}, 0
    try:
        if a.compile_only:
            ptx = build_ptx("90", out)
            out["ptx_fma_f32"] = len(re.findall(r"\bfma\.rn\.f32\b", ptx))
            rc = 0 if out["ptx_fma_f32"] >= CHAINS else 1
        else:
            rc = measure(out)
            if rc == 0 and a.torch:
                torch_sgemm(out)
    except (RuntimeError, AttributeError, OSError) as e:
        out["error"] = str(e)
        rc = 1
    line = json.dumps(out)
    print(line)
    if a.json:
        with open(a.json, "w") as f:
            f.write(line + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
