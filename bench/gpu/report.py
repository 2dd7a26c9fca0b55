#!/usr/bin/env python3
"""results.md and results.json for bench/gpu-check.sh, from its scratch directory: the checks table
(steps.tsv), the scans' manifests and wall clocks (walls.tsv), the store comparisons and PyTorch
timings (json/), the GPU's description and measured FP32 peak (json/fma-peak.json), the sm_90 build of the
kernels (json/nvcc-sm90.tsv) and the per-task timing log (logs/kernel-timing.log). Needs numpy only; every
section copes with missing pieces (a failed step leaves a hole, not a crash)."""
import argparse
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_numpy  # noqa: E402

# FP32 lanes per SM by compute capability (CUDA C Programming Guide, arithmetic instruction throughput)
FP32_LANES = {(6, 0): 64, (7, 0): 64, (7, 5): 64, (8, 0): 64}


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_tsv(path, cols):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                rows.append(dict(zip(cols, parts + [""] * (len(cols) - len(parts)))))
    except OSError:
        pass
    return rows


def fmt(v, spec=".2f", none="-"):
    return none if v is None else format(v, spec)


def gpu_info(work):
    info = {}
    t = load_json(os.path.join(work, "json", "torch.json")) or {}
    info.update(t)
    try:
        with open(os.path.join(work, "json", "nvidia-smi.csv")) as f:
            cols = [x.strip() for x in f.readline().split(",")]
        info.update(smi_name=cols[0], driver=cols[1], mem_mib=cols[2], max_sm_mhz=float(cols[3]))
        if len(cols) > 4:
            info["persistence_mode"] = cols[4]
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(work, "json", "cuda-version.txt")) as f:
            info["cuda_driver_version"] = f.read().split(":")[-1].strip()
    except OSError:
        pass
    try:
        with open(os.path.join(work, "json", "cuda-init.jsonl")) as f:
            info["cuda_init"] = [json.loads(l) for l in f if l.strip()]
    except (OSError, ValueError):
        pass
    if info.get("sms") and info.get("max_sm_mhz"):
        cap = tuple(info.get("capability") or (9, 0))
        lanes = FP32_LANES.get(cap, 128)
        info["fp32_lanes_per_sm"] = lanes
        info["fp32_peak_tflops"] = info["sms"] * lanes * 2 * info["max_sm_mhz"] * 1e6 / 1e12
    fma = load_json(os.path.join(work, "json", "fma-peak.json")) or {}
    if fma.get("measured_tflops"):
        info["fma_peak"] = fma
    return info


def peak_of(gpu):
    """(TFLOP/s, what it is): the measured FP32 FMA peak where fma_peak.py ran, else the theoretical one."""
    if gpu.get("fma_peak"):
        return gpu["fma_peak"]["measured_tflops"], "measured (bench/gpu/fma_peak.py)"
    if gpu.get("fp32_peak_tflops"):
        return gpu["fp32_peak_tflops"], "theoretical at the max SM clock (fma_peak.py did not run)"
    return None, None


def model_cfg(work):
    c = load_json(os.path.join(work, "model", "config.json")) or {}
    return {k: c.get(k) for k in ("d_model", "n_heads", "d_head", "d_mlp", "n_ctx")}


def forward_flop(lengths, cfg):
    """2 per multiply-add: projections (QKV, W_O, W_in) per token + causal attention (QK^T and PV)."""
    dm, h, dh, mlp = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"]
    proj = 2 * dm * (3 * h * dh + dm + mlp)
    return sum(L * proj + 2 * (h * dh) * L * (L + 1) for L in lengths)


def scans(work, cfg, lengths):
    walls = {}
    for r in read_tsv(os.path.join(work, "walls.tsv"), ["run", "wall"]):
        walls[r["run"]] = float(r["wall"])
    out = []
    for name in sorted(walls, key=lambda n: (not n.startswith("cpu-cold"), n)):
        m = load_json(os.path.join(work, "runs", name, "manifest.json")) or {}
        t = m.get("timings", {})
        row = {"run": name, "backend": m.get("backend", "?"), "topk_merge": m.get("topk_merge"), "docs": m.get("n_docs"), "tokens": m.get("n_tokens"),
               "include_padding": m.get("include_padding"), "wall_s": walls[name], "total_s": t.get("total_s"),
               "compute_s": t.get("compute_s"), "tokenize_s": t.get("tokenize_s")}
        if lengths is not None and cfg.get("d_model") and m.get("doc_end") is not None:
            ls = lengths[m["doc_start"]:m["doc_end"]]
            if m.get("include_padding"):
                ls = [cfg["n_ctx"]] * len(ls)
            row["flop"] = forward_flop(ls, cfg)
        out.append(row)
    return out


