"""Locust users of an A/B experiment (`deno task experiment:run`, lib/ab/locust_run.ts).

Each Locust user is a stream of people using a client app: every iteration one person, drawn from
a pool of EXPERIMENT_CLIENTS client keys, sends one real test-set image (784 pixel values in 0..1)
to POST /v1/models/{model}/predict with their key in `x-client-key` (the service's sticky split
keeps a key on one arm), then reports the image's true label to POST /v1/feedback with the
feedback key. Nothing decides here: the runner polls the sequential analysis and stops Locust.

Seeded: user i (in spawn order) draws client keys, images and think times from its own
random.Random(f"{EXPERIMENT_SEED}:{i}"), so each user's sequence of requests is fixed by the seed
(with one user the whole run is; with more, only the interleaving of the users varies).

Environment (set by the runner): EXPERIMENT_SEED, EXPERIMENT_MODEL, EXPERIMENT_IMAGES (a file of
N x 784 pixel bytes), EXPERIMENT_LABELS (N class-id bytes), EXPERIMENT_CLIENTS,
EXPERIMENT_FEEDBACK_KEY, EXPERIMENT_THINK_MIN_S, EXPERIMENT_THINK_MAX_S; EXPERIMENT_TOTALS names
the JSON file that gets the exact request and failure counts when Locust quits (its CSV files are
written once a second, so they may miss the last second).
"""
import json
import os
import random

from locust import HttpUser, events, task

SEED = int(os.environ.get("EXPERIMENT_SEED", "1"))
MODEL = os.environ.get("EXPERIMENT_MODEL", "fmnist")
CLIENTS = int(os.environ.get("EXPERIMENT_CLIENTS", "400"))
FEEDBACK_KEY = os.environ.get("EXPERIMENT_FEEDBACK_KEY", "")
THINK_MIN = float(os.environ.get("EXPERIMENT_THINK_MIN_S", "0"))
THINK_MAX = float(os.environ.get("EXPERIMENT_THINK_MAX_S", "0"))
PIXELS_PER_IMAGE = 784

with open(os.environ["EXPERIMENT_IMAGES"], "rb") as f:
    PIXELS = f.read()
with open(os.environ["EXPERIMENT_LABELS"], "rb") as f:
    LABELS = f.read()
if not LABELS or len(PIXELS) != len(LABELS) * PIXELS_PER_IMAGE:
    raise SystemExit(f"EXPERIMENT_IMAGES holds {len(PIXELS)} bytes, not {len(LABELS)} x 784")
if not FEEDBACK_KEY:
    raise SystemExit("EXPERIMENT_FEEDBACK_KEY is not set: POST /v1/feedback needs it")
if not 0 <= THINK_MIN <= THINK_MAX:
    raise SystemExit("need 0 <= EXPERIMENT_THINK_MIN_S <= EXPERIMENT_THINK_MAX_S")


class ExperimentUser(HttpUser):
    """Predict one test image under a sticky client key, then report its true label."""

    spawned = 0

    def on_start(self):
        index = ExperimentUser.spawned
        ExperimentUser.spawned += 1
        self.rng = random.Random(f"{SEED}:{index}")

    def wait_time(self):
        return self.rng.uniform(THINK_MIN, THINK_MAX)

    @task
    def predict_and_report(self):
        client = self.rng.randrange(CLIENTS)
        i = self.rng.randrange(len(LABELS))
        pixels = PIXELS[i * PIXELS_PER_IMAGE:(i + 1) * PIXELS_PER_IMAGE]
        body = {"instances": [[round(b / 255, 5) for b in pixels]]}
        with self.client.post(f"/v1/models/{MODEL}/predict", json=body,
                              headers={"x-client-key": f"user-{SEED}-{client}"},
                              name="POST predict", catch_response=True) as res:
            if res.status_code != 200:
                res.failure(f"status {res.status_code}: {res.text[:200]}")
                return
            request_id = res.headers.get("x-request-id")
            if not request_id:
                res.failure("no x-request-id in the predict response")
                return
        with self.client.post("/v1/feedback", json={"request_id": request_id, "label": LABELS[i]},
                              headers={"x-feedback-key": FEEDBACK_KEY,
                                       "x-actor": "locust-experiment"},
                              name="POST /v1/feedback", catch_response=True) as res:
            if res.status_code not in (200, 201):
                res.failure(f"status {res.status_code}: {res.text[:200]}")


@events.quitting.add_listener
def write_totals(environment, **_kwargs):
    path = os.environ.get("EXPERIMENT_TOTALS")
    if path:
        total = environment.stats.total
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"requests": total.num_requests, "failures": total.num_failures}, f)
