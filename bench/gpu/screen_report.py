#!/usr/bin/env python3
"""The screened-vs-FP32 table of the GPU check (issue 14), from the runs' manifests.

Reads runs/NAME/manifest.json of the FP32 scans (--exact-fp32) and of the screened ones, and writes
screen.md and screen.json into --out and --results (bench/results/): the median forward time (timings.compute_s)
and whole-scan time (timings.total_s) of each, their ratio, against the issue's goal (>= 1.6x on an H100/H200 at
10,000 documents), and the screen's counters (pairs screened, recomputed in FP32, fraction skipped). A dry run
(--dry-run: PoCL, where the tensor cores are only modelled) says that its times are no measure of speed.
"""
import argparse
import json
import os
import statistics


def manifest(runs, name):
    with open(os.path.join(runs, name, "manifest.json")) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--fp32", nargs="+", required=True)
    ap.add_argument("--screened", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    fp, sc = [manifest(a.runs, r) for r in a.fp32], [manifest(a.runs, r) for r in a.screened]
    med = lambda ms, key: statistics.median(m["timings"][key] for m in ms)
    s = sc[0].get("screening") or {}
    res = {"docs": sc[0]["n_docs"], "tokens": sc[0]["n_tokens"], "backend": sc[0]["backend"],
           "fp32_runs": a.fp32, "screened_runs": a.screened,
           "fp32_compute_s": med(fp, "compute_s"), "screened_compute_s": med(sc, "compute_s"),
           "fp32_total_s": med(fp, "total_s"), "screened_total_s": med(sc, "total_s"),
           "screening": s, "goal": ">= 1.6x forward speed-up on an H100/H200 at 10,000 documents, identical stores",
           "dry_run": a.dry_run}
    res["speedup_compute"] = res["fp32_compute_s"] / res["screened_compute_s"] if res["screened_compute_s"] else None
    met = None if a.dry_run or res["docs"] < 10000 else res["speedup_compute"] >= 1.6
    res["goal_met"] = met
    md = ["# Screened vs FP32 scan (issue 14)", "",
          f"{res['docs']} documents, {res['tokens']} tokens; {res['backend']}" + (
              " (dry run: mma is only modelled here, so these times say nothing about speed)" if a.dry_run else ""), "",
          "| | FP32 (`--exact-fp32`) | screened |", "|---|---:|---:|",
          f"| forward (`compute_s`, median of {len(fp)} / {len(sc)}) | {res['fp32_compute_s']:.3f} s | {res['screened_compute_s']:.3f} s |",
          f"| whole scan (`total_s`, median) | {res['fp32_total_s']:.3f} s | {res['screened_total_s']:.3f} s |", "",
          f"speed-up of the forward: {res['speedup_compute']:.2f}x (goal {res['goal']}: "
          + ("met" if met else "not met" if met is False else "not judged here") + ")", "",
          f"pairs screened {s.get('pairs_screened')}, recomputed in FP32 {s.get('candidates_recomputed')}, "
          f"fraction skipped {s.get('fraction_skipped', 0):.4f}; byte-identical stores: the check `screen-identical`"]
    for d in (a.out, a.results):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "screen.md"), "w") as f:
            f.write("\n".join(md) + "\n")
        with open(os.path.join(d, "screen.json"), "w") as f:
            json.dump(res, f, indent=2)
    print("\n".join(md))


if __name__ == "__main__":
    main()
