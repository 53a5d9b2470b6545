#!/usr/bin/python3
"""PyTorch peer for `deno task bench:infer`: the same m1 / bn_cnn architecture and weights as
our tfjs model (weights.json from bench/infer.ts, loaded as bench/peers/serve_fastapi.py does),
timed at each batch size with `torch.set_num_threads(threads)`, each at its best: eager under
`torch.inference_mode()` and a frozen TorchScript trace; the faster of the two is reported per
batch size. Prints one line `RESULT {json}`. Debian's python3-torch (run with /usr/bin/python3).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from serve_fastapi import load  # noqa: E402


def rate(fn, x_all, batch, seconds):
    n = x_all.shape[0]
    for i in range(5):
        fn(x_all[(i * batch) % (n - batch + 1):][:batch])
    iters, start = 0, time.perf_counter()
    while True:
        off = (iters * batch) % (n - batch + 1)
        fn(x_all[off:off + batch])
        iters += 1
        el = time.perf_counter() - start
        if el >= seconds and iters >= 3:
            return iters * batch / el


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--input", required=True, help="float32 NHWC 0..1 images (raw)")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batches", default="1,32,256")
    ap.add_argument("--seconds", type=float, default=0.8)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    _, net = load(args.weights)
    x = torch.from_numpy(np.fromfile(args.input, dtype=np.float32).reshape(-1, 1, 28, 28).copy())
    with torch.inference_mode():
        eager = lambda b: net(b)  # noqa: E731
        traced = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(net.eval(), x[:8])))
        rates, modes = {}, {}
        for b in [int(v) for v in args.batches.split(",")]:
            e = rate(eager, x, b, args.seconds)
            t = rate(traced, x, b, args.seconds)
            rates[b], modes[b] = (t, "torchscript") if t > e else (e, "eager")
        probs = net(x[:8]).reshape(-1).tolist()
    print("RESULT " + json.dumps({
        "rates": rates, "modes": modes, "probs": probs,
        "version": torch.__version__, "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
