#!/usr/bin/python3
"""Builds neuroscan's small test checkpoints and their PyTorch oracle.

Run from the repository root with Debian's python3-torch (1.13) and numpy:

    /usr/bin/python3 weights/make_fixtures.py

It writes src/test/resources/fixtures/models/ (deterministic: re-running gives the same bytes):

  <fixture>/config.json         TransformerLens/Neel style config (with training keys to ignore)
  <fixture>/model_final.pth     real torch.save of a TransformerLens-named state dict
  <fixture>/model.safetensors   the same tensors, written by hand from the safetensors spec
  <fixture>/oracle.json         token sequences and blocks.L.mlp.hook_post (and, for SoLU, hook_mid) for
                                every layer, computed below by PyTorch in float32 (from the widened
                                weights for f16/bf16)
  bad/...                       checkpoints neuroscan must refuse (forbidden pickle globals, float64,
                                legacy format)

The forward pass here is written independently of the Java one, from DESIGN.md's math with torch ops.
"""
import collections
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "test", "resources", "fixtures", "models")

TRAINING_KEYS = {"lr": 0.001, "batch_size": 8, "seed": 7, "betas": [0.9, 0.99], "n_params": 12345,
                 "use_bfloat16_matmul": True, "dataset_name": "c4_code", "max_steps": 10}


# ---------------------------------------------------------------------------------------------------
# Weights

