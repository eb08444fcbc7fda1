"""Stability selection from Python: the hidden-structure data's ten true features and its
correlated pair as a cluster, the same numbers as `occam select --stability`, the report it
draws, a pipeline step, the network variant, pickling, and errors naming the parameter."""

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

import occam

from helpers import DATA, occam_bin, table

HIDDEN = DATA / "synthetic/hidden_structure.csv.gz"


def hidden():
    df = pd.read_csv(HIDDEN)
    truth = json.loads((DATA / "synthetic/hidden_structure_truth.json").read_text())
    return df.iloc[:, :-1], df.iloc[:, -1], truth


def test_the_true_features_are_stable_and_the_pair_is_one_cluster(tmp_path):
    X, y, truth = hidden()
    sel = occam.StabilitySelection(pairs=20).fit(X, y)
    assert set(sel.selected_features_) == set(truth["true_features"])
    assert sorted(sel.clusters_[0]) == sorted(truth["correlated_pair"])
    assert sel.transform(X).shape == (len(y), 10)
    assert list(sel.get_feature_names_out()) == sel.selected_features_
    assert sel.probabilities_.shape == (1000,) and sel.error_bound_ > 0
    # The command line on the same file, split and seed: the same probabilities.
    run = tmp_path / "cli"
    subprocess.run(
        [occam_bin(), "select", str(HIDDEN), "--stability", "--pairs", "20", "--out", str(run),
         "--no-report"],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(run / "stability.csv").set_index("feature")["max_probability"]
    np.testing.assert_array_equal(cli.loc[list(X.columns)].to_numpy(), sel.probabilities_)
    # Its report is the page `occam report` draws from the saved folder.
    page = sel.report(tmp_path / "run").read_text()
    subprocess.run(
        [occam_bin(), "report", str(tmp_path / "run"), "--out", str(tmp_path / "cli.html")],
        check=True, capture_output=True,
    )
    assert (tmp_path / "cli.html").read_text() == page
    assert "g0157" in page and "<svg" in page
    # Pickled, it transforms the same and still writes its run folder.
    again = pickle.loads(pickle.dumps(sel))
    np.testing.assert_array_equal(again.transform(X), sel.transform(X))
    again.report(tmp_path / "again")
    assert (tmp_path / "again" / "report.html").read_text() == page.replace(
        str(tmp_path / "run"), str(tmp_path / "again")
    )


def test_a_pipeline_step_and_the_network_variant():
    X, y = table("pima_indians_diabetes.csv")
    pipe = make_pipeline(occam.StabilitySelection(pairs=10), occam.LogisticNetCV(cv=3))
    pipe.fit(X, y)
    kept = pipe[0].selected_features_
    assert "glucose" in kept and len(kept) < 8
    assert pipe.score(X, y) > 0.7
    net = occam.StabilitySelection(estimator="mlp", pairs=4, epochs=30, l1=0.05).fit(X, y)
    assert net.probabilities_.shape == (8,)
    assert "glucose" in net.selected_features_


def test_bad_parameters_are_errors_naming_them():
    X, y = table("diabetes_regression.csv")
    for params, name in [
        (dict(threshold=0.3), "threshold"),
        (dict(pairs=0), "pairs"),
        (dict(estimator="forest"), "estimator"),
        (dict(family="gamma"), "family"),
        (dict(l1_ratio=3.0), "l1_ratio"),
    ]:
        with pytest.raises(ValueError, match=name):
            occam.StabilitySelection(**params).fit(X, y)
