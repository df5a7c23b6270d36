"""PIL + numpy peer of bench/patchify.ts: the same transform (timm's DeiT eval geometry, ported from
torchvision: shorter side to floor(size / crop_pct) with BICUBIC, centre crop) and the same patch split
([H, W, C] -> [G_h * G_w, p * p * C], raster order, each patch row-major), on the same JPEG files,
read into memory first. Prints one JSON line: {"processes", "images", "seconds", "images_per_s", "cpu_ms_per_image"}.

    .venv/bin/python bench/patchify_pil.py DIR [--processes N] [--size 224] [--patch 16] [--crop-pct 0.875] [--rounds 3] [--decode-only]
"""
import argparse
import io
import json
import math
import multiprocessing as mp
import os
import time

import numpy as np
from PIL import Image, ImageOps


def transform(data, size, patch, crop_pct):
    img = Image.open(io.BytesIO(data))
    img = ImageOps.exif_transpose(img).convert('RGB')
    w, h = img.size
    s = math.floor(size / crop_pct)
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = s, int(s * long / short)
    nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
    img = img.resize((nw, nh), Image.BICUBIC)
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    a = np.asarray(img.crop((left, top, left + size, top + size)))
    g = size // patch
    return np.ascontiguousarray(a.reshape(g, patch, g, patch, 3).transpose(0, 2, 1, 3, 4)).reshape(g * g, -1)


def decode_only(data, *_):
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def worker(args):
    files, size, patch, crop_pct, rounds, barrier, only_decode = args
    fn = decode_only if only_decode else transform
    blobs = [open(f, 'rb').read() for f in files]
    fn(blobs[0], size, patch, crop_pct)  # warm-up
    barrier.wait()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for b in blobs:
            fn(b, size, patch, crop_pct)
    return t0, time.perf_counter(), rounds * len(blobs), time.process_time() - c0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--processes', type=int, default=1)
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--patch', type=int, default=16)
    ap.add_argument('--crop-pct', type=float, default=0.875)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--decode-only', action='store_true', help='only decode (Image.open + load), no transform')
    a = ap.parse_args()
    files = sorted(os.path.join(a.dir, f) for f in os.listdir(a.dir) if f.endswith('.jpg'))
    n = a.processes
    with mp.Manager() as manager:
        barrier = manager.Barrier(n)
        jobs = [(files[i::n], a.size, a.patch, a.crop_pct, a.rounds, barrier, a.decode_only) for i in range(n)]
        with mp.Pool(n) as pool:
            results = pool.map(worker, jobs)
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    images = sum(r[2] for r in results)
    cpu_ms = 1000 * sum(r[3] for r in results) / images
    print(json.dumps({'processes': n, 'images': images, 'seconds': end - start, 'images_per_s': images / (end - start), 'cpu_ms_per_image': cpu_ms}))


if __name__ == '__main__':
    main()
