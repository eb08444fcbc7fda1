"""occam: regularized learning, from Python.

The estimators follow scikit-learn's conventions (``fit``/``predict``/``score``,
``get_params``/``set_params``, fitted attributes ending in ``_``) and run on occam's Rust
core. A fitted model ``save``s to the run folder format of the ``occam`` command line, so
``occam predict RUN data.csv`` uses a model trained here, and ``occam.load`` reads a model
the command line trained.
"""

from ._occam import __version__
from .linear import ElasticNet, ElasticNetCV, LogisticNetCV, load

__all__ = ["ElasticNet", "ElasticNetCV", "LogisticNetCV", "load", "__version__"]
