"""Bayesian linear regression with the penalty learned from the data (evidence
maximization), as scikit-learn's ``BayesianRidge`` and ``ARDRegression`` define it: the same
parameters, defaults and fitted attributes, and their numbers (python/tests/test_bayes.py
compares them to 1e-6), computed by occam's Rust core; ``predict(X, return_std=True)`` gives
the predictive standard deviation, and the fitted model saves to the run folder of
``occam linear bayes`` (``occam predict`` writes the mean and the standard deviation).
"""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _occam
from .explain import Explainable
from ._base import (
    RunFolderState, adopt_columns, core_matrix, fit_input, keep, predict_input, python_message,
    sample_weights,
)

_PARAM_NAMES = {"weights": "sample_weight"}


class _Bayes(Explainable, RunFolderState, RegressorMixin, BaseEstimator):
    """What both share: the core call, the fitted attributes, prediction with std."""

    _load = staticmethod(_occam.load_bayes)
    _kind = None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _core_params(self):
        raise NotImplementedError

    def _fit_core(self, X, y, sample_weight=None):
        X, y, names = fit_input(self, X, y, y_numeric=True)
        if len(y) < 2:
            raise ValueError(f"n_samples={len(y)}: the evidence needs at least 2 samples")
        params = self._core_params()
        params["sample_weight"] = sample_weights(sample_weight, len(y))
        data = (core_matrix(X), np.ascontiguousarray(y, dtype=np.float64), "regression",
                names, [], self._target)
        try:
            fit = _occam.fit_bayes(data, self._kind, **params)
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        self._set_fitted(fit)
        return self

    def _set_fitted(self, fit):
        self._fit = fit
        self.coef_ = fit.coef
        self.intercept_ = float(fit.intercept)
        self.alpha_ = float(fit.alpha)
        lam = fit.lambda_
        self.lambda_ = float(lam[0]) if self._kind == "ridge" else lam
        self.sigma_ = fit.sigma
        self.scores_ = fit.scores
        self.n_iter_ = int(fit.n_iter)
        self.X_offset_ = fit.x_offset
        self.X_scale_ = np.ones_like(self.X_offset_)

    def predict(self, X, return_std=False):
        """The posterior mean of each row; with ``return_std``, also the standard deviation
        of the predictive distribution (the posterior's and the noise's)."""
        check_is_fitted(self, "_fit")
        X = predict_input(self, X)
        try:
            mean, std = self._fit.predict(core_matrix(X))
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        return (mean, std) if return_std else mean


class BayesianRidge(_Bayes):
    """Bayesian ridge regression: one Gaussian prior precision ``lambda_`` for every
    coefficient and the noise precision ``alpha_``, both learned by maximizing the evidence
    (MacKay 1992), with Gamma hyperpriors (``alpha_1``, ``alpha_2``, ``lambda_1``,
    ``lambda_2``). Parameters, defaults and attributes are scikit-learn's
    (``sklearn.linear_model.BayesianRidge``): ``max_iter``, ``tol``, ``alpha_init``,
    ``lambda_init``, ``compute_score``, ``fit_intercept``, ``copy_X`` (X is never written
    to), ``verbose`` (accepted, silent); ``coef_``, ``intercept_``, ``alpha_``, ``lambda_``,
    ``sigma_`` (posterior covariance), ``scores_`` (log marginal likelihood per update),
    ``n_iter_``, ``X_offset_``, ``X_scale_``. ``fit(X, y, sample_weight=None)``; X may be
    dense, SciPy sparse or a DataFrame.
    """

    _kind = "ridge"

    def __init__(self, *, max_iter=300, tol=1.0e-3, alpha_1=1.0e-6, alpha_2=1.0e-6,
                 lambda_1=1.0e-6, lambda_2=1.0e-6, alpha_init=None, lambda_init=None,
                 compute_score=False, fit_intercept=True, copy_X=True, verbose=False):
        keep(self, locals())

    def _core_params(self):
        return dict(
            max_iter=int(self.max_iter), tol=float(self.tol), alpha_1=float(self.alpha_1),
            alpha_2=float(self.alpha_2), lambda_1=float(self.lambda_1),
            lambda_2=float(self.lambda_2),
            alpha_init=None if self.alpha_init is None else float(self.alpha_init),
            lambda_init=None if self.lambda_init is None else float(self.lambda_init),
            compute_score=bool(self.compute_score), fit_intercept=bool(self.fit_intercept),
        )

    def fit(self, X, y, sample_weight=None):
        return self._fit_core(X, y, sample_weight)


class ARDRegression(_Bayes):
    """ARD (automatic relevance determination) regression: one prior precision per
    coefficient, learned from the evidence; a feature whose precision passes
    ``threshold_lambda`` is pruned (its coefficient exactly zero). Parameters, defaults and
    attributes are scikit-learn's (``sklearn.linear_model.ARDRegression``): ``max_iter``,
    ``tol``, ``alpha_1``, ``alpha_2``, ``lambda_1``, ``lambda_2``, ``compute_score``,
    ``threshold_lambda``, ``fit_intercept``, ``copy_X``, ``verbose``; ``coef_``,
    ``intercept_``, ``alpha_``, ``lambda_`` (per feature), ``sigma_`` (over the kept
    features), ``scores_``, ``n_iter_``, ``X_offset_``, ``X_scale_``.
    """

    _kind = "ard"

    def __init__(self, *, max_iter=300, tol=1.0e-3, alpha_1=1.0e-6, alpha_2=1.0e-6,
                 lambda_1=1.0e-6, lambda_2=1.0e-6, compute_score=False, threshold_lambda=1.0e4,
                 fit_intercept=True, copy_X=True, verbose=False):
        keep(self, locals())

    def _core_params(self):
        return dict(
            max_iter=int(self.max_iter), tol=float(self.tol), alpha_1=float(self.alpha_1),
            alpha_2=float(self.alpha_2), lambda_1=float(self.lambda_1),
            lambda_2=float(self.lambda_2), compute_score=bool(self.compute_score),
            threshold_lambda=float(self.threshold_lambda),
            fit_intercept=bool(self.fit_intercept),
        )

    def fit(self, X, y):
        return self._fit_core(X, y)


def from_fit(fit):
    """The estimator of a loaded Bayesian fit (fitted; constructor parameters the defaults,
    fitted attributes the saved model's)."""
    est = BayesianRidge() if fit.kind == "ridge" else ARDRegression()
    adopt_columns(est, fit)
    est._set_fitted(fit)
    return est
