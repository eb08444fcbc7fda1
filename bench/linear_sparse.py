#!/usr/bin/env python3
"""Sparse linear paths at scale: occam vs glmnet (sparse dgCMatrix input) vs skglm.

Run through bench/linear_sparse.sh (which sets up the venv and checks R + glmnet). From the repo
root:

    bash bench/linear_sparse.sh [--reps N] [--designs A,B] [--quick]

Designs (issue 21, "sparse at scale"):
* sparse_n20000_p100000: generated, the size of the text benchmarks in the literature. Each of
  the 2e9 entries is nonzero with probability 0.001 (about 2.0 million nonzeros, ~100 per row,
  ~20 per column), values N(0, 1). 1,000 of the 100,000 features (1%, chosen at random) carry
  beta_j ~ N(0, 1). gaussian: y = X beta + sigma e with sd(X beta) / sigma = 3; binomial:
  y ~ Bernoulli(sigmoid(k X beta)), k = 3 (pi / sqrt 3) / sd(X beta) (the signal-to-noise
  convention of bench/linear_bench.py). Seeded; written once under bench/data/sparse/.
* movie_reviews: datasets/movie_reviews_polarity_counts.svm.gz, 2,000 reviews x 50,920 word
  counts (Pang & Lee 2004; provenance in datasets/PROVENANCE.md), binomial (positive = 1).
  --quick runs this design only.

Solvers, all single-threaded, each reading its input outside its timer:
* glmnet (R) on a dgCMatrix built from the same nonzeros (glmnet_sparse.R; system.time around
  glmnet() only);
* occam `linear path` on a libsvm file of the same numbers (%.17g; `fit_seconds` of its JSON);
* skglm (Bertrand et al. 2022) on the CSC matrix with each column scaled by glmnet's 1/n
  standard deviation and an unpenalized intercept: the same problem glmnet's standardize =
  TRUE solves, so the same lambdas apply. Each family with the solver skglm's own estimators
  use: gaussian, AndersonCD's path (Lasso / ElasticNet: Quadratic datafit, L1 / L1_plus_L2);
  binomial, ProxNewton (SparseLogisticRegression: Logistic datafit, y in {-1, 1}), warm
  started along the lambdas (AndersonCD on the logistic movie-review path stopped at its
  working-set limit with gaps of 1e-2, and took 580 s with that limit raised 20-fold). numba
  compiles once before any timer starts.

Two tables, as bench/linear.sh's:
* defaults: glmnet(x, y, family, alpha) with every default, timed, its certified gap
  computed; occam on that same lambda sequence with its default stopping rule and with
  --gap-tol 1e-6; skglm on that sequence at its default tol (1e-4).
* equal gap: glmnet's default sequence (extended geometrically to 100 values with glmnet's own
  ratio when its path stopped early); glmnet's thresh and skglm's tol tightened until the
  largest certified relative duality gap over the path is <= 1e-6; occam with --gap-tol 1e-6.

Gaps: every solution is mapped to glmnet's standardized problem and its relative duality gap
computed by linear_bench.Problem.rel_gap, through SparseProblem (which does the products
with X~ without forming it, so that X stays sparse).
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linear_bench as lb  # noqa: E402  (shared helpers: log, occam_coefs, med, fmt_t, fmt_g)

ROOT = lb.ROOT
BENCH = lb.BENCH
DATA = os.path.join(lb.DATA, "sparse")
OUT = os.path.join(lb.OUT, "sparse")
MOVIES = os.path.join(ROOT, "datasets", "movie_reviews_polarity_counts.svm.gz")
GAP_TARGET = lb.GAP_TARGET
GLMNET_THRESH = [1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14]
SKGLM_TOL = [1e-4, 1e-6, 1e-8, 1e-10, 1e-12]  # 1e-4 is its default
SEED = 20261207
GEN_VERSION = 1
# (name, family, alpha)
MODELS_GEN = [("lasso", "gaussian", 1.0), ("enet0.5", "gaussian", 0.5), ("logistic-lasso", "binomial", 1.0)]
MODELS_MOVIES = [("logistic-lasso", "binomial", 1.0), ("logistic-enet0.5", "binomial", 0.5)]
log = lb.log


# ----------------------------------------------------------------------------- data


def write_design(base, X, ys, meta):
    """X (CSR) as nonzero triplets for R, each response as doubles for R and as libsvm for occam."""
    C = X.tocoo()
    with open(base + ".dims", "w") as f:
        f.write(f"{X.shape[0]} {X.shape[1]}\n")
    C.row.astype("<i4").tofile(base + ".i32")
    C.col.astype("<i4").tofile(base + ".j32")
    C.data.astype("<f8").tofile(base + ".f64")
    X = X.tocsr()
    X.sort_indices()
    for fam, y in ys.items():
        y.astype("<f8").tofile(f"{base}_{fam}.y")
        with open(f"{base}_{fam}.svm", "w") as f:
            for i in range(X.shape[0]):
                lo, hi = X.indptr[i], X.indptr[i + 1]
                cells = " ".join(f"{j + 1}:{v!r}" for j, v in zip(X.indices[lo:hi].tolist(), X.data[lo:hi].tolist()))
                f.write(f"{float(y[i])!r} {cells}\n")
    with open(base + ".meta.json", "w") as f:
        json.dump(meta, f)


def have_design(base, meta):
    try:
        with open(base + ".meta.json") as f:
            return json.load(f) == meta
    except (OSError, ValueError):
        return False


def make_generated(quick):
    n, p, density, k = 20000, 100000, 0.001, 1000
    name = "sparse_n20000_p100000"
    base = os.path.join(DATA, name)
    meta = {"n": n, "p": p, "density": density, "k": k, "seed": SEED, "version": GEN_VERSION}
    if not have_design(base, meta):
        t0 = time.perf_counter()
        rng = np.random.default_rng(SEED)
        nnz = int(rng.binomial(n * p, density))
        # distinct cells, uniformly at random (draw a few extra, drop repeats, keep nnz)
        cells = np.unique(rng.integers(0, n * p, size=int(nnz * 1.01)))
        cells = np.sort(rng.permutation(cells)[:nnz])
        X = sp.csr_matrix((rng.standard_normal(nnz), (cells // p, cells % p)), shape=(n, p))
        beta = np.zeros(p)
        beta[rng.choice(p, size=k, replace=False)] = rng.standard_normal(k)
        f = X @ beta
        sd = f.std()
        yg = f + sd / 3.0 * rng.standard_normal(n)
        kb = 3.0 * (math.pi / math.sqrt(3.0)) / sd
        yb = (rng.random(n) < expit(kb * f)).astype(float)
        write_design(base, X, {"gaussian": yg, "binomial": yb}, meta)
        log(f"  wrote {name}: {n} x {p}, {X.nnz} nonzeros ({time.perf_counter() - t0:.1f} s)")
    return name, base, MODELS_GEN


def make_movies():
    from sklearn.datasets import load_svmlight_file

    name = "movie_reviews"
    base = os.path.join(DATA, name)
    st = os.stat(MOVIES)
    meta = {"source": os.path.basename(MOVIES), "size": st.st_size, "version": GEN_VERSION}
    if not have_design(base, meta):
        with open(os.path.join(ROOT, "datasets", "movie_reviews_polarity_vocab.txt")) as f:
            p = sum(1 for _ in f)
        X, lab = load_svmlight_file(MOVIES, n_features=p, zero_based=False)
        write_design(base, X, {"binomial": (lab == 1).astype(float)}, meta)
        log(f"  wrote {name}: {X.shape[0]} x {X.shape[1]}, {X.nnz} nonzeros")
    return name, base, MODELS_MOVIES


def read_design(base, family):
    with open(base + ".dims") as f:
        n, p = map(int, f.read().split())
    i = np.fromfile(base + ".i32", dtype="<i4")
    j = np.fromfile(base + ".j32", dtype="<i4")
    v = np.fromfile(base + ".f64", dtype="<f8")
    X = sp.csc_matrix((v, (i, j)), shape=(n, p))
    X.sort_indices()
    return X, np.fromfile(f"{base}_{family}.y", dtype="<f8")


# ----------------------------------------------------------------------------- duality gap


class SparseProblem(lb.Problem):
    """glmnet's internal (standardized) problem, X kept sparse: x~_j = (x_j - m_j) / s_j is
    never formed; the gap is linear_bench.Problem's (`rel_gap`), with X~ products done here."""

    def __init__(self, X, y, family):
        self.family = family
        self.n, self.p = X.shape
        self.X = X
        self.mx = np.asarray(X.mean(0)).ravel()
        ex2 = np.asarray(X.multiply(X).mean(0)).ravel()
        sx = np.sqrt(np.maximum(ex2 - self.mx**2, 0.0))
        sx[sx == 0] = 1.0
        self.sx = sx
        self.set_response(y)

    def std_coefs(self, a0, B):
        """As Problem.std_coefs: the centring folded into the constant, X stays sparse."""
        if self.family == "gaussian":
            Bt = B * (self.sx / self.sy)[:, None]
            eta = (self.X @ B + (a0 - self.ym)[None, :]) / self.sy
        else:
            Bt = B * self.sx[:, None]
            eta = self.X @ B + a0[None, :]
        return np.asarray(eta), Bt

    def xt(self, R):
        """X~^T R without forming X~."""
        return (np.asarray(self.X.T @ R) - self.mx[:, None] * R.sum(0)[None, :]) / self.sx[:, None]


