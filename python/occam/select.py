"""Stability selection as a scikit-learn feature selector: which features a penalized model
keeps across complementary half-samples, with a bound on the expected false selections
(Meinshausen & Buhlmann 2010; Shah & Samworth 2013), and clusters of correlated features
selected as a whole."""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _occam
from ._base import (
    RunFilesState, core_matrix, feature_names, keep, python_message, target_name,
)

_PARAM_NAMES = {
    "alpha": "l1_ratio",
    "nlambda": "n_lambdas",
    "seed": "random_state",
    "lr": "learning_rate",
}

_FAMILY_TASK = {
    "gaussian": "regression",
    "poisson": "counts",
    "binomial": "binary",
    "multinomial": "multiclass",
}


class StabilitySelection(RunFilesState, SelectorMixin, BaseEstimator):
    """Stability selection of the features of a penalized GLM (``estimator="linear"``) or of
    a network's L1 input layer (``estimator="mlp"``), as ``occam select --stability``.

    Parameters: ``estimator``, ``family`` (None: gaussian for a numeric target, binomial or
    multinomial for classes), ``l1_ratio``, ``n_lambdas``, ``lambda_min_ratio``, ``pairs``
    (complementary pairs of half-samples), ``weakness`` (randomized-lasso penalty factors in
    {weakness, 1}), ``q`` (features per half over the lambda range; default ceil(sqrt(0.8 p))),
    ``threshold`` (selection probability, in (0.5, 1]), ``cluster_corr`` (correlated features
    at |r| >= this form clusters selected whole; None: none), ``test_fraction`` (rows held out
    for the comparison of the refit against the baseline), mlp: ``hidden``, ``l1``,
    ``epochs``, ``learning_rate``; ``random_state``.

    Attributes: ``probabilities_`` (each feature's largest selection probability),
    ``support_``, ``selected_features_``, ``clusters_`` (stable clusters, by feature names),
    ``error_bound_`` (expected false selections at most), ``n_features_in_``,
    ``feature_names_in_``. ``get_support()`` and ``transform`` as every scikit-learn selector.
    """

    def __init__(self, *, estimator="linear", family=None, l1_ratio=1.0, n_lambdas=100,
                 lambda_min_ratio=None, pairs=50, weakness=0.8, q=None, threshold=0.6,
                 cluster_corr=0.8, test_fraction=0.25, hidden=(16,), l1=0.03, epochs=100,
                 learning_rate=1e-3, random_state=0):
        keep(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags

    def _task(self, y):
        if self.family is not None:
            if self.family not in _FAMILY_TASK:
                raise ValueError(
                    f"invalid value for family: '{self.family}' is not gaussian, poisson, "
                    "binomial or multinomial"
                )
            task = _FAMILY_TASK[self.family]
        else:
            kind = type_of_target(y, input_name="y", raise_unknown=True)
            task = {"binary": "binary", "multiclass": "multiclass"}.get(kind, "regression")
        if task in ("binary", "multiclass"):
            classes, codes = np.unique(y, return_inverse=True)
            if len(classes) < 2:
                raise ValueError(f"y has one class ({classes[0]!r}); selection needs two")
            return task, codes.astype(np.float64), [str(c) for c in classes]
        return task, np.asarray(y, dtype=np.float64), []

    def _params(self):
        common = dict(
            estimator=self.estimator,
            pairs=int(self.pairs),
            threshold=float(self.threshold),
            test_fraction=float(self.test_fraction),
            seed=int(self.random_state),
        )
        if self.estimator == "mlp":
            return dict(
                common,
                hidden=[int(h) for h in np.ravel(self.hidden)],
                l1=float(self.l1),
                epochs=int(self.epochs),
                lr=float(self.learning_rate),
            )
        return dict(
            common,
            family=self.family,
            l1_ratio=float(self.l1_ratio),
            n_lambdas=int(self.n_lambdas),
            lambda_min_ratio=self.lambda_min_ratio,
            weakness=float(self.weakness),
            q=None if self.q is None else int(self.q),
            cluster_corr=self.cluster_corr,
        )

    def fit(self, X, y):
        self._target = target_name(y)
        X, y = validate_data(
            self, X, y, accept_sparse="csc", dtype=np.float64, order="C", y_numeric=False
        )
        if X.shape[1] < 2:
            raise ValueError(
                f"n_features={X.shape[1]}: stability selection ranks features against each "
                "other; it needs at least 2"
            )
        task, yc, classes = self._task(y)
        names = feature_names(self, X.shape[1])
        try:
            data = (core_matrix(X), np.ascontiguousarray(yc), task, names, classes,
                    self._target)
            fit = _occam.stability_selection(data, **self._params())
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        self._fit = fit
        self.probabilities_ = np.asarray(fit.probabilities)
        self.support_ = np.asarray(fit.support, dtype=bool)
        self.selected_features_ = [n for n, s in zip(names, self.support_) if s]
        self.clusters_ = [list(c) for c in fit.clusters]
        self.error_bound_ = fit.error_bound
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def summary(self):
        """The summary the command line prints."""
        check_is_fitted(self, "_fit")
        return self._fit.summary()
