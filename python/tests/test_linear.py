"""occam's linear estimators from Python: glmnet's numbers (the fixtures of
crates/occam-linear/tests/fixtures/glmnet, made by gen_glmnet.R there), scikit-learn's
conventions, typed errors, and one model format with the command line (a model saved here is
used by `occam predict`, a model the command line trained is loaded here)."""

import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import occam

from helpers import DATA, GLMNET, close, fixture, occam_bin, table


def test_logistic_cv_equals_cv_glmnet_on_pima():
    fx = fixture("cv_pima_deviance")
    X, y = table("pima_indians_diabetes.csv")
    est = occam.LogisticNetCV(tol=1e-14, gap_tol=1e-12, foldid=fx["foldid"]).fit(X, y)
    close(est.lambdas_, fx["lambda"], 1e-9)
    close(est.cv_mean_, fx["cvm"], 1e-5)
    close(est.cv_se_, fx["cvsd"], 1e-4)
    close(est.lambda_min_, fx["lambda_min"], 1e-9)
    close(est.lambda_1se_, fx["lambda_1se"], 1e-9)
    assert est.lambda_ == est.lambda_1se_
    assert list(est.classes_) == [0, 1]
    assert est.coef_.shape == (1, 8) and est.intercept_.shape == (1,)
    proba = est.predict_proba(X)
    assert proba.shape == (768, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert 0.7 < est.score(X, y) < 0.85
    assert "glucose" in est.selected_features_
    assert list(est.feature_names_in_) == list(X.columns)


def test_the_path_equals_glmnet_on_diabetes():
    fx = fixture("gaussian_diabetes_a1")
    X, y = table("diabetes_regression.csv")
    est = occam.ElasticNet(lambdas=fx["lambda"], tol=1e-14).fit(X, y)
    beta = np.zeros((fx["p"], len(fx["lambda"])))
    for li, (idx, val) in enumerate(fx["beta_sparse"]):
        beta[idx, li] = val
    assert est.coef_path_.shape == beta.shape
    worst = np.max(np.abs(est.coef_path_ - beta)) / np.max(np.abs(beta))
    assert worst <= 1e-5, worst
    close(est.intercept_path_[0], fx["a0"], 1e-5)
    # The default lambda_value is the smallest fitted: coef_ is that column of the path.
    np.testing.assert_array_equal(est.coef_, est.coef_path_[:, -1])


@pytest.mark.parametrize(
    "fixture_name,data,estimator",
    [
        ("gaussian_diabetes_a1_tight", "diabetes_regression.csv", occam.ElasticNetCV),
        ("binomial_colon_a1_tight", "colon_cancer_alon1999.csv", occam.LogisticNetCV),
    ],
)
def test_the_cv_estimators_path_is_glmnets_and_lambda_1se_is_the_command_lines(
    tmp_path, fixture_name, data, estimator
):
    fx = fixture(fixture_name)
    X, y = table(data)
    foldid = np.arange(len(y)) % 5 + 1
    est = estimator(lambdas=fx["lambda"], tol=1e-16, gap_tol=1e-13, foldid=foldid).fit(X, y)
    np.testing.assert_allclose(est.lambdas_, fx["lambda"], rtol=1e-14)
    beta = np.zeros((fx["p"], len(fx["lambda"])))
    for li, (idx, val) in enumerate(fx["beta_sparse"]):
        beta[idx, li] = val
    path = est.coef_path_ if est.coef_path_.ndim == 2 else est.coef_path_[0]
    # 1e-6 of the largest coefficient, against glmnet at thresh 1e-22 (at its usual 1e-14
    # glmnet is itself only ~1e-5 from the exact path here: README.md beside the fixtures).
    assert np.max(np.abs(path - beta)) <= 1e-6 * np.max(np.abs(beta))
    # The command line on the same data and folds: the same coefficients at lambda.1se.
    ids = tmp_path / "foldid.txt"
    ids.write_text("\n".join(str(f) for f in foldid) + "\n")
    run = tmp_path / "cli"
    subprocess.run(
        [occam_bin(), "linear", "cv", str(DATA / data), "--foldid", str(ids), "--out", str(run),
         "--no-report"],
        check=True, capture_output=True,
    )
    cli = occam.load(run)
    ours = estimator(foldid=foldid).fit(X, y)
    assert cli.lambda_1se_ == ours.lambda_1se_
    np.testing.assert_array_equal(cli.coef_, ours.coef_)
    np.testing.assert_array_equal(cli.intercept_, ours.intercept_)


def test_a_model_saved_here_predicts_the_same_in_occam_predict(tmp_path):
    X, y = table("diabetes_regression.csv")
    est = occam.ElasticNetCV(cv=5, random_state=3).fit(X, y)
    run = tmp_path / "run"
    est.save(run)
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(run), str(DATA / "diabetes_regression.csv"), "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(out).iloc[:, -1].to_numpy()
    np.testing.assert_allclose(cli, est.predict(X), rtol=1e-12)
    # The command line reads the same run: its report and its summary.
    subprocess.run([occam_bin(), "report", str(run)], check=True, capture_output=True)
    assert (run / "report.html").exists()
    with pytest.raises(ValueError, match="already holds a run"):
        est.save(run)
    est.save(run, force=True)


def test_a_model_the_command_line_trained_loads_here(tmp_path):
    run = tmp_path / "cli"
    subprocess.run(
        [occam_bin(), "linear", "cv", "builtin:pima", "--out", str(run), "--no-report"],
        check=True, capture_output=True,
    )
    est = occam.load(run)
    assert isinstance(est, occam.LogisticNetCV)
    X, y = table("pima_indians_diabetes.csv")
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(run), str(DATA / "pima_indians_diabetes.csv"), "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(out)
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], cli["prob_1"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X), cli["predicted"].to_numpy())
    assert est.lambda_ == est.lambda_1se_
    assert "lambda.1se" in est.summary()