# ----------------------------------------------------------------------------- solvers


def run_glmnet(base, family, alpha, thresh, lam, args, tag, p):
    """One glmnet fit (repeated --reps times); thresh None = glmnet's default; lam None = its own
    sequence. Returns a dict with times, lambda, a0, B (p x L) or error."""
    out = os.path.join(OUT, f"{tag}_glmnet")
    for ext in (".json", ".beta"):
        if os.path.exists(out + ext):
            os.remove(out + ext)
    lamfile = "-"
    if lam is not None:
        lamfile = out + ".lambda"
        np.savetxt(lamfile, lam, fmt="%.17g")
    cmd = ["Rscript", os.path.join(BENCH, "glmnet_sparse.R"), base, f"{base}_{family}.y", family,
           f"{alpha:g}", "default" if thresh is None else f"{thresh:g}", lamfile, str(args.reps),
           str(args.rep_cap), out]
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=args.glmnet_timeout)
    except subprocess.TimeoutExpired:
        return {"times": [], "error": f"timeout (> {args.glmnet_timeout:.0f} s)"}
    if cp.returncode != 0 or not os.path.exists(out + ".json"):
        return {"times": [], "error": "R error: " + " | ".join(cp.stderr.strip().splitlines()[-2:])}
    with open(out + ".json") as f:
        r = json.load(f)
    m = r["nnz_beta"]
    raw = np.fromfile(out + ".beta", dtype=np.uint8)
    bi = raw[: 4 * m].view("<i4")
    bj = raw[4 * m: 8 * m].view("<i4")
    bx = raw[8 * m:].view("<f8")
    B = np.zeros((p, len(r["lambda"])))
    B[bi, bj] = bx
    r["B"] = B
    r["a0"] = np.array(r["a0"], dtype=float)
    r["lambda"] = np.array(r["lambda"], dtype=float)
    return r


