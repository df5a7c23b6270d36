"""Cross-check of dlth's trainer against PyTorch (docs/trainer.md, "--weight-init"): the soup-lth
dense student (vit-micro-p7-49 on all patches of the patch-soup images) trained in PyTorch with
dlth's recipe: AdamW (wd 0.05, none on biases, norms, pos_embed, cls_token), peak lr 2e-3 at batch
64, linear warm-up from 1e-6 over half an epoch then cosine to 1e-5, label smoothing 0.1, global-norm
clip 1, horizontal flips; images 0-53,999 of the training file to train, 54,000-59,999 to validate.
Inputs are normalised with dlth's Fashion-MNIST constants (src/patchify/config.ts: mean 0.286,
std 0.353), as dlth's idx datasets record them.
  dlth make-cluttered --background soup --out .cache/soup
  .venv/bin/python bench/init_crosscheck.py INIT EPOCHS THREADS SEED
INIT: timm (dlth's default scheme, truncation at 2 sd as src/model/rng.ts), jax (timm's
weight_init='jax', dlth's --weight-init jax) or torch (PyTorch's default Linear init).
Prints the loss every 211 steps and one JSON line with validation and test accuracy."""
import gzip, math, os, sys, time, json
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_torch import Block
init, epochs, threads, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if init not in ('timm', 'jax', 'torch'): sys.exit(f'init is {init!r}, expected timm, jax or torch')
torch.set_num_threads(threads); torch.manual_seed(seed); np.random.seed(seed)
def idx(p, off):
    with gzip.open(p) as f: return np.frombuffer(f.read()[off:], dtype=np.uint8)
import os
D=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '.cache', 'soup') + '/'
xtr = idx(D+'train-images-idx3-ubyte.gz', 16).reshape(-1, 49, 49); ytr = idx(D+'train-labels-idx1-ubyte.gz', 8).astype(np.int64)
xte = idx(D+'t10k-images-idx3-ubyte.gz', 16).reshape(-1, 49, 49); yte = idx(D+'t10k-labels-idx1-ubyte.gz', 8).astype(np.int64)
xval, yval = xtr[54000:60000], ytr[54000:60000]; xtr, ytr = xtr[:54000], ytr[:54000]
mean, std = 0.286, 0.353  # dlth's FASHION_MNIST_MEAN / _STD, recorded in the idx datasets' metadata
def patches(x):  # [B,49,49] -> [B,49,49] patch-major (7x7 patches of 7x7)
    return x.reshape(-1, 7, 7, 7, 7).transpose(0, 1, 3, 2, 4).reshape(-1, 49, 49)
class ViT(nn.Module):
    def __init__(self, dim=64, depth=4, heads=4, patch_dim=49, n=49, classes=10):
        super().__init__()
        self.patch_embed = nn.Linear(patch_dim, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)); self.pos_embed = nn.Parameter(torch.randn(1, 1 + n, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)]); self.norm = nn.LayerNorm(dim, eps=1e-6); self.head = nn.Linear(dim, classes)
        if init == 'timm':
            for name, m in self.named_modules():
                if isinstance(m, nn.Linear) and name != 'patch_embed':
                    nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04); nn.init.zeros_(m.bias)  # cut at 2 sd, as dlth
            nn.init.trunc_normal_(self.pos_embed, std=0.02, a=-0.04, b=0.04); nn.init.normal_(self.cls_token, std=1e-6)
        if init == 'jax':
            for name, m in self.named_modules():
                if isinstance(m, nn.Linear):
                    if name == 'head': nn.init.zeros_(m.weight); nn.init.zeros_(m.bias)
                    elif name == 'patch_embed':
                        nn.init.trunc_normal_(m.weight, std=math.sqrt(1 / m.in_features) / .87962566103423978); nn.init.zeros_(m.bias)
                    else:
                        nn.init.xavier_uniform_(m.weight)
                        if name.endswith('fc1') or name.endswith('fc2'): nn.init.normal_(m.bias, std=1e-6)
                        else: nn.init.zeros_(m.bias)
            nn.init.trunc_normal_(self.pos_embed, std=0.02); nn.init.normal_(self.cls_token, std=1e-6)
    def forward(self, p):
        x = self.patch_embed((p.float() / 255 - mean) / std) + self.pos_embed[:, 1:]
        x = torch.cat([(self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1), x], 1)
        for b in self.blocks: x = b(x)
        return self.head(self.norm(x)[:, 0])
model = ViT()
decay, nodecay = [], []
for n_, p in model.named_parameters(): (nodecay if p.ndim <= 1 or n_.endswith('.bias') or n_ in ('pos_embed', 'cls_token') else decay).append(p)
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': nodecay, 'weight_decay': 0.0}], lr=2e-3)
B = 64; spe = len(xtr) // B; total = int(epochs * spe); warm = int(0.5 * spe)
def lr_at(s):
    if s < warm: return 1e-6 + (2e-3 - 1e-6) * s / warm
    t = (s - warm) / max(1, total - warm); return 1e-5 + 0.5 * (2e-3 - 1e-5) * (1 + math.cos(math.pi * t))
def evaluate(x, y):
    model.eval(); c = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000): c += (model(torch.from_numpy(patches(x[i:i+1000]))).argmax(1).numpy() == y[i:i+1000]).sum()
    model.train(); return 100 * c / len(x)
t0 = time.time(); s = 0; run = 0.0
while s < total:
    perm = np.random.permutation(len(xtr))
    for i in range(spe):
        if s >= total: break
        ids = perm[i*B:(i+1)*B]; xb = xtr[ids].copy(); flip = np.random.rand(B) < 0.5; xb[flip] = xb[flip][:, :, ::-1]
        for g in opt.param_groups: g['lr'] = lr_at(s)
        loss = F.cross_entropy(model(torch.from_numpy(patches(xb))), torch.from_numpy(ytr[ids]), label_smoothing=0.1)
        opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
        run += loss.item(); s += 1
        if s % 211 == 0: print(json.dumps({'step': s, 'loss': round(run / 211, 4), 's': round(time.time() - t0)}), flush=True); run = 0.0
print(json.dumps({'init': init, 'epochs': epochs, 'seed': seed, 'steps': total, 'val': round(float(evaluate(xval, yval)), 2), 'test': round(float(evaluate(xte, yte)), 2), 'wall_s': round(time.time() - t0)}), flush=True)
