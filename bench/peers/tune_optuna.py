"""Peer for bench/tune.ts: Optuna's TPE (Debian python3-optuna 3.1) on the same test functions.

Usage: /usr/bin/python3 bench/peers/tune_optuna.py FUNCTIONS SEEDS TRIALS
  FUNCTIONS  comma-separated names (branin, hartmann6, rosenbrock4, styblinski-tang4, quadratic)
  SEEDS      comma-separated integer seeds
  TRIALS     trials per study
Prints one JSON object per study: {"function", "seed", "best", "seconds"}.
Formulas and domains mirror lib/tune/functions.ts.
"""
import json
import math
import sys
import time

import optuna

H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
H_ALPHA = [1, 1.2, 3, 3.2]


def branin(x):
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def hartmann6(x):
    s = 0.0
    for i in range(4):
        inner = sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6))
        s += H_ALPHA[i] * math.exp(-inner)
    return -s


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def styblinski_tang(x):
    return sum(v ** 4 - 16 * v * v + 5 * v for v in x) / 2


FUNCTIONS = {
    "branin": (branin, [(-5, 10), (0, 15)]),
    "hartmann6": (hartmann6, [(0, 1)] * 6),
    "rosenbrock4": (rosenbrock, [(-5, 10)] * 4),
    "styblinski-tang4": (styblinski_tang, [(-5, 5)] * 4),
    "quadratic": (lambda x: (x[0] - 1) ** 2 + (x[1] + 2) ** 2, [(-10, 10)] * 2),
}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    names = sys.argv[1].split(",")
    seeds = [int(s) for s in sys.argv[2].split(",")]
    trials = int(sys.argv[3])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name in names:
        if name not in FUNCTIONS:
            sys.exit(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}")
        fn, bounds = FUNCTIONS[name]
        for seed in seeds:
            def objective(trial):
                x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
                return fn(x)
            t0 = time.perf_counter()
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
            study.optimize(objective, n_trials=trials)
            secs = time.perf_counter() - t0
            print(json.dumps({"function": name, "seed": seed, "best": study.best_value,
                              "seconds": secs}), flush=True)


if __name__ == "__main__":
    main()
