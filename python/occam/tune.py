"""A search over a network's regularization, as ``occam tune``: trials proposed by grid,
random or TPE search, each scored by k-fold cross-validation on the training rows, the choice
by the best mean or the one-standard-error rule (the most regularized trial within one
standard error of the best), and the chosen network against the same network without
regularization on held-out rows.

Each trial's folds run on the core's threads, or, when a joblib backend is active (e.g.
``joblib.parallel_backend("dask")``) or ``n_jobs`` is given, as joblib tasks: the same
numbers either way.
"""

import json
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _occam
from ._base import (
    RunFilesState, core_matrix, feature_names, keep, python_message, target_name,
)
from .linear import _through_joblib
from .network import _PARAM_NAMES, MLPClassifier, MLPRegressor, attach

_KINDS = ("log", "range", "choice", "int")


def _space(space):
    """The space as ``occam tune --space`` reads it: {"l1": {"log": [lo, hi]}, ...}. A
    dimension may also be given as a tuple ("log", lo, hi), ("range", lo, hi), ("int", lo, hi)
    or ("choice", [values]); ``learning_rate`` is the core's ``lr``."""
    if not isinstance(space, dict) or not space:
        raise TypeError("space must be a non-empty dict: parameter -> dimension")
    out = {}
    for name, dim in space.items():
        key = "lr" if name == "learning_rate" else name
        if isinstance(dim, dict):
            out[key] = dim
            continue
        if not isinstance(dim, (tuple, list)) or not dim or dim[0] not in _KINDS:
            raise ValueError(
                f"invalid value for space: {name} = {dim!r} is not (kind, ...) with kind one "
                f"of {', '.join(_KINDS)}"
            )
        kind, rest = dim[0], list(dim[1:])
        out[key] = {kind: list(rest[0]) if kind == "choice" else rest}
    return out


def _score_fold(data, options, params, fold_of, fold, metric):
    """One fold of one trial: a joblib task (it may run on a Dask worker)."""
    return _occam.tune_score_fold(data, options, params, fold_of, fold, metric)


def _chosen_params(est, params):
    """A trial's parameters as the estimator ``est``'s, as the core applies them: ``alpha``
    makes an elastic net of the trial's ``l1`` (or the configured one), ``width``/``depth``
    make ``depth`` hidden layers of ``width`` (from the configured ones, else (64, 32))."""
    out = {}
    for k, v in params.items():
        if k == "lr":
            out["learning_rate"] = v
        elif k in ("l1", "l2", "weight_decay", "dropout", "dropconnect"):
            out[k] = v
    if "width" in params or "depth" in params:
        hidden = [int(h) for h in np.ravel(est.hidden)] if est.hidden is not None else [64, 32]
        hidden = [h for h in hidden if h > 0]
        half_up = lambda v: int(np.floor(v + 0.5))  # noqa: E731 (Rust's round)
        width = half_up(params["width"]) if "width" in params else (hidden[0] if hidden else 32)
        depth = half_up(params["depth"]) if "depth" in params else len(hidden)
        out["hidden"] = (width,) * depth
    if "alpha" in params:
        out["elastic_net"] = (params.get("l1", est.l1), params["alpha"])
        out["l1"] = 0.0
    return out