def run_occam(svm, family, alpha, lam, args, tag, gap_tol, p):
    """occam's path on `lam` (gap_tol None: its default stopping rule)."""
    r = lb.run_occam(svm, family, alpha, lam, args, os.path.join("sparse", tag), gap_tol=gap_tol)
    if r["fit"] is not None:
        r["a0"], r["B"] = lb.occam_coefs(r["fit"], lam, p)
        r["passes"] = r["fit"].get("passes")
        r["fit"] = None  # the JSON is large; keep only what the tables use
    return r


def skglm_warmup():
    """Compiles skglm's numba code for the four models on a tiny sparse problem (outside every timer)."""
    rng = np.random.default_rng(0)
    X = sp.random(40, 30, density=0.2, format="csc", random_state=0)
    for fam in ("gaussian", "binomial"):
        y = rng.standard_normal(40) if fam == "gaussian" else (rng.random(40) < 0.5).astype(float)
        for alpha in (1.0, 0.5):
            skglm_path(X, y, fam, alpha, np.array([0.1, 0.05]), 1e-4)


def skglm_path(Xsc, y, family, alpha, lam, tol):
    """skglm's path on the column-scaled X (see the module docstring); returns (seconds, a0, C [p, L])
    with C on the scaled columns. gaussian: AndersonCD's path (the solver of skglm's Lasso and
    ElasticNet); binomial: ProxNewton (the solver of its SparseLogisticRegression, which has no
    path method) warm-started from one lambda to the next, each at skglm's default limits."""
    from skglm.datafits import Logistic, Quadratic
    from skglm.penalties import L1, L1_plus_L2
    from skglm.solvers import AndersonCD, ProxNewton

    lam = np.asarray(lam, dtype=float)

    def penalty(lv):
        return L1(lv) if alpha == 1 else L1_plus_L2(lv, alpha)

    if family == "gaussian":
        solver = AndersonCD(tol=tol, fit_intercept=True)
        t0 = time.perf_counter()
        _, coefs, _ = solver.path(Xsc, y, Quadratic(), penalty(1.0), alphas=lam)
        t = time.perf_counter() - t0
        return t, coefs[-1, :].copy(), coefs[:-1, :]
    yy = 2.0 * y - 1.0
    n, p = Xsc.shape
    solver = ProxNewton(tol=tol, fit_intercept=True)
    w, Xw = np.zeros(p + 1), np.zeros(n)
    coefs = np.zeros((p + 1, len(lam)))
    t0 = time.perf_counter()
    for k, lv in enumerate(lam):
        w = solver.solve(Xsc, yy, Logistic(), penalty(lv), w.copy(), Xw.copy())[0]
        Xw = Xsc @ w[:-1] + w[-1]
        coefs[:, k] = w
    t = time.perf_counter() - t0
    return t, coefs[-1, :].copy(), coefs[:-1, :]


