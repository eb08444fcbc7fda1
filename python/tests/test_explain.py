"""explain(X, y) on fitted estimators: exact linear SHAP (the closed form, rows summing to
the decision function minus the base value), permutation importance grouped by correlated
clusters on the hidden-structure data, the same importance.csv as `occam explain` on the
saved model, and errors naming the parameter."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import occam

from helpers import DATA, occam_bin, table


def test_linear_shap_is_the_closed_form_and_sums_to_the_decision_function():
    X, y = table("pima_indians_diabetes.csv")
    est = occam.LogisticNetCV(random_state=3).fit(X, y)
    e = est.explain(X)
    assert e.method == "shap"
    mean = X.to_numpy().mean(axis=0)
    closed = est.coef_[0] * (X.to_numpy() - mean)
    np.testing.assert_allclose(e.attributions.to_numpy(), closed, rtol=0, atol=1e-12)
    margin = est.intercept_[0] + X.to_numpy() @ est.coef_[0]
    np.testing.assert_allclose(e.attributions.sum(axis=1), margin - e.base_value, atol=1e-10)
    assert e.completeness_error < 1e-12
    assert list(e.importance.columns) == ["feature", "importance", "se"]
    assert e.importance.feature.iloc[0] == "glucose"
    assert e.selected[0] == "glucose"


def test_grouped_permutation_finds_the_hidden_structure():
    df = pd.read_csv(DATA / "synthetic/hidden_structure.csv.gz")
    X, y = df.drop(columns="y"), df["y"]
    truth = json.loads((DATA / "synthetic/hidden_structure_truth.json").read_text())
    est = occam.ElasticNetCV(cv=5).fit(X, y)
    e = est.explain(X, y, method="permutation", group_corr=0.8, repeats=5, random_state=2)
    top = list(e.importance.feature[:9])
    assert "g0009+g0069" in top
    singles = set(truth["true_features"]) - set(truth["correlated_pair"])
    assert singles <= set(top), top
    assert e.score == "r2" and e.baseline_score > 0.8


def test_the_same_importance_as_the_command_line(tmp_path):
    X, y = table("diabetes_regression.csv")
    est = occam.ElasticNetCV(cv=5, random_state=1).fit(X, y)
    est.save(tmp_path / "run")
    e = est.explain(X, y, method="permutation", repeats=4, random_state=9)
    e.save(tmp_path / "py")
    subprocess.run(
        [occam_bin(), "explain", str(tmp_path / "run"), str(DATA / "diabetes_regression.csv"),
         "--method", "permutation", "--repeats", "4", "--seed", "9", "--out",
         str(tmp_path / "cli"), "--no-report"],
        check=True, capture_output=True,
    )
    assert (tmp_path / "py/importance.csv").read_bytes() == \
        (tmp_path / "cli/importance.csv").read_bytes()
    page = e.report(tmp_path / "rep")
    assert "Importance beside the selection" in page.read_text()


def test_errors_name_the_parameter():
    X, y = table("pima_indians_diabetes.csv")
    est = occam.LogisticNetCV().fit(X, y)
    with pytest.raises(ValueError, match="method"):
        est.explain(X, method="ig")
    with pytest.raises(ValueError, match="y has shape"):
        est.explain(X, y[:10], method="permutation")
    with pytest.raises(ValueError, match="label"):
        est.explain(X, y + 5, method="permutation")
    with pytest.raises(ValueError, match="needs the target"):
        est.explain(X, method="permutation")
    net = occam.MLPRegressor(hidden=(8,), epochs=5).fit(*table("diabetes_regression.csv"))
    with pytest.raises(ValueError, match="shap"):
        net.explain(table("diabetes_regression.csv")[0], method="shap")


def test_without_pandas_the_explanation_is_numpy(monkeypatch):
    # pandas is optional (pip install ./python does not bring it)
    import sys

    X, y = table("diabetes_regression.csv")
    est = occam.ElasticNetCV(cv=5).fit(X.to_numpy(), y.to_numpy())
    monkeypatch.setitem(sys.modules, "pandas", None)
    e = est.explain(X.to_numpy())
    assert isinstance(e.attributions, np.ndarray) and e.attributions.shape == (442, 10)
    assert e.importance["feature"][0] == "x2" and e.importance["se"].dtype == float
    assert "x2" in repr(e)


def test_integrated_gradients_of_a_network_are_exact_and_match_the_command_line(tmp_path):
    X, y = table("pima_indians_diabetes.csv")
    est = occam.MLPClassifier(hidden=(16,), epochs=30, random_state=3).fit(X, y)
    e = est.explain(X, method="ig", rows=(0, 4))
    assert e.method == "ig"
    assert e.gradient["output"] == "logit" and e.gradient["baseline"] == "training means"
    assert "kinks" in e.gradient["quadrature"]
    p = est.predict_proba(X)[:, 1]
    logit = np.log(p / (1 - p))
    # exact on a ReLU network: each row sums to logit(x) - logit(baseline)
    np.testing.assert_allclose(e.attributions.sum(axis=1), logit - e.base_value, atol=1e-5)
    assert e.completeness_error < 1e-9
    est.save(tmp_path / "run")
    e.save(tmp_path / "py")
    subprocess.run(
        [occam_bin(), "explain", str(tmp_path / "run"), str(DATA / "pima_indians_diabetes.csv"),
         "--method", "ig", "--rows", "0,4", "--out", str(tmp_path / "cli"), "--no-report"],
        check=True, capture_output=True,
    )
    for f in ["attributions.csv", "importance.csv"]:
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    # a baseline row of raw values, Captum's fixed rule, and the other two methods
    zero = est.explain(X, method="ig", baseline=np.zeros(X.shape[1]), ig_tol=None,
                       quadrature="riemann_middle", steps=100)
    assert zero.gradient["baseline_values"] == [0.0] * X.shape[1]
    assert zero.gradient["quadrature"] == "riemann_middle"
    assert zero.gradient["steps"] == (100.0, 100)
    gx = est.explain(X, method="gradxinput")
    sg = est.explain(X, method="smoothgrad", noise=0.0, samples=2)
    np.testing.assert_allclose(gx.attributions.to_numpy(), sg.attributions.to_numpy(),
                               rtol=1e-12, atol=1e-15)
    assert est.explain(X, method="smoothgrad").importance.feature.iloc[0] == \
        est.explain(X, method="smoothgrad").importance.feature.iloc[0]


def test_gradient_settings_are_checked():
    X, y = table("pima_indians_diabetes.csv")
    est = occam.MLPClassifier(hidden=(8,), epochs=3).fit(X, y)
    with pytest.raises(ValueError, match="quadrature"):
        est.explain(X, method="ig", ig_tol=None, quadrature="simpson")
    with pytest.raises(ValueError, match="baseline"):
        est.explain(X, method="ig", baseline="median")
    with pytest.raises(ValueError, match="baseline"):
        est.explain(X, method="ig", baseline=np.zeros((2, 8)))
    with pytest.raises(ValueError, match="steps"):
        est.explain(X, method="ig", steps=0)
    with pytest.raises(ValueError, match="ig_tol"):
        est.explain(X, method="ig", ig_tol=-1.0)
    with pytest.raises(ValueError, match="class_"):
        est.explain(X, method="ig", class_="yes")
