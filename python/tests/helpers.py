"""What the tests share: the repository's data, glmnet's fixtures, the built `occam` binary."""

import gzip
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "datasets"
GLMNET = ROOT / "crates/occam-linear/tests/fixtures/glmnet"


def fixture(name):
    with gzip.open(GLMNET / f"{name}.json.gz", "rt") as f:
        return json.load(f)


def table(name):
    df = pd.read_csv(DATA / name)
    return df.iloc[:, :-1], df.iloc[:, -1]


def occam_bin():
    exe = ROOT / "target/release/occam"
    if not exe.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "occam-cli"], cwd=ROOT, check=True)
    return str(exe)


def close(a, b, rel):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = np.maximum(np.abs(b), 1e-12)
    worst = np.max(np.abs(a - b) / scale)
    assert worst <= rel, f"relative difference {worst:.2e}"
