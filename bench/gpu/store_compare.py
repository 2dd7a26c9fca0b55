#!/usr/bin/env python3
"""Compares two top-k stores the way neuroscan.bench.libtorch.Compare.check does: per neuron the same
set of documents, each document's max within TOL, and at every rank values within TOL. Two float32
implementations sum in different orders, so documents whose maxima are that close may swap ranks (counted,
not failed), and a document in one store only is accepted when it ties the k-th entry within TOL (a
near-tie at the boundary). With --positions, argmax positions are compared per shared document (counted,
not failed: a near-tie between two positions of one document may go either way).

  store_compare.py GOT WANT [--positions] [--label TEXT] [--json OUT] [--tol 1e-4]

GOT and WANT are store.safetensors files or run directories. Exit 0 when equal, 1 when they differ."""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_numpy  # noqa: E402

TOL = 1e-4


def _close(a, b, tol):
    return a == b or abs(a - b) <= tol


def compare(got, want, positions, label="stores", tol=TOL, show=6, out=print):
    """got/want: dicts with max, doc, pos arrays [k, d_mlp]. Returns a summary dict (equal, bad, ...)."""
    if got["max"].shape != want["max"].shape:
        out(f"{label}: DIFFER in shape {got['max'].shape} vs {want['max'].shape}")
        return {"label": label, "equal": False, "bad_neurons": -1, "shape": [list(got["max"].shape), list(want["max"].shape)]}
    k, d_mlp = want["max"].shape
    gmax, gdoc, gpos = got["max"].astype(np.float64), got["doc"], got["pos"]
    wmax, wdoc, wpos = want["max"].astype(np.float64), want["doc"], want["pos"]
    bad = swaps = boundary = pos_diff = shown = 0
    worst = 0.0
    bad_list = []
    for n in range(d_mlp):
        want_rank = {}
        for r in range(k):
            want_rank[int(wdoc[r, n])] = r
        kth = wmax[k - 1, n]
        neuron_bad = False
        for r in range(k):
            g, w_at_r = gmax[r, n], wmax[r, n]
            rank_ok = _close(g, w_at_r, tol)
            if rank_ok and math.isfinite(g - w_at_r):
                worst = max(worst, abs(g - w_at_r))
            w = want_rank.get(int(gdoc[r, n]))
            if w is None:
                doc_ok = abs(g - kth) <= tol
                if doc_ok:
                    boundary += 1
            else:
                doc_ok = _close(g, wmax[w, n], tol)
                if w != r:
                    swaps += 1
                if positions and doc_ok and gpos[r, n] != wpos[w, n]:
                    pos_diff += 1
            if (not rank_ok or not doc_ok or (w is not None and w != r)) and shown < show:
                shown += 1
                out(f"  {label}: neuron {n} rank {r}: doc {int(gdoc[r, n])} max {g:.7f}, reference has doc "
                    f"{int(wdoc[r, n])} max {w_at_r:.7f}{' (near-tie)' if rank_ok and doc_ok else ''}")
            neuron_bad |= not rank_ok or not doc_ok
        if neuron_bad:
            bad += 1
            if len(bad_list) < 20:
                bad_list.append(n)
    equal = bad == 0
    out(f"{label}: {'EQUAL' if equal else str(bad) + ' NEURONS DIFFER'} ({k} x {d_mlp} slots; largest value difference "
        f"{worst:.2e}; {swaps} rank swaps between near-tied documents, {boundary} near-ties at the k boundary"
        + (f"; {pos_diff} argmax positions differ" if positions else "") + ")")
    return {"label": label, "equal": equal, "bad_neurons": bad, "first_bad": bad_list, "worst_diff": worst,
            "rank_swaps": swaps, "boundary_ties": boundary, "pos_diff": pos_diff if positions else None,
            "k": int(k), "d_mlp": int(d_mlp)}


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "store.safetensors")
    return st_numpy.read_store(path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("got")
    p.add_argument("want")
    p.add_argument("--positions", action="store_true", help="also count argmax position differences")
    p.add_argument("--label", default=None)
    p.add_argument("--json", default=None, help="write the summary here")
    p.add_argument("--tol", type=float, default=TOL)
    a = p.parse_args()
    try:
        got, want = load(a.got), load(a.want)
    except (OSError, ValueError, KeyError) as e:
        print(f"store_compare: {e}", file=sys.stderr)
        return 2
    label = a.label or f"{a.got} vs {a.want}"
    for key in ("doc_start", "doc_end", "include_padding"):
        gv, wv = got["meta"].get(key), want["meta"].get(key)
        if gv is not None and wv is not None and gv != wv:
            print(f"  {label}: note: {key} is {gv} vs {wv}")
    s = compare(got, want, a.positions, label, a.tol)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(s, f, indent=1)
    return 0 if s["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