def block_names(layer, normalization):
    p = f"blocks.{layer}."
    ln1 = [p + "ln1.w", p + "ln1.b"] if normalization == "LN" else []
    ln2 = [p + "ln2.w", p + "ln2.b"] if normalization == "LN" else []
    attn = [p + "attn." + n for n in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O")]
    mlp = [p + "mlp." + n for n in ("W_in", "b_in", "W_out", "b_out")]
    return ln1 + attn + ln2 + mlp


def random_state_dict(cfg, seed):
    """TransformerLens-named float32 weights: random, non-zero biases, non-unit LayerNorm weights."""
    g = torch.Generator().manual_seed(seed)
    d, h, dh, mlp = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"]
    ln = cfg.get("normalization", cfg.get("normalization_type")) == "LN"

    def rnd(*shape, std=1.0, mean=0.0):
        return torch.randn(*shape, generator=g) * std + mean

    sd = collections.OrderedDict()
    sd["embed.W_E"] = rnd(cfg["d_vocab"], d)
    sd["pos_embed.W_pos"] = rnd(cfg["n_ctx"], d, std=0.5)
    for layer in range(cfg["n_layers"]):
        p = f"blocks.{layer}."
        if ln:
            sd[p + "ln1.w"] = rnd(d, std=0.3, mean=1.0)
            sd[p + "ln1.b"] = rnd(d, std=0.2)
        for n in ("W_Q", "W_K", "W_V"):          # std 2/sqrt(d): attention patterns far from uniform
            sd[p + "attn." + n] = rnd(h, d, dh, std=2 / math.sqrt(d))
        sd[p + "attn.W_O"] = rnd(h, dh, d, std=1 / math.sqrt(dh))
        for n in ("b_Q", "b_K", "b_V"):
            sd[p + "attn." + n] = rnd(h, dh, std=0.2)
        sd[p + "attn.b_O"] = rnd(d, std=0.2)
        if ln:
            sd[p + "ln2.w"] = rnd(d, std=0.3, mean=1.0)
            sd[p + "ln2.b"] = rnd(d, std=0.2)
        sd[p + "mlp.W_in"] = rnd(d, mlp, std=1.5 / math.sqrt(d))
        sd[p + "mlp.b_in"] = rnd(mlp, std=0.5)
        if cfg["act_fn"] == "solu_ln" and ln:     # TransformerLens: LayerNorm(cfg, d_mlp) inside the MLP
            sd[p + "mlp.ln.w"] = rnd(mlp, std=0.3, mean=1.0)
            sd[p + "mlp.ln.b"] = rnd(mlp, std=0.2)
        sd[p + "mlp.W_out"] = rnd(mlp, d, std=1 / math.sqrt(mlp))
        sd[p + "mlp.b_out"] = rnd(d, std=0.2)
    if ln:
        sd["ln_final.w"] = rnd(d, std=0.3, mean=1.0)
        sd["ln_final.b"] = rnd(d, std=0.2)
    sd["unembed.W_U"] = rnd(d, cfg["d_vocab"], std=1 / math.sqrt(d))
    sd["unembed.b_U"] = rnd(cfg["d_vocab"], std=0.2)
    return sd


def with_views(sd, cfg, seed):
    """The same values, but saved the way views are: strided, offset into shared or larger storages."""
    g = torch.Generator().manual_seed(seed)
    d, h, dh = cfg["d_model"], cfg["n_heads"], cfg["d_head"]
    out = collections.OrderedDict(sd)
    dtype = sd["embed.W_E"].dtype
    junk = lambda *s: torch.randn(*s, generator=g).to(dtype)
    # W_pos: rows 3.. of a bigger tensor (storage offset).
    out["pos_embed.W_pos"] = torch.cat([junk(3, d), sd["pos_embed.W_pos"]])[3:]
    # W_U: a column slice (offset 2, row stride d_vocab + 5).
    big = torch.cat([junk(d, 2), sd["unembed.W_U"], junk(d, 3)], dim=1)
    out["unembed.W_U"] = big[:, 2:2 + cfg["d_vocab"]]
    for layer in range(cfg["n_layers"]):
        p = f"blocks.{layer}."
        out[p + "mlp.W_in"] = sd[p + "mlp.W_in"].t().contiguous().t()            # transposed
        out[p + "attn.W_O"] = sd[p + "attn.W_O"].permute(2, 0, 1).contiguous().permute(1, 2, 0)
        qkv = torch.stack([sd[p + "attn.b_Q"], sd[p + "attn.b_K"], sd[p + "attn.b_V"]])
        out[p + "attn.b_Q"], out[p + "attn.b_K"], out[p + "attn.b_V"] = qkv[0], qkv[1], qkv[2]   # one storage
    for k in out:
        assert torch.equal(out[k], sd[k]), k
    assert not out["blocks.0.mlp.W_in"].is_contiguous() and out["pos_embed.W_pos"].storage_offset() == 3 * d
    return out


# ---------------------------------------------------------------------------------------------------
# The oracle: DESIGN.md's forward pass to blocks.L.mlp.hook_post, float32, written with torch ops

def layer_norm(x, w, b, cfg):
    norm = cfg.get("normalization", cfg.get("normalization_type"))
    if norm is None or norm == "None":
        return x
    return F.layer_norm(x, (x.shape[-1],), w, b, cfg.get("eps", cfg.get("ln_eps", 1e-5)))


def activation(pre, cfg, w, p):
    """(hook_mid or None, hook_post). TransformerLens's MLP: act_fn "solu_ln" is SoLU, x * softmax(x) over
    d_mlp (hook_mid), then a LayerNorm over d_mlp (mlp.ln; LayerNormPre, without weights, unless the model's
    normalization is LN, even for a model without normalization) whose output is hook_post."""
    if cfg["act_fn"] == "solu_ln":
        mid = pre * torch.softmax(pre, dim=-1)
        norm = F.layer_norm(mid, (mid.shape[-1],), w.get(p + "mlp.ln.w"), w.get(p + "mlp.ln.b"),
                            cfg.get("eps", cfg.get("ln_eps", 1e-5)))
        return mid, norm
    return None, F.gelu(pre) if cfg["act_fn"] == "gelu" else F.gelu(pre, approximate="tanh")


def hook_posts(sd, cfg, tokens):
    """[per layer: [L, d_mlp]] for one document."""
    return [post for _, post in hooks(sd, cfg, tokens)]


def hooks(sd, cfg, tokens):
    """[per layer: (hook_mid or None, hook_post), each [L, d_mlp]] for one document."""
    w = {k: v.float() for k, v in sd.items()}
    ln = cfg.get("normalization", cfg.get("normalization_type")) == "LN"
    t = torch.tensor(tokens)
    L = len(tokens)
    x = w["embed.W_E"][t] + w["pos_embed.W_pos"][:L]
    posts = []
    for layer in range(cfg["n_layers"]):
        p = f"blocks.{layer}."
        a = layer_norm(x, w.get(p + "ln1.w"), w.get(p + "ln1.b"), cfg) if ln else layer_norm(x, None, None, cfg)
        q = torch.einsum("pm,hmd->hpd", a, w[p + "attn.W_Q"]) + w[p + "attn.b_Q"][:, None, :]
        k = torch.einsum("pm,hmd->hpd", a, w[p + "attn.W_K"]) + w[p + "attn.b_K"][:, None, :]
        v = torch.einsum("pm,hmd->hpd", a, w[p + "attn.W_V"]) + w[p + "attn.b_V"][:, None, :]
        scores = q @ k.transpose(1, 2) / math.sqrt(cfg["d_head"])
        future = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)       # key > query
        pattern = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        z = pattern @ v                                                          # [h, p, d_head]
        x = x + torch.einsum("hpd,hdm->pm", z, w[p + "attn.W_O"]) + w[p + "attn.b_O"]
        m = layer_norm(x, w.get(p + "ln2.w"), w.get(p + "ln2.b"), cfg) if ln else layer_norm(x, None, None, cfg)
        pre = m @ w[p + "mlp.W_in"] + w[p + "mlp.b_in"]
        mid, post = activation(pre, cfg, w, p)
        posts.append((mid, post))
        x = x + post @ w[p + "mlp.W_out"] + w[p + "mlp.b_out"]
    return posts