def test_poisson_and_multinomial():
    counts = pd.read_csv(GLMNET / "poisson_synth.csv")
    X, y = counts.iloc[:, :-1], counts.iloc[:, -1]
    est = occam.ElasticNetCV(family="poisson", cv=5).fit(X, y)
    assert np.all(est.predict(X) > 0)
    digits = pd.read_csv(DATA / "digits_8x8.csv").iloc[:600]
    Xd, yd = digits.iloc[:, :-1], digits.iloc[:, -1]
    clf = occam.LogisticNetCV(cv=3, n_lambdas=30).fit(Xd, yd)
    assert clf.coef_.shape == (10, 64)
    np.testing.assert_allclose(clf.predict_proba(Xd).sum(axis=1), 1.0)
    assert clf.score(Xd, yd) > 0.9


def test_bad_input_is_a_value_error_naming_the_parameter():
    X, y = table("diabetes_regression.csv")
    with pytest.raises(ValueError, match="l1_ratio"):
        occam.ElasticNetCV(l1_ratio=2.0).fit(X, y)
    with pytest.raises(ValueError, match="family"):
        occam.ElasticNetCV(family="binomial").fit(X, y)
    with pytest.raises(ValueError, match="n_lambdas"):
        occam.ElasticNetCV(n_lambdas=0).fit(X, y)
    bad = X.to_numpy().copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError):
        occam.ElasticNetCV().fit(bad, y)
    est = occam.ElasticNetCV(cv=5).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(X.iloc[:, :5])
    with pytest.raises(ValueError, match="5 features"):
        occam.ElasticNetCV(cv=5).fit(X.to_numpy(), y).predict(X.to_numpy()[:, :5])
    with pytest.raises(ValueError, match="one class"):
        occam.LogisticNetCV().fit(X, np.zeros(len(y)))


def test_scikit_learn_pipelines_clone_and_grid_search():
    X, y = table("diabetes_regression.csv")
    est = occam.ElasticNetCV(cv=5, l1_ratio=0.5)
    assert clone(est).get_params() == est.get_params()
    pipe = make_pipeline(StandardScaler(), occam.ElasticNetCV(cv=5))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert np.all(scores > 0.3), scores
    grid = GridSearchCV(occam.ElasticNet(lambda_value=1.0), {"l1_ratio": [0.2, 1.0]}, cv=3)
    grid.fit(X.to_numpy(), y.to_numpy())
    assert grid.best_params_["l1_ratio"] in (0.2, 1.0)
    # Same data, same seed: the same bits.
    a = occam.ElasticNetCV(cv=5, random_state=7).fit(X, y)
    b = occam.ElasticNetCV(cv=5, random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.cv_mean_, b.cv_mean_)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_sparse_input_fits_the_same_path_as_dense():
    from scipy import sparse

    X, y = table("diabetes_regression.csv")
    grid = np.geomspace(40.0, 0.1, 30)
    dense = occam.ElasticNet(lambdas=grid, tol=1e-13, gap_tol=1e-12).fit(X.to_numpy(), y)
    csr = sparse.csr_matrix(X.to_numpy())
    sp_fit = occam.ElasticNet(lambdas=grid, tol=1e-13, gap_tol=1e-12).fit(csr, y)
    scale = np.max(np.abs(dense.coef_path_))
    assert np.max(np.abs(sp_fit.coef_path_ - dense.coef_path_)) <= 1e-6 * scale
    np.testing.assert_allclose(sp_fit.predict(csr), dense.predict(X.to_numpy()), rtol=1e-6)
    cv = occam.ElasticNetCV(cv=5).fit(csr, y)
    assert cv.predict(csr).shape == (len(y),)


def test_a_fitted_estimator_pickles_and_predicts_the_same():
    import pickle

    X, y = table("pima_indians_diabetes.csv")
    clf = occam.LogisticNetCV(cv=5).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.lambda_1se_, clf.lambda_1se_)
    assert pickle.loads(pickle.dumps(occam.ElasticNet(l1_ratio=0.3))).l1_ratio == 0.3


def test_report_writes_the_page_the_command_line_draws(tmp_path):
    X, y = table("pima_indians_diabetes.csv")
    clf = occam.LogisticNetCV(cv=5).fit(X, y)
    page = clf.report(tmp_path / "run")
    html = page.read_text()
    assert page.name == "report.html" and "<svg" in html
    for word in ("lambda.1se", "glucose"):
        assert word in html, word
    # The same page as `occam report` draws from the saved folder.
    cli = tmp_path / "cli.html"
    subprocess.run(
        [occam_bin(), "report", str(tmp_path / "run"), "--out", str(cli)],
        check=True, capture_output=True,
    )
    assert cli.read_text() == html
