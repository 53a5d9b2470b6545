#!/usr/bin/python3
"""Reference values for lib/drift/stats_test.ts, computed with Debian's SciPy / scikit-learn /
NumPy. Regenerate with:

    /usr/bin/python3 lib/drift/testdata/make_fixtures.py > lib/drift/testdata/fixtures.json

(if NumPy cannot find liblapack.so.3, prefix LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/lapack).
"""
import json

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import cdist, jensenshannon
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(20261130)


def bh(p):
    """Benjamini–Hochberg adjusted p-values (SciPy 1.10 has no false_discovery_control)."""
    m = len(p)
    order = np.argsort(p)
    q = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1)
    return out


def r(a):
    return [float(v) for v in np.asarray(a).ravel()]


out = {"scipy": scipy.__version__, "ks": [], "chi2": [], "wasserstein": [], "js": [],
       "adjust": [], "mannwhitney": [], "mmd": [], "pca": None}

# KS: exact (small sizes, equal and unequal, with a shift) and asymptotic (larger sizes).
for n, m, shift, method in [(10, 10, 0.0, "exact"), (12, 17, 0.8, "exact"), (40, 25, 0.3, "exact"),
                            (50, 50, 0.5, "exact"), (7, 30, 1.5, "exact"),
                            (300, 200, 0.1, "asymp"), (1000, 400, 0.2, "asymp"),
                            (2000, 50, 0.0, "asymp"), (500, 500, 0.6, "asymp")]:
    x = rng.normal(size=n)
    y = rng.normal(loc=shift, size=m)
    res = stats.ks_2samp(x, y, method=method)
    # SciPy's "asymp" uses kstwo.sf(D, round(nm/(n+m))); ours uses the limiting distribution
    # kstwobign.sf(sqrt(nm/(n+m)) * D), reported here as "limit".
    limit = stats.kstwobign.sf(np.sqrt(n * m / (n + m)) * res.statistic)
    out["ks"].append({"x": r(x), "y": r(y), "method": method, "statistic": float(res.statistic),
                      "pvalue": float(res.pvalue), "limit": float(limit)})

# Chi-square homogeneity of two count vectors (2×K contingency table, no Yates correction).
for a, b in [([10, 20, 30, 40], [12, 18, 33, 37]), ([100, 5, 0, 20], [30, 1, 0, 40]),
             ([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
              [20, 25, 18, 22, 19, 21, 20, 24, 16, 15]),
             ([500, 500], [10, 60])]:
    table = np.array([a, b])
    keep = table.sum(axis=0) > 0
    chi2, p, dof, _ = stats.chi2_contingency(table[:, keep], correction=False)
    out["chi2"].append({"a": a, "b": b, "statistic": float(chi2), "pvalue": float(p), "dof": int(dof)})

for n, m, loc in [(100, 80, 0.5), (30, 300, 0.0), (5, 7, 2.0)]:
    x = rng.normal(size=n)
    y = rng.exponential(size=m) + loc
    out["wasserstein"].append({"x": r(x), "y": r(y), "value": float(stats.wasserstein_distance(x, y))})

for p, q in [([0.1, 0.2, 0.7], [0.3, 0.3, 0.4]), ([1, 0, 0, 3], [0, 2, 2, 0]),
             ([5, 5, 5, 5], [5, 5, 5, 5]), ([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5])]:
    out["js"].append({"p": p, "q": q, "value": float(jensenshannon(p, q, base=2))})

pv = rng.uniform(size=12) ** 3
out["adjust"].append({"p": r(pv), "bonferroni": r(np.minimum(1, pv * len(pv))),
                      "fdr_bh": r(bh(pv))})

for n1, n0, shift, ties in [(30, 40, 0.5, False), (100, 100, 0.0, False), (25, 60, 0.3, True)]:
    pos = rng.normal(loc=shift, size=n1)
    neg = rng.normal(size=n0)
    if ties:
        pos, neg = np.round(pos, 1), np.round(neg, 1)
    res = stats.mannwhitneyu(pos, neg, alternative="greater", use_continuity=False,
                             method="asymptotic")
    scores = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(n1), np.zeros(n0)])
    out["mannwhitney"].append({"scores": r(scores), "y": [int(v) for v in y],
                               "auc": float(roc_auc_score(y, scores)), "pvalue": float(res.pvalue)})

# Unbiased MMD² with an RBF kernel, sigma = median pooled pairwise distance.
for n, m, dim, shift in [(20, 25, 3, 0.0), (40, 30, 5, 0.7)]:
    x = rng.normal(size=(n, dim))
    y = rng.normal(loc=shift, size=(m, dim))
    z = np.vstack([x, y])
    d = cdist(z, z)
    iu = np.triu_indices(len(z), 1)
    sigma = float(np.median(d[iu]))
    k = np.exp(-d ** 2 / (2 * sigma ** 2))
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    mmd2 = ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean())
    out["mmd"].append({"x": r(x), "y": r(y), "dim": dim, "sigma": sigma, "mmd2": float(mmd2)})

x = rng.normal(size=(60, 6)) @ rng.normal(size=(6, 6))
pca = PCA(n_components=3).fit(x)
out["pca"] = {"x": r(x), "dim": 6, "k": 3, "explained_variance": r(pca.explained_variance_),
              "projected_abs": r(np.abs(pca.transform(x)))}

print(json.dumps(out))
