"""scikit-learn baselines on Fashion-MNIST, the peer of `deno task bench:baselines`.

Fits LogisticRegression, MLPClassifier, RandomForestClassifier and KNeighborsClassifier on the
train split (pixels / 255) and prints one JSON object: per model, test accuracy and fit+predict
seconds. Usage: /usr/bin/python3 baselines_sklearn.py DATA_DIR [--train N] [--test N] [--models a,b]
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--models", default="logreg,mlp,rf,knn")
    a = ap.parse_args()
    d = a.data
    xtr = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 784)[: a.train] / 255.0
    ytr = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"), 8)[: a.train]
    xte = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"), 16).reshape(-1, 784)[: a.test] / 255.0
    yte = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"), 8)[: a.test]
    models = {
        "logreg": lambda: LogisticRegression(max_iter=100, solver="lbfgs"),
        "mlp": lambda: MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=20, random_state=42),
        "rf": lambda: RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=42),
        "knn": lambda: KNeighborsClassifier(n_neighbors=5, weights="distance", n_jobs=2),
    }
    out = {}
    for name in a.models.split(","):
        t0 = time.perf_counter()
        m = models[name]()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(xtr, ytr)
        acc = float((m.predict(xte) == yte).mean())
        out[name] = {"test_accuracy": acc, "seconds": time.perf_counter() - t0}
        print(f"sklearn {name}: {acc:.4f} in {out[name]['seconds']:.1f} s", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
