"""Multilayer perceptrons with penalties done right, scikit-learn style: L1 by a proximal step
(weights reach exact zero), coupled L2 apart from decoupled weight decay, elastic net, group
lasso on the inputs, per-layer policies, dropout, DropConnect, batch norm, early stopping.

They train on occam's layer engine exactly as ``occam train`` does, and save to its run
folder: ``occam predict`` uses a network trained here, ``occam.load`` one the command line
trained.
"""

import csv
import io
import json

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _occam
from .explain import Explainable
from ._base import (
    ProbaClassifier, RunFolderState, adopt_columns, core_matrix, fit_input, keep, labels,
    predict_input, python_message,
)

# The core's option names (occam train's flags) -> this package's parameters.
_PARAM_NAMES = {
    "seed": "random_state",
    "lr": "learning_rate",
    "val_fraction": "validation_fraction",
    "patience": "n_iter_no_change",
    "layer_penalty": "penalty_layers",
}


def _opt_float(v):
    return None if v is None else float(v)


def _history(metrics_csv):
    """metrics.csv as Keras's ``History.history``: column name -> one value per epoch."""
    rows = list(csv.DictReader(io.StringIO(metrics_csv)))
    out = {}
    for name in rows[0].keys() if rows else []:
        vals = [r[name] for r in rows]
        out[name] = [float(v) if v not in ("", "nan") else float("nan") for v in vals]
    return out


