"""What Hugging Face image processors feed a model, for dlth's preprocessing parity test.

    .venv/bin/python scripts/parity/hf_preprocess.py OUT_DIR PHOTO...

Saves three processors under OUT_DIR (ViTImageProcessor defaults: 224x224 bilinear, mean/std 0.5;
DeiTImageProcessor defaults: 256x256 bicubic then a 224 centre crop; ConvNextImageProcessor:
shortest edge 224 with crop_pct 0.875, bicubic, ImageNet statistics) and, for each photo
(PIL-opened, converted to RGB), AutoImageProcessor's pixel_values as raw float32 CHW in
OUT_DIR/<processor>/<index>.f32. OUT_DIR/photos.json lists processors and photos.
"""
import json
import os
import sys

import numpy as np
from PIL import Image
from transformers import AutoImageProcessor, ConvNextImageProcessor, DeiTImageProcessor, ViTImageProcessor

out, photos = sys.argv[1], sys.argv[2:]
procs = {
    'vit': ViTImageProcessor(),
    'deit': DeiTImageProcessor(),
    'convnext': ConvNextImageProcessor(size={'shortest_edge': 224}, crop_pct=0.875),
}
for name, p in procs.items():
    d = os.path.join(out, name)
    p.save_pretrained(d)
    auto = AutoImageProcessor.from_pretrained(d)
    for i, path in enumerate(photos):
        img = Image.open(path).convert('RGB')
        x = auto(images=img, return_tensors='np')['pixel_values'][0].astype(np.float32)
        x.tofile(os.path.join(d, f'{i}.f32'))
with open(os.path.join(out, 'photos.json'), 'w') as f:
    json.dump({'processors': list(procs), 'photos': photos, 'auto': type(auto).__name__}, f)
