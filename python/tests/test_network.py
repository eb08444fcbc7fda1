"""occam's networks from Python: the penalties do what they say (exact zeros, whole features
out), one model format with `occam train`/`occam predict` both ways, the report `occam report`
draws, errors naming the Python parameter, seeds and pickling (Ctrl-C: test_interrupt.py)."""

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV

import occam

from helpers import DATA, occam_bin, table


def test_l1_and_group_lasso_leave_exact_zeros_and_whole_features():
    X, y = table("pima_indians_diabetes.csv")
    plain = occam.MLPClassifier(epochs=40).fit(X, y)
    assert plain.zeros_per_layer_[0][0] == 0
    sparse = occam.MLPClassifier(epochs=40, l1=3e-3).fit(X, y)
    zeros, total = sparse.zeros_per_layer_[0]
    assert total == 8 * 64 and zeros > total // 4, sparse.zeros_per_layer_
    # Group lasso on the inputs removes features whole: on the hidden-structure data (1,000
    # features, 10 of them true) it keeps the ten and almost nothing else.
    df = pd.read_csv(DATA / "synthetic/hidden_structure.csv.gz")
    truth = json.loads((DATA / "synthetic/hidden_structure_truth.json").read_text())
    Xh, yh = df.iloc[:, :-1], df.iloc[:, -1]
    grouped = occam.MLPRegressor(
        hidden=(16,), epochs=100, group_lasso=0.05, learning_rate=0.01
    ).fit(Xh, yh)
    kept = grouped.selected_features_
    assert set(truth["true_features"]) <= set(kept) and len(kept) <= 20, kept
    assert grouped.score(Xh, yh) > 0.8
    # The history: one row per epoch with the penalty and the exact zeros.
    h = grouped.history_
    assert len(h["train_loss"]) == grouped.n_iter_ == 100
    assert h["penalty"][-1] > 0 and h["zeros_layer0"][-1] == 16 * (1000 - len(kept))


def test_regression_early_stopping_and_weight_decay():
    X, y = table("diabetes_regression.csv")
    est = occam.MLPRegressor(
        hidden=(32,), early_stopping=True, n_iter_no_change=5, epochs=300,
        optimizer="adamw", weight_decay=0.05, random_state=3,
    ).fit(X, y)
    assert est.n_iter_ < 300
    assert "val_loss" in est.history_ and not np.isnan(est.history_["val_loss"][-1])
    assert est.score(X, y) > 0.4
    # Same seed, same threads: the same bits.
    again = occam.MLPRegressor(**est.get_params()).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    other = occam.MLPRegressor(**{**est.get_params(), "random_state": 4}).fit(X, y)
    assert not np.array_equal(other.predict(X), est.predict(X))


def test_a_network_saved_here_predicts_the_same_in_occam_predict(tmp_path):
    X, y = table("pima_indians_diabetes.csv")
    clf = occam.MLPClassifier(epochs=30, l1=1e-3, dropout=0.1).fit(X, y)
    run = tmp_path / "run"
    clf.save(run)
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(run), str(DATA / "pima_indians_diabetes.csv"),
         "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(out)
    np.testing.assert_allclose(cli["prob_1"].to_numpy(), clf.predict_proba(X)[:, 1], rtol=1e-6)
    np.testing.assert_array_equal(cli["predicted"].to_numpy(), clf.predict(X))
    # And back: the saved folder loads as the same classifier.
    again = occam.load(run)
    assert isinstance(again, occam.MLPClassifier)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.zeros_per_layer_ == clf.zeros_per_layer_
    assert again.history_["train_loss"] == clf.history_["train_loss"]


def test_a_network_the_command_line_trained_loads_here(tmp_path):
    run = tmp_path / "cli"
    subprocess.run(
        [occam_bin(), "train", str(DATA / "diabetes_regression.csv"), "--epochs", "20",
         "--l1", "1e-3", "--out", str(run), "--no-report"],
        check=True, capture_output=True,
    )
    est = occam.load(run)
    assert isinstance(est, occam.MLPRegressor)
    X, _ = table("diabetes_regression.csv")
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(run), str(DATA / "diabetes_regression.csv"),
         "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = pd.read_csv(out).iloc[:, -1].to_numpy()
    np.testing.assert_allclose(est.predict(X), cli, rtol=1e-6)
    assert est.n_iter_ == 20 and "epochs" in est.summary()


