"""Per-tensor L2 strengths learned from the evidence (occam's ``l2_evidence``, Immer et al.
2021) against choosing one global L2 strength by 5-fold cross-validation over a 10-value
grid (scikit-learn's GridSearchCV around the same occam network), in one run.

Data: Pima (binary), diabetes (regression), colon (binary, 62 x 2000), from datasets/. Each
of --seeds random 75/25 splits (stratified for classes) trains the same network (one hidden
layer of 32 ReLU units, Adam, --epochs epochs, batch 32, no early stopping) three ways:

  plain     no penalty (one training run: the cost unit)
  evidence  l2_evidence=--every (10): every 10 epochs after the first 10, a diagonal-GGN Laplace of the
            whole network on the training rows sets one L2 per weight and bias tensor at the
            maximum of its log marginal likelihood; no validation rows
  kron      the same with the Kronecker-factored GGN's evidence (laplace_hessian="kron")
  grid      l2 in logspace(-5, 0, 10), 5-fold CV on the training rows (neg log loss, or neg
            MSE for regression), then a refit at the best value: 51 training runs

Scored on the held-out rows by the mean log-likelihood per row: log p(true class) for
classes; for regression the Gaussian density with the method's own noise sd (evidence: the
last update's; grid: the CV RMSE at the chosen l2; plain: the training RMSE). Printed: the
means over the splits and the wall time of each method relative to plain.

    bench/.venv-python/bin/python bench/evidence_l2.py [--seeds 5] [--epochs 100] [--every 10]

(bench/.venv-python is made by bench/python.sh; any venv with occam and scikit-learn works.)
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, train_test_split

import occam

DATA = Path(__file__).resolve().parent.parent / "datasets"
SETS = [
    ("pima", "pima_indians_diabetes.csv", True),
    ("diabetes", "diabetes_regression.csv", False),
    ("colon", "colon_cancer_alon1999.csv", True),
]


def gaussian_ll(y, mean, sd):
    r = (y - mean) / sd
    return float(np.mean(-0.5 * r * r - np.log(sd) - 0.5 * np.log(2 * np.pi)))


def run(name, file, classes, seed, epochs, every):
    df = pd.read_csv(DATA / file)
    X, y = df.iloc[:, :-1].to_numpy(float), df.iloc[:, -1].to_numpy()
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y if classes else None
    )
    Est = occam.MLPClassifier if classes else occam.MLPRegressor
    base = dict(hidden=(32,), epochs=epochs, random_state=seed)
    out = {}
    t = time.perf_counter()
    plain = Est(**base).fit(Xtr, ytr)
    out["plain_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ev = Est(**base, l2_evidence=every).fit(Xtr, ytr)
    out["evidence_s"] = time.perf_counter() - t
    t = time.perf_counter()
    kr = Est(**base, l2_evidence=every, laplace_hessian="kron").fit(Xtr, ytr)
    out["kron_s"] = time.perf_counter() - t
    t = time.perf_counter()
    grid = GridSearchCV(
        Est(**base),
        {"l2": list(np.logspace(-5, 0, 10))},
        cv=5,
        scoring="neg_log_loss" if classes else "neg_mean_squared_error",
    ).fit(Xtr, ytr)
    out["grid_s"] = time.perf_counter() - t
    if classes:
        for k, m in [("plain", plain), ("evidence", ev), ("kron", kr),
                     ("grid", grid.best_estimator_)]:
            out[k] = -log_loss(yte, m.predict_proba(Xte), labels=m.classes_)
    else:
        train_rmse = float(np.sqrt(np.mean((ytr - plain.predict(Xtr)) ** 2)))
        out["plain"] = gaussian_ll(yte, plain.predict(Xte), train_rmse)
        out["evidence"] = gaussian_ll(yte, ev.predict(Xte), ev.evidence_[-1]["noise_sd"])
        out["kron"] = gaussian_ll(yte, kr.predict(Xte), kr.evidence_[-1]["noise_sd"])
        cv_rmse = float(np.sqrt(-grid.best_score_))
        out["grid"] = gaussian_ll(yte, grid.best_estimator_.predict(Xte), cv_rmse)
    out["grid_l2"] = grid.best_params_["l2"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--every", type=int, default=10, help="epochs between evidence updates")
    a = ap.parse_args()
    print(f"occam {occam.__version__}, {a.seeds} splits, {a.epochs} epochs, evidence every {a.every}")
    print("| data | held-out log-lik / row: plain | evidence (diag) | evidence (kron) "
          "| CV grid (best l2) | time vs plain: diag | kron | grid |")
    print("|---|---|---|---|---|---|---|---|")
    for name, file, classes in SETS:
        rs = [run(name, file, classes, s, a.epochs, a.every) for s in range(a.seeds)]
        m = {k: float(np.mean([r[k] for r in rs])) for k in rs[0]}
        l2s = ", ".join(f"{r['grid_l2']:.0e}" for r in rs)
        print(
            f"| {name} | {m['plain']:.4f} | {m['evidence']:.4f} | {m['kron']:.4f} "
            f"| {m['grid']:.4f} ({l2s}) | {m['evidence_s'] / m['plain_s']:.2f}x "
            f"| {m['kron_s'] / m['plain_s']:.2f}x | {m['grid_s'] / m['plain_s']:.1f}x |"
        )


if __name__ == "__main__":
    main()
