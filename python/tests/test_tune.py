"""occam.tune from Python: the same trials, choice and network as `occam tune` on the same
data, space and seed; the folds as joblib tasks give the same numbers; its run folder and
report are the command line's; errors name the parameter."""

import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest

import occam

from helpers import DATA, occam_bin, table

SPACE = {"l1": ("log", 1e-5, 1e-1), "dropout": ("range", 0.0, 0.5)}
SPACE_TOML = "[l1]\nlog = [1e-5, 1e-1]\n[dropout]\nrange = [0.0, 0.5]\n"


def test_tune_is_occam_tune_and_its_folds_run_through_joblib_with_the_same_numbers(tmp_path):
    X, y = table("pima_indians_diabetes.csv")
    search = occam.tune(occam.MLPClassifier(epochs=10), SPACE, X, y, trials=6)
    assert len(search.trials_) == 6 and search.metric_ == "accuracy"
    assert set(search.best_params_) == {"l1", "dropout"}
    assert search.best_estimator_.l1 == search.best_params_["l1"]
    assert 0.6 < search.cv_mean_ < 0.85
    # The command line on the same file, space and seed.
    (tmp_path / "space.toml").write_text(SPACE_TOML)
    cli = tmp_path / "cli"
    subprocess.run(
        [occam_bin(), "tune", str(DATA / "pima_indians_diabetes.csv"), "--space",
         str(tmp_path / "space.toml"), "--trials", "6", "--epochs", "10", "--val-fraction",
         "0", "--out", str(cli), "--no-report"],
        check=True, capture_output=True,
    )
    cli_trials = pd.read_csv(cli / "trials.csv")
    np.testing.assert_allclose(
        cli_trials["mean"].to_numpy(), [t["mean"] for t in search.trials_], rtol=1e-12
    )
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(cli), str(DATA / "pima_indians_diabetes.csv"), "--out",
         str(out)],
        check=True, capture_output=True,
    )
    np.testing.assert_allclose(
        pd.read_csv(out)["prob_1"].to_numpy(), search.predict_proba(X)[:, 1], rtol=1e-6
    )
    # Each trial's folds as joblib tasks (two worker processes): the same bits.
    again = occam.tune(occam.MLPClassifier(epochs=10), SPACE, X, y, trials=6, n_jobs=2)
    assert [t["fold_scores"] for t in again.trials_] == [t["fold_scores"] for t in search.trials_]
    np.testing.assert_array_equal(again.predict_proba(X), search.predict_proba(X))


def test_the_search_writes_occam_tunes_run_folder_and_report(tmp_path):
    X, y = table("diabetes_regression.csv")
    search = occam.tune(
        occam.MLPRegressor(epochs=10, hidden=(16,)),
        {"l2": ("log", 1e-5, 1e-1), "learning_rate": ("choice", [1e-3, 1e-2])},
        X, y, search="random", trials=4, rule="min",
    )
    assert search.metric_ == "rmse"
    page = search.report(tmp_path / "run").read_text()
    assert "<svg" in page
    subprocess.run(
        [occam_bin(), "report", str(tmp_path / "run"), "--out", str(tmp_path / "cli.html")],
        check=True, capture_output=True,
    )
    assert (tmp_path / "cli.html").read_text() == page
    # The chosen network is an ordinary model folder for occam.load and occam predict.
    model = occam.load(tmp_path / "run")
    np.testing.assert_allclose(model.predict(X), search.predict(X), rtol=1e-6)
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict(X), search.predict(X))
    back.save(tmp_path / "again")
    assert (tmp_path / "again" / "trials.jsonl").exists()


def test_bad_settings_are_errors_naming_them():
    X, y = table("pima_indians_diabetes.csv")
    est = occam.MLPClassifier(epochs=2)
    with pytest.raises(ValueError, match="space"):
        occam.tune(est, {"momentum": ("range", 0, 1)}, X, y, trials=2)
    with pytest.raises(ValueError, match="space"):
        occam.tune(est, {"l1": ("uniform", 0, 1)}, X, y, trials=2)
    with pytest.raises(ValueError, match="search"):
        occam.tune(est, SPACE, X, y, search="bayes", trials=2)
    with pytest.raises(ValueError, match="trials"):
        occam.tune(est, SPACE, X, y, trials=0)
    with pytest.raises(ValueError, match="prune"):
        occam.tune(est, SPACE, X, y, trials=2, prune=True, n_jobs=2)
    with pytest.raises(ValueError, match="metric"):
        occam.tune(est, SPACE, X, y, trials=2, metric="r2")
    with pytest.raises(TypeError, match="estimator"):
        occam.tune(occam.ElasticNetCV(), SPACE, X, y)


def test_the_chosen_width_depth_and_alpha_are_the_best_estimators_parameters():
    X, y = table("pima_indians_diabetes.csv")
    space = {"width": ("choice", [8, 24]), "depth": ("int", 1, 2), "alpha": ("range", 0.2, 0.8)}
    search = occam.tune(
        occam.MLPClassifier(epochs=3, hidden=(16,), l1=1e-3), space, X, y, search="random",
        trials=3,
    )
    best, p = search.best_estimator_, search.best_params_
    width, depth = int(p["width"]), int(np.floor(p["depth"] + 0.5))
    assert best.hidden == (width,) * depth
    assert best.elastic_net == (1e-3, p["alpha"]) and best.l1 == 0.0
    # The fitted network has those layers: 8 inputs x width, then width x width, then out.
    assert len(best.zeros_per_layer_) == depth + 1
    assert best.zeros_per_layer_[0][1] == 8 * width
