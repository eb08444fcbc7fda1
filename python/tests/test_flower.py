"""occam.flower: a Flower NumPyClient that trains an occam network from the server's
parameters (shapes kept, the parameters moved, the row count and loss reported, evaluation
on the client's rows), its refusals, and the documented example (python/examples/
flower_digits.py) run in Flower's simulation engine: FedAvg over three occam clients reaches
a held-out accuracy on scikit-learn's digits above 0.85 and above the initial parameters'."""

import importlib.util

import numpy as np
import pytest
from sklearn.datasets import load_digits

import occam
import occam.flower
from helpers import ROOT


def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_a_client_trains_from_the_servers_parameters():
    X, y = _digits()
    est = occam.MLPClassifier(hidden=(16,), epochs=2, learning_rate=0.01, standardize=False)
    client = occam.flower.numpy_client(est, X[:600], y[:600], X[600:900], y[600:900])
    start = client.get_parameters({})
    assert [w.shape for w in start] == [(64, 16), (16,), (16, 10), (10,)]
    # the server's parameters: another network of the same shape
    server = occam.MLPClassifier(hidden=(16,), epochs=8, learning_rate=0.01, standardize=False,
                                 random_state=9).fit(X[900:1500], y[900:1500]).get_weights()
    new, n, metrics = client.fit(server, {})
    assert n == 600 and np.isfinite(metrics["train_loss"])
    assert [w.shape for w in new] == [w.shape for w in server]
    assert all(not np.array_equal(a, b) for a, b in zip(new, server))
    # warm start: training began at the server's parameters, not at the client's own
    est2 = occam.MLPClassifier(hidden=(16,), epochs=2, learning_rate=0.01, standardize=False)
    est2.fit(X[:600], y[:600]).set_weights(server)
    est2.set_params(warm_start=True).fit(X[:600], y[:600])
    assert all(np.array_equal(a, b) for a, b in zip(new, est2.get_weights()))
    cold = occam.MLPClassifier(hidden=(16,), epochs=2, learning_rate=0.01,
                               standardize=False).fit(X[:600], y[:600])
    assert not any(np.array_equal(a, b) for a, b in zip(new, cold.get_weights()))
    assert est2.loss_curve_[0] < 0.7 * cold.loss_curve_[0], (est2.loss_curve_, cold.loss_curve_)
    loss, n_eval, m = client.evaluate(new, {})
    assert n_eval == 300 and 0 < loss < 3 and 0.5 < m["accuracy"] <= 1


def test_refusals_name_the_problem():
    X, y = _digits()
    with pytest.raises(ValueError, match="standardize"):
        occam.flower.numpy_client(occam.MLPClassifier(), X, y)
    with pytest.raises(TypeError, match="estimator"):
        occam.flower.numpy_client(occam.ElasticNet(), X, y)
    est = occam.MLPClassifier(hidden=(8,), epochs=1, standardize=False).fit(X, y)
    with pytest.raises(ValueError, match="weights"):
        est.set_weights([np.zeros((3, 3), dtype=np.float32)])
    with pytest.raises(TypeError, match="weights"):
        est.set_weights(np.zeros(3))


def test_the_flower_example_federates_occam_clients_in_the_simulation_engine():
    path = ROOT / "python/examples/flower_digits.py"
    spec = importlib.util.spec_from_file_location("flower_digits", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    acc = example.main(rounds=3, clients=3)
    assert sorted(acc) == [0, 1, 2, 3], acc
    assert acc[3] > 0.85 and acc[3] > acc[0], acc
