"""sample_weight on the linear estimators: glmnet's weighted paths and cv.glmnet's weighted
cross-validation (the *_w fixtures of crates/occam-linear/tests/fixtures/glmnet, made by
gen_glmnet.R there), weights as frequencies (weight k = the row k times, 0 = no row), the
same numbers through joblib, scikit-learn splitters as ``cv``, and typed errors."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

import occam

from helpers import close, fixture, table


def _path_of(fx):
    beta = np.zeros((fx["p"], len(fx["lambda"])))
    for li, (idx, val) in enumerate(fx["beta_sparse"]):
        beta[idx, li] = val
    return beta


@pytest.mark.parametrize(
    "name,data,l1_ratio",
    [("gaussian_diabetes_w", "diabetes_regression.csv", 1.0),
     ("gaussian_diabetes_w_a05", "diabetes_regression.csv", 0.5)],
)
def test_weighted_path_equals_glmnets(name, data, l1_ratio):
    fx = fixture(name)
    X, y = table(data)
    est = occam.ElasticNet(l1_ratio=l1_ratio, tol=1e-14, gap_tol=1e-13)
    est.fit(X, y, sample_weight=fx["weights"])
    # the automatic grid is glmnet's (its lambda_max and early stop come from the weights)
    close(est.lambdas_, fx["lambda"], 1e-9)
    beta = _path_of(fx)
    worst = np.max(np.abs(est.coef_path_ - beta)) / np.max(np.abs(beta))
    assert worst <= 1e-5, worst
    close(est.intercept_path_[0], fx["a0"], 1e-5)


def test_weighted_logistic_path_equals_glmnets_on_colon():
    # glmnet at thresh 1e-22: the tight comparison
    fx = fixture("binomial_colon_w")
    X, y = table("colon_cancer_alon1999.csv")
    est = occam.LogisticNetCV(tol=1e-14, gap_tol=1e-13, cv=3)
    est.fit(X, y, sample_weight=fx["weights"])
    close(est.lambdas_, fx["lambda"], 1e-9)
    beta = _path_of(fx)
    worst = np.max(np.abs(est.coef_path_ - beta)) / np.max(np.abs(beta))
    assert worst <= 1e-6, worst


@pytest.mark.parametrize("measure", ["deviance", "class", "auc"])
def test_weighted_cv_equals_cv_glmnet_on_pima(measure):
    fx = fixture(f"cv_pima_w_{measure}")
    X, y = table("pima_indians_diabetes.csv")
    est = occam.LogisticNetCV(tol=1e-14, gap_tol=1e-12, foldid=fx["foldid"], measure=measure)
    est.fit(X, y, sample_weight=fx["weights"])
    close(est.lambdas_, fx["lambda"], 1e-9)
    close(est.cv_mean_, fx["cvm"], 1e-5)
    close(est.cv_se_, fx["cvsd"], 1e-4)
    assert est.lambda_min_ == pytest.approx(fx["lambda_min"], rel=1e-9)
    assert est.lambda_1se_ == pytest.approx(fx["lambda_1se"], rel=1e-9)


def test_weighted_elastic_net_cv_equals_cv_glmnet_on_diabetes():
    fx = fixture("cv_diabetes_w_mse")
    X, y = table("diabetes_regression.csv")
    est = occam.ElasticNetCV(tol=1e-14, gap_tol=1e-12, foldid=fx["foldid"], measure="mse")
    est.fit(X, y, sample_weight=np.asarray(fx["weights"]))
    close(est.cv_mean_, fx["cvm"], 1e-5)
    close(est.cv_se_, fx["cvsd"], 1e-4)
    assert est.lambda_1se_ == pytest.approx(fx["lambda_1se"], rel=1e-9)


def test_integer_weights_are_repeated_rows_and_zero_weights_no_rows():
    X, y = table("diabetes_regression.csv")
    X, y = X.to_numpy(), y.to_numpy()
    w = np.arange(len(y)) * 5 % 7 % 4  # 0..3
    rows = np.repeat(np.arange(len(y)), w)
    groups = np.arange(len(y)) % 4
    wt = occam.ElasticNetCV(tol=1e-12, cv=list(LeaveOneGroupOut().split(X, y, groups)))
    wt.fit(X, y, sample_weight=w)
    rep = occam.ElasticNetCV(
        tol=1e-12, cv=list(LeaveOneGroupOut().split(X[rows], y[rows], groups[rows]))
    ).fit(X[rows], y[rows])
    close(wt.lambdas_, rep.lambdas_, 1e-12)
    close(wt.cv_mean_, rep.cv_mean_, 1e-9)
    assert wt.lambda_1se_ == pytest.approx(rep.lambda_1se_, rel=1e-12)
    np.testing.assert_allclose(wt.predict(X), rep.predict(X), rtol=1e-9)


def test_folds_through_joblib_give_the_same_weighted_fit():
    X, y = table("pima_indians_diabetes.csv")
    w = (np.arange(len(y)) * 7) % 13 % 5
    serial = occam.LogisticNetCV(cv=5).fit(X, y, sample_weight=w)
    with parallel_backend("threading", n_jobs=2):
        staged = occam.LogisticNetCV(cv=5).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(serial.cv_mean_, staged.cv_mean_)
    np.testing.assert_array_equal(serial.coef_, staged.coef_)


def test_a_splitter_as_cv_is_its_folds():
    X, y = table("diabetes_regression.csv")
    kf = KFold(5, shuffle=True, random_state=3)
    foldid = np.zeros(len(y), dtype=int)
    for f, (_, test) in enumerate(kf.split(X)):
        foldid[test] = f + 1
    a = occam.ElasticNetCV(cv=kf).fit(X, y)
    b = occam.ElasticNetCV(foldid=foldid).fit(X, y)
    np.testing.assert_array_equal(a.cv_mean_, b.cv_mean_)
    assert a.lambda_ == b.lambda_


def test_bad_weights_and_splits_are_errors_naming_them():
    X, y = table("diabetes_regression.csv")
    n = len(y)
    cases = [
        (np.ones(n - 1), ValueError, "sample_weight: shape"),
        (np.ones((n, 2)), ValueError, "sample_weight: shape"),
        (-np.ones(n), ValueError, "negative"),
        (np.full(n, np.nan), ValueError, "NaN"),
        (np.zeros(n), ValueError, "every weight is zero"),
        (["a"] * n, TypeError, "sample_weight"),
    ]
    for w, err, msg in cases:
        with pytest.raises(err, match=msg):
            occam.ElasticNetCV().fit(X, y, sample_weight=w)
    one = np.zeros(n)
    one[3] = 1.0
    with pytest.raises(ValueError, match="sample_weight.*only 1 row"):
        occam.ElasticNet().fit(X, y, sample_weight=one)
    overlapping = [(np.arange(100, n), np.arange(100)), (np.arange(50, n), np.arange(50))]
    with pytest.raises(ValueError, match="cv: the test rows of split 2"):
        occam.ElasticNetCV(cv=overlapping).fit(X, y)
    with pytest.raises(ValueError, match="cv: .* rows are in no test set"):
        occam.ElasticNetCV(cv=[(np.arange(100, n), np.arange(100))]).fit(X, y)
    with pytest.raises(ValueError, match="groups"):
        occam.ElasticNetCV(cv=GroupKFold(3)).fit(X, y)
    with pytest.raises(TypeError, match="cv: expected"):
        occam.ElasticNetCV(cv=2.5).fit(X, y)
    # a fold whose rows all have weight 0 cannot be scored
    w = np.ones(n)
    foldid = np.arange(n) % 3 + 1
    w[foldid == 2] = 0.0
    with pytest.raises(ValueError, match="every row of fold 2 has weight 0"):
        occam.ElasticNetCV(foldid=foldid).fit(X, y, sample_weight=w)
