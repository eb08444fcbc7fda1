"""Flower interop: Flower clients that train occam networks.

`Flower <https://flower.ai>`_ runs federated learning across machines (or, for trials, in its
simulation engine). ``numpy_client`` wraps an occam ``MLPClassifier`` or ``MLPRegressor`` and
one client's rows as a Flower ``NumPyClient``; ``client_app`` makes the ``ClientApp`` that
Flower's ``run_simulation`` or a Flower deployment starts::

    import occam
    from occam.flower import client_app

    def make_client(context):
        k = context.node_config["partition-id"]
        X_k, y_k = my_partition(k)                  # this client's rows, on a shared scale
        est = occam.MLPClassifier(hidden=(32,), epochs=2, standardize=False, random_state=k)
        return occam.flower.numpy_client(est, X_k, y_k)

    app = client_app(make_client)                   # with a Flower ServerApp (FedAvg, ...)

Each round the client sets the global parameters (``set_weights``), trains ``epochs``
epochs on its rows from them (``warm_start``), and returns its parameters
(``get_weights``), its row count and its last training loss; ``evaluate`` reports the loss
(log loss for classes, mean squared error for values) and, for classes, the accuracy on the
client's evaluation rows. The clients must share the feature scale (``standardize=False``
with features scaled the same way everywhere): each client standardizing by its own rows
would give the weights a different meaning on each. A classifier's clients must all see
every class (the output layer has one unit per class seen), so label-skewed splits need each
client to hold at least one row of each class. The first round trains once on the
client's rows to build the network before it takes the server's parameters.
``examples/flower_digits.py`` runs a whole simulation; python/tests/test_flower.py tests it.

Flower is an optional dependency: ``pip install "flwr[simulation]"``.
"""

import numpy as np

__all__ = ["numpy_client", "client_app"]


def _flwr():
    try:
        import flwr  # noqa: F401
        from flwr.client import ClientApp, NumPyClient
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError('occam.flower needs Flower: pip install "flwr[simulation]"') from e
    return ClientApp, NumPyClient


def _loss(est, X, y):
    from sklearn.metrics import log_loss, mean_squared_error

    if hasattr(est, "predict_proba"):
        return float(log_loss(y, est.predict_proba(X), labels=est.classes_))
    return float(mean_squared_error(y, est.predict(X)))


def numpy_client(estimator, X, y, X_eval=None, y_eval=None):
    """A Flower ``NumPyClient`` that trains ``estimator`` (an occam ``MLPClassifier`` or
    ``MLPRegressor`` with ``standardize=False``) on ``X``, ``y`` and evaluates on
    ``X_eval``, ``y_eval`` (default: the training rows)."""
    from .network import _MLP

    if not isinstance(estimator, _MLP):
        raise TypeError(
            f"estimator: expected an occam MLPClassifier or MLPRegressor, got "
            f"{type(estimator).__name__}")
    if estimator.standardize:
        raise ValueError(
            "invalid value for standardize: True; federated clients must share the feature "
            "scale: scale the features the same way on every client and pass "
            "standardize=False")
    _, NumPyClient = _flwr()
    X_eval = X if X_eval is None else X_eval
    y_eval = y if y_eval is None else y_eval

    class OccamClient(NumPyClient):
        def __init__(self):
            self.est = estimator

        def _ready(self):
            """Builds the network (one fit on the client's rows) the first time."""
            if not hasattr(self.est, "_fit"):
                self.est.set_params(warm_start=False)
                self.est.fit(X, y)
            self.est.set_params(warm_start=True)

        def get_parameters(self, config):
            self._ready()
            return self.est.get_weights()

        def fit(self, parameters, config):
            self._ready()
            self.est.set_weights(parameters)
            self.est.fit(X, y)
            loss = self.est.loss_curve_[-1] if self.est.loss_curve_ else float("nan")
            return self.est.get_weights(), len(y), {"train_loss": float(loss)}

        def evaluate(self, parameters, config):
            self._ready()
            self.est.set_weights(parameters)
            metrics = {}
            if hasattr(self.est, "predict_proba"):
                metrics["accuracy"] = float(np.mean(self.est.predict(X_eval) == y_eval))
            return _loss(self.est, X_eval, y_eval), len(y_eval), metrics

    return OccamClient()


def client_app(make_client):
    """A Flower ``ClientApp`` whose client for a node is ``make_client(context)`` (a
    ``numpy_client``; ``context.node_config["partition-id"]`` says which node it is)."""
    ClientApp, _ = _flwr()

    def client_fn(context):
        return make_client(context).to_client()

    return ClientApp(client_fn=client_fn)
