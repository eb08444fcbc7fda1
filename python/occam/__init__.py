"""occam: regularized learning, from Python.

The estimators follow scikit-learn's conventions (``fit``/``predict``/``score``,
``get_params``/``set_params``, fitted attributes ending in ``_``) and run on occam's Rust
core. A fitted model ``save``s to the run folder format of the ``occam`` command line, so
``occam predict RUN data.csv`` uses a model trained here, and ``occam.load`` reads a model
the command line trained.
"""

from . import _occam, bayes, explain as _explain_module, linear, network, privacy, select, tune as _tune_module
from ._occam import __version__
from .bayes import ARDRegression, BayesianRidge
from .explain import Explanation
from .linear import ElasticNet, ElasticNetCV, LogisticNetCV
from .network import MLPClassifier, MLPRegressor
from .select import StabilitySelection
from .tune import TuneSearch, tune


def load(path):
    """The model of a run folder written by an estimator's ``save`` or by the command line
    (``occam linear cv|path|bayes``, ``occam train``), as the fitted estimator that fits it."""
    fit = _occam.load_model(str(path))
    if isinstance(fit, _occam.LinearFit):
        return linear.from_fit(fit)
    if isinstance(fit, _occam.BayesFit):
        return bayes.from_fit(fit)
    return network.from_fit(fit)


__all__ = [
    "ARDRegression", "BayesianRidge", "ElasticNet", "Explanation", "ElasticNetCV", "LogisticNetCV", "MLPClassifier", "MLPRegressor",
    "StabilitySelection", "TuneSearch", "load", "privacy", "tune",
    "__version__",
]