def test_report_writes_the_page_the_command_line_draws(tmp_path):
    X, y = table("pima_indians_diabetes.csv")
    clf = occam.MLPClassifier(epochs=20, l1=1e-3).fit(X, y)
    page = clf.report(tmp_path / "run")
    html = page.read_text()
    assert "<svg" in html and "glucose" in html
    cli = tmp_path / "cli.html"
    subprocess.run(
        [occam_bin(), "report", str(tmp_path / "run"), "--out", str(cli)],
        check=True, capture_output=True,
    )
    assert cli.read_text() == html


def test_bad_parameters_are_errors_naming_them():
    X, y = table("pima_indians_diabetes.csv")
    cases = [
        (dict(dropout=1.5), "dropout"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(elastic_net=(0.1,)), "elastic_net"),
        (dict(penalty_layers=[7]), "penalty_layers"),
        (dict(early_stopping=True, validation_fraction=1.5), "validation_fraction"),
        (dict(activation="swish2"), "activation"),
        (dict(hidden=(16, 0, 4)), "hidden"),
    ]
    for params, name in cases:
        with pytest.raises(ValueError, match=name):
            occam.MLPClassifier(epochs=1, **params).fit(X, y)
    with pytest.raises(TypeError):
        occam.MLPClassifier(epochs=1, l1=object()).fit(X, y)


def test_grid_search_pickle_joblib_and_float32(tmp_path):
    import joblib

    X, y = table("pima_indians_diabetes.csv")
    grid = GridSearchCV(occam.MLPClassifier(epochs=10), {"l1": [0.0, 1e-3]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["l1"] in (0.0, 1e-3)
    clf = grid.best_estimator_
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # float32 input fits and predicts as the same values in float64.
    X32 = X.to_numpy(dtype=np.float32)
    a = occam.MLPClassifier(epochs=5).fit(X32, y)
    b = occam.MLPClassifier(epochs=5).fit(X32.astype(np.float64), y)
    np.testing.assert_array_equal(a.predict_proba(X32), b.predict_proba(X32.astype(np.float64)))


def test_threads_predict_with_one_fitted_network_at_once():
    from concurrent.futures import ThreadPoolExecutor

    X, y = table("pima_indians_diabetes.csv")
    clf = occam.MLPClassifier(epochs=5).fit(X, y)
    want = clf.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: clf.predict_proba(X), range(16)))
    for g in got:
        np.testing.assert_array_equal(g, want)


def test_mc_dropout_gives_a_seeded_mean_and_spread_as_the_command_line(tmp_path):
    X, y = table("diabetes_regression.csv")
    est = occam.MLPRegressor(hidden=(16,), dropout=0.2, epochs=20, random_state=1).fit(X, y)
    mean, std = est.predict(X, return_std=True, mc_samples=30, mc_seed=4)
    assert mean.shape == (442,) and std.shape == (442,)
    assert (std > 0).all()
    again = est.predict(X, return_std=True, mc_samples=30, mc_seed=4)
    np.testing.assert_array_equal(mean, again[0])
    np.testing.assert_array_equal(std, again[1])
    assert np.corrcoef(mean, est.predict(X))[0, 1] > 0.95
    est.save(tmp_path / "run")
    out = tmp_path / "mc.csv"
    subprocess.run(
        [occam_bin(), "predict", str(tmp_path / "run"), str(DATA / "diabetes_regression.csv"),
         "--mc-samples", "30", "--seed", "4", "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = np.loadtxt(out, delimiter=",", skiprows=1)
    np.testing.assert_allclose(cli[:, 0], mean, rtol=1e-12)
    np.testing.assert_allclose(cli[:, 1], std, rtol=1e-12)
    plain = occam.MLPRegressor(hidden=(4,), epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="mc_samples"):
        plain.predict(X, return_std=True)


def test_laplace_gives_an_sd_from_the_evidence_and_moderates_probabilities(tmp_path):
    X, y = table("birthwt.csv")
    est = occam.MLPRegressor(hidden=(16,), epochs=30, laplace=True, random_state=2).fit(X, y)
    la = est.laplace_
    assert set(la) == {"method", "prior_precision", "noise_sd", "log_marglik",
                       "effective_params", "n_params", "validation_nll"}
    assert la["method"] == "last_layer_full_ggn"
    assert la["validation_nll"] is None
    assert la["n_params"] == 17 and 0 < la["effective_params"] <= 17
    # the noise sd is of the order of the residuals (grams)
    resid = np.std(y - est.predict(X))
    assert 0.5 * resid < la["noise_sd"] < 1.5 * resid, (la, resid)
    mean, std = est.predict(X, return_std=True)
    np.testing.assert_array_equal(mean, est.predict(X))
    assert (std >= la["noise_sd"] - 1e-9).all() and (std > la["noise_sd"]).any()
    # the same sd through the command line and after loading
    est.save(tmp_path / "run")
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(tmp_path / "run"), str(DATA / "birthwt.csv"),
         "--out", str(out)],
        check=True, capture_output=True,
    )
    cli = np.loadtxt(out, delimiter=",", skiprows=1)
    np.testing.assert_allclose(cli[:, 0], mean, rtol=1e-12)
    np.testing.assert_allclose(cli[:, 1], std, rtol=1e-12)
    loaded = occam.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.predict(X, return_std=True)[1], std)
    assert loaded.laplace_ == la
    assert occam.MLPRegressor(epochs=2).fit(X, y).laplace_ is None
    # classes: probabilities pulled toward even odds, never past them
    Xp, yp = table("pima_indians_diabetes.csv")
    plain = occam.MLPClassifier(hidden=(16,), epochs=30).fit(Xp, yp).predict_proba(Xp)
    clf = occam.MLPClassifier(hidden=(16,), epochs=30, laplace=True).fit(Xp, yp)
    mod = clf.predict_proba(Xp)
    assert clf.laplace_["noise_sd"] is None
    assert (np.abs(mod - 0.5) <= np.abs(plain - 0.5) + 1e-12).all()
    assert (np.sign(mod - 0.5) * np.sign(plain - 0.5) >= 0).all()
    # the prior chosen on held-out rows (validation_fraction of them)
    val = occam.MLPClassifier(hidden=(16,), epochs=30, laplace=True,
                              laplace_prior="validation").fit(Xp, yp)
    assert val.laplace_["validation_nll"] > 0
    with pytest.raises(ValueError, match="laplace_prior"):
        occam.MLPClassifier(epochs=2, laplace=True, laplace_prior="bogus").fit(Xp, yp)


