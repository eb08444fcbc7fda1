"""occam's folds and scikit-learn's searches over occam estimators on a real Dask cluster: a
LocalCluster of 2 worker processes on loopback, started for this module and stopped at its
end. Every result equals the serial run's, bit for bit."""

import joblib
import numpy as np
import pytest
from scipy import sparse
from sklearn.model_selection import GridSearchCV, cross_val_score

import occam

from helpers import table

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


def test_the_cv_estimators_folds_run_on_the_cluster_with_the_serial_numbers(client):
    X, y = table("pima_indians_diabetes.csv")
    serial = occam.LogisticNetCV(cv=5).fit(X, y)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_dask = occam.LogisticNetCV(cv=5).fit(X, y)
    assert any("_score_fold" in t["key"] for t in tasks.data), [t["key"] for t in tasks.data]
    for name in ("cv_mean_", "cv_se_", "lambdas_", "coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(on_dask, name), getattr(serial, name), err_msg=name)
    assert on_dask.lambda_1se_ == serial.lambda_1se_
    # Regression on a sparse matrix, the folds given as glmnet's foldid.
    Xr, yr = table("diabetes_regression.csv")
    Xs = sparse.csr_matrix(Xr.to_numpy())
    foldid = np.arange(len(yr)) % 4 + 1
    serial = occam.ElasticNetCV(foldid=foldid, l1_ratio=0.5).fit(Xs, yr)
    with joblib.parallel_backend("dask"):
        on_dask = occam.ElasticNetCV(foldid=foldid, l1_ratio=0.5).fit(Xs, yr)
    np.testing.assert_array_equal(on_dask.cv_mean_, serial.cv_mean_)
    np.testing.assert_array_equal(on_dask.coef_, serial.coef_)


def test_grid_search_over_an_mlp_on_the_cluster_equals_the_serial_search(client):
    X, y = table("pima_indians_diabetes.csv")
    grid = {"l1": [0.0, 1e-3], "hidden": [(16,), (32, 16)]}
    serial = GridSearchCV(occam.MLPClassifier(epochs=10), grid, cv=3).fit(X, y)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(occam.MLPClassifier(epochs=10), grid, cv=3).fit(X, y)
    assert len(tasks.data) >= 2  # joblib batches the 12 fits into tasks
    np.testing.assert_array_equal(
        on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_array_equal(on_dask.predict_proba(X), serial.predict_proba(X))
    # cross_val_score over the CV estimator: both levels of folds through the cluster.
    Xr, yr = table("diabetes_regression.csv")
    a = cross_val_score(occam.ElasticNetCV(cv=3), Xr, yr, cv=3)
    with joblib.parallel_backend("dask"):
        b = cross_val_score(occam.ElasticNetCV(cv=3), Xr, yr, cv=3)
    np.testing.assert_array_equal(a, b)


def test_occam_tunes_trials_run_on_the_cluster_with_the_serial_numbers(client):
    X, y = table("pima_indians_diabetes.csv")
    space = {"l1": ("log", 1e-5, 1e-1), "dropout": ("range", 0.0, 0.5)}
    serial = occam.tune(occam.MLPClassifier(epochs=10), space, X, y, trials=4)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_dask = occam.tune(occam.MLPClassifier(epochs=10), space, X, y, trials=4)
    assert any("_score_fold" in t["key"] for t in tasks.data)
    assert [t["fold_scores"] for t in on_dask.trials_] == [t["fold_scores"] for t in serial.trials_]
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_array_equal(on_dask.predict_proba(X), serial.predict_proba(X))