class _MLP(Explainable, RunFolderState, BaseEstimator):
    """What the two networks share: the options, validation, the core call, the attributes."""

    _load = staticmethod(_occam.load_network)

    def __init__(self, *, hidden=(64, 32), activation="relu", l1=0.0, l2=0.0,
                 weight_decay=None, elastic_net=None, group_lasso=0.0, penalty_layers="auto",
                 dropout=0.0, dropconnect=0.0, batch_norm=False, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, optimizer="adam",
                 learning_rate=None, epochs=100, batch_size=32, standardize=True,
                 laplace=False, laplace_prior="evidence", laplace_hessian="last_layer",
                 l2_evidence=None,
                 variational=None, kl_warmup=None, kl_weight=1.0, dp_epsilon=None,
                 dp_noise_multiplier=None, dp_max_grad_norm=None, dp_delta=None,
                 dp_accountant=None,
                 adversarial=None, adv_epsilon=None, adv_norm="linf", adv_steps=None,
                 adv_weight=None, adv_beta=None, robust_eval=None, robust_steps=20,
                 robust_restarts=1,
                 federated=None, fed_rounds=10, fed_local_epochs=1, fed_mu=0.0,
                 fed_split="iid", fed_stragglers=0.0, fed_drop_stragglers=False,
                 fed_sample_rate=1.0, fed_processes=False, warm_start=False,
                 random_state=0):
        keep(self, locals())

    def _options(self):
        """The parameters as ``occam train``'s options (its --config schema)."""
        hidden = [int(h) for h in np.ravel(self.hidden)] if self.hidden is not None else None
        layers = self.penalty_layers
        if not isinstance(layers, str):
            layers = ",".join(str(int(k)) for k in np.ravel(layers))
        o = dict(
            hidden=hidden if hidden else [0],
            activation=self.activation,
            l1=float(self.l1),
            l2=float(self.l2),
            weight_decay=None if self.weight_decay is None else float(self.weight_decay),
            elastic_net=None if self.elastic_net is None
            else [float(v) for v in np.ravel(self.elastic_net)],
            group_lasso=float(self.group_lasso),
            penalty_layers=layers,
            dropout=float(self.dropout),
            dropconnect=float(self.dropconnect),
            batch_norm=bool(self.batch_norm),
            optimizer=self.optimizer,
            lr=None if self.learning_rate is None else float(self.learning_rate),
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            no_standardize=not self.standardize,
            laplace=bool(self.laplace),
            laplace_prior=self.laplace_prior,
            # the default goes without laplace; anything else without it is refused by name
            laplace_hessian=self.laplace_hessian
            if (self.laplace or self.laplace_hessian != "last_layer") else None,
            l2_evidence=None if self.l2_evidence is None else int(self.l2_evidence),
            variational=self.variational,
            kl_warmup=None if self.kl_warmup is None else int(self.kl_warmup),
            kl_weight=float(self.kl_weight),
            dp_epsilon=_opt_float(self.dp_epsilon),
            dp_noise_multiplier=_opt_float(self.dp_noise_multiplier),
            dp_max_grad_norm=_opt_float(self.dp_max_grad_norm),
            dp_delta=_opt_float(self.dp_delta),
            dp_accountant=self.dp_accountant,
            adversarial=self.adversarial,
            adv_epsilon=_opt_float(self.adv_epsilon),
            adv_norm=self.adv_norm if (self.adversarial or self.robust_eval is not None) else None,
            adv_steps=None if self.adv_steps is None else int(self.adv_steps),
            adv_weight=_opt_float(self.adv_weight),
            adv_beta=_opt_float(self.adv_beta),
            robust_eval=None if self.robust_eval is None
            else [float(v) for v in np.ravel(self.robust_eval)],
            robust_steps=None if self.robust_eval is None else int(self.robust_steps),
            robust_restarts=None if self.robust_eval is None else int(self.robust_restarts),
            federated=None if self.federated is None else int(self.federated),
            fed_rounds=None if self.federated is None else int(self.fed_rounds),
            fed_local_epochs=None if self.federated is None else int(self.fed_local_epochs),
            fed_mu=None if self.federated is None else float(self.fed_mu),
            fed_split=None if self.federated is None else str(self.fed_split),
            fed_stragglers=None if self.federated is None else float(self.fed_stragglers),
            fed_drop_stragglers=None if self.federated is None
            else bool(self.fed_drop_stragglers),
            fed_sample_rate=None if self.federated is None else float(self.fed_sample_rate),
            fed_processes=None if self.federated is None else bool(self.fed_processes),
            seed=int(self.random_state),
        )
        if self.early_stopping:
            o["val_fraction"] = float(self.validation_fraction)
            o["patience"] = int(self.n_iter_no_change)
        elif (self.laplace and self.laplace_prior == "validation") or \
                self.robust_eval is not None:
            o["val_fraction"] = float(self.validation_fraction)
        else:
            o["val_fraction"] = 0.0
        return {k: v for k, v in o.items() if v is not None}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _fit_core(self, X, y, names, task, classes):
        try:
            options = json.dumps(self._options())
        except (TypeError, ValueError) as e:
            raise TypeError(f"a parameter is not a number, text or list of numbers: {e}") from None
        try:
            yc = np.ascontiguousarray(y, dtype=np.float64)
            data = (core_matrix(X), yc, task, names, classes, self._target)
            init = self.get_weights() if self.warm_start and hasattr(self, "_fit") else None
            fit = _occam.fit_mlp(data, options, init)
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        self._set_fitted(fit)
        return self

    def get_weights(self):
        """The network's parameters as float32 arrays, in the network's order (per layer: the
        weight matrix ``[inputs, outputs]`` or kernel, then the bias; batch and layer norm's
        scale and shift): what ``set_weights`` takes, and what a Flower client sends."""
        check_is_fitted(self, "_fit")
        return [np.array(w, dtype=np.float32) for w in self._fit.weights()]

    def set_weights(self, weights):
        """Replaces the fitted network's parameters by ``weights`` (``get_weights``'s list,
        the same shapes); with ``warm_start=True`` the next ``fit`` starts from them."""
        check_is_fitted(self, "_fit")
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights: expected a list of arrays, got {type(weights).__name__}")
        arrays = [np.ascontiguousarray(w, dtype=np.float32) for w in weights]
        try:
            self._fit.set_weights(arrays)
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        return self

    def _set_fitted(self, fit):
        self._fit = fit
        self.zeros_per_layer_ = list(fit.zeros_per_layer)
        self.selected_features_ = list(fit.selected_features)
        self.history_ = _history(fit.metrics_csv)
        self.loss_curve_ = self.history_.get("train_loss", [])
        self.n_iter_ = len(self.loss_curve_)
        self.laplace_ = fit.laplace
        self.evidence_ = list(fit.evidence)
        v = fit.variational
        self.variational_ = None if v is None else json.loads(v)
        p = fit.privacy
        self.privacy_ = None if p is None else json.loads(p)
        r = fit.robustness
        self.robustness_ = None if r is None else json.loads(r)
        f = fit.federated
        self.federated_ = None if f is None else json.loads(f)

    def _validate_fit(self, X, y, y_numeric):
        return fit_input(self, X, y, y_numeric)

    def _core_predict(self, X):
        check_is_fitted(self, "_fit")
        X = predict_input(self, X)
        try:
            return self._fit.predict(core_matrix(X))
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None