def test_laplace_over_every_parameter_with_the_diagonal_ggn(tmp_path):
    X, y = table("birthwt.csv")
    kw = dict(hidden=(16,), epochs=30, laplace=True, random_state=2)
    last = occam.MLPRegressor(**kw).fit(X, y)
    est = occam.MLPRegressor(laplace_hessian="diag", **kw).fit(X, y)
    la = est.laplace_
    assert la["method"] == "all_diag_ggn"
    n_params = X.shape[1] * 16 + 16 + 16 + 1
    assert la["n_params"] == n_params and 0 < la["effective_params"] < n_params
    # the same seed trains the same network: the means are the plain network's
    plain = occam.MLPRegressor(hidden=(16,), epochs=30, random_state=2).fit(X, y)
    np.testing.assert_array_equal(est.predict(X), plain.predict(X))
    mean, std = est.predict(X, return_std=True)
    assert (std > la["noise_sd"]).all()
    assert not np.allclose(std, last.predict(X, return_std=True)[1])
    est.save(tmp_path / "run")
    loaded = occam.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.predict(X, return_std=True)[1], std)
    assert loaded.laplace_ == la
    # classes, the prior chosen on held-out rows
    Xp, yp = table("pima_indians_diabetes.csv")
    clf = occam.MLPClassifier(hidden=(8,), epochs=20, laplace=True, laplace_hessian="diag",
                              laplace_prior="validation").fit(Xp, yp)
    assert clf.laplace_["validation_nll"] > 0
    mod = clf.predict_proba(Xp)
    np.testing.assert_allclose(mod.sum(1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="laplace_hessian"):
        occam.MLPRegressor(epochs=2, laplace=True, laplace_hessian="kfac").fit(X, y)
    with pytest.raises(ValueError, match="laplace_hessian"):
        occam.MLPRegressor(epochs=2, laplace_hessian="diag").fit(X, y)


def test_laplace_over_every_parameter_with_the_kronecker_factored_ggn(tmp_path):
    X, y = table("birthwt.csv")
    kw = dict(hidden=(16,), epochs=30, laplace=True, random_state=2)
    diag = occam.MLPRegressor(laplace_hessian="diag", **kw).fit(X, y)
    est = occam.MLPRegressor(laplace_hessian="kron", **kw).fit(X, y)
    la = est.laplace_
    assert la["method"] == "all_kron_ggn"
    n_params = X.shape[1] * 16 + 16 + 16 + 1
    assert la["n_params"] == n_params and 0 < la["effective_params"] < n_params
    np.testing.assert_array_equal(est.predict(X), diag.predict(X))
    mean, std = est.predict(X, return_std=True)
    assert (std > la["noise_sd"]).all()
    assert not np.allclose(std, diag.predict(X, return_std=True)[1])
    est.save(tmp_path / "run")
    loaded = occam.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.predict(X, return_std=True)[1], std)
    assert loaded.laplace_ == la
    # classes, the prior chosen on held-out rows
    Xp, yp = table("pima_indians_diabetes.csv")
    clf = occam.MLPClassifier(hidden=(8,), epochs=20, laplace=True, laplace_hessian="kron",
                              laplace_prior="validation").fit(Xp, yp)
    assert clf.laplace_["validation_nll"] > 0
    np.testing.assert_allclose(clf.predict_proba(Xp).sum(1), 1.0, rtol=1e-12)
    # batch norm is not a dense layer: refused before training, naming the parameter
    with pytest.raises(ValueError, match="laplace_hessian"):
        occam.MLPRegressor(epochs=2, laplace=True, laplace_hessian="kron",
                           batch_norm=True).fit(X, y)


