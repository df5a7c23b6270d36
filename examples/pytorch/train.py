"""Train on a dlth ticket dataset with the `dlth` Python package (pip install ./python), on one
process or with DDP (torchrun), resumable mid-epoch.

  python train.py DATA --model cnn --view zero --steps 100          # dense view: the Swin/ResNet path
  python train.py DATA --model vit --steps 100                      # sparse view: token dropping
  torchrun --nproc-per-node 2 train.py DATA --model cnn --checkpoint ckpt.pt

DATA: ticket dataset directories or http(s) URLs. Each rank reads its own rows (sample-level
split, equal counts, the order `dlth stream --rank/--world` gives); DataLoader workers split a
rank further. With --checkpoint the model, optimiser and loader state are saved every
--save-every steps and a restarted job continues with exactly the next batch.
"""
from __future__ import annotations

import argparse
import math
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from dlth import TicketIterable
from models import SmallCNN, TinyViT


def setup_distributed() -> None:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def build(args: argparse.Namespace) -> tuple:
    view = "sparse" if args.model == "vit" else args.view
    data = TicketIterable(args.dataset, view, seed=args.seed, batch_size=args.batch, flip=args.flip, subset=args.subset,
                          drop_last_batch=True)  # rank/world from torch.distributed
    meta = data.meta
    if not meta["numClasses"]:
        raise SystemExit("the dataset has no numClasses (an unlabelled source): nothing to train a classifier on")
    if args.model == "vit":
        model = TinyViT(meta["patchSize"] ** 2 * meta["channels"], meta["grid"][0] * meta["grid"][1], meta["numClasses"], meta["mean"], meta["std"])
    else:
        model = SmallCNN(meta["channels"], meta["numClasses"])
    return data, model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", nargs="+", help="ticket dataset directories or URLs")
    ap.add_argument("--model", choices=["cnn", "vit"], default="cnn")
    ap.add_argument("--view", choices=["zero", "packed"], default="zero", help="dense view for --model cnn")
    ap.add_argument("--subset", type=int, help="a fresh random subset of this many patches per epoch (a full dataset's random baseline)")
    ap.add_argument("--flip", action="store_true", help="exact random horizontal flips")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", help="save/resume model, optimiser and loader state here")
    ap.add_argument("--save-every", type=int, default=10)
    args = ap.parse_args()
    setup_distributed()
    torch.manual_seed(args.seed)
    data, model = build(args)
    rank = data.rank
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    step = 0
    if args.checkpoint and os.path.exists(args.checkpoint):
        ck = torch.load(args.checkpoint, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        data.load_state_dict(ck["loader"][rank])
        step = ck["step"]
        print(f"rank {rank}: resumed at step {step}, epoch {data.epoch}, sample {ck['loader'][rank]['consumed']}", flush=True)
    net = DistributedDataParallel(model) if dist.is_initialized() else model
    loss_fn = nn.CrossEntropyLoss(ignore_index=-1, label_smoothing=0.1)
    epoch = data.epoch
    while step < args.steps:
        data.set_epoch(epoch)
        consumed = data.start  # samples of this epoch already consumed (non-zero right after a resume)
        for batch in DataLoader(data, batch_size=args.batch, num_workers=args.workers):
            batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
            loss = loss_fn(net(batch), batch["label"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            consumed += len(batch["label"])
            if not math.isfinite(loss.item()):
                raise SystemExit(f"step {step}: loss is {loss.item()}")
            if rank == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}", flush=True)
            if args.checkpoint and step % args.save_every == 0:
                save(args.checkpoint, model, opt, data.state_dict(consumed), step)
            if step >= args.steps:
                break
        else:
            epoch += 1
            continue
        break
    if dist.is_initialized():
        dist.destroy_process_group()


def save(path: str, model: nn.Module, opt: torch.optim.Optimizer, state: dict, step: int) -> None:
    """Every rank's loader state (gathered), the model and optimiser from rank 0; written atomically."""
    states = [state]
    if dist.is_initialized():
        states = [None] * dist.get_world_size()
        dist.all_gather_object(states, state)
        if dist.get_rank() != 0:
            return
    tmp = f"{path}.tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "loader": states, "step": step}, tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
