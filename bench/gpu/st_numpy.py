"""safetensors with numpy alone (the `safetensors` package may be missing): read and write the format
neuroscan writes (8-byte little-endian header length, JSON header, raw little-endian data), plus the two
files of a neuroscan run that the GPU check needs: the token cache and the top-k store."""
import json
import os
import struct

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U8": "u1", "BOOL": "?"}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}
HOOK = "blocks.0.mlp.hook_post"


def read(path):
    """(tensors: name -> numpy array, metadata: dict) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for safetensors")
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, e in header.items():
        dt = DTYPES.get(e["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor {name} has dtype {e['dtype']}, not supported here")
        a, b = e["data_offsets"]
        arr = np.frombuffer(raw, dtype=dt, count=(b - a) // np.dtype(dt).itemsize, offset=base + a)
        out[name] = arr.reshape(e["shape"])
    return out, meta


def write(path, tensors, metadata=None):
    """Writes name -> numpy array (in sorted name order) atomically: temp file, then rename."""
    header, blobs, at = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dt = NAMES.get(np.dtype(a.dtype.str.replace(">", "<")))
        if dt is None:
            raise ValueError(f"tensor {name}: dtype {a.dtype} not supported")
        b = a.astype(DTYPES[dt], copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_tokens(path):
    """A run's tokens.safetensors as (doc_start, list of int64 arrays, one per document)."""
    t, meta = read(path)
    tokens, offsets = t["tokens"], t["offsets"]
    docs = [tokens[offsets[i]:offsets[i + 1]].astype(np.int64) for i in range(len(offsets) - 1)]
    return int(meta.get("doc_start", 0)), docs


def read_store(path):
    """A store as dict(max [k, d_mlp] f32, doc [k, d_mlp] i32, pos [k, d_mlp] i32, meta)."""
    t, meta = read(path)
    return {"max": t[HOOK + ".max"].astype(np.float32), "doc": t[HOOK + ".doc"].astype(np.int64),
            "pos": t[HOOK + ".pos"].astype(np.int64), "meta": meta}


def write_store(path, max_, doc, pos, metadata=None):
    write(path, {HOOK + ".max": np.asarray(max_, np.float32), HOOK + ".doc": np.asarray(doc, np.int32),
                 HOOK + ".pos": np.asarray(pos, np.int32)}, metadata)
