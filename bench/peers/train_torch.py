#!/usr/bin/python3
"""PyTorch peer for `deno task bench:train`: trains model M1 on Fashion-MNIST for a number of
epochs and measures training and inference throughput (images/s) and test accuracy.

Uses Debian's python3-torch (call with /usr/bin/python3). Prints one JSON object on stdout.
M1 = conv32(3x3,relu)-maxpool2-conv64(3x3,relu)-maxpool2-flatten-dense128(relu)-dropout(0.5)-dense10,
Adam(lr=1e-3), cross-entropy; inputs scaled to [0, 1], NHWC on disk -> NCHW here.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="directory with the four IDX .gz files")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images (0 = all)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=42)
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
    model = m1()
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
