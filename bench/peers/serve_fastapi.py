#!/usr/bin/python3
"""FastAPI + uvicorn + PyTorch peer for `deno task bench:serve`.

Serves POST /v1/models/{name}/predict (in the mode --mode picks: a sync handler in the thread
pool, optionally one uvicorn worker process per core with --workers, or a dynamic-batching
handler over an asyncio queue) with the same JSON contract as our service
({"instances": [[784 floats in 0..1], ...]} -> {"predictions": [{label, class_id,
probabilities}], "model": {name, version}}), validating the body with pydantic (shape and
0..1 range), running the same architecture (m1 or bn_cnn) with weights exported from our
tfjs model, and GET /healthz. Uses Debian's python3-fastapi, python3-uvicorn and python3-torch
(run with /usr/bin/python3).
"""
import argparse
import asyncio
import json
import os
from typing import List

import torch
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

try:  # pydantic 2
    from pydantic import field_validator as _validator

    def instances_validator(f):
        return _validator("instances")(classmethod(f))
except ImportError:  # pydantic 1 (Debian bookworm)
    from pydantic import validator as _validator

    def instances_validator(f):
        return _validator("instances")(f)
from torch import nn

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]


class Net(nn.Module):
    """m1 / bn_cnn as built by lib/models/architectures.ts (NHWC flatten order)."""

    def __init__(self, arch, filters, dense):
        super().__init__()
        same = arch == "bn_cnn"
        pad = 1 if same else 0
        self.conv1 = nn.Conv2d(1, filters[0], 3, padding=pad)
        self.conv2 = nn.Conv2d(filters[0], filters[1], 3, padding=pad)
        self.bn1 = nn.BatchNorm2d(filters[0], eps=1e-3) if same else None
        self.bn2 = nn.BatchNorm2d(filters[1], eps=1e-3) if same else None
        side = 7 if same else 5
        self.fc1 = nn.Linear(side * side * filters[1], dense)
        self.logits = nn.Linear(dense, 10)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        if self.bn1 is not None:
            x = self.bn1(x)
        x = self.pool(x)
        x = torch.relu(self.conv2(x))
        if self.bn2 is not None:
            x = self.bn2(x)
        x = self.pool(x)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # tfjs flattens NHWC
        x = torch.relu(self.fc1(x))
        return torch.softmax(self.logits(x), dim=1)


def load(path):
    with open(path) as f:
        spec = json.load(f)
    net = Net(spec["arch"], spec["filters"], spec["dense"])
    w = {layer["name"]: [torch.tensor(t["data"], dtype=torch.float32).reshape(t["shape"])
                         for t in layer["weights"]] for layer in spec["layers"]}
    with torch.no_grad():
        for name in ("conv1", "conv2"):
            k, b = w[name]
            getattr(net, name).weight.copy_(k.permute(3, 2, 0, 1))
            getattr(net, name).bias.copy_(b)
        for name in ("bn1", "bn2"):
            if name in w:
                g, be, mean, var = w[name]
                bn = getattr(net, name)
                bn.weight.copy_(g)
                bn.bias.copy_(be)
                bn.running_mean.copy_(mean)
                bn.running_var.copy_(var)
        for name in ("fc1", "logits"):
            k, b = w[name]
            getattr(net, name).weight.copy_(k.t())
            getattr(net, name).bias.copy_(b)
    net.eval()
    return spec, net


class Body(BaseModel):
    instances: List[List[float]]

    @instances_validator
    def check(cls, v):
        if not 1 <= len(v) <= 256:
            raise ValueError("send 1..256 instances")
        for i, inst in enumerate(v):
            if len(inst) != 784:
                raise ValueError(f"instances[{i}]: expected 784 values, got {len(inst)}")
            if min(inst) < 0 or max(inst) > 1:
                raise ValueError(f"instances[{i}]: values must be in 0..1")
        return v


def create_app():
    """The app for the mode in PEER_MODE (read from the environment so uvicorn workers can
    import it as a factory): `sync` (a plain `def` handler, run in Starlette's thread pool),
    `batch` (an async handler feeding an asyncio queue; one task forms batches of up to
    PEER_MAX_BATCH requests' images, waiting at most PEER_MAX_WAIT_MS for the batch to fill,
    and computes them in a thread)."""
    mode = os.environ["PEER_MODE"]
    threads = int(os.environ.get("PEER_THREADS", "0"))
    if threads > 0:
        torch.set_num_threads(threads)
    spec, net = load(os.environ["PEER_WEIGHTS"])
    name, version = spec["name"], spec["version"]
    app = FastAPI()

    def answer(p):
        top = p.argmax(dim=1).tolist()
        return [{"label": LABELS[c], "class_id": c, "probabilities": pr}
                for c, pr in zip(top, p.tolist())]

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "mode": mode}

    if mode == "sync":
        @app.post("/v1/models/{model}/predict")
        def predict(model: str, body: Body):
            if model != name:
                raise HTTPException(status_code=404, detail=f"model {model} not found")
            x = torch.tensor(body.instances, dtype=torch.float32).reshape(-1, 1, 28, 28)
            with torch.inference_mode():
                p = net(x)
            return {"predictions": answer(p), "model": {"name": name, "version": version}}
    elif mode == "batch":
        max_batch = int(os.environ.get("PEER_MAX_BATCH", "64"))
        max_wait = float(os.environ.get("PEER_MAX_WAIT_MS", "2")) / 1000
        queue: asyncio.Queue = asyncio.Queue()

        def compute(xs):
            with torch.inference_mode():
                return net(torch.cat(xs))

        async def batcher():
            loop = asyncio.get_running_loop()
            while True:
                items = [await queue.get()]
                n = items[0][0].shape[0]
                deadline = loop.time() + max_wait
                while n < max_batch:
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), left)
                    except asyncio.TimeoutError:
                        break
                    items.append(item)
                    n += item[0].shape[0]
                try:
                    p = await loop.run_in_executor(None, compute, [x for x, _ in items])
                    off = 0
                    for x, fut in items:
                        fut.set_result(p[off:off + x.shape[0]])
                        off += x.shape[0]
                except Exception as err:  # noqa: BLE001
                    for _, fut in items:
                        if not fut.done():
                            fut.set_exception(err)

        @app.on_event("startup")
        async def start_batcher():
            app.state.batcher = asyncio.create_task(batcher())

        @app.post("/v1/models/{model}/predict")
        async def predict_batched(model: str, body: Body):
            if model != name:
                raise HTTPException(status_code=404, detail=f"model {model} not found")
            x = torch.tensor(body.instances, dtype=torch.float32).reshape(-1, 1, 28, 28)
            fut = asyncio.get_running_loop().create_future()
            await queue.put((x, fut))
            p = await fut
            return {"predictions": answer(p), "model": {"name": name, "version": version}}
    else:
        raise SystemExit(f"unknown PEER_MODE {mode!r}: sync or batch")
    return app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=["sync", "batch"], default="sync")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per process (0 = default)")
    ap.add_argument("--max-batch", type=int, default=64)
    ap.add_argument("--max-wait-ms", type=float, default=2)
    args = ap.parse_args()
    os.environ.update({
        "PEER_MODE": args.mode, "PEER_WEIGHTS": args.weights, "PEER_THREADS": str(args.threads),
        "PEER_MAX_BATCH": str(args.max_batch), "PEER_MAX_WAIT_MS": str(args.max_wait_ms),
    })
    uvicorn.run("serve_fastapi:create_app", factory=True, workers=args.workers,
                app_dir=os.path.dirname(os.path.abspath(__file__)), host="127.0.0.1",
                port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
