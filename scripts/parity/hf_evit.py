"""A briefly trained DeiT selector and the EViT tickets Hugging Face's model picks, for dlth's
ticket-agreement test.

    .venv/bin/python scripts/parity/hf_evit.py OUT_DIR PHOTO...

Trains a small DeiTForImageClassification (64 px, patch 8, width 96, depth 4, MLP 240, LayerNorm
eps 1e-12) for STEPS steps to tell the photos apart from random crops of them (real images, so its
attention is structured rather than near-tied), saves it with a DeiTImageProcessor (72x72 bicubic,
64 crop, ImageNet statistics) to OUT_DIR/selector, then runs it as an EViT selector (eager
attention; blocks 1, 2, 3; keep ceil(r*n) per stage, ties to the lower raster index) on the
AutoImageProcessor pixels of every photo. OUT_DIR/evit.json holds, per photo, those pixels as
uint8 patches in dlth's layout (exact: the processor's output is a normalised uint8 image) and the
ticket (sorted raster indices) at each rate.
"""
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image
from transformers import AutoImageProcessor, DeiTConfig, DeiTForImageClassification, DeiTImageProcessor

SIZE, PATCH, STEPS, RATES, BLOCKS = 64, 8, 300, [0.9, 0.8, 0.7], [1, 2, 3]
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def crops(photos, per, rng):
    xs, ys = [], []
    for label, img in enumerate(photos):
        w, h = img.size
        for _ in range(per):
            s = rng.uniform(0.35, 1.0) * min(w, h)
            x0, y0 = rng.uniform(0, w - s), rng.uniform(0, h - s)
            c = img.resize((SIZE, SIZE), Image.BICUBIC, box=(x0, y0, x0 + s, y0 + s))
            if rng.random() < 0.5:
                c = c.transpose(Image.FLIP_LEFT_RIGHT)
            xs.append((np.asarray(c, dtype=np.float32) / 255.0 - MEAN) / STD)
            ys.append(label)
    return torch.tensor(np.stack(xs).transpose(0, 3, 1, 2), dtype=torch.float32), torch.tensor(ys)


def train(photos):
    torch.manual_seed(0)
    torch.set_num_threads(1)  # a small model: one thread avoids OpenMP spinning on a shared machine
    cfg = DeiTConfig(image_size=SIZE, patch_size=PATCH, hidden_size=96, num_hidden_layers=4, num_attention_heads=3, intermediate_size=240,
                     num_labels=len(photos), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, attn_implementation='eager')
    model = DeiTForImageClassification(cfg)
    x, y = crops(photos, 48, np.random.default_rng(0))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    g = torch.Generator().manual_seed(0)
    model.train()
    for step in range(STEPS):
        idx = torch.randint(0, len(y), (32,), generator=g)
        loss = torch.nn.functional.cross_entropy(model(pixel_values=x[idx]).logits, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(pixel_values=x[:512]).logits.argmax(-1) == y[:512]).float().mean().item()
    return model, float(loss.detach()), acc


def order(scores, raster):
    return sorted(range(len(scores)), key=lambda i: (-scores[i], raster[i]))


@torch.no_grad()
def evit(model, pixels, rate):
    base = model.deit
    h = base.embeddings(pixels)
    alive = list(range(h.shape[1] - 2))
    layers = base.layers if hasattr(base, 'layers') else base.encoder.layer  # transformers 5 / 4
    for i, layer in enumerate(layers[: BLOCKS[-1] + 1]):
        a, w = layer.attention(layer.layernorm_before(h))
        h = h + a
        if i in BLOCKS:
            scores = w[0, :, 0, 2:].mean(0).tolist()
            keep = max(1, math.ceil(rate * len(alive)))
            best = order(scores, alive)[:keep]
            alive = [alive[j] for j in best]
            h = torch.cat([h[:, :2], h[:, [2 + j for j in best]]], 1)
        if i == BLOCKS[-1]:
            break
        h = h + layer.mlp(layer.layernorm_after(h))
    return sorted(alive)


def main(out, paths):
    photos = [Image.open(p).convert('RGB') for p in paths]
    model, loss, acc = train(photos)
    sel = os.path.join(out, 'selector')
    model.save_pretrained(sel)
    DeiTImageProcessor(size={'height': SIZE + 8, 'width': SIZE + 8}, crop_size={'height': SIZE, 'width': SIZE}, image_mean=MEAN, image_std=STD).save_pretrained(sel)
    proc = AutoImageProcessor.from_pretrained(sel)
    rows = []
    for path, img in zip(paths, photos):
        pixels = torch.tensor(proc(images=img, return_tensors='np')['pixel_values'])
        hwc = pixels[0].numpy().transpose(1, 2, 0)
        u8 = np.clip(np.round((hwc * STD + MEAN) * 255.0), 0, 255).astype(np.uint8)
        back = (u8.astype(np.float32) / 255.0 - MEAN) / STD
        g = SIZE // PATCH
        patches = u8.reshape(g, PATCH, g, PATCH, 3).transpose(0, 2, 1, 3, 4).reshape(-1).tolist()
        rows.append({'photo': path, 'patches': patches, 'recovery': float(np.abs(back - hwc).max()),
                     'tickets': {str(r): evit(model, pixels, r) for r in RATES}})
    with open(os.path.join(out, 'evit.json'), 'w') as f:
        json.dump({'selector': sel, 'train': {'steps': STEPS, 'loss': loss, 'acc': acc}, 'rates': RATES, 'blocks': BLOCKS, 'rows': rows}, f)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
