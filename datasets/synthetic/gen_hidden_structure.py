"""Synthetic regression set with hidden structure for occam's selection tests (issue 5).

n = 200 rows, p = 1000 standard-normal features, 10 true features; two of them (a
correlated pair) have correlation 0.9; y = X beta + N(0, 1) noise. The true features sit at
random columns. Writes hidden_structure.csv.gz (target column `y` last) and
hidden_structure_truth.json (the true feature names, the pair, beta).

    python3 gen_hidden_structure.py        # numpy; seed fixed below, output byte-identical
"""
import gzip, json, os
import numpy as np

N, P, SEED, RHO = 200, 1000, 20261126, 0.9
rng = np.random.default_rng(SEED)
X = rng.standard_normal((N, P))
cols = rng.permutation(P)[:10]            # columns of the 10 true features
a, b = cols[0], cols[1]                   # the correlated pair
X[:, b] = RHO * X[:, a] + np.sqrt(1 - RHO**2) * rng.standard_normal(N)
beta = np.array([0.6, 0.6, -1.5, 1.5, -1.25, 1.25, -1.0, 1.0, -1.0, 1.0])
y = X[:, cols] @ beta + rng.standard_normal(N)
names = [f"g{j:04d}" for j in range(P)]
here = os.path.dirname(os.path.abspath(__file__))
lines = [",".join(names + ["y"])]
for i in range(N):
    lines.append(",".join(f"{v:.6g}" for v in X[i]) + f",{y[i]:.6g}")
with gzip.GzipFile(os.path.join(here, "hidden_structure.csv.gz"), "wb", mtime=0) as f:
    f.write(("\n".join(lines) + "\n").encode())
truth = {
    "true_features": [names[c] for c in cols],
    "correlated_pair": [names[a], names[b]],
    "rho": RHO,
    "beta": dict(zip([names[c] for c in cols], beta.tolist())),
    "n": N, "p": P, "seed": SEED,
}
with open(os.path.join(here, "hidden_structure_truth.json"), "w") as f:
    json.dump(truth, f, indent=1)
print("true features:", truth["true_features"], "pair:", truth["correlated_pair"])