TASK_ROW = re.compile(r"^(\w+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(-?[0-9.]+|NaN|Infinity)%\s*$")


def kernel_timing(work):
    """(raw log, [task rows: task, ms, gflop, gflops, gbs, pct_reported]) of CudaKernelTiming's table."""
    try:
        with open(os.path.join(work, "logs", "kernel-timing.log")) as f:
            raw = f.read()
    except OSError:
        return None, []
    rows = []
    for line in raw.splitlines():
        m = TASK_ROW.match(line.strip())
        if m and m.group(1) not in ("task", "sum"):
            rows.append({"task": m.group(1), "ms": float(m.group(2)), "gflop": float(m.group(3)),
                         "gflops": float(m.group(4)), "gbs": float(m.group(5)), "pct_reported": m.group(6)})
    return raw, rows


def nvcc_sm90(work):
    return read_tsv(os.path.join(work, "json", "nvcc-sm90.tsv"), ["kernel", "registers", "spill", "stack", "smem"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int)
    ap.add_argument("--seed-docs", type=int)
    ap.add_argument("--reps", type=int)
    ap.add_argument("--elapsed", type=float)
    a = ap.parse_args()
    work = a.work
    steps = read_tsv(os.path.join(work, "steps.tsv"), ["name", "status", "secs", "note"])
    gpu = gpu_info(work)
    cfg = model_cfg(work)
    lengths = None
    try:
        _, docs = st_numpy.read_tokens(os.path.join(work, "runs", "cpu-cold", "tokens.safetensors"))
        lengths = [len(d) for d in docs]
    except (OSError, ValueError, KeyError):
        pass
    runs = scans(work, cfg, lengths)
    peak, _ = peak_of(gpu)
    for r in runs:
        if r.get("flop") and r.get("compute_s"):
            r["forward_gflops"] = r["flop"] / r["compute_s"] / 1e9
            if peak and not r["run"].startswith("cpu"):
                r["forward_pct_peak"] = 100 * r["forward_gflops"] / 1e3 / peak
    seed = load_json(os.path.join(work, "json", "seed.json")) or {}
    cuda = [r for r in runs if re.fullmatch(r"cuda-\d+", r["run"])]
    cuda_walls = [r["wall_s"] for r in cuda]
    cuda_min = min(cuda_walls) if cuda_walls else None
    cuda_med = statistics.median(cuda_walls) if cuda_walls else None
    cuda_fwd = statistics.median([r["compute_s"] for r in cuda if r.get("compute_s")]) if any(r.get("compute_s") for r in cuda) else None
    raw_kt, tasks = kernel_timing(work)
    peak_t, peak_what = peak_of(gpu)
    for t in tasks:
        t["pct_peak"] = 100 * t["gflops"] / 1e3 / peak_t if peak_t else None
    mlp = next((t for t in tasks if t["task"] == "mlp_in_gelu_max"), None)
    mlp_pct = mlp["pct_peak"] if mlp else None
    compares = {}
    for p in sorted(glob.glob(os.path.join(work, "json", "store-*.json"))):
        compares[os.path.basename(p)[:-5]] = load_json(p)
    for key in ("compare_seed", "compare_best"):
        if key in seed:
            compares[key.replace("_", "-")] = seed[key]

    full = a.seed_docs == a.docs
    seed_s, best_s = seed.get("seed_s"), seed.get("best_s")
    ratio = seed_s / cuda_med if seed_s and cuda_med and full else None
    ratio_best = best_s / cuda_med if best_s and cuda_med and full else None
    small = a.docs < 10000
    few = "fewer than 10,000 documents" if small else None
    cuda_walls_s = f"min {fmt(cuda_min, '.3f')} s, median {fmt(cuda_med, '.3f')} s of {len(cuda_walls)}" if cuda_walls else "not measured"
    cuda_fwds = [r["compute_s"] for r in cuda if r.get("compute_s") is not None]
    goals = [
        {"goal": "MLP GEMM (task mlp_in_gelu_max, CudaKernelTiming) vs the FP32 peak"
                 + (f" ({peak_t:.1f} TFLOP/s, {peak_what})" if peak_t else ""),
         "measured": f"{mlp['gflops'] / 1e3:.2f} TFLOP/s = {mlp_pct:.1f}%" if mlp_pct is not None else "not measured",
         "target": ">= 50% of the measured peak", "met": (mlp_pct >= 50) if mlp_pct is not None else None},
        {"goal": f"{a.docs:,}-document scan, tokens cached: compute (manifest compute_s, median of the CUDA runs)",
         "measured": f"min {min(cuda_fwds):.3f} s, median {cuda_fwd:.3f} s" if cuda_fwds else "not measured",
         "target": "< 0.7 s", "met": (cuda_fwd < 0.7) if cuda_fwds and not small else None, "why": few if cuda_fwds else None},
        {"goal": f"{a.docs:,}-document scan, tokens cached: end to end (JVM start to exit, median)",
         "measured": cuda_walls_s, "target": "< 2 s",
         "met": (cuda_med < 2.0) if cuda_walls and not small else None, "why": few if cuda_walls else None},
        {"goal": "vs the seed's PyTorch pipeline on the same GPU (seed loop time / neuroscan median wall)",
         "measured": f"{fmt(seed_s, '.3f')} s / {fmt(cuda_med, '.3f')} s = {fmt(ratio, '.1f')}x" if ratio else "not measured",
         "target": ">= 20x", "met": (ratio >= 20) if ratio is not None else None},
        {"goal": "vs the best plain PyTorch pipeline on the same GPU (its loop time / neuroscan median wall)",
         "measured": f"{fmt(best_s, '.3f')} s / {fmt(cuda_med, '.3f')} s = {fmt(ratio_best, '.1f')}x" if ratio_best else "not measured",
         "target": ">= 2x", "met": (ratio_best >= 2) if ratio_best is not None else None},
    ]
    n_fail = sum(s["status"] == "FAIL" for s in steps)
    n_pass = sum(s["status"] == "PASS" for s in steps)
    n_skip = sum(s["status"] == "SKIP" for s in steps)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except OSError:
        commit = ""
    bundle_txt = ""
    for p in (os.environ.get("GPU_BUNDLE", ""), "target/gpu-bundle"):
        if p and os.path.exists(os.path.join(p, "BUNDLE.txt")):
            with open(os.path.join(p, "BUNDLE.txt")) as f:
                bundle_txt = f.readline().strip()
            break

    L = []
    w = L.append
    w(f"# neuroscan GPU check ({datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')})")
    w("")
    w(f"Tree {commit or '?'}{'; bundle: ' + bundle_txt if bundle_txt else ''}. `bench/gpu-check.sh` with DOCS={a.docs}, "
      f"SEED_DOCS={a.seed_docs}, REPS={a.reps}; {fmt(a.elapsed, '.0f')} s in all.")
    w("")
    if gpu.get("name") or gpu.get("smi_name"):
        w(f"GPU: {gpu.get('name') or gpu.get('smi_name')}, {gpu.get('sms', '?')} SMs, compute capability "
          f"{'.'.join(map(str, gpu.get('capability', []))) or '?'}, {gpu.get('mem_gib', '?')} GiB; driver {gpu.get('driver', '?')}, "
          f"CUDA {gpu.get('cuda_driver_version', '?')} (driver), PyTorch {gpu.get('torch', '?')} (CUDA {gpu.get('torch_cuda', '?')}).")
        if gpu.get("persistence_mode"):
            w(f"Persistence mode: {gpu['persistence_mode']} (when disabled, every new process pays the driver's start-up).")
        for i, c in enumerate(gpu.get("cuda_init", [])):
            w(f"CUDA start-up in a fresh process #{i + 1} (`bench/gpu/cuda_init.py`): dlopen {c.get('dlopen_ms')} ms, "
              f"cuInit {c.get('cuInit_ms')} ms, primary context {c.get('context_ms')} ms, first 256 MiB cuMemAlloc "
              f"{c.get('alloc_256mib_ms')} ms{'; ' + c['error'] if c.get('error') else ''}.")
        if gpu.get("fp32_peak_tflops"):
            w(f"FP32 peak: {gpu['sms']} SMs x {gpu['fp32_lanes_per_sm']} lanes x 2 FLOP x {gpu['max_sm_mhz']:.0f} MHz "
              f"(max SM clock) = {gpu['fp32_peak_tflops']:.1f} TFLOP/s.")
        f = gpu.get("fma_peak")
        if f:
            w(f"Measured FP32 peak (`bench/gpu/fma_peak.py`: {f.get('threads')} threads x 16 fmaf chains, best of 5 launches "
              f"of {f.get('launch_ms')} ms, PTX from {f.get('ptx_from')}): {f['measured_tflops']:.1f} TFLOP/s, "
              f"{f.get('pct_of_theoretical')}% of {f.get('theoretical_tflops')} TFLOP/s at the reported clock "
              f"({f.get('clock_mhz')} MHz)" + (f"; cuBLAS FP32 SGEMM {f['sgemm_n']}^3 (TF32 off): {f['sgemm_tflops']:.1f} TFLOP/s"
                                                if f.get("sgemm_tflops") else "") + ".")
    else:
        w("GPU: none (no CUDA driver): a dry run; the CUDA steps are skipped.")
    cpu_line = ""
    try:
        with open(os.path.join(work, "logs", "machine.log")) as f:
            txt = f.read()
        m1, m2 = re.search(r"^host: (.*)$", txt, re.M), re.search(r"model name\s*:\s*(.*)$", txt, re.M)
        cpu_line = (m1.group(1) if m1 else "") + ("; " + m2.group(1).strip() if m2 else "")
    except OSError:
        pass
    if cpu_line:
        w(f"Host: {cpu_line}.")
    w("")
    w(f"**Checks: {n_pass} passed, {n_fail} failed, {n_skip} skipped.** Speed goals are reported, not counted as checks.")
    w("")
    w("## Speed goals (issue 13)")
    w("")
    w("| goal | measured | target | verdict |")
    w("|---|---|---|---|")
    for g in goals:
        verdict = (f"n/a ({g['why']})" if g.get("why") else "not measured") if g["met"] is None else ("MET" if g["met"] else "MISSED")
        w(f"| {g['goal']} | {g['measured']} | {g['target']} | {verdict} |")
    if not full:
        w("")
        w(f"(The PyTorch pipelines ran on {a.seed_docs} documents only, so no ratio against the {a.docs}-document scan.)")
    w("")
    w("## Checks")
    w("")
    w("| check | status | s | note |")
    w("|---|---|---:|---|")
    for s in steps:
        w(f"| {s['name']} | {s['status']} | {s['secs']} | {s['note'].replace('|', '/')} |")
    w("")
    w("## Scans (`neuroscan scan`, one JVM each)")
    w("")
    w("wall: the process, JVM start to exit; total: the manifest's scan time (token cache, batches, store); outside "
      "the scan: wall - total (JVM start, model load and hash, engine set-up: CUDA context, module load, weight upload); "
      "forward: the manifest's compute_s (the engine's batches: forward, max and top-k merge); top-k merge: the manifest's "
      "topk_merge (device: the store stayed on the GPU, read back at checkpoints and the end); % of FP32 peak: GPU runs, "
      "of the measured peak where fma_peak.py ran.")
    w("")
    w("| run | engine | top-k merge | docs | tokens | wall s | total s | outside the scan s | forward s | tokens/s (wall) | forward GFLOP/s | % of FP32 peak |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        tps = r["tokens"] / r["wall_s"] if r.get("tokens") and r["wall_s"] else None
        w(f"| {r['run']}{' (padded)' if r.get('include_padding') else ''} | {r['backend']} | {r.get('topk_merge') or '-'} | {r['docs']} | {r['tokens']} | "
          f"{r['wall_s']:.3f} | {fmt(r['total_s'], '.3f')} | {fmt(r['wall_s'] - r['total_s'] if r.get('total_s') is not None else None, '.3f')} | "
          f"{fmt(r['compute_s'], '.3f')} | {fmt(tps, ',.0f')} | "
          f"{fmt(r.get('forward_gflops'), ',.0f')} | {fmt(r.get('forward_pct_peak'), '.1f')} |")
    cpu = next((r for r in runs if r["run"] == "cpu"), None)
    if cpu and cuda_med:
        w("")
        w(f"CUDA vs the CPU engine (tokens cached, wall): {cpu['wall_s']:.2f} s / {cuda_med:.3f} s = {cpu['wall_s'] / cuda_med:.1f}x"
          + (f"; forward only {cpu['compute_s'] / cuda_fwd:.1f}x" if cpu.get("compute_s") and cuda_fwd else "") + ".")
    w("")
    w("## PyTorch on the same device (`bench/gpu/seed_pipeline.py`)")
    w("")
    if seed:
        w(f"{seed.get('device')}, torch {seed.get('torch')}, float32 matmul precision {seed.get('matmul_precision')}; "
          f"{seed.get('docs')} documents, {seed.get('real_tokens')} tokens ({seed.get('padded_tokens')} padded). Loop time only: "
          "the model and tokens are on the device before the clock starts (the notebook's all_tokens), one warm-up batch first.")
        w("")
        w("| pipeline | s | docs/s | tokens/s (real) | GFLOP/s (as computed) | neuroscan CUDA (median wall) is faster by |")
        w("|---|---:|---:|---:|---:|---:|")
        for key, name, tf in (("seed_s", "seed: TL forward to hook_post, 16 x n_ctx, MaxStore", "seed_gflops"),
                              ("seed_tail_s", "seed + TL's rest of the block and ln_final (return_type=None)", None),
                              ("best_s", "best: unpadded sorted batches, SDPA, topk merge", "best_gflops")):
            s = seed.get(key)
            if s:
                x = f"{s / cuda_med:.1f}x" if cuda_med and full else "-"
                w(f"| {name} | {s:.3f} | {seed['docs'] / s:,.1f} | {seed['real_tokens'] / s:,.0f} | {fmt(seed.get(tf) if tf else None, ',.0f')} | {x} |")
        pad = next((r for r in runs if r.get("include_padding") and r["run"].startswith("cuda")), None)
        if pad and seed.get("seed_s") and full:
            w("")
            w(f"Same padded work (every document padded to n_ctx): seed {seed['seed_s']:.3f} s vs neuroscan CUDA "
              f"--include-padding {pad['wall_s']:.3f} s wall ({fmt(pad.get('compute_s'), '.3f')} s forward): "
              f"{seed['seed_s'] / pad['wall_s']:.1f}x.")
    else:
        w("No PyTorch results (see the checks table and logs/seed-pytorch.log).")
    w("")
    w("## Store comparisons (`bench/gpu/store_compare.py`, Compare.check's rules)")
    w("")
    w("Equal: per neuron the same documents, each document's max within 1e-4, values at every rank within 1e-4; "
      "near-tied documents may swap ranks and are counted, not failed.")
    w("")
    w("| comparison | result | largest difference | rank swaps | boundary near-ties | argmax positions differ |")
    w("|---|---|---:|---:|---:|---:|")
    for name, c in compares.items():
        if not c:
            continue
        res = "EQUAL" if c.get("equal") else f"{c.get('bad_neurons')} neurons differ (first {c.get('first_bad')})"
        w(f"| {c.get('label', name)} | {res} | {fmt(c.get('worst_diff'), '.2e')} | {c.get('rank_swaps')} | "
          f"{c.get('boundary_ties')} | {'-' if c.get('pos_diff') is None else c.get('pos_diff')} |")
    w("")
    w("## The kernels built for sm_90 by this machine's nvcc (`neuroscan kernels --emit DIR --target cuda`)")
    w("")
    nv = nvcc_sm90(work)
    if nv:
        w("| kernel | registers | spill stores / loads (bytes) | stack frame (bytes) | shared memory (bytes) |")
        w("|---|---:|---:|---:|---:|")
        for k in nv:
            w(f"| {k['kernel']} | {k['registers']} | {k['spill']} | {k['stack']} | {k['smem']} |")
    else:
        w("Not built (see the checks table: kernels-emit, nvcc-sm90).")
    w("")
    w("## Per task of the batch graph (`bench/cuda/CudaKernelTiming.java`)")
    w("")
    if tasks:
        w(f"One batch of 16,384 tokens (20 documents) at gelu-1l shapes, each task timed alone by CUDA events, median of 5; "
          f"% of peak: of {fmt(peak_t, '.1f')} TFLOP/s, {peak_what}.")
        w("")
        w("| task | ms | GFLOP | GFLOP/s | GB/s | % of peak |")
        w("|---|---:|---:|---:|---:|---:|")
        for t in tasks:
            w(f"| {t['task']} | {t['ms']:.4f} | {t['gflop']:.3f} | {t['gflops']:,.0f} | {t['gbs']:,.0f} | {fmt(t['pct_peak'], '.1f')} |")
        tot = sum(t["ms"] for t in tasks)
        w(f"| sum | {tot:.4f} | {sum(t['gflop'] for t in tasks):.3f} | {sum(t['gflop'] for t in tasks) / (tot / 1e3):,.0f} | | |")
        w("")
    if raw_kt:
        w("```")
        w("\n".join(l for l in raw_kt.splitlines() if not l.startswith("WARNING: Using incubator"))[-6000:])
        w("```")
    else:
        w("Not run (see the checks table).")
    w("")
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(L))
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"steps": steps, "gpu": gpu, "scans": runs, "pytorch": seed, "compares": compares,
                   "goals": goals, "mlp_gemm_pct_peak": mlp_pct, "peak_tflops": peak_t, "peak_is": peak_what,
                   "tasks": tasks, "nvcc_sm90": nvcc_sm90(work), "cuda_wall_min_s": cuda_min, "cuda_compute_median_s": cuda_fwd,
                   "cuda_wall_median_s": cuda_med, "failed_checks": n_fail}, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
