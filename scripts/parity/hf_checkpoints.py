"""Hugging Face checkpoints as users have them, made in a test's set-up (transformers, torch).

    .venv/bin/python scripts/parity/hf_checkpoints.py OUT_DIR

Writes, under OUT_DIR, one save_pretrained directory per HF ViT/DeiT class (random weights,
seeded), each with its image processor, plus variants: a sharded DeiT (model.safetensors.index.json),
a bare safetensors file beside nothing, and a timm-style directory (timm naming, config.json with
architecture/model_args/pretrained_cfg). OUT_DIR/cases.json lists, per case, the path to load, the
input images as uint8 patches in dlth's layout, and HF's head-averaged CLS attention of every layer
(eager attention, float32), attn[:, :, 0, prefix:].mean(heads), on the same pixels.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import (DeiTConfig, DeiTForImageClassification, DeiTForImageClassificationWithTeacher, DeiTImageProcessor, DeiTModel,
                          ViTConfig, ViTForImageClassification, ViTImageProcessor, ViTModel)

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
HALF = [0.5, 0.5, 0.5]
SIZE, PATCH = 32, 8


def base_config(cls, **kw):
    args = dict(image_size=SIZE, patch_size=PATCH, num_channels=3, hidden_size=48, num_hidden_layers=4, num_attention_heads=3,
                intermediate_size=100, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=5)
    args.update(kw)
    return cls(**args)


def patches_of(u8: np.ndarray) -> np.ndarray:
    """[B, H, W, C] uint8 -> [B, N, p*p*C] in raster order, each patch (row, col, channel)."""
    b, h, w, c = u8.shape
    g = h // PATCH
    x = u8.reshape(b, g, PATCH, g, PATCH, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, g * g, PATCH * PATCH * c)


def cls_attention(model, u8: np.ndarray, mean, std, prefix: int) -> list[list[float]]:
    x = (u8.astype(np.float64) / 255.0 - np.array(mean)) / np.array(std)
    pixels = torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float32)
    with torch.no_grad():
        out = model(pixel_values=pixels, output_attentions=True)
    return [a[:, :, 0, prefix:].mean(1).reshape(-1).tolist() for a in out.attentions]


def hf_to_timm(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    qkv: dict[str, dict[str, torch.Tensor]] = {}
    for k, t in sd.items():
        k = k.removeprefix('deit.').removeprefix('vit.')
        top = {'embeddings.cls_token': 'cls_token', 'embeddings.distillation_token': 'dist_token', 'embeddings.position_embeddings': 'pos_embed',
               'embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight', 'embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
               'layernorm.weight': 'norm.weight', 'layernorm.bias': 'norm.bias'}
        if k in top:
            out[top[k]] = t
            continue
        if k.startswith('cls_classifier.'):
            out['head.' + k.split('.')[-1]] = t
            continue
        if k.startswith('distillation_classifier.'):
            out['head_dist.' + k.split('.')[-1]] = t
            continue
        parts = k.split('.')
        n, rest, wb = parts[2], '.'.join(parts[3:-1]), parts[-1]
        ren = {'layernorm_before': 'norm1', 'layernorm_after': 'norm2', 'attention.output.dense': 'attn.proj', 'intermediate.dense': 'mlp.fc1', 'output.dense': 'mlp.fc2'}
        if rest in ren:
            out[f'blocks.{n}.{ren[rest]}.{wb}'] = t
        else:
            qkv.setdefault(f'blocks.{n}.attn.qkv.{wb}', {})[rest.split('.')[-1]] = t
    for name, d in qkv.items():
        out[name] = torch.cat([d['query'], d['key'], d['value']], 0)
    return {k: v.contiguous() for k, v in out.items()}


def main(out_dir: str) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, size=(3, SIZE, SIZE, 3), dtype=np.uint8)
    vit_proc = lambda mean, std: ViTImageProcessor(size={'height': SIZE, 'width': SIZE}, image_mean=mean, image_std=std)
    deit_proc = DeiTImageProcessor(size={'height': SIZE + 4, 'width': SIZE + 4}, crop_size={'height': SIZE, 'width': SIZE})
    specs = [
        ('vit-model-half', ViTModel, ViTConfig, {}, vit_proc(HALF, HALF), 1),
        ('vit-cls-imagenet', ViTForImageClassification, ViTConfig, {}, vit_proc(IMAGENET_MEAN, IMAGENET_STD), 1),
        ('vit-cls-half', ViTForImageClassification, ViTConfig, {'layer_norm_eps': 1e-6}, vit_proc(HALF, HALF), 1),
        ('deit-model', DeiTModel, DeiTConfig, {}, deit_proc, 2),
        ('deit-cls', DeiTForImageClassification, DeiTConfig, {}, deit_proc, 2),
        ('deit-teacher', DeiTForImageClassificationWithTeacher, DeiTConfig, {}, deit_proc, 2),
    ]
    cases = []
    for name, cls, cfg_cls, kw, proc, prefix in specs:
        model = cls(base_config(cfg_cls, attn_implementation='eager', **kw)).eval()
        d = os.path.join(out_dir, name)
        model.save_pretrained(d)
        proc.save_pretrained(d)
        attn = cls_attention(model, u8, proc.image_mean, proc.image_std, prefix)
        case = {'name': name, 'path': d, 'hfClass': cls.__name__, 'prefix': prefix, 'eps': model.config.layer_norm_eps,
                'mean': list(proc.image_mean), 'std': list(proc.image_std), 'attention': attn}
        cases.append(case)
        if name == 'deit-teacher':
            sharded = os.path.join(out_dir, 'deit-teacher-sharded')
            model.save_pretrained(sharded, max_shard_size='60KB')
            proc.save_pretrained(sharded)
            cases.append({**case, 'name': 'deit-teacher-sharded', 'path': sharded})
            sd = load_file(os.path.join(d, 'model.safetensors'))
            bare = os.path.join(out_dir, 'bare')
            os.makedirs(bare, exist_ok=True)
            save_file(sd, os.path.join(bare, 'deit-teacher.safetensors'), metadata={'format': 'pt'})
            timm_dir = os.path.join(out_dir, 'timm-deit-distilled')
            os.makedirs(timm_dir, exist_ok=True)
            save_file(hf_to_timm(sd), os.path.join(timm_dir, 'model.safetensors'), metadata={'format': 'pt'})
            pcfg = {'input_size': [3, SIZE, SIZE], 'interpolation': 'bicubic', 'crop_pct': 0.875, 'crop_mode': 'center',
                    'mean': IMAGENET_MEAN, 'std': IMAGENET_STD, 'num_classes': 5, 'classifier': ['head', 'head_dist']}
            with open(os.path.join(timm_dir, 'config.json'), 'w') as f:
                json.dump({'architecture': 'deit_tiny_distilled_patch8_32', 'num_classes': 5, 'num_features': 48, 'global_pool': 'token',
                           'model_args': {'num_heads': 3, 'img_size': SIZE, 'patch_size': PATCH, 'embed_dim': 48, 'depth': 4}, 'pretrained_cfg': pcfg}, f)
            # timm's LayerNorm eps is 1e-6: the reference for the timm copy is the HF model at eps 1e-6.
            model6 = cls(base_config(cfg_cls, attn_implementation='eager', layer_norm_eps=1e-6)).eval()
            model6.load_state_dict(model.state_dict())
            cases.append({**case, 'name': 'timm-deit-distilled', 'path': timm_dir, 'eps': 1e-6, 'mean': IMAGENET_MEAN, 'std': IMAGENET_STD,
                          'attention': cls_attention(model6, u8, IMAGENET_MEAN, IMAGENET_STD, prefix)})
    with open(os.path.join(out_dir, 'cases.json'), 'w') as f:
        json.dump({'patches': patches_of(u8).reshape(-1).tolist(), 'batch': 3, 'size': SIZE, 'patch': PATCH,
                   'bare': os.path.join(out_dir, 'bare', 'deit-teacher.safetensors'), 'cases': cases}, f)


if __name__ == '__main__':
    main(sys.argv[1])
