"""Penalized linear models along the whole regularization path, the glmnet way, with
scikit-learn's estimator API.

Names: ``l1_ratio`` is the elastic-net mixing (glmnet's ``alpha``: 1 = lasso, 0 = ridge);
``lambdas`` are the penalty strengths (glmnet's ``lambda``, scikit-learn's ``alphas``). The
cross-validated estimators choose ``lambda_`` by the one-standard-error rule
(``rule="1se"``, glmnet's ``lambda.1se``) or the best mean (``rule="min"``).
"""

import numbers
import time

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _occam
from .explain import Explainable
from ._base import (
    ProbaClassifier, RunFolderState, adopt_columns, core_matrix, fit_input, folds_of_splits,
    keep, labels, predict_input, python_message, sample_weights,
)

# The core names a parameter as its config spells it; the Python names differ for these.
_PARAM_NAMES = {
    "alpha": "l1_ratio",
    "nlambda": "n_lambdas",
    "lambda": "lambdas",
    "intercept": "fit_intercept",
    "folds": "cv",
    "seed": "random_state",
    "weights": "sample_weight",
}


def _python_message(e):
    return python_message(e, _PARAM_NAMES)


def _as_list(v):
    return None if v is None else [float(x) for x in np.ravel(v)]


class _LinearPath(Explainable, RunFolderState, BaseEstimator):
    """What the path estimators share: validation, the core call, the fitted attributes."""

    _load = staticmethod(_occam.load_linear)

    def _path_params(self):
        return dict(
            l1_ratio=float(self.l1_ratio),
            n_lambdas=int(self.n_lambdas),
            lambda_min_ratio=self.lambda_min_ratio,
            lambdas=_as_list(self.lambdas),
            penalty_factor=_as_list(self.penalty_factor),
            standardize=bool(self.standardize),
            fit_intercept=bool(self.fit_intercept),
            tol=float(self.tol),
            gap_tol=self.gap_tol,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _validate(self, X, y, y_numeric):
        X, y, names = fit_input(self, X, y, y_numeric)
        if len(y) < 2:
            raise ValueError(f"n_samples={len(y)}: a path needs at least 2 samples")
        return X, y, names

    def _call(self, X, y, task, names, classes, sample_weight=None, **extra):
        Xc, yc = core_matrix(X), np.ascontiguousarray(y, dtype=np.float64)
        params = {**self._path_params(), **extra}
        params["weights"] = sample_weights(sample_weight, len(yc))
        try:
            if "folds" in params and _through_joblib(getattr(self, "n_jobs", None)):
                fit = self._cv_through_joblib(Xc, yc, task, names, classes, params)
            else:
                fit = _occam.fit_linear((Xc, yc, task, names, classes, self._target), **params)
        except ValueError as e:
            raise ValueError(_python_message(e)) from None
        self._set_fitted(fit)
        return self

    def _cv_through_joblib(self, X, y, task, names, classes, params):
        """The same cross-validation as the core's one call, in stages: the full path here,
        each fold as a joblib task (a Dask cluster's under ``parallel_backend("dask")``),
        their scores combined here."""
        t0 = time.perf_counter()
        cv_keys = ("folds", "foldid", "measure", "seed", "rule")
        path_only = {k: v for k, v in params.items() if k not in cv_keys}
        data = (X, y, task, names, classes, self._target)
        full = _occam.fit_linear(data, **path_only)
        foldid = _occam.cv_folds(data, **params)
        lambdas = [float(v) for v in full.lambdas]
        per_fold = Parallel(n_jobs=self.n_jobs)(
            delayed(_score_fold)(data, foldid, f, lambdas, params)
            for f in range(max(foldid) + 1)
        )
        seconds = time.perf_counter() - t0
        return full.with_cv(data, foldid, per_fold, seconds, **params)

    def _set_fitted(self, fit):
        self._fit = fit
        self.lambdas_ = fit.lambdas
        path = fit.coef_path  # [class, feature, lambda]
        self.intercept_path_ = fit.intercept_path
        self.coef_path_ = path[0] if path.shape[0] == 1 else path
        if fit.is_cv:
            self.lambda_min_ = fit.lambda_min
            self.lambda_1se_ = fit.lambda_1se
            self.cv_mean_ = fit.cv_mean
            self.cv_se_ = fit.cv_se
        self._set_coef()

    def _set_coef(self):
        fit = self._fit
        self.lambda_ = fit.lambda_
        if self.lambda_ is None:
            return
        a0, beta = fit.coef()
        self.intercept_ = float(a0[0]) if a0.shape[0] == 1 else a0
        self.coef_ = beta[0] if beta.shape[0] == 1 else beta
        names = fit.schema[0]
        kept = np.any(np.atleast_2d(beta) != 0.0, axis=0)
        self.selected_features_ = [names[j] for j in range(len(names)) if kept[j]]

    def _core_predict(self, X):
        check_is_fitted(self, "_fit")
        if self._fit.lambda_ is None:
            raise ValueError(
                "this path was fitted without cross-validation and without a lambda to "
                "predict at: give lambda_value"
            )
        X = predict_input(self, X)
        try:
            return self._fit.predict(core_matrix(X))
        except ValueError as e:
            raise ValueError(_python_message(e)) from None


def _through_joblib(n_jobs):
    """Whether the folds go through joblib: when asked for (``n_jobs``) or inside a
    ``joblib.parallel_backend`` (e.g. "dask"); otherwise the core runs them on its own
    threads, one call."""
    backend, active_jobs = get_active_backend()
    return n_jobs is not None or active_jobs is not None or type(backend).__name__ != "LokyBackend"


def _score_fold(data, foldid, fold, lambdas, params):
    """One fold's scores at the full path's lambdas: a joblib task (it may run on a Dask
    worker)."""
    return _occam.cv_score_fold(data, foldid, fold, lambdas, **params)


def _cv_params(self, y):
    """The CV settings for the core: ``foldid`` (1-based) when given; else ``cv`` as a
    number of seeded folds (glmnet's), or as a scikit-learn splitter or (train, test) pairs
    turned into each row's fold."""
    folds, foldid = 10, None
    if self.foldid is not None:
        foldid = [int(f) - 1 for f in np.ravel(self.foldid)]
    elif isinstance(self.cv, numbers.Integral) and not isinstance(self.cv, bool):
        folds = int(self.cv)
    else:
        foldid = folds_of_splits(self.cv, y)
    return dict(
        folds=folds,
        foldid=foldid,
        measure=self.measure,
        seed=int(self.random_state),
        rule=self.rule,
    )


_REGRESSION_FAMILIES = {"gaussian": "regression", "poisson": "counts"}


class ElasticNetCV(RegressorMixin, _LinearPath):
    """The elastic-net path of a gaussian or Poisson GLM with k-fold cross-validation
    (glmnet's ``cv.glmnet``).

    Parameters: ``family`` ("gaussian" | "poisson"), ``l1_ratio``, ``n_lambdas``,
    ``lambda_min_ratio`` (default 1e-4 when n > p, else 1e-2), ``lambdas`` (explicit),
    ``penalty_factor`` (per feature), ``standardize``, ``fit_intercept``, ``tol`` (glmnet's
    ``thresh``), ``gap_tol`` (also certify this relative duality gap), ``cv`` (a number of
    seeded folds, a scikit-learn splitter such as ``KFold(5)``, or (train, test) pairs whose
    test sets hold each row out once), ``foldid`` (1-based fold of each row, as glmnet's;
    it takes precedence over ``cv``), ``measure`` ("deviance" | "mse" |
    "mae"), ``rule`` ("1se" | "min"), ``random_state`` (the folds), ``n_jobs`` (the folds
    as joblib tasks on this many workers; by default the core runs them on its own threads,
    and inside ``joblib.parallel_backend(...)``, e.g. "dask", they go to that backend).

    Attributes: ``coef_``, ``intercept_``, ``lambda_`` (the rule's), ``lambdas_``,
    ``lambda_min_``, ``lambda_1se_``, ``cv_mean_``, ``cv_se_``, ``coef_path_``
    (features x lambdas), ``selected_features_``.

    ``fit(X, y, sample_weight=None)``: observation weights (glmnet's ``weights``) read as
    frequencies, as scikit-learn's: a row of weight 2 fits as the row twice, a row of weight
    0 as no row (the default ``lambda_min_ratio`` counts the weights' sum as the rows);
    each fold's measure is the weighted mean over its rows, and the folds are weighted by
    their rows' weights.
    """

    def __init__(self, *, family="gaussian", l1_ratio=1.0, n_lambdas=100,
                 lambda_min_ratio=None, lambdas=None, penalty_factor=None, standardize=True,
                 fit_intercept=True, tol=1e-7, gap_tol=None, cv=10, foldid=None,
                 measure="deviance", rule="1se", random_state=1, n_jobs=None):
        keep(self, locals())

    def fit(self, X, y, sample_weight=None):
        if self.family not in _REGRESSION_FAMILIES:
            raise ValueError(
                f"invalid value for family: '{self.family}' is not gaussian or poisson "
                "(LogisticNetCV fits binomial and multinomial)"
            )
        X, y, names = self._validate(X, y, y_numeric=True)
        task = _REGRESSION_FAMILIES[self.family]
        return self._call(X, y, task, names, [], sample_weight, family=self.family,
                          **_cv_params(self, y))

    def predict(self, X):
        """The fitted mean at ``lambda_`` (counts for Poisson)."""
        return self._core_predict(X)[:, 0]


class LogisticNetCV(ProbaClassifier, ClassifierMixin, _LinearPath):
    """The elastic-net path of a binomial (two classes) or multinomial logistic regression
    with k-fold cross-validation. Parameters and attributes as :class:`ElasticNetCV`
    (``measure``: "deviance" | "class" | "auc" | "mse" | "mae"; ``grouped`` multinomial
    lasso is not exposed yet), plus ``classes_``; ``coef_`` is (1, features) for two
    classes and (classes, features) for more, as scikit-learn's ``LogisticRegression``.
    """

    def __init__(self, *, l1_ratio=1.0, n_lambdas=100, lambda_min_ratio=None, lambdas=None,
                 penalty_factor=None, standardize=True, fit_intercept=True, tol=1e-7,
                 gap_tol=None, cv=10, foldid=None, measure="deviance", rule="1se",
                 random_state=1, n_jobs=None):
        keep(self, locals())

    def fit(self, X, y, sample_weight=None):
        X, y, names = self._validate(X, y, y_numeric=False)
        task, codes, texts = self._encode(y)
        self._call(X, codes, task, names, texts, sample_weight, **_cv_params(self, y))
        if task == "binary":
            self.coef_ = np.atleast_2d(self.coef_)
            self.intercept_ = np.atleast_1d(self.intercept_)
        return self


class ElasticNet(RegressorMixin, _LinearPath):
    """The elastic-net path of a gaussian or Poisson GLM without cross-validation
    (glmnet's ``glmnet``); it predicts at ``lambda_value`` (default: the smallest fitted
    lambda, the least penalized). Parameters as :class:`ElasticNetCV` without the CV ones,
    plus ``relax`` (gamma of the relaxed fit: 0 = unpenalized refit on each active set);
    ``fit(X, y, sample_weight=None)`` as :class:`ElasticNetCV`'s.
    """

    def __init__(self, *, family="gaussian", l1_ratio=1.0, n_lambdas=100,
                 lambda_min_ratio=None, lambdas=None, lambda_value=None, penalty_factor=None,
                 standardize=True, fit_intercept=True, tol=1e-7, gap_tol=None, relax=None):
        keep(self, locals())

    def fit(self, X, y, sample_weight=None):
        if self.family not in _REGRESSION_FAMILIES:
            raise ValueError(
                f"invalid value for family: '{self.family}' is not gaussian or poisson"
            )
        X, y, names = self._validate(X, y, y_numeric=True)
        task = _REGRESSION_FAMILIES[self.family]
        self._call(X, y, task, names, [], sample_weight, family=self.family, relax=self.relax)
        lam = self.lambdas_[-1] if self.lambda_value is None else float(self.lambda_value)
        try:
            self._fit.set_lambda(lam)
        except ValueError as e:
            raise ValueError(_python_message(e)) from None
        self._set_coef()
        return self

    def predict(self, X):
        return self._core_predict(X)[:, 0]


def from_fit(fit):
    """The estimator of a loaded linear fit (fitted; its constructor parameters are the
    defaults, the fitted attributes are the saved model's)."""
    if fit.family in ("binomial", "multinomial"):
        est = LogisticNetCV()
        est.classes_ = labels(fit.schema[1])
    elif fit.is_cv:
        est = ElasticNetCV(family=fit.family)
    else:
        est = ElasticNet(family=fit.family)
    adopt_columns(est, fit)
    est._set_fitted(fit)
    if fit.family == "binomial":
        est.coef_ = np.atleast_2d(est.coef_)
        est.intercept_ = np.atleast_1d(est.intercept_)
    return est
