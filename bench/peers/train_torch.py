#!/usr/bin/python3
"""PyTorch peer for `deno task bench:train`: trains model M1 on Fashion-MNIST for a number of
epochs and measures training and inference throughput (images/s) and test accuracy.

Uses Debian's python3-torch (call with /usr/bin/python3). Prints one JSON object on stdout.
M1 = conv32(3x3,relu)-maxpool2-conv64(3x3,relu)-maxpool2-flatten-dense128(relu)-dropout(0.5)-dense10,
Adam(lr=1e-3), cross-entropy; inputs scaled to [0, 1], NHWC on disk -> NCHW here.

--recipe default: time-to-target-accuracy with the pipeline's `default` recipe (lib/train/recipes.ts,
passed as --recipe-json): bn_cnn = [conv(3x3 same)+relu -> BatchNorm -> maxpool2] per filter count,
dense+relu, dropout, dense10; Adam with a one-cycle LR (cosine, pct_start, div 25, final div 1e3,
stepped per batch like ours); augmentation: shift +-shift px (zero fill) and hflip p; evaluates on
the test set after each epoch and stops at --target accuracy or after the recipe's epochs.
BatchNorm uses Keras' eps 1e-3 and momentum 0.99 (torch momentum 0.01) like tfjs.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def m1():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )


def bn_cnn(filters, dense, dropout):
    layers, cin = [], 1
    for f in filters:
        layers += [nn.Conv2d(cin, f, 3, padding=1), nn.ReLU(),
                   nn.BatchNorm2d(f, eps=1e-3, momentum=0.01), nn.MaxPool2d(2)]
        cin = f
    side = 28 // (2 ** len(filters))
    layers += [nn.Flatten(), nn.Linear(cin * side * side, dense), nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(dense, 10))
    return nn.Sequential(*layers)


def augment(x, shift, hflip, gen):
    """Per-image shift in [-shift, shift]^2 with zero fill, then horizontal flip with p=hflip."""
    n = x.shape[0]
    if hflip > 0:
        flip = torch.rand(n, generator=gen) < hflip
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if shift > 0:
        padded = nn.functional.pad(x, (shift, shift, shift, shift))
        dy = torch.randint(-shift, shift + 1, (n,), generator=gen)
        dx = torch.randint(-shift, shift + 1, (n,), generator=gen)
        out = torch.empty_like(x)
        for oy in range(-shift, shift + 1):
            for ox in range(-shift, shift + 1):
                m = (dy == oy) & (dx == ox)
                if m.any():
                    out[m] = padded[m, :, shift - oy: shift - oy + 28, shift - ox: shift - ox + 28]
        x = out
    return x


def run_recipe(a, xtr, ytr, xte, yte):
    r = json.loads(a.recipe_json)
    m, t = r["model"], r["train"]
    model = bn_cnn(m.get("filters", [32, 64]), m.get("dense", 128), m.get("dropout", 0.3))
    epochs, bs, lr = t["epochs"], t["batchSize"], t["learningRate"]
    sch = t.get("schedule", {"kind": "constant"})
    aug = t.get("augment", {})
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (xtr.shape[0] + bs - 1) // bs
    scheduler = None
    if sch["kind"] == "one_cycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
            pct_start=sch.get("pctStart", 0.25), div_factor=sch.get("divFactor", 25),
            final_div_factor=sch.get("finalDivFactor", 1e3), anneal_strategy="cos",
            cycle_momentum=False)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(a.seed)
    n = xtr.shape[0]
    history = []
    reached = None
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, bs):
            idx = perm[i: i + bs]
            xb = augment(xtr[idx], aug.get("shift", 0), aug.get("hflip", 0), gen)
            opt.zero_grad()
            loss_fn(model(xb), ytr[idx]).backward()
            opt.step()
            if scheduler:
                scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, xte.shape[0], 512):
                correct += (model(xte[i: i + 512]).argmax(1) == yte[i: i + 512]).sum().item()
        acc = correct / xte.shape[0]
        elapsed = time.perf_counter() - t0
        history.append({"epoch": epoch, "test_accuracy": acc, "seconds": elapsed})
        print(f"  torch: epoch {epoch + 1} test acc {acc:.4f} at {elapsed:.1f} s",
              file=sys.stderr, flush=True)
        if acc >= a.target:
            reached = elapsed
            break
    json.dump({
        "engine": "torch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "target": a.target,
        "seconds_to_target": reached,
        "epochs_run": len(history),
        "history": history,
        "train_images_per_epoch": n,
    }, sys.stdout)
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="directory with the four IDX .gz files")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images (0 = all)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--model-json", help="throughput runs: this model config instead of M1 "
                    "(lib/models/architectures.ts; m1 or bn_cnn)")
    ap.add_argument("--recipe-json", help="run a recipe (JSON of lib/train/recipes.ts) to --target")
    ap.add_argument("--target", type=float, default=0.92)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    def load(prefix):
        x = read_idx_gz(os.path.join(a.data, f"{prefix}-images-idx3-ubyte.gz"))
        y = read_idx_gz(os.path.join(a.data, f"{prefix}-labels-idx1-ubyte.gz"))
        return (torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1),
                torch.from_numpy(y.astype(np.int64)))

    xtr, ytr = load("train")
    xte, yte = load("t10k")
    if a.limit:
        xtr, ytr = xtr[: a.limit], ytr[: a.limit]
    if a.recipe_json:
        return run_recipe(a, xtr, ytr, xte, yte)
    spec = json.loads(a.model_json) if a.model_json else {"arch": "m1"}
    if spec["arch"] == "m1":
        model = m1()
    elif spec["arch"] == "bn_cnn":
        model = bn_cnn(spec.get("filters", [32, 64]), spec.get("dense", 128),
                       spec.get("dropout", 0.5))
    else:
        sys.exit(f"train_torch.py: --model-json: arch {spec['arch']} is not mirrored here")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    # warm-up step (allocations, first-call overheads), not timed
    model.train()
    opt.zero_grad()
    loss_fn(model(xtr[: a.batch]), ytr[: a.batch]).backward()
    opt.zero_grad()

    n = xtr.shape[0]
    t0 = time.perf_counter()
    last_loss = float("nan")
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        for i in range(0, n, a.batch):
            idx = perm[i: i + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            last_loss = loss.item()
    train_s = time.perf_counter() - t0

    model.eval()
    correct = 0
    with torch.no_grad():
        model(xte[: a.batch])  # warm-up
        t0 = time.perf_counter()
        for i in range(0, xte.shape[0], a.batch):
            correct += (model(xte[i: i + a.batch]).argmax(1) == yte[i: i + a.batch]).sum().item()
        infer_s = time.perf_counter() - t0

    json.dump({
        "engine": "torch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
        "train_images": n * a.epochs,
        "train_s": train_s,
        "train_img_s": n * a.epochs / train_s,
        "final_loss": last_loss,
        "infer_images": int(xte.shape[0]),
        "infer_s": infer_s,
        "infer_img_s": xte.shape[0] / infer_s,
        "test_accuracy": correct / xte.shape[0],
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