_DOC = """

    Parameters: ``hidden`` (widths of the hidden layers; () for none), ``activation``
    ("relu" | "tanh" | "sigmoid" | "gelu" | ...), ``l1`` (by a proximal step: exact zeros),
    ``l2`` (coupled: in the gradient), ``weight_decay`` (decoupled, AdamW's; default 0.01
    with ``optimizer="adamw"``, else 0), ``elastic_net`` ((lambda, alpha)), ``group_lasso``
    (on each input's outgoing weights: whole features leave), ``penalty_layers`` ("auto" |
    "all" | "first" | a list of dense-layer indices), ``dropout``, ``dropconnect``,
    ``batch_norm``, ``early_stopping`` (hold out ``validation_fraction``, stop after
    ``n_iter_no_change`` epochs without improvement, keep the best weights), ``optimizer``
    ("adam" | "adamw" | "sgd" | ...), ``learning_rate`` (default: the optimizer's),
    ``epochs``, ``batch_size``, ``standardize`` (the inputs, on the training rows),
    ``laplace`` (fit the Laplace approximation after training, by default over the last
    layer with its full generalized Gauss-Newton, prior precision and noise by maximizing the
    evidence; then ``predict(X, return_std=True)`` gives its predictive sd and
    ``predict_proba`` its probit-moderated probabilities), ``laplace_hessian``
    ("last_layer", or "diag": every parameter with the GGN's diagonal, laplace-torch's
    ``subset_of_weights="all", hessian_structure="diag"``; one backward pass per row and
    output to fit and to predict; or "kron": every parameter with the GGN's Kronecker
    factors per dense layer, ``hessian_structure="kron"``, networks of dense layers), ``laplace_prior`` ("evidence", the
    maximum of the log marginal likelihood, or "validation": the prior precision of
    1e-4..1e4 with the smallest NLL on ``validation_fraction`` of the rows held out; for
    classes the evidence's tends to make the probabilities underconfident), ``l2_evidence`` (an int N: learn
    one L2 strength per weight and bias tensor from the evidence of a diagonal-GGN Laplace
    of the whole network every N epochs, Immer et al. 2021; no validation rows needed; with
    ``laplace_hessian="kron"`` the Kronecker-factored GGN's evidence),
    ``variational`` ("sparse": a variance per weight, weights with log alpha > 3 end exactly
    zero, Molchanov et al. 2017; "layer" or "unit": a Gaussian dropout rate learned per layer
    or per input unit, Kingma et al. 2015; then ``predict(X, return_std=True)`` samples the
    weight noise), ``kl_warmup`` (epochs over which the KL term's weight grows to
    ``kl_weight``; None: a third of ``epochs``), ``kl_weight`` (the KL term's weight: 1 is the ELBO, less removes fewer
    weights), ``dp_epsilon`` (train by DP-SGD, Abadi et al. 2016: each epoch is
    ceil(n / ``batch_size``) steps on Poisson samples of the rows, each row's gradient
    clipped to ``dp_max_grad_norm`` (default 1), Gaussian noise with the smallest noise
    multiplier whose guarantee after all epochs is this epsilon at ``dp_delta``, default
    1e-5, by ``dp_accountant``: "rdp" (default) or "pld", the privacy loss distribution,
    tighter, so less noise) or ``dp_noise_multiplier`` (the noise multiplier instead; the
    epsilon spent is reported); the guarantee covers the gradient steps, not the standardization statistics
    (pass ``standardize=False`` with features on a fixed scale for an end-to-end guarantee),
    ``adversarial`` ("fgsm" or "pgd": train on adversarial rows, Goodfellow et al. 2015 /
    Madry et al. 2018; "trades": the clean loss plus ``adv_beta`` (default 6) times the KL
    to the adversarial rows' prediction, Zhang et al. 2019), of radius ``adv_epsilon`` in the
    standardized inputs, in the
    ``adv_norm`` ball ("linf" or "l2") and the training rows' range; PGD takes
    ``adv_steps`` steps, default 10; ``adv_weight`` is the adversarial rows' share of the loss,
    default 1 for pgd and 0.5 for fgsm), ``robust_eval`` (radii: after training, clean and
    robust accuracy under PGD with ``robust_steps`` steps and ``robust_restarts`` random
    starts on the held-out rows, which ``early_stopping`` or ``validation_fraction`` with it
    sets aside), ``federated`` (K: FedAvg over K clients in one process, McMahan et al. 2017:
    ``fed_rounds`` rounds, each client ``fed_local_epochs`` epochs on its rows from the global
    weights, averaged by row counts; ``fed_mu`` > 0 is FedProx's proximal term, Li et al.
    2020; ``fed_split`` "iid" or "dirichlet:ALPHA", label skew; ``fed_stragglers`` the share
    of clients that finish only part of their local epochs each round, whose work
    ``fed_drop_stragglers`` leaves out as FedAvg does; ``fed_sample_rate`` each client's
    probability of taking part in a round; with ``dp_epsilon`` or ``dp_noise_multiplier``,
    client-level DP, DP-FedAvg of McMahan et al. 2018: each client's update clipped to
    ``dp_max_grad_norm``, Gaussian noise on their sum, the guarantee per client over the
    rounds, ``privacy_["unit"] == "client"``; ``fed_processes=True`` runs each client in
    a Python process of its own, talking to this one over loopback TCP, with the same
    numbers), ``warm_start`` (``fit`` starts from the fitted network's weights, e.g. set by
    ``set_weights``, with a fresh optimizer; the architecture must stay the same),
    ``random_state``.

    Attributes: ``zeros_per_layer_`` ((exact zeros, weights) per dense layer),
    ``selected_features_`` (inputs with a nonzero first-layer weight), ``history_`` (per
    epoch: the losses, the penalty, the validation metrics), ``loss_curve_``, ``n_iter_``,
    ``laplace_`` (with ``laplace=True``: ``method`` ("last_layer_full_ggn",
    "all_diag_ggn" or "all_kron_ggn"), ``prior_precision``, ``noise_sd`` in the target's
    units, ``log_marglik``, ``effective_params``, ``n_params``, ``validation_nll`` (with
    ``laplace_prior="validation"``); else None), ``evidence_``
    (with ``l2_evidence``: per update the epoch, the L2 per tensor, ``noise_sd``,
    ``log_marglik``), ``variational_`` (with ``variational``: ``kind``, ``kl_per_row`` and
    per dense layer ``zeros``, ``total``, the log alpha histogram ``edges``/``counts`` and
    the learned ``rates``, named by ``unit_names`` on the first layer), ``privacy_`` (with
    DP-SGD: ``epsilon``, ``delta``, ``noise_multiplier``, ``max_grad_norm``, ``sample_rate``,
    ``steps``, ``rows``, ``accountant``, ``target_epsilon``; else None), ``robustness_``
    (with ``robust_eval``: ``attack``, ``norm``, ``restarts``, ``split``, ``rows`` and per
    radius ``points`` with ``epsilon``, ``clean_accuracy``, ``robust_accuracy``; else None),
    ``federated_`` (with ``federated``: ``settings`` and ``client_rows``; else None).
    """


