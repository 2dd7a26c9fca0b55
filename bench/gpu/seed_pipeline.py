#!/usr/bin/env python3
"""The seed notebook's scan in PyTorch, on the GPU when there is one, timed next to neuroscan.

seed: what the notebook does (/work/shared/seed, bench/src/main/java/neuroscan/bench/libtorch/SeedPipeline.java):
  every document right-padded with PAD to n_ctx (all_tokens [N, n_ctx], on the device before the loop, as
  the notebook builds it with to_tokens), batches of 16, TransformerLens's forward to
  blocks.0.mlp.hook_post (einsum attention, causal mask with IGNORE, TL's LayerNorm, exact GELU), the max
  over every position (pads included), then MaxStore.batch_update and finally inference_mode's sort. The
  notebook's hook stops nothing, so TL also computes the rest of the block and ln_final (return_type=None
  skips only the unembed): --tl-tail adds that work; without it the forward stops at hook_post, as the Java
  SeedPipeline does (the cheaper, more generous baseline).
best (--best): the best plain-PyTorch scan we could write, as BestPipeline.java: documents sorted by length,
  batches of <= 64 documents and <= 16k padded tokens padded only to their longest, one QKV GEMM,
  scaled_dot_product_attention (causal), F.layer_norm, pad rows -inf before the max, store merged per
  batch with topk over (store, batch), ties to the lower document.

Inputs are a neuroscan run's files: the model directory (config.json + model_final.pth or
model.safetensors, TransformerLens names) and RUN/tokens.safetensors. The seed's store is checked against
neuroscan's --include-padding store, the best one against neuroscan's default store (store_compare.py).
Timings exclude loading and start with the tokens on the device; torch.cuda.synchronize() brackets them.

  seed_pipeline.py --model DIR --tokens RUN [--docs N] [--top-k 20] [--device auto|cuda|cpu]
                   [--compare-seed RUN_PADDED] [--best] [--compare-best RUN] [--tl-tail] [--json OUT] [--out-dir DIR]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_numpy  # noqa: E402
import store_compare  # noqa: E402

BATCH = 16                  # the notebook's cfg.batch_size
BEST_DOCS, BEST_TOKENS = 64, 16 * 1024


def log(msg):
    print(msg, flush=True)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ----------------------------------------------------------------------------------------------- model

class Model:
    """gelu-1l's layer 0 to hook_post (and the rest of the block + ln_final for --tl-tail), on `device`."""

    def __init__(self, model_dir, device):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        self.cfg = cfg
        self.d_model, self.n_heads, self.d_head = cfg["d_model"], cfg["n_heads"], cfg["d_head"]
        self.d_mlp, self.n_ctx = cfg["d_mlp"], cfg["n_ctx"]
        self.eps = float(cfg.get("ln_eps", cfg.get("eps", 1e-5)))
        norm = cfg.get("normalization_type", cfg.get("normalization", "LN"))
        if cfg.get("act_fn", "gelu") != "gelu" or norm != "LN":
            raise SystemExit(f"seed_pipeline: written for gelu-1l (act_fn gelu, LN), not {cfg.get('act_fn')}/{norm}")
        sd = load_state_dict(model_dir)
        g = lambda name: sd[name].to(device=device, dtype=torch.float32).contiguous()  # noqa: E731
        self.W_E, self.W_pos = g("embed.W_E"), g("pos_embed.W_pos")
        p = "blocks.0."
        self.ln1_w, self.ln1_b, self.ln2_w, self.ln2_b = g(p + "ln1.w"), g(p + "ln1.b"), g(p + "ln2.w"), g(p + "ln2.b")
        self.W_Q, self.W_K, self.W_V, self.W_O = g(p + "attn.W_Q"), g(p + "attn.W_K"), g(p + "attn.W_V"), g(p + "attn.W_O")
        self.b_Q, self.b_K, self.b_V, self.b_O = g(p + "attn.b_Q"), g(p + "attn.b_K"), g(p + "attn.b_V"), g(p + "attn.b_O")
        self.W_in, self.b_in = g(p + "mlp.W_in"), g(p + "mlp.b_in")
        self.W_out, self.b_out = g(p + "mlp.W_out"), g(p + "mlp.b_out")
        self.lnf_w = g("ln_final.w") if "ln_final.w" in sd else None
        self.lnf_b = g("ln_final.b") if "ln_final.b" in sd else None
        # TransformerLens's buffers: mask = tril(ones(n_ctx, n_ctx)).bool(), IGNORE = -inf
        self.mask = torch.tril(torch.ones(self.n_ctx, self.n_ctx, dtype=torch.bool, device=device))
        self.IGNORE = torch.tensor(float("-inf"), device=device)
        # best: Q|K|V of all heads as one [d_model, 3 H d_head] matrix, W_O as [H d_head, d_model]
        hd = self.n_heads * self.d_head
        self.W_qkv = torch.cat([w.permute(1, 0, 2).reshape(self.d_model, hd) for w in (self.W_Q, self.W_K, self.W_V)], 1).contiguous()
        self.b_qkv = torch.cat([b.reshape(hd) for b in (self.b_Q, self.b_K, self.b_V)]).contiguous()
        self.W_O2 = self.W_O.reshape(hd, self.d_model).contiguous()

    # -- TransformerLens's math, as HookedTransformer computes it ---------------------------------------
    def tl_ln(self, x, w, b):
        x = x - x.mean(-1, keepdim=True)
        scale = (x.pow(2).mean(-1, keepdim=True) + self.eps).sqrt()
        return x / scale * w + b

    def tl_forward(self, tokens, tail=False):
        """hook_post [B, L, d_mlp] of tokens [B, L] (int64); tail: also the rest of the block and ln_final."""
        L = tokens.shape[1]
        resid_pre = self.W_E[tokens] + self.W_pos[:L]
        x = self.tl_ln(resid_pre, self.ln1_w, self.ln1_b)
        q = torch.einsum("bpm,hmd->bphd", x, self.W_Q) + self.b_Q
        k = torch.einsum("bpm,hmd->bphd", x, self.W_K) + self.b_K
        v = torch.einsum("bpm,hmd->bphd", x, self.W_V) + self.b_V
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(self.d_head)
        scores = torch.where(self.mask[:L, :L], scores, self.IGNORE)
        pattern = F.softmax(scores, dim=-1)
        pattern = torch.where(torch.isnan(pattern), torch.zeros_like(pattern), pattern)
        z = torch.einsum("bkhd,bhqk->bqhd", v, pattern)
        attn_out = torch.einsum("bqhd,hdm->bqm", z, self.W_O) + self.b_O
        resid_mid = resid_pre + attn_out
        pre = self.tl_ln(resid_mid, self.ln2_w, self.ln2_b) @ self.W_in + self.b_in
        post = F.gelu(pre)
        if tail:
            resid_post = resid_mid + (post @ self.W_out + self.b_out)
            if self.lnf_w is not None:
                self.tl_ln(resid_post, self.lnf_w, self.lnf_b)
        return post

    # -- the best plain PyTorch we could write ---------------------------------------------------------------
    def fast_forward(self, tokens):
        B, L = tokens.shape
        H, dh = self.n_heads, self.d_head
        x = F.embedding(tokens, self.W_E) + self.W_pos[:L]
        a = F.layer_norm(x, (self.d_model,), self.ln1_w, self.ln1_b, self.eps)
        qkv = torch.addmm(self.b_qkv, a.reshape(B * L, -1), self.W_qkv).view(B, L, 3, H, dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if hasattr(F, "scaled_dot_product_attention"):
            z = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:                                                   # torch < 2.0
            s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
            s = s.masked_fill(~self.mask[:L, :L], float("-inf"))
            z = F.softmax(s, dim=-1) @ v
        z = z.transpose(1, 2).reshape(B * L, H * dh)
        resid = x.reshape(B * L, -1) + torch.addmm(self.b_O, z, self.W_O2)
        a2 = F.layer_norm(resid, (self.d_model,), self.ln2_w, self.ln2_b, self.eps)
        return F.gelu(torch.addmm(self.b_in, a2, self.W_in)).view(B, L, -1)


def load_state_dict(model_dir):
    pth = os.path.join(model_dir, "model_final.pth")
    if os.path.exists(pth):
        try:
            return torch.load(pth, map_location="cpu", weights_only=True)
        except TypeError:                                       # torch without weights_only
            return torch.load(pth, map_location="cpu")
    st = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(st):
        t, _ = st_numpy.read(st)
        return {k: torch.from_numpy(np.array(v)) for k, v in t.items()}
    raise SystemExit(f"seed_pipeline: {model_dir} has neither model_final.pth nor model.safetensors")


# ------------------------------------------------------------------------------------------ the seed's store

class MaxStore:
    """The notebook's MaxStore, line for line (update, batch_update, inference_mode)."""

    def __init__(self, top_k, length, device):
        self.top_k, self.length, self.device = top_k, length, device
        self.max = float("-inf") * torch.ones((top_k, length), dtype=torch.float32, device=device)
        self.index = -torch.ones((top_k, length), dtype=torch.long, device=device)
        self.counter = 0
        self.total_updates = 0
        self.num_batches_seen = 0

    def update(self, new_act, new_index):
        min_max_act, min_max_indices = self.max.min(0)
        mask = new_act > min_max_act
        self.max[min_max_indices[mask], mask] = new_act[mask]
        self.index[min_max_indices[mask], mask] = new_index[mask]
        num_updates = mask.sum().item()
        self.total_updates += num_updates
        return num_updates

    def batch_update(self, new_acts):
        batch_size = new_acts.size(0)
        sorted_acts, sorted_indices = new_acts.sort(0, descending=True)
        text_indices = torch.arange(self.counter, self.counter + batch_size, dtype=torch.long, device=self.device)
        new_indices = text_indices[sorted_indices]
        for i in range(batch_size):
            if self.update(sorted_acts[i], new_indices[i]) == 0:
                break
        self.counter += batch_size
        self.num_batches_seen += 1

    def inference_mode(self):
        self.max = self.max.cpu()
        self.index = self.index.cpu()
        self.max, indices = self.max.sort(0, descending=True)
        self.index = self.index.gather(0, indices)


def run_seed(model, all_tokens, k, tail):
    """The notebook's loop over all_tokens [N, n_ctx] (on the device); returns (seconds, max, index)."""
    device = all_tokens.device
    store = MaxStore(k, model.d_mlp, device)
    model.tl_forward(all_tokens[:BATCH], tail).max(1)           # warm-up: cuBLAS handles, allocator
    sync(device)
    t0 = time.perf_counter()
    for index in range(0, all_tokens.shape[0], BATCH):
        post = model.tl_forward(all_tokens[index:index + BATCH], tail)
        store.batch_update(post.max(1).values)                  # einops.reduce "batch pos d_mlp -> batch d_mlp" max
    store.inference_mode()
    sync(device)
    return time.perf_counter() - t0, store.max.numpy(), store.index.numpy()


# ------------------------------------------------------------------------------------------ best pipeline

TIE, EMPTY_DOC = 2.0 ** -50, 2.0 ** 24


def merge(store, bmax, bdoc, bpos, k):
    """topk over concat(store, batch) by v - |v| doc 2^-50 (float64): ties to the lower document."""
    vals = torch.cat([store[0], bmax], 0)
    docs = torch.cat([store[1], bdoc], 0)
    poss = torch.cat([store[2], bpos], 0)
    tie = torch.where(docs < 0, torch.full_like(docs, int(EMPTY_DOC)), docs).double()
    v = vals.double()
    at = (v - v.abs() * tie * TIE).topk(k, dim=0, largest=True, sorted=True).indices
    return vals.gather(0, at), docs.gather(0, at), poss.gather(0, at)


def run_best(model, docs, k, pad, device):
    order = sorted(range(len(docs)), key=lambda d: (-len(docs[d]), d))
    batches, i = [], 0
    while i < len(order):
        L = len(docs[order[i]])
        j = min(len(order), i + min(BEST_DOCS, max(1, BEST_TOKENS // L)))
        ids = order[i:j]
        t = np.full((len(ids), L), pad, dtype=np.int64)
        padm = np.ones((len(ids), L), dtype=bool)
        for r, d in enumerate(ids):
            t[r, :len(docs[d])] = docs[d]
            padm[r, :len(docs[d])] = False
        batches.append((torch.from_numpy(t).to(device), torch.from_numpy(padm).to(device),
                        torch.tensor(ids, dtype=torch.long, device=device)))
        i = j
    d_mlp = model.d_mlp
    model.fast_forward(batches[0][0][:1])                       # warm-up
    sync(device)
    t0 = time.perf_counter()
    store = (torch.full((k, d_mlp), float("-inf"), device=device),
             torch.full((k, d_mlp), -1, dtype=torch.long, device=device),
             torch.full((k, d_mlp), -1, dtype=torch.long, device=device))
    for tokens, padm, ids in batches:
        post = model.fast_forward(tokens).masked_fill_(padm[:, :, None], float("-inf"))
        bmax, bpos = post.max(1)                                # first max on ties
        store = merge(store, bmax, ids[:, None].expand(-1, d_mlp), bpos, k)
    out = [s.cpu().numpy() for s in store]
    sync(device)
    return time.perf_counter() - t0, out[0], out[1], out[2]


# --------------------------------------------------------------------------------------------------- main

def run_path(p, name):
    return os.path.join(p, name) if os.path.isdir(p) else p


def main():
    ap = argparse.ArgumentParser(description="The seed notebook's scan in PyTorch, timed and checked against neuroscan.")
    ap.add_argument("--model", required=True, help="directory with config.json + model_final.pth")
    ap.add_argument("--tokens", required=True, help="a neuroscan run directory or its tokens.safetensors")
    ap.add_argument("--docs", type=int, default=0, help="first N documents (default: all)")
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--pad", type=int, default=2, help="PAD token id (the run's manifest pad_token)")
    ap.add_argument("--device", default="auto", help="auto (cuda if available), cuda, cpu")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (default: every core)")
    ap.add_argument("--tl-tail", action="store_true", help="also time the seed with TL's full block + ln_final")
    ap.add_argument("--best", action="store_true", help="also run the best PyTorch pipeline")
    ap.add_argument("--compare-seed", help="neuroscan --include-padding run (or store) to check the seed's store against")
    ap.add_argument("--compare-best", help="neuroscan default run (or store) to check the best store against")
    ap.add_argument("--out-dir", help="write seed-store.safetensors / best-store.safetensors here")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()

    torch.set_grad_enabled(False)
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    try:
        torch.set_float32_matmul_precision("highest")          # true float32 GEMMs, no TF32: stores compare to 1e-4
    except (AttributeError, RuntimeError) as e:
        log(f"seed_pipeline: could not set float32 matmul precision: {e}")
    device = torch.device("cuda" if (a.device == "auto" and torch.cuda.is_available()) else
                          ("cpu" if a.device == "auto" else a.device))
    res = {"torch": torch.__version__, "device": str(device), "threads": torch.get_num_threads()}
    try:
        res["matmul_precision"] = torch.get_float32_matmul_precision()
    except (AttributeError, RuntimeError):
        res["matmul_precision"] = "?"
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        res.update(gpu=p.name, sms=p.multi_processor_count, capability=f"{p.major}.{p.minor}",
                   gpu_mem_gib=round(p.total_memory / 2 ** 30, 1), cuda=torch.version.cuda)
        try:
            res["tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
        except (AttributeError, RuntimeError):
            pass
    log("seed_pipeline: torch %s on %s%s" % (torch.__version__, device, f" ({res['gpu']})" if "gpu" in res else
                                                f" ({res['threads']} threads)"))

    t0 = time.perf_counter()
    model = Model(a.model, device)
    doc_start, docs = st_numpy.read_tokens(run_path(a.tokens, "tokens.safetensors"))
    if doc_start != 0:
        raise SystemExit("seed_pipeline: the token cache must start at document 0 (the seed numbers documents from 0)")
    if a.docs:
        docs = docs[:a.docs]
    n, k = len(docs), a.top_k
    real = int(sum(len(d) for d in docs))
    res.update(docs=n, real_tokens=real, padded_tokens=n * model.n_ctx, top_k=k, batch=BATCH)
    # all_tokens [N, n_ctx]: BOS + tokens, right-padded with PAD, as to_tokens(dataset['text']) gives it
    padded = np.full((n, model.n_ctx), a.pad, dtype=np.int64)
    for i, d in enumerate(docs):
        padded[i, :len(d)] = d[:model.n_ctx]
    all_tokens = torch.from_numpy(padded).to(device)
    sync(device)
    res["load_s"] = round(time.perf_counter() - t0, 3)
    log(f"seed_pipeline: {n} documents, {real} tokens ({n * model.n_ctx} padded), top-k {k}; loaded in {res['load_s']} s")

    # forward FLOPs as computed: projections 2 d_model (3 H d_head + d_model + d_mlp) per position, attention
    # 2 x 2 L d_model per position over every key (the seed's dense masked scores; best: causal half)
    proj = 2 * model.d_model * (3 * model.n_heads * model.d_head + model.d_model + model.d_mlp)
    seed_flop = n * model.n_ctx * (proj + 4 * model.n_ctx * model.d_model)

    secs, smax, sidx = run_seed(model, all_tokens, k, tail=False)
    res.update(seed_s=round(secs, 4), seed_gflops=round(seed_flop / secs / 1e9, 1))
    log(f"seed (TL forward to hook_post, MaxStore): {secs:.3f} s, {n / secs:.1f} docs/s, {real / secs:.0f} tokens/s, "
        f"{seed_flop / secs / 1e9:,.1f} GFLOP/s of padded forward (dense masked attention)")
    if a.tl_tail:
        secs_t, _, _ = run_seed(model, all_tokens, k, tail=True)
        res["seed_tail_s"] = round(secs_t, 4)
        log(f"seed with TL's whole block + ln_final (what model(tokens, return_type=None) runs): {secs_t:.3f} s")
    seed_store = {"max": smax, "doc": sidx, "pos": np.full(sidx.shape, -1, np.int64)}
    if a.out_dir:
        os.makedirs(a.out_dir, exist_ok=True)
        st_numpy.write_store(os.path.join(a.out_dir, "seed-store.safetensors"), smax, sidx, seed_store["pos"],
                             {"producer": "bench/gpu/seed_pipeline.py seed", "docs": n, "include_padding": "true"})
    ok = True
    if a.compare_seed:
        want = st_numpy.read_store(run_path(a.compare_seed, "store.safetensors"))
        res["compare_seed"] = store_compare.compare(seed_store, want, False, "seed PyTorch vs neuroscan --include-padding")
        ok &= res["compare_seed"]["equal"]
    del all_tokens

    if a.best:
        secs_b, bmax, bdoc, bpos = run_best(model, docs, k, a.pad, device)
        best_flop = sum(len(d) * proj + 2 * model.d_model * len(d) * (len(d) + 1) for d in docs)
        res.update(best_s=round(secs_b, 4), best_gflops=round(best_flop / secs_b / 1e9, 1))
        log(f"best PyTorch (unpadded, sorted batches, SDPA, topk merge): {secs_b:.3f} s, {n / secs_b:.1f} docs/s, "
            f"{real / secs_b:.0f} tokens/s, {best_flop / secs_b / 1e9:,.1f} GFLOP/s")
        if a.out_dir:
            st_numpy.write_store(os.path.join(a.out_dir, "best-store.safetensors"), bmax, bdoc, bpos,
                                 {"producer": "bench/gpu/seed_pipeline.py best", "docs": n, "include_padding": "false"})
        if a.compare_best:
            want = st_numpy.read_store(run_path(a.compare_best, "store.safetensors"))
            res["compare_best"] = store_compare.compare({"max": bmax, "doc": bdoc, "pos": bpos}, want, True,
                                                        "best PyTorch vs neuroscan default")
            ok &= res["compare_best"]["equal"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
