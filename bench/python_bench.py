"""occam's Python estimators against scikit-learn and glum, side by side in one run.

Linear rows: the same data (standardized once, so no program rescales it), the same lambda
grid (occam's, from the full data), the same folds (occam's `foldid`, scikit-learn's
PredefinedSplit, glum's `cv` splitter) and the same objective:

    gaussian:  1/(2n) ||y - X b - b0||^2 + lambda ||b||_1
    binomial:  -(1/n) loglik(b0, b) + lambda ||b||_1       (scikit-learn: C = 1 / (n lambda))

Each program runs its k-fold CV over the grid and fits the full data; the times are medians
over --reps runs. "Equal objective" is checked, not assumed: every program's full-data
coefficients at the CV-chosen lambda (lambda_min, the best mean CV loss) are scored by the
objective above at the lambda the program chose, and the table prints its excess over occam's
path at that lambda (relative; negative would mean the peer found a lower objective).

MLP row: scikit-learn's MLPClassifier and occam's with the same architecture, Adam, learning
rate, batch size, epochs (no early stopping, no penalty) on digits: time, the final training
loss and held-out accuracy.

Overhead row: ElasticNet on 100 rows x 10 features at one lambda: the wall time of `fit`
minus the seconds the core measured itself (median of 200 calls).

    bench/.venv-python/bin/python bench/python_bench.py [--reps N] [--quick]
"""

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV as SkElasticNetCV
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import PredefinedSplit
from sklearn.neural_network import MLPClassifier as SkMLP

import occam

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets"


def median_time(f, reps):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def standardized(X):
    X = np.asarray(X, dtype=np.float64)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    return (X - X.mean(axis=0)) / sd


def objective(family, X, y, b0, b, lam):
    eta = X @ b + b0
    if family == "gaussian":
        loss = 0.5 * np.mean((y - eta) ** 2)
    else:
        loss = np.mean(np.logaddexp(0.0, eta) - y * eta)
    return loss + lam * np.abs(b).sum()