class MLPRegressor(RegressorMixin, _MLP):
    __doc__ = "A multilayer perceptron for a numeric target (mean squared error)." + _DOC

    def fit(self, X, y):
        X, y, names = self._validate_fit(X, y, y_numeric=True)
        return self._fit_core(X, y, names, "regression", [])

    def predict(self, X, return_std=False, *, mc_samples=100, mc_seed=0):
        """The predicted values; with ``return_std=True`` also a predictive standard deviation
        per row: with ``laplace=True``, the last-layer Laplace's (the posterior spread of the
        output and the noise, both from the evidence); otherwise (a network trained with
        dropout or dropconnect) MC dropout's: the mean of ``mc_samples`` stochastic passes
        and their spread (plus, when validation rows were held out by ``early_stopping``,
        the noise their residuals show), seeded by ``mc_seed``."""
        if not return_std:
            return self._core_predict(X)[:, 0]
        check_is_fitted(self, "_fit")
        if self.laplace_ is not None:
            X = predict_input(self, X)
            try:
                mean, std = self._fit.predict_std(core_matrix(X))
            except ValueError as e:
                raise ValueError(python_message(e, _PARAM_NAMES)) from None
            return mean[:, 0], np.asarray(std)
        mean, std = self._predict_mc(X, mc_samples, mc_seed)
        return mean[:, 0], std

    def _predict_mc(self, X, mc_samples, mc_seed):
        check_is_fitted(self, "_fit")
        X = predict_input(self, X)
        try:
            mean, std = self._fit.predict_mc(core_matrix(X), int(mc_samples), int(mc_seed))
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        return mean, np.asarray(std)


class MLPClassifier(ProbaClassifier, ClassifierMixin, _MLP):
    __doc__ = (
        "A multilayer perceptron for classes (logistic loss for two, softmax for more)."
        + _DOC + "``classes_``: the labels, in the order of ``predict_proba``'s columns.\n"
    )

    def fit(self, X, y):
        X, y, names = self._validate_fit(X, y, y_numeric=False)
        task, codes, texts = self._encode(y)
        return self._fit_core(X, codes, names, task, texts)


def attach(est, fit):
    """Makes ``est`` (an unfitted MLPClassifier or MLPRegressor) the fitted estimator of the
    core's network ``fit``: its features, classes and fitted attributes."""
    if isinstance(est, MLPClassifier):
        est.classes_ = labels(fit.schema[1])
    adopt_columns(est, fit)
    est._set_fitted(fit)
    return est


def from_fit(fit):
    """The estimator of a loaded network (fitted; its constructor parameters are the
    defaults, the fitted attributes are the saved model's)."""
    classifier = fit.task in ("binary", "multiclass")
    return attach(MLPClassifier() if classifier else MLPRegressor(), fit)
