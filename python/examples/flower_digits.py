"""Federated learning with Flower and occam: three Flower clients, each an occam
MLPClassifier on its share of scikit-learn's handwritten digits, FedAvg on Flower's server,
in Flower's simulation engine (Ray). The server evaluates the global network on held-out
digits after every round.

    pip install ./python "flwr[simulation]"
    python python/examples/flower_digits.py

It prints the held-out accuracy of the global parameters per round (round 0: the initial
parameters, which Flower takes from one client's first local fit).
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

import occam
import occam.flower


def main(rounds=3, clients=3, seed=0):
    from flwr.server import ServerApp, ServerAppComponents, ServerConfig
    from flwr.server.strategy import FedAvg
    from flwr.simulation import run_simulation

    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # one fixed scale on every client (pixel intensities 0..16)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed,
                                              stratify=y)
    # IID partitions: every client sees every digit, so every network has 10 outputs
    parts = np.array_split(np.random.default_rng(seed).permutation(len(y_tr)), clients)

    def estimator(k):
        return occam.MLPClassifier(hidden=(32,), epochs=2, learning_rate=0.01,
                                   standardize=False, random_state=seed + k)

    def make_client(context):
        k = int(context.node_config["partition-id"])
        rows = parts[k]
        return occam.flower.numpy_client(estimator(k), X_tr[rows], y_tr[rows])

    # the server scores the global parameters with a network of the same shape
    template = estimator(0).set_params(epochs=1).fit(X_te, y_te)
    accuracy = {}

    def evaluate(server_round, parameters, config):
        template.set_weights(parameters)
        accuracy[server_round] = float(np.mean(template.predict(X_te) == y_te))
        loss = log_loss(y_te, template.predict_proba(X_te), labels=template.classes_)
        return float(loss), {"accuracy": accuracy[server_round]}

    def server_fn(context):
        strategy = FedAvg(fraction_evaluate=0.0, evaluate_fn=evaluate)
        return ServerAppComponents(strategy=strategy, config=ServerConfig(num_rounds=rounds))

    run_simulation(
        server_app=ServerApp(server_fn=server_fn),
        client_app=occam.flower.client_app(make_client),
        num_supernodes=clients,
        backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0}},
    )
    return accuracy


if __name__ == "__main__":
    for r, acc in sorted(main().items()):
        print(f"round {r}: held-out accuracy {acc:.4f}")