def linear_row(name, family, X, y, folds, reps, saga=True):
    X = standardized(X)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    foldid = np.arange(n) % folds + 1
    rng = np.random.default_rng(0)
    rng.shuffle(foldid)
    occ_cls = occam.ElasticNetCV if family == "gaussian" else occam.LogisticNetCV
    common = dict(standardize=False, foldid=foldid, rule="min", gap_tol=1e-7, tol=1e-9)
    lambdas = occ_cls(**common).fit(X, y).lambdas_
    measure = "mse" if family == "gaussian" else "deviance"
    t_occ, occ = median_time(
        lambda: occ_cls(lambdas=lambdas, measure=measure, **common).fit(X, y), reps
    )
    results = {"occam": (t_occ, occ.lambda_min_, occ.intercept_, occ.coef_)}
    split = PredefinedSplit(foldid - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        if family == "gaussian":
            sk = lambda: SkElasticNetCV(  # noqa: E731
                alphas=lambdas, l1_ratio=1.0, cv=split, tol=1e-8, max_iter=100000
            ).fit(X, y)
            t_sk, m = median_time(sk, reps)
            results["scikit-learn"] = (t_sk, m.alpha_, m.intercept_, m.coef_)
        elif saga:
            sk = lambda: LogisticRegressionCV(  # noqa: E731
                Cs=1.0 / (n * lambdas), l1_ratios=(1.0,), solver="saga", cv=split, tol=1e-6,
                max_iter=20000, scoring="neg_log_loss",
            ).fit(X, y)
            t_sk, m = median_time(sk, reps)
            lam = 1.0 / (n * np.ravel(m.C_)[0])
            results["scikit-learn saga"] = (t_sk, lam, np.ravel(m.intercept_)[0], m.coef_[0])
        try:
            from glum import GeneralizedLinearRegressorCV

            gl = lambda: GeneralizedLinearRegressorCV(  # noqa: E731
                family="normal" if family == "gaussian" else "binomial", alphas=lambdas,
                l1_ratio=[1.0], cv=split, gradient_tol=1e-8, max_iter=10000,
            ).fit(X, y)
            t_gl, m = median_time(gl, reps)
            results["glum"] = (t_gl, m.alpha_, m.intercept_, m.coef_)
        except ImportError:
            pass
    yy = y if family == "gaussian" else (y == np.unique(y)[1]).astype(float)
    path = occ.coef_path_ if occ.coef_path_.ndim == 2 else occ.coef_path_[0]
    icpt = np.ravel(occ.intercept_path_)
    rows = []
    for k, (t, lam, b0, b) in results.items():
        # The objective at the program's own chosen lambda, against occam's path there.
        li = int(np.argmin(np.abs(np.log(occ.lambdas_) - np.log(lam))))
        ref = objective(family, X, yy, icpt[li], path[:, li], lam)
        mine = objective(family, X, yy, float(np.ravel(b0)[0]), np.ravel(b), lam)
        rows.append(dict(
            design=name, program=k, seconds=t, ratio=t / t_occ, lambda_min=lam,
            excess_objective=(mine - ref) / abs(ref),
        ))
    return rows


def mlp_row(reps, epochs):
    df = pd.read_csv(DATA / "digits_8x8.csv")
    X, y = df.iloc[:, :-1].to_numpy(dtype=float) / 16.0, df.iloc[:, -1].to_numpy()
    tr = np.arange(len(y)) % 5 != 0
    ours = lambda: occam.MLPClassifier(  # noqa: E731
        hidden=(64, 32), epochs=epochs, batch_size=32, learning_rate=1e-3, standardize=False,
    ).fit(X[tr], y[tr])
    theirs = lambda: SkMLP(  # noqa: E731
        hidden_layer_sizes=(64, 32), alpha=0.0, batch_size=32, learning_rate_init=1e-3,
        max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0, shuffle=True, random_state=0,
    ).fit(X[tr], y[tr])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t_o, o = median_time(ours, reps)
        t_s, s = median_time(theirs, reps)
    return [
        dict(design=f"digits MLP 64-32, {epochs} epochs", program="occam", seconds=t_o,
             ratio=1.0, train_loss=o.loss_curve_[-1], test_accuracy=o.score(X[~tr], y[~tr])),
        dict(design=f"digits MLP 64-32, {epochs} epochs", program="scikit-learn", seconds=t_s,
             ratio=t_s / t_o, train_loss=s.loss_curve_[-1], test_accuracy=s.score(X[~tr], y[~tr])),
    ]


def overhead():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 10))
    y = X[:, 0] + rng.normal(size=100)
    est = occam.ElasticNet(lambdas=[0.1])
    extra = []
    for _ in range(200):
        t0 = time.perf_counter()
        est.fit(X, y)
        wall = time.perf_counter() - t0
        extra.append(wall - est._fit.core_seconds)
    return statistics.median(extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small designs only")
    ap.add_argument("--epochs", type=int, default=30)
    a = ap.parse_args()
    # First, on an idle machine: after scikit-learn's runs, its BLAS threads may still be
    # busy for a while, which the second measurement (at the end) shows.
    first = overhead()
    rows = []
    d = pd.read_csv(DATA / "diabetes_regression.csv")
    rows += linear_row("diabetes 442x10 gaussian", "gaussian", d.iloc[:, :-1], d.iloc[:, -1], 10, a.reps)
    p = pd.read_csv(DATA / "pima_indians_diabetes.csv")
    rows += linear_row("pima 768x8 binomial", "binomial", p.iloc[:, :-1], p.iloc[:, -1], 10, a.reps, saga=not a.quick)
    c = pd.read_csv(DATA / "colon_cancer_alon1999.csv")
    # saga is left out on colon: one fit at one lambda takes 5-30 s there at tol 1e-6
    # (measured), so its CV over 100 lambdas would take hours.
    rows += linear_row("colon 62x2000 binomial", "binomial", c.iloc[:, :-1], c.iloc[:, -1], 5, a.reps, saga=False)
    if not a.quick:
        rng = np.random.default_rng(1)
        n, pp = 200, 2000
        Z = rng.normal(size=(n, pp))
        X = 0.3 ** 0.5 * rng.normal(size=(n, 1)) + 0.7 ** 0.5 * Z  # equicorrelated, rho 0.3
        y = X[:, :10] @ np.linspace(2, 0.5, 10) + rng.normal(size=n)
        rows += linear_row("synthetic 200x2000 rho 0.3 gaussian", "gaussian", X, y, 5, a.reps)
        rows += mlp_row(a.reps, a.epochs)
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(
        f"\nPython call overhead of ElasticNet.fit on 100 x 10 (wall - core, median of 200): "
        f"{first * 1e3:.3f} ms first, {overhead() * 1e3:.3f} ms after the runs above"
    )


if __name__ == "__main__":
    main()