def run_skglm(prob, Xsc, family, alpha, lam, tols, args):
    """skglm at each tol in turn (each run in a forked child killed after --skglm-cap) until the
    gap holds; the chosen tol timed --reps times. One tol = the defaults table's run."""
    tried = []
    for tol in tols:
        def fn(progress, tol=tol):
            t, a0, C = skglm_path(Xsc, prob.y, family, alpha, lam, tol)
            return t, a0, C, 0, None
        t, a0, C, _, skip = lb.capped(fn, args.skglm_cap, len(lam))
        if skip:
            tried.append({"tol": tol, "time": t, "gap": None, "note": skip})
            break
        gap = prob.max_gap(a0, C / prob.sx[:, None], lam, alpha)
        tried.append({"tol": tol, "time": t, "gap": gap})
        if gap <= GAP_TARGET:
            break
    done = [d for d in tried if d["gap"] is not None]
    if not done:
        return {"times": [], "gap": None, "tol": tried[-1]["tol"], "tried": tried,
                "note": f"tol {tried[-1]['tol']:g} {tried[-1]['note']}"}
    best = done[-1]
    times = [best["time"]]
    if best["time"] <= args.rep_cap:
        for _ in range(args.reps - 1):
            times.append(skglm_path(Xsc, prob.y, family, alpha, lam, best["tol"])[0])
    note = None
    if len(tols) > 1 and best["gap"] > GAP_TARGET:
        note = f"gap {best['gap']:.1e} at tol {best['tol']:g}" + (
            f"; tol {tried[-1]['tol']:g} {tried[-1]['note']}" if tried[-1].get("note") else " (smallest tried)")
    return {"times": times, "gap": best["gap"], "tol": best["tol"], "tried": tried, "note": note}


