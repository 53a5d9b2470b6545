"""Locust scenarios of fmnist-lab: users that browse models, predict from JSON pixels, upload
PNG images and send feedback on earlier predictions.

Run through `deno task load -- --scenario NAME --users N --duration T` (bench/load.ts), which
sets LOAD_SCENARIO and LOAD_USERS and starts or targets the service. Scenarios:

- smoke:  a few users, every task once in a while (the test runs it for seconds).
- steady: constant mixed traffic at --users.
- spike:  steady at a quarter of --users, a burst to --users, back down (LoadTestShape).
- soak:   steady mixed traffic for a long --duration (watch p99, RSS and tensors over time).
"""
import json
import os
import random
import struct
import zlib

from locust import HttpUser, LoadTestShape, between, task

SCENARIO = os.environ.get("LOAD_SCENARIO", "steady")
USERS = int(os.environ.get("LOAD_USERS", "10"))
MODEL = os.environ.get("LOAD_MODEL", "fmnist")
# POST /v1/feedback needs the feedback (or admin) key; without one the task is skipped.
FEEDBACK_KEY = os.environ.get("LOAD_FEEDBACK_KEY", "")
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]


def pixels(seed):
    rnd = random.Random(seed)
    return [round(rnd.random(), 3) for _ in range(784)]


def png(seed):
    """A 28x28 8-bit grayscale PNG photo-like item: a dark garment-shaped blob on a light,
    slightly noisy background (no imaging library needed)."""
    rnd = random.Random(seed)
    cx, cy = 14 + rnd.randint(-2, 2), 14 + rnd.randint(-2, 2)
    rx, ry = rnd.randint(6, 9), rnd.randint(8, 11)
    rows = []
    for y in range(28):
        row = bytearray()
        for x in range(28):
            inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
            row.append(rnd.randint(20, 60) if inside else rnd.randint(215, 235))
        rows.append(b"\x00" + bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


IMAGES = [pixels(i) for i in range(32)]
PNGS = [png(i) for i in range(8)]


class ShopUser(HttpUser):
    """A client app: mostly predictions, some browsing, uploads and feedback."""

    wait_time = between(0.05, 0.5) if SCENARIO != "smoke" else between(0.1, 0.3)

    def on_start(self):
        self.recent = []

    @task(2)
    def browse(self):
        self.client.get("/v1/models", name="GET /v1/models")
        self.client.get(f"/v1/models/{MODEL}", name="GET /v1/models/{name}")

    @task(10)
    def predict_json(self):
        n = random.choice([1, 1, 1, 4, 16])
        body = {"instances": [random.choice(IMAGES) for _ in range(n)]}
        with self.client.post(f"/v1/models/{MODEL}/predict", json=body,
                              name="POST predict (json)", catch_response=True) as res:
            if res.status_code != 200:
                res.failure(f"status {res.status_code}: {res.text[:200]}")
                return
            rid = res.headers.get("x-request-id")
            if rid:
                self.recent = (self.recent + [rid])[-20:]

    @task(3)
    def predict_image(self):
        files = {"file": ("item.png", random.choice(PNGS), "image/png")}
        with self.client.post(f"/v1/models/{MODEL}/predict", files=files,
                              name="POST predict (png upload)", catch_response=True) as res:
            if res.status_code != 200:
                res.failure(f"status {res.status_code}: {res.text[:200]}")

    @task(1)
    def feedback(self):
        if not self.recent or not FEEDBACK_KEY:
            return
        body = {"request_id": random.choice(self.recent), "index": 0,
                "label": random.choice(LABELS)}
        with self.client.post("/v1/feedback", data=json.dumps(body),
                              headers={"content-type": "application/json",
                                       "x-feedback-key": FEEDBACK_KEY, "x-actor": "locust"},
                              name="POST /v1/feedback", catch_response=True) as res:
            # 404: the prediction log may not be flushed yet; 409: a different label was already
            # given to that prediction (the service keeps the first). Neither is a failure.
            if res.status_code in (200, 201, 404, 409):
                res.success()
            else:
                res.failure(f"status {res.status_code}: {res.text[:200]}")


if SCENARIO == "spike":
    class SpikeShape(LoadTestShape):
        """A quarter of the users, a burst to all of them for the middle third, then back."""

        def tick(self):
            run_time = self.get_run_time()
            total = float(os.environ.get("LOAD_DURATION_S", "60"))
            if run_time > total:
                return None
            base = max(1, USERS // 4)
            if total / 3 <= run_time < 2 * total / 3:
                return (USERS, USERS)
            return (base, USERS)
