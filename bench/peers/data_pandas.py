#!/usr/bin/python3
"""Peer of `bench/data.ts`: the same ingest + validate + features computation in pandas/numpy.

Run with Debian's python (`/usr/bin/python3`, which sees python3-pandas/python3-numpy):
    /usr/bin/python3 bench/peers/data_pandas.py --data DIR --repeat N --seed S
Prints one JSON object on stdout: per-stage seconds (each repeat) and result values the
TypeScript side cross-checks (normalization, duplicate counts, class means, feature means).
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import sys
import time

import numpy as np
import pandas as pd

FILES = [
    ("train-images-idx3-ubyte", 0x803, [60000, 28, 28],
     "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    ("train-labels-idx1-ubyte", 0x801, [60000],
     "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    ("t10k-images-idx3-ubyte", 0x803, [10000, 28, 28],
     "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    ("t10k-labels-idx1-ubyte", 0x801, [10000],
     "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
]
INK_THRESHOLD = 25
NEAR_DROP_BITS = 4
BANDS = [(0.26, 0.39), (0.18, 0.27), (0.30, 0.45), (0.21, 0.31), (0.31, 0.46),
         (0.11, 0.17), (0.27, 0.40), (0.13, 0.20), (0.28, 0.42), (0.24, 0.36)]


def read_idx(path, magic, dims, sha):
    with open(path, "rb") as f:
        raw = gzip.decompress(f.read())
    m, = struct.unpack(">I", raw[:4])
    if m != magic:
        raise ValueError(f"{path}: magic {m:#x}, expected {magic:#x}")
    nd = raw[3]
    got = list(struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd]))
    if got != dims:
        raise ValueError(f"{path}: dims {got}, expected {dims}")
    header = 4 + 4 * nd
    if len(raw) != header + int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha:
        raise ValueError(f"{path}: sha256 {digest}, expected {sha}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def ingest(data_dir):
    arrays = [read_idx(os.path.join(data_dir, name + ".gz"), magic, dims, sha)
              for name, magic, dims, sha in FILES]
    return {"train": (arrays[0], arrays[1]), "test": (arrays[2], arrays[3])}


def row_keys(images):
    flat = np.ascontiguousarray(images.reshape(len(images), -1))
    return flat.view(np.dtype((np.void, flat.shape[1]))).ravel()


def duplicates_within(images, labels):
    keys = row_keys(images)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    dup = counts[inverse] > 1
    groups = pd.Series(np.flatnonzero(dup)).groupby(inverse[dup], group_keys=False).apply(list)
    conflicts = sum(len(set(labels[g])) > 1 for g in groups)
    return {"groups": int(len(groups)), "redundant": int((counts[counts > 1] - 1).sum()),
            "conflicts": int(conflicts)}


def cross_duplicates(train, test, train_labels, test_labels):
    a, b = row_keys(train), row_keys(test)
    _, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    train_groups, test_groups = inverse[:len(a)], inverse[len(a):]
    hit = np.flatnonzero(np.isin(test_groups, train_groups))
    conflicts = 0
    for j in hit:  # only the (rare) matches are visited one by one
        same = np.flatnonzero(train_groups == test_groups[j])
        conflicts += bool((train_labels[same] != test_labels[j]).any())
    return {"matches": int(len(hit)), "labelConflicts": int(conflicts)}


def validate(ds):
    out = {}
    for split, (images, labels) in ds.items():
        n = images.shape[0]
        flat = images.reshape(n, -1)
        ok_shape = images.dtype == np.uint8 and images.shape[1:] == (28, 28) and len(labels) == n
        mins, maxs = flat.min(axis=1), flat.max(axis=1)
        blank = int((maxs == 0).sum())
        out_of_domain = int((labels >= 10).sum())
        counts = np.bincount(labels, minlength=10)
        balance = float(np.abs(counts - n / 10).max() / (n / 10))
        df = pd.DataFrame({"label": labels, "mean": flat.sum(axis=1) / (flat.shape[1] * 255.0)})
        class_means = df.groupby("label")["mean"].mean()
        in_bands = all(lo <= class_means[k] <= hi for k, (lo, hi) in enumerate(BANDS))
        out[split] = {
            "shapeOk": bool(ok_shape), "min": int(mins.min()), "max": int(maxs.max()),
            "blank": blank, "outOfDomain": out_of_domain, "maxRelativeDeviation": balance,
            "duplicates": duplicates_within(images, labels),
            "nearDuplicates": duplicates_within(images >> NEAR_DROP_BITS, labels),
            "classMeans": [float(x) for x in class_means], "inBands": bool(in_bands),
        }
    (tr, trl), (te, tel) = ds["train"], ds["test"]
    out["leakage"] = cross_duplicates(tr, te, trl, tel)
    out["nearLeakage"] = cross_duplicates(tr >> NEAR_DROP_BITS, te >> NEAR_DROP_BITS, trl, tel)
    return out


def image_features(images):
    """Tuned numpy: integer accumulators, no full-size float64 copies of the images."""
    n, rows, cols = images.shape
    size = rows * cols
    row_sums = images.sum(axis=2, dtype=np.int64)
    col_sums = images.sum(axis=1, dtype=np.int64)
    total = row_sums.sum(axis=1)
    u16 = images.astype(np.uint16)  # 255² fits in uint16
    sum_sq = (u16 * u16).sum(axis=(1, 2), dtype=np.int64)
    mean = total / size
    std = np.sqrt(np.maximum(0.0, sum_sq / size - mean * mean)) / 255.0
    ink = images > INK_THRESHOLD
    ink_count = ink.sum(axis=(1, 2))
    any_row, any_col = ink.any(axis=2), ink.any(axis=1)
    has = ink_count > 0
    top = np.where(has, any_row.argmax(axis=1), -1)
    bottom = np.where(has, rows - 1 - any_row[:, ::-1].argmax(axis=1), -1)
    left = np.where(has, any_col.argmax(axis=1), -1)
    right = np.where(has, cols - 1 - any_col[:, ::-1].argmax(axis=1), -1)
    half = cols // 2
    a = images[:, :, :half].astype(np.int16)
    b = images[:, :, ::-1][:, :, :half].astype(np.int16)
    diff = np.abs(a - b).sum(axis=(1, 2), dtype=np.int64)
    pair = (a + b).sum(axis=(1, 2), dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        symmetry = np.where(pair > 0, 1 - diff / pair, 1.0)
        cy = np.where(total > 0, row_sums @ np.arange(rows) / total, (rows - 1) / 2)
        cx = np.where(total > 0, col_sums @ np.arange(cols) / total, (cols - 1) / 2)
    return pd.DataFrame({
        "mean_intensity": mean / 255.0, "std_intensity": std, "ink_ratio": ink_count / size,
        "bbox_top": top.astype(np.int16), "bbox_left": left.astype(np.int16),
        "bbox_bottom": bottom.astype(np.int16), "bbox_right": right.astype(np.int16),
        "bbox_height": np.where(has, bottom - top + 1, 0).astype(np.int16),
        "bbox_width": np.where(has, right - left + 1, 0).astype(np.int16),
        "symmetry_h": symmetry, "centre_y": cy, "centre_x": cx,
    })


def features(ds, seed):
    (tr, trl), (te, tel) = ds["train"], ds["test"]
    ids = pd.DataFrame({"image_index": np.arange(len(trl), dtype=np.int32), "label": trl})
    val = ids.groupby("label", group_keys=False).sample(frac=0.1, random_state=seed)
    subset = np.full(len(trl), "train", dtype=object)
    subset[val["image_index"].to_numpy()] = "val"
    frames = []
    for split, images, labels, sub in (("train", tr, trl, subset),
                                       ("test", te, tel, np.full(len(tel), "test", dtype=object))):
        f = image_features(images)
        f.insert(0, "subset", sub)
        f.insert(0, "label", labels)
        f.insert(0, "image_index", np.arange(len(labels), dtype=np.int32))
        f.insert(0, "split", split)
        frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    if table.isna().any().any():
        raise ValueError("feature table holds NaN")
    stats = table.groupby(["split", "label"]).agg(
        count=("image_index", "count"), mean_intensity=("mean_intensity", "mean"),
        mean_intensity_std=("mean_intensity", "std"), std_intensity=("std_intensity", "mean"),
        ink_ratio=("ink_ratio", "mean"), bbox_height=("bbox_height", "mean"),
        bbox_width=("bbox_width", "mean"), symmetry_h=("symmetry_h", "mean"),
        centre_y=("centre_y", "mean")).reset_index()
    hist = np.bincount(tr.ravel(), minlength=256).astype(np.float64)
    v = np.arange(256, dtype=np.float64)
    n = hist.sum()
    m = (hist * v).sum() / n
    norm = {"mean": m / 255.0, "std": float(np.sqrt((hist * v * v).sum() / n - m * m)) / 255.0}
    feature_cols = [c for c in table.columns if c not in ("split", "image_index", "label", "subset")]
    return {"rows": int(len(table)), "valCount": int(len(val)), "classStatsRows": int(len(stats)),
            "normalization": norm,
            "featureMeans": {c: float(table[c].mean()) for c in feature_cols}}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    times = {"ingest": [], "validate": [], "features": []}
    result = {}
    for _ in range(args.repeat):
        t = time.perf_counter()
        ds = ingest(args.data)
        times["ingest"].append(time.perf_counter() - t)
        t = time.perf_counter()
        result["validate"] = validate(ds)
        times["validate"].append(time.perf_counter() - t)
        t = time.perf_counter()
        result["features"] = features(ds, args.seed)
        times["features"].append(time.perf_counter() - t)
    json.dump({"times": times, "result": result,
               "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                            "pandas": pd.__version__}}, sys.stdout)


if __name__ == "__main__":
    main()
