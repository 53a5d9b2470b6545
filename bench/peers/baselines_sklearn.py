"""scikit-learn baselines on Fashion-MNIST, the peer of `deno task bench:baselines`.

Fits LogisticRegression, MLPClassifier, RandomForestClassifier and KNeighborsClassifier on the
train split (pixels / 255) and prints one JSON object: per model, test accuracy, the training rows
used and the seconds of the timed work (`timed`: "fit" for the trained models, "fit+predict" for
k-NN, matching what ours times). Usage: /usr/bin/python3 baselines_sklearn.py DATA_DIR
[--train N] [--test N] [--models a,b] [--train-idx FILE] [--knn-idx FILE]; the index files
(little-endian int32 row numbers of the 60,000 train images) make it train on exactly the rows
ours trains on (--train then caps nothing: the files are already cut).
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
    ap.add_argument("--train-idx", help="int32 row numbers to fit logreg, mlp and rf on")
    ap.add_argument("--knn-idx", help="int32 row numbers k-NN memorises")
    a = ap.parse_args()
    d = a.data
    xall = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 784) / 255.0
    yall = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"), 8)

    def rows(path):
        if not path:
            return xall[: a.train], yall[: a.train]
        idx = np.fromfile(path, dtype="<i4")
        return xall[idx], yall[idx]
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
        xtr, ytr = rows(a.knn_idx if name == "knn" else a.train_idx)
        m = models[name]()
        import warnings

        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(xtr, ytr)
        fit_s = time.perf_counter() - t0
        pred = m.predict(xte)
        total_s = time.perf_counter() - t0
        acc = float((pred == yte).mean())
        timed = "fit+predict" if name == "knn" else "fit"
        out[name] = {"test_accuracy": acc, "seconds": total_s if name == "knn" else fit_s,
                     "timed": timed, "train_rows": int(len(ytr))}
        print(f"sklearn {name}: {acc:.4f} in {out[name]['seconds']:.1f} s", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
