"""occam.BayesianRidge and occam.ARDRegression: scikit-learn's numbers (the fixtures of
crates/occam-linear/tests/fixtures/bayes, made by gen_bayes.py there with scikit-learn's
BayesianRidge and ARDRegression) to 1e-6, on diabetes (also weighted and without intercept)
and on a generated p > n set; sparse X; one model format with `occam linear bayes` and
`occam predict` (mean and standard deviation); typed errors."""

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import occam

from helpers import DATA, ROOT, occam_bin, table

BAYES = ROOT / "crates/occam-linear/tests/fixtures/bayes"
CASES = ["ridge_diabetes", "ridge_diabetes_weighted", "ridge_diabetes_noint", "ridge_widep",
         "ard_diabetes", "ard_widep", "ard_widep_threshold"]


def load_case(name):
    fx = json.loads((BAYES / f"{name}.json").read_text())
    path = DATA / fx["data"] if fx["data_dir"] == "datasets" else BAYES / fx["data"]
    df = pd.read_csv(path)
    return fx, df.iloc[:, :-1], df.iloc[:, -1]


def rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("sparse", [False, True])
def test_equals_scikit_learn(name, sparse):
    fx, X, y = load_case(name)
    cls = occam.BayesianRidge if fx["kind"] == "ridge" else occam.ARDRegression
    est = cls(**fx["params"])
    Xf = sp.csr_matrix(X.to_numpy()) if sparse else X
    if fx["weights"] is not None:
        est.fit(Xf, y, sample_weight=fx["weights"])
    else:
        est.fit(Xf, y)
    assert est.n_iter_ == fx["n_iter"]
    assert rel(est.coef_, fx["coef"]) <= 1e-6
    assert est.intercept_ == pytest.approx(fx["intercept"], rel=1e-6)
    assert est.alpha_ == pytest.approx(fx["alpha"], rel=1e-6)
    np.testing.assert_allclose(np.atleast_1d(est.lambda_), fx["lambda_"], rtol=1e-6)
    assert rel(est.sigma_, fx["sigma"]) <= 1e-6
    Xp = sp.csr_matrix(X.to_numpy()) if sparse else X
    mean, std = est.predict(Xp, return_std=True)
    assert rel(mean, fx["mean"]) <= 1e-6
    np.testing.assert_allclose(std, fx["std"], rtol=1e-6)
    new = pd.DataFrame(fx["new_rows"], columns=X.columns)
    mean_new, std_new = est.predict(sp.csr_matrix(new.to_numpy()) if sparse else new,
                                    return_std=True)
    assert rel(mean_new, fx["mean_new"]) <= 1e-6
    np.testing.assert_allclose(std_new, fx["std_new"], rtol=1e-6)
    if fx["params"].get("compute_score"):
        scores = np.asarray(fx["scores"])
        # BayesianRidge's last score: scikit-learn takes the coefficients of the update
        # before (see crates/occam-linear/tests/bayes.rs); the others agree
        m = len(scores) - 1 if fx["kind"] == "ridge" else len(scores)
        np.testing.assert_allclose(est.scores_[:m], scores[:m], rtol=1e-6)


def test_ard_prunes_to_exact_zeros_on_the_wide_set():
    fx, X, y = load_case("ard_widep")
    est = occam.ARDRegression().fit(X, y)
    truth = ["x0", "x5", "x17", "x33", "x60", "x99"]
    coef = pd.Series(est.coef_, index=X.columns)
    assert (coef[truth] != 0).all()
    assert (coef == 0).sum() >= 60
    assert est.sigma_.shape == ((coef != 0).sum(),) * 2


def test_a_model_saved_here_predicts_mean_and_std_in_occam_predict(tmp_path):
    X, y = table("diabetes_regression.csv")
    est = occam.BayesianRidge().fit(X, y)
    run = tmp_path / "run"
    est.save(run)
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(run), str(DATA / "diabetes_regression.csv"), "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(out)
    assert list(cli.columns) == ["predicted_disease_progression", "std_disease_progression"]
    mean, std = est.predict(X, return_std=True)
    np.testing.assert_allclose(cli.iloc[:, 0], mean, rtol=1e-12)
    np.testing.assert_allclose(cli.iloc[:, 1], std, rtol=1e-12)
    page = est.report(tmp_path / "rep")
    assert "Posterior coefficients" in page.read_text()


def test_a_model_the_command_line_fitted_loads_here(tmp_path):
    run = tmp_path / "run"
    subprocess.run(
        [occam_bin(), "linear", "bayes", str(DATA / "diabetes_regression.csv"), "--ard",
         "--out", str(run)],
        check=True, capture_output=True,
    )
    est = occam.load(run)
    assert isinstance(est, occam.ARDRegression)
    X, y = table("diabetes_regression.csv")
    ref = occam.ARDRegression(compute_score=True).fit(X, y)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    np.testing.assert_array_equal(est.predict(X, return_std=True)[1],
                                  ref.predict(X, return_std=True)[1])
    assert list(est.feature_names_in_) == list(X.columns)


def test_pickles_and_errors():
    X, y = table("diabetes_regression.csv")
    est = occam.BayesianRidge().fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X, return_std=True)[1],
                                  est.predict(X, return_std=True)[1])
    with pytest.raises(ValueError, match="max_iter"):
        occam.BayesianRidge(max_iter=0).fit(X, y)
    with pytest.raises(ValueError, match="alpha_1"):
        occam.ARDRegression(alpha_1=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="threshold_lambda"):
        occam.ARDRegression(threshold_lambda=0.0).fit(X, y)
    with pytest.raises(ValueError, match="lambda_init"):
        occam.BayesianRidge(lambda_init=-2.0).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        occam.BayesianRidge().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(TypeError):
        occam.ARDRegression().fit(X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="feature"):
        est.predict(X.iloc[:, :5])