def test_l2_from_the_evidence_is_learned_per_tensor_and_recorded():
    X, y = table("diabetes_regression.csv")
    est = occam.MLPRegressor(hidden=(8,), epochs=20, l2_evidence=5).fit(X, y)
    assert [e["epoch"] for e in est.evidence_] == [5, 10, 15, 20]
    last = est.evidence_[-1]
    assert list(last["l2"]) == ["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                "layers.2.bias"]
    assert all(v > 0 for v in last["l2"].values())
    # the noise sd in the target's units, near the training residuals'
    resid = np.std(y - est.predict(X))
    assert 0.5 * resid < last["noise_sd"] < 1.5 * resid
    assert occam.MLPRegressor(epochs=2).fit(X, y).evidence_ == []
    with pytest.raises(ValueError, match="l2_evidence"):
        occam.MLPRegressor(epochs=2, l2_evidence=0).fit(X, y)


def test_l2_from_the_kronecker_factored_evidence():
    X, y = table("diabetes_regression.csv")
    diag = occam.MLPRegressor(hidden=(8,), epochs=20, l2_evidence=5).fit(X, y)
    kron = occam.MLPRegressor(hidden=(8,), epochs=20, l2_evidence=5,
                              laplace_hessian="kron").fit(X, y)
    assert [e["epoch"] for e in kron.evidence_] == [5, 10, 15, 20]
    a, b = diag.evidence_[-1]["l2"], kron.evidence_[-1]["l2"]
    assert list(a) == list(b)
    assert all(np.isfinite(v) and v > 0 for v in b.values())
    assert any(abs(a[k] - b[k]) > 1e-3 * a[k] for k in a)
    # the Kronecker factors cover dense layers only: refused before training
    with pytest.raises(ValueError, match="laplace_hessian"):
        occam.MLPRegressor(epochs=2, l2_evidence=1, laplace_hessian="kron",
                           batch_norm=True).fit(X, y)


def test_variational_dropout_leaves_exact_zeros_and_reports_learned_rates():
    X, y = table("digits_8x8.csv")
    est = occam.MLPClassifier(hidden=(64,), epochs=40, variational="sparse",
                              kl_warmup=10).fit(X, y)
    v = est.variational_
    assert v["kind"] == "sparse" and len(v["layers"]) == 2
    # the zeros are exact, and the attribute and zeros_per_layer_ agree on them
    assert [(l["zeros"], l["total"]) for l in v["layers"]] == est.zeros_per_layer_
    zeros = sum(l["zeros"] for l in v["layers"])
    assert zeros > 0.8 * sum(l["total"] for l in v["layers"])
    assert est.score(X, y) > 0.9
    rates = occam.MLPRegressor(hidden=(8,), epochs=20, variational="unit").fit(
        *table("diabetes_regression.csv"))
    first = rates.variational_["layers"][0]
    assert first["unit_names"] == list(table("diabetes_regression.csv")[0].columns)
    assert all(0 < p <= 0.5 for p in first["rates"])
    mean, std = rates.predict(table("diabetes_regression.csv")[0], return_std=True)
    assert np.all(std > 0)
    assert occam.MLPRegressor(epochs=2).fit(*table("diabetes_regression.csv")).variational_ is None
    with pytest.raises(ValueError, match="variational"):
        occam.MLPRegressor(epochs=2, variational="bogus").fit(X, y)
    with pytest.raises(ValueError, match="laplace"):
        occam.MLPRegressor(epochs=2, variational="sparse", laplace=True).fit(X, y)


def test_adversarial_training_and_the_robustness_check():
    X, y = table("pima_indians_diabetes.csv")
    kw = dict(hidden=(16,), epochs=30, learning_rate=0.01, robust_eval=[0.1, 0.3],
              robust_restarts=2, validation_fraction=0.25)
    plain = occam.MLPClassifier(**kw).fit(X, y)
    adv = occam.MLPClassifier(adversarial="pgd", adv_epsilon=0.3, adv_steps=5, **kw).fit(X, y)
    r = adv.robustness_
    assert (r["attack"], r["norm"], r["restarts"], r["split"]) == ("pgd-20", "linf", 2,
                                                                  "validation")
    assert r["trained_with"] == "pgd-5 linf eps 0.3, weight 1"
    assert [p["epsilon"] for p in r["points"]] == [0.1, 0.3]
    for m in (plain, adv):
        for p in m.robustness_["points"]:
            assert p["robust_accuracy"] <= p["clean_accuracy"]
    assert adv.robustness_["points"][1]["robust_accuracy"] > \
        plain.robustness_["points"][1]["robust_accuracy"]
    assert occam.MLPClassifier(hidden=(4,), epochs=1).fit(X, y).robustness_ is None
    with pytest.raises(ValueError, match="adv_epsilon"):
        occam.MLPClassifier(adversarial="pgd", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="adv_norm"):
        occam.MLPClassifier(adversarial="fgsm", adv_epsilon=0.1, adv_norm="l1", epochs=1).fit(X, y)


def test_federated_training_over_label_skewed_clients():
    X, y = table("digits_8x8.csv")
    m = occam.MLPClassifier(hidden=(32,), learning_rate=0.01, federated=5, fed_rounds=4,
                            fed_local_epochs=2, fed_mu=0.01, fed_split="dirichlet:0.5").fit(X, y)
    f = m.federated_
    assert f["settings"]["clients"] == 5 and f["settings"]["mu"] == 0.01
    assert sum(f["client_rows"]) == len(y) and len(set(f["client_rows"])) > 1
    assert m.n_iter_ == 4
    assert (m.predict(X) == y).mean() > 0.8
    assert occam.MLPClassifier(hidden=(4,), epochs=1).fit(X, y).federated_ is None
    with pytest.raises(ValueError, match="fed_split"):
        occam.MLPClassifier(federated=3, fed_split="skewed").fit(X, y)
    with pytest.raises(ValueError, match="2 clients"):
        occam.MLPClassifier(federated=1).fit(X, y)
    s = occam.MLPClassifier(hidden=(8,), federated=4, fed_rounds=2, fed_local_epochs=3,
                            fed_stragglers=0.5, fed_drop_stragglers=True).fit(X, y)
    assert s.federated_["settings"]["stragglers"] == 0.5
    assert s.federated_["settings"]["drop_stragglers"] is True
    with pytest.raises(ValueError, match="fed_stragglers"):
        occam.MLPClassifier(federated=3, fed_stragglers=1.5).fit(X, y)


def test_federated_training_with_client_level_dp():
    X, y = table("digits_8x8.csv")
    m = occam.MLPClassifier(hidden=(16,), learning_rate=0.01, federated=6, fed_rounds=5,
                            fed_sample_rate=0.5, dp_epsilon=8.0, dp_max_grad_norm=2.0).fit(X, y)
    p = m.privacy_
    assert p["unit"] == "client" and (p["rows"], p["steps"]) == (6, 5)
    assert 7.9 < p["epsilon"] <= 8.0
    again = occam.privacy.epsilon(p["noise_multiplier"], 0.5, 5, 1e-5)
    assert again == pytest.approx(p["epsilon"], rel=1e-12)
    assert m.federated_["settings"]["sample_rate"] == 0.5
    with pytest.raises(ValueError, match="fed_sample_rate"):
        occam.MLPClassifier(federated=3, fed_sample_rate=0.0).fit(X, y)


def test_federated_clients_as_python_processes_give_the_same_model():
    X, y = table("digits_8x8.csv")
    kw = dict(hidden=(16,), learning_rate=0.01, federated=3, fed_rounds=2, fed_local_epochs=2,
              fed_split="dirichlet:0.5", random_state=4)
    one = occam.MLPClassifier(**kw).fit(X, y)
    procs = occam.MLPClassifier(fed_processes=True, **kw).fit(X, y)
    assert np.array_equal(one.predict_proba(X), procs.predict_proba(X))
    assert procs.federated_["settings"]["processes"] is True