def extend_lambda(lam, nlambda=100):
    """glmnet's default sequence extended geometrically with its own ratio to nlambda values."""
    lam = list(lam)
    if len(lam) < nlambda:
        r = lam[-1] / lam[-2]
        while len(lam) < nlambda:
            lam.append(lam[-1] * r)
    return np.array(lam)


# ----------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the movie-review design only")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions, median reported (default 3)")
    ap.add_argument("--rep-cap", type=float, default=5.0,
                    help="a fit slower than this many seconds is timed once (default 5)")
    ap.add_argument("--glmnet-timeout", type=float, default=600.0,
                    help="kill one glmnet run after this many seconds (default 600)")
    ap.add_argument("--occam-timeout", type=float, default=300.0,
                    help="kill one occam run after this many seconds (default 300)")
    ap.add_argument("--skglm-cap", type=float, default=300.0,
                    help="kill one skglm path run after this many seconds (default 300)")
    ap.add_argument("--search-cap", type=float, default=120.0,
                    help="glmnet: stop tightening thresh once a fit missing the gap took longer (default 120 s)")
    ap.add_argument("--no-skglm", action="store_true", help="leave skglm out")
    ap.add_argument("--designs", default=None, help="sparse_n20000_p100000 and/or movie_reviews (comma separated)")
    ap.add_argument("--models", default=None, help="only these models (e.g. lasso,logistic-lasso)")
    args = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(lb.OCCAM):
        log("target/release/occam not found: run cargo build --release first")
        sys.exit(2)
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    occam_build = lb.snapshot_occam()
    log(f"occam: {occam_build} (run from a copy)")
    if not args.no_skglm:
        t0 = time.perf_counter()
        skglm_warmup()
        log(f"skglm: numba compiled in {time.perf_counter() - t0:.1f} s (outside every timer)")

    log("data:")
    names = ["movie_reviews"] if args.quick else ["sparse_n20000_p100000", "movie_reviews"]
    if args.designs:
        keep = args.designs.split(",")
        unknown = set(keep) - {"sparse_n20000_p100000", "movie_reviews"}
        if unknown:
            log(f"unknown design(s): {', '.join(sorted(unknown))}")
            sys.exit(2)
        names = keep
    cases = [make_generated(args.quick) if nm == "sparse_n20000_p100000" else make_movies() for nm in names]

    rows = []
    versions = {}
    for name, base, models in cases:
        for mname, family, alpha in models:
            if args.models and mname not in args.models.split(","):
                continue
            X, y = read_design(base, family)
            prob = SparseProblem(X, y, family)
            Xsc = (X @ sp.diags(1.0 / prob.sx)).tocsc()
            svm = f"{base}_{family}.svm"
            tag = f"{name}_{mname}"
            log(f"{name} {mname} ({prob.n} x {prob.p}, {X.nnz} nonzeros)")
            row = {"design": name, "model": mname, "family": family, "alpha": alpha, "N": prob.n,
                   "p": prob.p, "nnz": int(X.nnz)}
            # defaults table
            g0 = run_glmnet(base, family, alpha, None, None, args, tag + "_default", prob.p)
            if "error" in g0:
                log(f"  glmnet default: {g0['error']}; design skipped")
                continue
            versions = {"glmnet": g0["glmnet_version"], "R": g0["r_version"]}
            lam0 = g0["lambda"]
            d = {"nlambda": len(lam0),
                 "glmnet": {"times": g0["times"], "gap": prob.max_gap(g0["a0"], g0["B"], lam0, alpha),
                            "npasses": g0["npasses"]}}
            for key, gt in (("occam", None), ("occam_exact", GAP_TARGET)):
                o = run_occam(svm, family, alpha, lam0, args, f"{tag}_{key}_default", gt, prob.p)
                d[key] = {"times": o["times"], "error": o["error"], "passes": o.get("passes")}
                if "B" in o:
                    d[key]["gap"] = prob.max_gap(o["a0"], o["B"], lam0, alpha)
            if not args.no_skglm:
                d["skglm"] = run_skglm(prob, Xsc, family, alpha, lam0, SKGLM_TOL[:1], args)
            row["defaults"] = d
            log(f"  defaults: glmnet {lb.fmt_t(lb.med(d['glmnet']['times']))} s (gap {lb.fmt_g(d['glmnet']['gap'])}),"
                f" occam {lb.fmt_t(lb.med(d['occam']['times']))} s (gap {lb.fmt_g(d['occam'].get('gap'))}),"
                f" occam exact {lb.fmt_t(lb.med(d['occam_exact']['times']))} s"
                f" (gap {lb.fmt_g(d['occam_exact'].get('gap'))})"
                + ("" if args.no_skglm else f", skglm {lb.fmt_t(lb.med(d['skglm']['times']))} s"
                   f" (gap {lb.fmt_g(d['skglm']['gap'])})"))
            # equal-gap table
            lam = extend_lambda(lam0)
            row["nlambda"] = len(lam)
            tried = []
            gl = None
            for thresh in GLMNET_THRESH:
                g = run_glmnet(base, family, alpha, thresh, lam, args, tag, prob.p)
                if "error" in g:
                    tried.append((thresh, None, None))
                    gl = {"times": [], "thresh": thresh, "gap": tried[-2][1] if len(tried) > 1 else None,
                          "tried": tried, "error": g["error"]}
                    break
                gap = prob.max_gap(g["a0"], g["B"], g["lambda"], alpha)  # its early stop may cut the list
                tried.append((thresh, gap, lb.med(g["times"])))
                gl = {"times": g["times"], "thresh": thresh, "gap": gap, "tried": tried, "npasses": g["npasses"],
                      "nlambda_fit": len(g["lambda"])}
                log(f"    glmnet thresh {thresh:g}: {lb.fmt_t(lb.med(g['times']))} s, gap {gap:.1e}")
                if gap <= GAP_TARGET or lb.med(g["times"]) > args.search_cap:
                    break
            row["glmnet"] = gl
            o = run_occam(svm, family, alpha, lam, args, tag, GAP_TARGET, prob.p)
            row["occam"] = {"times": o["times"], "error": o["error"], "passes": o.get("passes")}
            if "B" in o:
                row["occam"]["gap"] = prob.max_gap(o["a0"], o["B"], lam, alpha)
            if not args.no_skglm:
                row["skglm"] = run_skglm(prob, Xsc, family, alpha, lam, SKGLM_TOL, args)
            rows.append(row)
            sk = row.get("skglm", {})
            log(f"  equal gap: occam {lb.fmt_t(lb.med(row['occam']['times']))} s"
                f" (gap {lb.fmt_g(row['occam'].get('gap'))}), glmnet {lb.fmt_t(lb.med(gl['times']))} s"
                f" (gap {lb.fmt_g(gl['gap'])}, thresh {gl['thresh']:g})"
                + ("" if args.no_skglm else f", skglm {lb.fmt_t(lb.med(sk.get('times', [])))} s"
                   f" (gap {lb.fmt_g(sk.get('gap'))}, tol {sk.get('tol', 0):g})"))
            with open(os.path.join(OUT, "sparse_results.json"), "w") as f:
                json.dump({"rows": rows}, f, indent=1, default=float)

    total = time.perf_counter() - t_start
    if not args.no_skglm:
        import skglm

        versions["skglm"] = skglm.__version__
    import scipy
    import sklearn

    versions.update({"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
                     "python": platform.python_version(), "occam": occam_build})
    load = f"{load_start[0]:.2f} / {os.getloadavg()[0]:.2f}"
    text = render(rows, versions, args, total, load)
    with open(os.path.join(OUT, "sparse_results.json"), "w") as f:
        json.dump({"rows": rows, "versions": versions, "total_seconds": total, "load_start_end": load,
                   "args": vars(args)}, f, indent=1, default=float)
    with open(os.path.join(OUT, "sparse_table.md"), "w") as f:
        f.write(text)
    log("")
    log(text)


