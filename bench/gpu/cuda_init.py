#!/usr/bin/env python3
"""What a fresh process pays before its first kernel: dlopen(libcuda.so.1), cuInit, the primary context
and a first 256 MiB allocation, through the driver API with ctypes (no PyTorch). A floor under any
one-process scan's end-to-end time. Prints one JSON line; --json FILE appends it there too."""
import ctypes
import json
import sys
import time


def main():
    out = {}
    t = time.perf_counter()
    try:
        cu = ctypes.CDLL("libcuda.so.1")
    except OSError as e:
        print(json.dumps({"error": f"libcuda.so.1: {e}"}))
        return 1
    out["dlopen_ms"] = (time.perf_counter() - t) * 1e3

    def call(name, *args):
        rc = getattr(cu, name)(*args)
        if rc != 0:
            raise RuntimeError(f"{name} returned CUDA error {rc}")

    try:
        t = time.perf_counter()
        call("cuInit", 0)
        out["cuInit_ms"] = (time.perf_counter() - t) * 1e3
        v = ctypes.c_int()
        call("cuDriverGetVersion", ctypes.byref(v))
        out["driver_api_version"] = f"{v.value // 1000}.{v.value % 1000 // 10}"
        dev, ctx = ctypes.c_int(), ctypes.c_void_p()
        t = time.perf_counter()
        call("cuDeviceGet", ctypes.byref(dev), 0)
        call("cuDevicePrimaryCtxRetain", ctypes.byref(ctx), dev)
        call("cuCtxSetCurrent", ctx)
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        call("cuMemGetInfo_v2", ctypes.byref(free), ctypes.byref(total))
        out["context_ms"] = (time.perf_counter() - t) * 1e3
        ptr = ctypes.c_uint64()
        t = time.perf_counter()
        call("cuMemAlloc_v2", ctypes.byref(ptr), ctypes.c_size_t(256 << 20))
        out["alloc_256mib_ms"] = (time.perf_counter() - t) * 1e3
        call("cuMemFree_v2", ptr)
        call("cuDevicePrimaryCtxRelease_v2", dev)
    except (RuntimeError, AttributeError) as e:
        out["error"] = str(e)
    out = {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}
    line = json.dumps(out)
    print(line)
    if len(sys.argv) > 2 and sys.argv[1] == "--json":
        with open(sys.argv[2], "a") as f:
            f.write(line + "\n")
    return 1 if "error" in out else 0


if __name__ == "__main__":
    sys.exit(main())