def token_cases(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    n, v = cfg["n_ctx"], cfg["d_vocab"]
    cases = [[v - 1], torch.randint(0, v, (7,), generator=g).tolist(), torch.randint(0, v, (n,), generator=g).tolist()]
    cases[2][0], cases[2][-1] = 0, v - 1                                       # both ends of the vocabulary
    return cases


def write_oracle(path, sd, cfg, seed):
    cases = []
    flat = lambda t: [float("%.9g" % x) for x in t.flatten().tolist()]
    for tokens in token_cases(cfg, seed):
        layers = hooks(sd, cfg, tokens)
        case = {"tokens": tokens, "hook_post": [flat(post) for _, post in layers]}
        if cfg["act_fn"] == "solu_ln":
            case["hook_mid"] = [flat(mid) for mid, _ in layers]
        cases.append(case)
    with open(path, "w") as f:
        json.dump({"note": "blocks.L.mlp.hook_post" + (" and hook_mid" if cfg["act_fn"] == "solu_ln" else "")
                           + ", flattened [L, d_mlp] per layer, by weights/make_fixtures.py",
                   "cases": cases}, f, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------------
# Files

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.bool: "BOOL",
             torch.float64: "F64"}


def write_safetensors(path, sd):
    """The safetensors layout by hand (Debian has no safetensors package): u64 header length, JSON, data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in sd.items():
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_config(path, cfg):
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)


def fixture(name, cfg, sd, seed, views=False, safetensors=True, wrap=None, protocol=2, oracle_sd=None):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    write_config(os.path.join(d, "config.json"), cfg)
    saved = with_views(sd, cfg, seed + 1) if views else sd
    torch.save(saved if wrap is None else wrap(saved), os.path.join(d, "model_final.pth"), pickle_protocol=protocol)
    if safetensors:
        write_safetensors(os.path.join(d, "model.safetensors"), sd)
    write_oracle(os.path.join(d, "oracle.json"), oracle_sd if oracle_sd is not None else sd, cfg, seed + 2)


def tiny_cfg(**kw):
    cfg = {"n_layers": 2, "d_model": 16, "n_heads": 2, "d_head": 8, "d_mlp": 32, "n_ctx": 24, "d_vocab": 50,
           "act_fn": "gelu", "normalization": "LN", "tokenizer_name": "NeelNanda/gpt-neox-tokenizer-digits"}
    cfg.update(kw)
    return dict(cfg, **TRAINING_KEYS)


class Gelu1lShaped(torch.nn.Module):
    """Module tree with gelu-1l's state-dict names (any number of blocks; SoLU's mlp.ln too), so torch.save
    sees a real state_dict() (with _metadata)."""

    class Attn(torch.nn.Module):
        def __init__(self, sd, cfg, layer):
            super().__init__()
            for n in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O"):
                setattr(self, n, torch.nn.Parameter(sd[f"blocks.{layer}.attn." + n]))
            self.register_buffer("mask", torch.tril(torch.ones(cfg["n_ctx"], cfg["n_ctx"])).bool())
            self.register_buffer("IGNORE", torch.tensor(-float("inf")))

    def __init__(self, sd, cfg):
        super().__init__()

        def holder(prefix, names):
            m = torch.nn.Module()
            for n in names:
                setattr(m, n, torch.nn.Parameter(sd[prefix + n]))
            return m

        self.embed = holder("embed.", ["W_E"])
        self.pos_embed = holder("pos_embed.", ["W_pos"])
        blocks = []
        for layer in range(cfg["n_layers"]):
            p = f"blocks.{layer}."
            block = torch.nn.Module()
            block.ln1 = holder(p + "ln1.", ["w", "b"])
            block.ln2 = holder(p + "ln2.", ["w", "b"])
            block.attn = Gelu1lShaped.Attn(sd, cfg, layer)
            block.mlp = holder(p + "mlp.", ["W_in", "b_in", "W_out", "b_out"])
            if p + "mlp.ln.w" in sd:
                block.mlp.ln = holder(p + "mlp.ln.", ["w", "b"])
            blocks.append(block)
        self.blocks = torch.nn.ModuleList(blocks)
        self.ln_final = holder("ln_final.", ["w", "b"])
        self.unembed = holder("unembed.", ["W_U", "b_U"])


class Evil:
    """Pickles as a call to an arbitrary function: what a hostile checkpoint does."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg,)


