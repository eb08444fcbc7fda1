"""Explanations of fitted occam estimators: ``est.explain(X, y)`` gives exact SHAP values
for the linear models (the default there), permutation importance, optionally grouped by
correlated clusters, for any of them, and integrated gradients, gradient x input and
SmoothGrad for the networks; the same numbers and run folder as ``occam explain``.
"""

from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import core_matrix, predict_input, python_message

_PARAM_NAMES = {"class": "class_", "group_corr": "group_corr", "tol": "ig_tol",
                "seed": "random_state"}


class Explanation:
    """What ``explain`` returns. ``importance``: a DataFrame (``feature``, ``importance``,
    ``se``), most important first (a group of correlated features is one row, its members
    joined by "+"); ``attributions``: SHAP values or the network's attributions, a DataFrame
    with a column per feature and a row per row of X (None for permutation). Without pandas installed (it is optional),
    ``importance`` is a NumPy record array with those fields and ``attributions`` a matrix
    whose columns are ``feature_names``; ``base_value`` (SHAP: f at the background
    means; each row's values sum to f(x) minus it), ``completeness_error``,
    ``baseline_score`` and ``score`` (permutation), ``selected`` (the linear model's
    features in their order of entry), ``gradient`` (the gradient methods: a dict of the
    output explained, the baseline and its values, the quadrature, tolerance and steps); ``save(path)`` and ``report(path)`` write the run
    folder and page of ``occam explain``."""

    def __init__(self, fit):
        self._fit = fit
        self.method = fit.method
        self.feature_names = list(fit.feature_names)
        a = fit.attributions
        try:
            import pandas as pd
        except ImportError:
            self.importance = np.rec.fromrecords(
                fit.importance, names=["feature", "importance", "se"]
            ) if fit.importance else None
            self.attributions = a
        else:
            self.importance = pd.DataFrame(fit.importance,
                                           columns=["feature", "importance", "se"])
            self.attributions = None if a is None else pd.DataFrame(a, columns=fit.feature_names)
        self.base_value = fit.base_value
        self.completeness_error = fit.completeness_error
        self.baseline_score = fit.baseline_score
        self.score = fit.score
        self.selected = list(fit.selected)
        self.gradient = fit.gradient

    def save(self, path, force=False):
        self._fit.save(str(path), force)

    def report(self, path, force=False):
        return Path(self._fit.report(str(path), force))

    def __repr__(self):
        top = [] if self.importance is None else [str(f) for f in self.importance["feature"][:5]]
        return f"Explanation(method={self.method!r}, top={top})"


class Explainable:
    """``explain`` for the estimators whose compiled model (``_fit``) explains itself."""

    def explain(self, X, y=None, *, method=None, repeats=5, random_state=1, group_corr=None,
                background=None, class_=None, rows=(0, 1, 2), baseline="auto", steps=50,
                ig_tol=1e-3, quadrature="gausslegendre", samples=50, noise=0.15):
        """Explains the fitted model on ``X``: ``method="shap"`` (exact, linear models; their
        default) against the column means of ``background`` (default: ``X``'s), or
        ``"permutation"`` (any model; needs ``y``): the score drop when a feature, or a group
        of features correlating at ``|r| >= group_corr``, is shuffled, over ``repeats``
        seeded shuffles. ``class_``: for a multinomial model, the class explained.

        Networks: ``method="ig"`` (integrated gradients against ``baseline``: "auto" =
        the training means for tabular data, zeros for images; "mean"; "zero"; or one row of
        raw values; exact on ReLU networks, elsewhere refined until each row's attributions
        sum to f(x) - f(baseline) within ``ig_tol``; ``ig_tol=None`` takes exactly ``steps``
        points of Captum's ``quadrature``), ``"gradxinput"`` or ``"smoothgrad"``
        (``samples`` noisy copies, noise sd ``noise`` times each feature's range, seeded by
        ``random_state``). Attributions are of the output: the target's units, the logit,
        or each row's predicted class's logit (``class_`` fixes the class). Returns an
        :class:`Explanation`."""
        check_is_fitted(self, "_fit")
        Xv = predict_input(self, X)
        n_rows = len(Xv["columns"][0]) if isinstance(Xv, dict) else Xv.shape[0]
        Xc = core_matrix(Xv)
        codes = None
        if y is not None:
            y = np.asarray(y)
            if hasattr(self, "classes_"):
                pos = np.searchsorted(self.classes_, y)
                pos = np.clip(pos, 0, len(self.classes_) - 1)
                if not np.all(self.classes_[pos] == y):
                    raise ValueError("y holds a label the model was not fitted on")
                codes = pos.astype(np.float64)
            else:
                codes = y.astype(np.float64)
            if codes.ndim != 1 or len(codes) != n_rows:
                raise ValueError(f"y has shape {codes.shape}; X has {n_rows} rows")
            codes = [float(v) for v in codes]
        bg = None if background is None else core_matrix(predict_input(self, background))
        try:
            if isinstance(baseline, str):
                base = baseline
            else:
                base = np.asarray(baseline, dtype=np.float64)
                if base.ndim != 1:
                    raise ValueError(f"baseline has shape {base.shape}: give one row of values")
                base = [float(v) for v in base]
            fit = self._fit.explain(
                Xc, codes, method=method, repeats=int(repeats), seed=int(random_state),
                group_corr=group_corr, background=bg,
                class_=None if class_ is None else str(class_), rows=[int(r) for r in rows],
                baseline=base, steps=int(steps),
                tol="off" if ig_tol is None else float(ig_tol), quadrature=str(quadrature),
                samples=int(samples), noise=float(noise),
            )
        except ValueError as e:
            raise ValueError(python_message(e, _PARAM_NAMES)) from None
        return Explanation(fit)