def render(rows, versions, args, total, load):
    fmt_t, fmt_g, med = lb.fmt_t, lb.fmt_g, lb.med

    def gc(v):
        return fmt_g(v) + (" ⚠" if v is not None and v > GAP_TARGET else "")

    def ratio(a, b):
        if a is None or not b:
            return "—"
        r = a / b
        return f"{r:.2f}" + (" ✗" if r > 0.8 else "")

    L = ["Defaults: glmnet(x, y, family, alpha) with every default on a dgCMatrix; occam on that lambda "
         f"sequence with its default rule and with --gap-tol {GAP_TARGET:g}; skglm on it at tol 1e-4.", "",
         "| design | model | N | p | nonzeros | nlambda | glmnet (s) | gap | occam (s) | gap | occam exact (s) "
         "| gap | skglm (s) | gap | exact/glmnet |",
         "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        d = r["defaults"]
        g, o, x = med(d["glmnet"]["times"]), med(d["occam"]["times"]), med(d["occam_exact"]["times"])
        s = d.get("skglm", {})
        L.append(f"| {r['design']} | {r['model']} | {r['N']} | {r['p']} | {r['nnz']} | {d['nlambda']} "
                 f"| {fmt_t(g)} | {gc(d['glmnet']['gap'])} | {fmt_t(o)} | {gc(d['occam'].get('gap'))} "
                 f"| {fmt_t(x)} | {gc(d['occam_exact'].get('gap'))} | {fmt_t(med(s.get('times', [])))} "
                 f"| {gc(s.get('gap'))} | {ratio(x, g)} |")
    L += ["", f"Equal gap: every solver tightened until the largest certified relative gap is <= {GAP_TARGET:g} "
          "(glmnet thresh, skglm tol; occam --gap-tol), on glmnet's default sequence extended to 100 lambdas.", "",
          "| design | model | nlambda | occam (s) | glmnet (s) | skglm (s) | occam/glmnet | occam/skglm "
          "| gap occam | gap glmnet | gap skglm | glmnet thresh | skglm tol |",
          "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    notes = []
    for r in rows:
        oc, gl, sk = r["occam"], r["glmnet"], r.get("skglm", {})
        o, g, s = med(oc["times"]), med(gl["times"]), med(sk.get("times", []))
        where = f"{r['design']} {r['model']}"
        for who, dd in (("occam", oc), ("glmnet", gl)):
            if dd.get("error"):
                notes.append(f"{where}: {who} {dd['error']}")
        if sk.get("note"):
            notes.append(f"{where}: skglm {sk['note']}")
        if gl.get("nlambda_fit") is not None and gl["nlambda_fit"] < r["nlambda"]:
            notes.append(f"{where}: glmnet fitted {gl['nlambda_fit']} of the {r['nlambda']} lambdas (its early stop)")
        sratio = "—" if (o is None or not s) else f"{o / s:.2f}"
        L.append(f"| {r['design']} | {r['model']} | {r['nlambda']} | {fmt_t(o)} | {fmt_t(g)} | {fmt_t(s)} "
                 f"| {ratio(o, g)} | {sratio} | {gc(oc.get('gap'))} | {gc(gl.get('gap'))} | {gc(sk.get('gap'))} "
                 f"| {'—' if gl.get('thresh') is None else format(gl['thresh'], 'g')} "
                 f"| {'—' if sk.get('tol') is None else format(sk['tol'], 'g')} |")
    L += [""] + [f"- {n}" for n in notes] + [
        "", "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"reps {args.reps} (fits slower than {args.rep_cap:g} s timed once); total run {total / 60:.1f} min; "
        f"load average (1 min) at start / end: {load}", ""]
    return "\n".join(L)


if __name__ == "__main__":
    main()