def main():
    torch.manual_seed(0)
    # (a) float32, 2 layers, strided/offset/shared-storage views in the .pth
    cfg = tiny_cfg()
    sd = random_state_dict(cfg, 100)
    fixture("tiny-f32", cfg, sd, 100, views=True)

    # (b) float16 and (c) bfloat16 of the same weights; the oracle runs on the widened values
    for dtype, name in ((torch.float16, "tiny-f16"), (torch.bfloat16, "tiny-bf16")):
        low = collections.OrderedDict((k, v.to(dtype)) for k, v in sd.items())
        fixture(name, cfg, low, 100, views=True, oracle_sd=collections.OrderedDict((k, v.float()) for k, v in low.items()))

    # (d) gelu-1l's exact names, ranks, buffers and config keys, at reduced size, via a real state_dict()
    g_cfg = {"n_layers": 1, "d_model": 32, "d_mlp": 128, "d_head": 8, "n_heads": 4, "n_ctx": 32, "d_vocab": 64,
             "normalization": "LN", "act_fn": "gelu", "shortformer_pos": False, "attn_only": False, "ln_eps": 1e-5,
             "tokenizer_name": "NeelNanda/gpt-neox-tokenizer-digits", "lr_hidden": 0.002, "lr_vector": 0.001,
             "batch_size_per_device": 32, "seed": 20000, "version": 200, "weight_decay": 0.05,
             "initializer_scale_global": 1.0, "n_devices": 8, "final_rms": False}
    g_sd = random_state_dict(g_cfg, 200)
    state = Gelu1lShaped(g_sd, g_cfg).state_dict()
    assert "blocks.0.attn.mask" in state and hasattr(state, "_metadata")
    fixture("gelu1l-mini", g_cfg, state, 200, oracle_sd=g_sd)

    # (e) gelu_new, normalization_type, d_head != d_model / n_heads, pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL)
    e_cfg = tiny_cfg(n_layers=1, act_fn="gelu_new", d_head=5, d_mlp=24, n_ctx=12)
    del e_cfg["normalization"]
    e_cfg["normalization_type"] = "LN"
    fixture("gelu-new", e_cfg, random_state_dict(e_cfg, 300), 300, protocol=4)

    # (f) LNPre (no LayerNorm weights), state dict wrapped as {"model": ..., "step": ...}
    f_cfg = tiny_cfg(n_layers=1, eps=1e-3)
    del f_cfg["normalization"]
    f_cfg["normalization_type"] = "LNPre"
    fixture("lnpre", f_cfg, random_state_dict(f_cfg, 400), 400, wrap=lambda s: {"model": s, "step": 1234})

    # (g) no normalization at all
    n_cfg = tiny_cfg(n_layers=1)
    del n_cfg["normalization"]
    n_cfg["normalization_type"] = None
    fixture("nonorm", n_cfg, random_state_dict(n_cfg, 500), 500)

    # (h) gelu-2l's names and config at reduced size: two blocks, the residual through W_out into block 1
    g2_cfg = dict(g_cfg, n_layers=2, d_mlp=96, n_ctx=28)
    g2_sd = random_state_dict(g2_cfg, 700)
    state = Gelu1lShaped(g2_sd, g2_cfg).state_dict()
    assert "blocks.1.mlp.W_out" in state
    fixture("gelu2l-mini", g2_cfg, state, 700, oracle_sd=g2_sd)

    # (i) solu-1l's names and config at reduced size: act_fn solu_ln, blocks.0.mlp.ln.{w,b}; oracle has hook_mid
    s_cfg = dict(g_cfg, act_fn="solu_ln", d_mlp=80, n_ctx=20)
    s_sd = random_state_dict(s_cfg, 800)
    state = Gelu1lShaped(s_sd, s_cfg).state_dict()
    assert "blocks.0.mlp.ln.w" in state
    fixture("solu1l-mini", s_cfg, state, 800, oracle_sd=s_sd)

    # (j) SoLU with two blocks: hook_post (after mlp.ln) feeds W_out into block 1
    s2_cfg = tiny_cfg(act_fn="solu_ln", d_mlp=40, n_ctx=16)
    fixture("solu2l-tiny", s2_cfg, random_state_dict(s2_cfg, 900), 900)

    # Checkpoints that must be refused.
    bad = os.path.join(OUT, "bad")
    os.makedirs(bad, exist_ok=True)
    small = collections.OrderedDict((k, v) for k, v in random_state_dict(tiny_cfg(n_layers=1), 600).items())
    torch.save(collections.OrderedDict(small, payload=Evil(os.system, "echo pwned")),
               os.path.join(bad, "evil-system.pth"))                               # GLOBAL posix.system
    torch.save({"embed.W_E": small["embed.W_E"], "x": Evil(eval, "print('pwned')")},
               os.path.join(bad, "evil-eval.pth"), pickle_protocol=4)              # STACK_GLOBAL builtins.eval
    f64 = collections.OrderedDict(small)
    f64["blocks.0.mlp.W_in"] = f64["blocks.0.mlp.W_in"].double()
    torch.save(f64, os.path.join(bad, "float64.pth"))
    torch.save(small, os.path.join(bad, "legacy.pth"), _use_new_zipfile_serialization=False)

    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
