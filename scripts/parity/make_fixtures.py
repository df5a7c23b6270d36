"""Parity fixtures for the TensorFlow.js ViT/DeiT (src/model) against Hugging Face `transformers`.

Regenerate (needs the venv of scripts/setup-python.sh: torch, transformers, safetensors, numpy):

    .venv/bin/python scripts/parity/make_fixtures.py [--out test/fixtures/parity]

The output is deterministic. Every parameter of every model is set from a counter-based PRNG
(murmur3's fmix32 over the element index, see `prng_values`), implemented identically in
test/model/prng.ts, so a fixture too large to commit can be rebuilt bit-exactly in the TS test from
its key list. Reference outputs are computed in float64 from the exact stored weight values.

Fixtures (each `<name>.json` holds the HF config, normalisation, inputs as uint8 patches in our
shard layout (row, col, channel) per patch, reference logits and every layer's head-averaged CLS ->
patch attention row `attn[:, :, 0, prefix:].mean(heads)`, prefix = 1 for ViT, 2 for distilled DeiT):

- vit-p8-32: ViTForImageClassification, 32x32 RGB, patch 8, dim 64, depth 2, heads 4,
  layer_norm_eps 1e-12; weights saved by safetensors in bf16 (`vit-p8-32.safetensors`).
- deit-p8-32: DeiTForImageClassificationWithTeacher, 32x32, patch 8, dim 64, depth 2, heads 4;
  weights in f16 (`deit-p8-32.safetensors`), plus a timm-named f32 copy produced with
  `hf_to_timm` below (`deit-p8-32.timm.safetensors`).
- deit-s-d2-64: DeiTForImageClassificationWithTeacher shaped like DeiT-small (dim 384, heads 6,
  mlp 1536, layer_norm_eps 1e-6) at depth 2 on 64x64 images, patch 16. Its 3.9 M f32 weights
  (15 MB) are not committed: the json lists the HF keys and shapes and the TS test regenerates
  the tensors with the shared PRNG and writes them as an HF-named safetensors file.

HF -> timm key mapping (the same one src/model/checkpoint.ts implements, `P` is `vit` or `deit`):

    P.embeddings.cls_token                               -> cls_token
    P.embeddings.distillation_token                      -> dist_token
    P.embeddings.position_embeddings                     -> pos_embed
    P.embeddings.patch_embeddings.projection.{w,b}       -> patch_embed.proj.{w,b}
    P.encoder.layer.N.layernorm_before.{w,b}             -> blocks.N.norm1.{w,b}
    P.encoder.layer.N.attention.attention.{query,key,value}.{w,b}
                                                         -> blocks.N.attn.qkv.{w,b} (cat q,k,v on dim 0)
    P.encoder.layer.N.attention.output.dense.{w,b}       -> blocks.N.attn.proj.{w,b}
    P.encoder.layer.N.layernorm_after.{w,b}              -> blocks.N.norm2.{w,b}
    P.encoder.layer.N.intermediate.dense.{w,b}           -> blocks.N.mlp.fc1.{w,b}
    P.encoder.layer.N.output.dense.{w,b}                 -> blocks.N.mlp.fc2.{w,b}
    P.layernorm.{w,b}                                    -> norm.{w,b}
    classifier / cls_classifier                          -> head
    distillation_classifier                              -> head_dist
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import DeiTConfig, DeiTForImageClassificationWithTeacher, ViTConfig, ViTForImageClassification

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def fmix32(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64)
    m = np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & m
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & m
    x ^= x >> np.uint64(16)
    return x


def prng_values(seed: int, key_index: int, n: int, base: float, scale: float) -> np.ndarray:
    """base + scale * u, u uniform in [-1, 1) with 24 bits, from fmix32(i*0x9E3779B1 + (j+1)*0x85EBCA77 + seed)."""
    i = np.arange(n, dtype=np.uint64)
    m = np.uint64(0xFFFFFFFF)
    x = (i * np.uint64(0x9E3779B1) + np.uint64(((key_index + 1) * 0x85EBCA77 + seed) & 0xFFFFFFFF)) & m
    u = (fmix32(x) >> np.uint64(8)).astype(np.float64) / float(1 << 24) * 2.0 - 1.0
    return (base + scale * u).astype(np.float32)


def init_rule(key: str) -> tuple[float, float]:
    """(base, scale) of a parameter: LayerNorm weights around 1, everything else around 0."""
    if re.search(r"(layernorm[a-z_]*|norm\d?)\.weight$", key):
        return 1.0, 0.5
    if key.endswith(("cls_token", "distillation_token", "position_embeddings")):
        return 0.0, 0.5
    return 0.0, 0.1


def prng_state_dict(keys_shapes: list[tuple[str, list[int]]], seed: int) -> dict[str, torch.Tensor]:
    out = {}
    for j, (key, shape) in enumerate(sorted(keys_shapes)):
        base, scale = init_rule(key)
        n = int(np.prod(shape))
        out[key] = torch.from_numpy(prng_values(seed, j, n, base, scale).reshape(shape))
    return out


def hf_to_timm(sd: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    p = prefix + "."
    out: dict[str, torch.Tensor] = {}
    simple = {
        p + "embeddings.cls_token": "cls_token",
        p + "embeddings.distillation_token": "dist_token",
        p + "embeddings.position_embeddings": "pos_embed",
        p + "layernorm.weight": "norm.weight",
        p + "layernorm.bias": "norm.bias",
    }
    layer_map = {
        "layernorm_before": "norm1",
        "attention.output.dense": "attn.proj",
        "layernorm_after": "norm2",
        "intermediate.dense": "mlp.fc1",
        "output.dense": "mlp.fc2",
    }
    for k, v in sd.items():
        if k in simple:
            out[simple[k]] = v
        elif k.startswith(p + "embeddings.patch_embeddings.projection."):
            out["patch_embed.proj." + k.rsplit(".", 1)[1]] = v
        elif (m := re.match(re.escape(p) + r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$", k)) :
            n, mid, wb = m.groups()
            if mid in layer_map:
                out[f"blocks.{n}.{layer_map[mid]}.{wb}"] = v
            elif mid == "attention.attention.query":
                base = p + f"encoder.layer.{n}.attention.attention."
                out[f"blocks.{n}.attn.qkv.{wb}"] = torch.cat([sd[base + f"{q}.{wb}"] for q in ("query", "key", "value")], 0)
        elif k.startswith(("classifier.", "cls_classifier.")):
            out["head." + k.rsplit(".", 1)[1]] = v
        elif k.startswith("distillation_classifier."):
            out["head_dist." + k.rsplit(".", 1)[1]] = v
    return out


def to_patches(images: np.ndarray, p: int) -> np.ndarray:
    """[B, H, W, C] uint8 -> [B, G*G, p*p*C], patches in raster order, each row-major (row, col, channel)."""
    b, h, w, c = images.shape
    x = images.reshape(b, h // p, p, w // p, p, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // p) * (w // p), p * p * c)


def reference(model: torch.nn.Module, images: np.ndarray, mean: list[float], std: list[float], prefix: int):
    x = torch.from_numpy(images).double() / 255.0
    x = (x - torch.tensor(mean, dtype=torch.float64)) / torch.tensor(std, dtype=torch.float64)
    pixel_values = x.permute(0, 3, 1, 2).contiguous()
    m64 = model.double().eval()
    with torch.no_grad():
        out = m64(pixel_values=pixel_values, output_attentions=True)
    attn = [a[:, :, 0, prefix:].mean(dim=1).numpy() for a in out.attentions]
    return out.logits.numpy(), attn


def build(kind: str, cfg: dict):
    if kind == "vit":
        model = ViTForImageClassification(ViTConfig(**cfg, attn_implementation="eager"))
    else:
        model = DeiTForImageClassificationWithTeacher(DeiTConfig(**cfg, attn_implementation="eager"))
    model.config._attn_implementation = "eager"
    return model


def make(out: Path, name: str, kind: str, cfg: dict, mean, std, seed: int, batch: int, dtype, commit_weights: bool, timm_copy: bool) -> None:
    # save_pretrained writes the hub (legacy) key names, e.g. vit.encoder.layer.0.attention.attention.query.weight,
    # which every published checkpoint uses; transformers 5 renames them on load to its internal names.
    cls = ViTForImageClassification if kind == "vit" else DeiTForImageClassificationWithTeacher
    with tempfile.TemporaryDirectory() as tmp:
        build(kind, cfg).save_pretrained(tmp)
        with safe_open(os.path.join(tmp, "model.safetensors"), "pt") as f:
            keys_shapes = [(k, list(f.get_slice(k).get_shape())) for k in f.keys()]
        sd = prng_state_dict(keys_shapes, seed)
        stored = {k: v.to(dtype or torch.float32).contiguous() for k, v in sd.items()}
        sd = {k: v.to(torch.float32) for k, v in stored.items()}  # the reference uses exactly the stored values
        save_file(stored, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
        model, info = cls.from_pretrained(tmp, attn_implementation="eager", dtype=torch.float32, output_loading_info=True)
        bad = {k: v for k, v in info.items() if v and k != "error_msgs"}
        assert not bad and not info.get("error_msgs"), f"{name}: checkpoint did not load cleanly: {info}"
        files = {}
        if commit_weights:
            shutil.copyfile(os.path.join(tmp, "model.safetensors"), out / f"{name}.safetensors")
            files["hf"] = f"{name}.safetensors"
    if timm_copy:
        save_file({k: v.contiguous() for k, v in hf_to_timm(sd, kind).items()}, str(out / f"{name}.timm.safetensors"))
        files["timm"] = f"{name}.timm.safetensors"
    rng = np.random.default_rng(seed)
    size, ch, p = cfg["image_size"], cfg["num_channels"], cfg["patch_size"]
    images = rng.integers(0, 256, size=(batch, size, size, ch), dtype=np.uint8)
    prefix = 2 if kind == "deit" else 1
    logits, attn = reference(model, images, mean, std, prefix)
    patches = to_patches(images, p)
    doc = {
        "name": name,
        "kind": kind,
        "hfConfig": {k: v for k, v in model.config.to_dict().items() if k != "torch_dtype"},
        "mean": mean,
        "std": std,
        "prefix": prefix,
        "files": files,
        "prng": {"seed": seed, "keys": [[k, s] for k, s in sorted(keys_shapes)]} if not commit_weights else {"seed": seed},
        "patchesShape": list(patches.shape),
        "patches": patches.reshape(-1).tolist(),
        "logitsShape": list(logits.shape),
        "logits": [float(v) for v in logits.reshape(-1)],
        "clsAttention": [[float(v) for v in a.reshape(-1)] for a in attn],
    }
    (out / f"{name}.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{name}: logits {logits.shape}, {len(attn)} attention layers, files {files}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="test/fixtures/parity")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    small = dict(image_size=32, patch_size=8, num_channels=3, hidden_size=64, num_hidden_layers=2,
                 num_attention_heads=4, intermediate_size=256, num_labels=10)
    make(out, "vit-p8-32", "vit", dict(small, layer_norm_eps=1e-12), [0.5] * 3, [0.5] * 3, 11, 3,
         torch.bfloat16, True, False)
    make(out, "deit-p8-32", "deit", dict(small, layer_norm_eps=1e-12), IMAGENET_MEAN, IMAGENET_STD, 12, 3,
         torch.float16, True, True)
    deit_s = dict(image_size=64, patch_size=16, num_channels=3, hidden_size=384, num_hidden_layers=2,
                  num_attention_heads=6, intermediate_size=1536, num_labels=10, layer_norm_eps=1e-6)
    make(out, "deit-s-d2-64", "deit", deit_s, IMAGENET_MEAN, IMAGENET_STD, 13, 2, None, False, False)


if __name__ == "__main__":
    main()
