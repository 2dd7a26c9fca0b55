#!/usr/bin/env python3
"""results.md and results.json for bench/gpu-check.sh, from its scratch directory: the checks table
(steps.tsv), the scans' manifests and wall clocks (walls.tsv), the store comparisons and PyTorch
timings (json/), the GPU's description and the kernel timing log. Needs numpy only; every section
copes with missing pieces (a failed step leaves a hole, not a crash)."""
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
    return info


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
        row = {"run": name, "backend": m.get("backend", "?"), "docs": m.get("n_docs"), "tokens": m.get("n_tokens"),
               "include_padding": m.get("include_padding"), "wall_s": walls[name], "total_s": t.get("total_s"),
               "compute_s": t.get("compute_s"), "tokenize_s": t.get("tokenize_s")}
        if lengths is not None and cfg.get("d_model") and m.get("doc_end") is not None:
            ls = lengths[m["doc_start"]:m["doc_end"]]
            if m.get("include_padding"):
                ls = [cfg["n_ctx"]] * len(ls)
            row["flop"] = forward_flop(ls, cfg)
        out.append(row)
    return out


def kernel_timing(work):
    """(raw log, mlp_in_gelu_max % of FP32 peak or None, the line it came from)."""
    try:
        with open(os.path.join(work, "logs", "kernel-timing.log")) as f:
            raw = f.read()
    except OSError:
        return None, None, None
    lines = raw.splitlines()
    header = next((l for l in lines if "kernel" in l.lower() and ("%" in l or "peak" in l.lower())), None)
    cands = [l for l in lines if "mlp_in_gelu_max" in l] or [l for l in lines if re.search(r"\bmlp", l, re.I)]
    for line in cands:
        m = re.search(r"([0-9]+(?:\.[0-9]+)?)\s*%", line)
        if m:
            return raw, float(m.group(1)), line.strip()
        if header:
            cols, vals = header.split(), line.split()
            for i, c in enumerate(cols):
                if ("%" in c or "peak" in c.lower()) and i < len(vals):
                    try:
                        return raw, float(vals[i].rstrip("%")), line.strip()
                    except ValueError:
                        pass
    return raw, None, None


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
    peak = gpu.get("fp32_peak_tflops")
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
    cuda_fwd = statistics.median([r["compute_s"] for r in cuda if r.get("compute_s")]) if cuda else None
    raw_kt, mlp_pct, mlp_line = kernel_timing(work)
    compares = {}
    for p in sorted(glob.glob(os.path.join(work, "json", "store-*.json"))):
        compares[os.path.basename(p)[:-5]] = load_json(p)
    for key in ("compare_seed", "compare_best"):
        if key in seed:
            compares[key.replace("_", "-")] = seed[key]

    full = a.seed_docs == a.docs
    seed_s = seed.get("seed_s")
    ratio = seed_s / cuda_med if seed_s and cuda_med and full else None
    goals = [
        {"goal": f"{a.docs:,}-document scan, tokens cached, end to end (JVM start to exit)",
         "measured": f"min {fmt(cuda_min, '.3f')} s, median {fmt(cuda_med, '.3f')} s of {len(cuda_walls)}" if cuda_walls else "not measured",
         "target": "< 1 s", "met": (cuda_min < 1.0) if cuda_min is not None and a.docs >= 10000 else None,
         "why": "fewer than 10,000 documents" if cuda_min is not None and a.docs < 10000 else None},
        {"goal": "faster than the seed's PyTorch pipeline on the same GPU (seed loop time / neuroscan median wall)",
         "measured": f"{fmt(seed_s, '.3f')} s / {fmt(cuda_med, '.3f')} s = {fmt(ratio, '.1f')}x" if ratio else "not measured",
         "target": ">= 20x", "met": (ratio >= 20) if ratio is not None else None},
        {"goal": "MLP GEMM kernel (mlp_in_gelu_max) vs FP32 peak",
         "measured": f"{mlp_pct:.1f}%" if mlp_pct is not None else "not measured",
         "target": ">= 30%", "met": (mlp_pct >= 30) if mlp_pct is not None else None},
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
        if peak:
            w(f"FP32 peak: {gpu['sms']} SMs x {gpu['fp32_lanes_per_sm']} lanes x 2 FLOP x {gpu['max_sm_mhz']:.0f} MHz "
              f"(max SM clock) = {peak:.1f} TFLOP/s.")
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
    w("## Speed goals (issue 6)")
    w("")
    w("| goal | measured | target | verdict |")
    w("|---|---|---|---|")
    for g in goals:
        verdict = (f"n/a ({g['why']})" if g.get("why") else "not measured") if g["met"] is None else ("MET" if g["met"] else "MISSED")
        w(f"| {g['goal']} | {g['measured']} | {g['target']} | {verdict} |")
    if not full:
        w("")
        w(f"(The seed ran on {a.seed_docs} documents only, so no ratio against the {a.docs}-document scan.)")
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
      "forward: the manifest's compute_s (the engine's docMax calls).")
    w("")
    w("| run | engine | docs | tokens | wall s | total s | outside the scan s | forward s | tokens/s (wall) | forward GFLOP/s | % GPU FP32 peak |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        tps = r["tokens"] / r["wall_s"] if r.get("tokens") and r["wall_s"] else None
        w(f"| {r['run']}{' (padded)' if r.get('include_padding') else ''} | {r['backend']} | {r['docs']} | {r['tokens']} | "
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
    w("## Kernel timing (`bench/cuda/CudaKernelTiming.java`)")
    w("")
    if raw_kt:
        if mlp_line:
            w(f"MLP GEMM line: `{mlp_line}`")
            w("")
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
                   "goals": goals, "mlp_gemm_pct_peak": mlp_pct, "cuda_wall_min_s": cuda_min,
                   "cuda_wall_median_s": cuda_med, "failed_checks": n_fail}, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