class TuneSearch(RunFilesState, BaseEstimator):
    """The search of :func:`tune`, as an object: ``fit(X, y)`` runs it.

    Attributes: ``trials_`` (each trial's parameters, fold scores, mean, standard error,
    features kept, whether pruned), ``best_params_`` (the rule's trial), ``cv_mean_``,
    ``cv_se_``, ``metric_``, ``result_`` (summary.json: the choice, the held-out comparison
    with the unregularized network, the selected features), ``best_estimator_`` (the chosen
    network trained on all training rows). ``predict``/``predict_proba``/``score`` use it;
    ``save``/``report`` write ``occam tune``'s run folder and report.
    """

    def __init__(self, estimator, space, *, search="tpe", trials=40, cv=5, metric=None,
                 rule="1se", prune=False, test_fraction=0.2, n_jobs=None):
        keep(self, locals())

    def fit(self, X, y):
        if not isinstance(self.estimator, (MLPClassifier, MLPRegressor)):
            raise TypeError("estimator must be an occam.MLPClassifier or occam.MLPRegressor")
        space = _space(self.space)
        target = target_name(y)
        X, y = validate_data(self, X, y, accept_sparse="csc", dtype=np.float64, order="C",
                             y_numeric=isinstance(self.estimator, MLPRegressor))
        names = feature_names(self, X.shape[1])
        if isinstance(self.estimator, MLPClassifier):
            check_classification_targets(y)
            classes, codes = np.unique(y, return_inverse=True)
            if len(classes) < 2:
                raise ValueError(f"y has one class ({classes[0]!r}); a classifier needs two")
            task = "binary" if len(classes) == 2 else "multiclass"
            labels, y = [str(c) for c in classes], codes.astype(np.float64)
        else:
            task, labels = "regression", []
        options = json.dumps(self.estimator._options())
        try:
            data = (core_matrix(X), np.ascontiguousarray(y, dtype=np.float64), task, names,
                    labels, target)
            run = _occam.tune_setup(
                data, options, json.dumps(space), search=self.search, trials=int(self.trials),
                folds=int(self.cv), metric=self.metric, rule=self.rule, prune=bool(self.prune),
                test_fraction=float(self.test_fraction),
            )
            if _through_joblib(self.n_jobs):
                if self.prune:
                    raise ValueError(
                        "invalid value for prune: the pruning rule needs a trial's folds on "
                        "the core's threads; run without a joblib backend and n_jobs"
                    )
                self._search_through_joblib(run, X, y, task, names, labels, options)
            else:
                run.search()
            run.finish()
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        self._fit = run
        self.trials_ = json.loads(run.trials_json)
        self.result_ = json.loads(run.result_json)
        self.best_params_ = dict(self.result_["chosen"]["params"])
        self.cv_mean_ = self.result_["cv_mean"]
        self.cv_se_ = self.result_["cv_se"]
        self.metric_ = self.result_["metric"]
        best = clone(self.estimator).set_params(
            **_chosen_params(self.estimator, self.best_params_)
        )
        self.best_estimator_ = attach(best, run.chosen())
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, name):
                setattr(self.best_estimator_, name, getattr(self, name))
            elif hasattr(self.best_estimator_, name):
                delattr(self.best_estimator_, name)
        return self

    def _search_through_joblib(self, run, X, y, task, names, labels, options):
        rows = np.asarray(run.train_rows)
        data = (core_matrix(X[rows]), np.ascontiguousarray(y[rows], dtype=np.float64), task,
                names, labels)
        fold_of, metric, k = run.fold_of, run.metric, int(self.cv)
        while (params := run.propose()) is not None:
            t0 = time.perf_counter()
            folds = Parallel(n_jobs=self.n_jobs)(
                delayed(_score_fold)(data, options, params, fold_of, f, metric)
                for f in range(k)
            )
            run.record(params, folds, time.perf_counter() - t0)

    def predict(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    def score(self, X, y):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score(X, y)

    def summary(self):
        """The summary ``occam tune`` prints."""
        check_is_fitted(self, "_fit")
        return self._fit.summary()


def tune(estimator, space, X, y, *, search="tpe", trials=40, cv=5, metric=None, rule="1se",
         prune=False, test_fraction=0.2, n_jobs=None):
    """Searches ``space`` for the regularization of ``estimator`` (an MLPClassifier or
    MLPRegressor, whose other parameters every trial keeps) on ``X``, ``y``, and returns the
    fitted :class:`TuneSearch`.

    ``space``: parameter -> dimension, e.g. ``{"l1": ("log", 1e-5, 1e-1), "dropout":
    ("range", 0.0, 0.5), "width": ("choice", [32, 64])}`` (parameters: l1, l2,
    weight_decay, alpha, dropout, dropconnect, learning_rate, width, depth). ``search``:
    "grid" | "random" | "tpe"; ``trials``; ``cv`` (folds per trial); ``metric`` (default:
    accuracy for classes, rmse for regression); ``rule``: "1se" | "min"; ``prune`` (the
    median rule); ``test_fraction`` (rows held out for the final comparison); ``n_jobs`` (a
    trial's folds as joblib tasks)."""
    return TuneSearch(
        estimator, space, search=search, trials=trials, cv=cv, metric=metric, rule=rule,
        prune=prune, test_fraction=test_fraction, n_jobs=n_jobs,
    ).fit(X, y)
