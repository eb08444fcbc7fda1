"""What the estimators share: the core's matrix form, the constructor rule, error messages in
Python's parameter names, and pickling through the run folder's files."""

import re
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted


def python_message(e, names):
    """The core's message with the parameter as this package names it (``names``: the core's
    name -> the Python one)."""
    msg = str(e)
    m = re.match(r"invalid value for (\w+):", msg)
    if m and m.group(1) in names:
        msg = msg.replace(m.group(0), f"invalid value for {names[m.group(1)]}:", 1)
    return msg


def core_matrix(X):
    """What the core reads: a C-ordered float64 matrix, or a SciPy matrix's CSC parts
    (canonical: sorted, no duplicates)."""
    if sp.issparse(X):
        X = sp.csc_matrix(X, dtype=np.float64)
        X.sum_duplicates()
        X.sort_indices()
        return (
            np.ascontiguousarray(X.data, dtype=np.float64),
            np.ascontiguousarray(X.indices, dtype=np.int64),
            np.ascontiguousarray(X.indptr, dtype=np.int64),
            (int(X.shape[0]), int(X.shape[1])),
        )
    return np.ascontiguousarray(X, dtype=np.float64)


def keep(est, params):
    """Stores the constructor's arguments as they are (scikit-learn's rule for __init__)."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(est, name, value)


def feature_names(est, n_features):
    """The names a saved model reads its CSV columns by: the DataFrame's, else x0, x1..."""
    if hasattr(est, "feature_names_in_"):
        return [str(c) for c in est.feature_names_in_]
    return [f"x{j}" for j in range(n_features)]


def labels(texts):
    """Class labels as saved (text) back as numbers when every one reads as a number."""
    for kind in (int, float):
        try:
            return np.asarray([kind(t) for t in texts])
        except ValueError:
            continue
    return np.asarray(texts, dtype=object)


class RunFolderState:
    """Pickling for an estimator whose compiled model (``_fit``) saves to a run folder: the
    model travels as the folder's files and comes back through ``_load``."""

    _load = None  # the core function that loads a run folder

    def __getstate__(self):
        # A copy: object.__getstate__ may hand back the instance's own __dict__.
        state = dict(super().__getstate__())
        fit = state.pop("_fit", None)
        if fit is not None:
            with tempfile.TemporaryDirectory() as d:
                run = Path(d) / "run"
                fit.save(str(run), False)
                state["_run_files"] = {p.name: p.read_bytes() for p in run.iterdir()}
        return state

    def __setstate__(self, state):
        files = state.pop("_run_files", None)
        super().__setstate__(state)
        if files is not None:
            with tempfile.TemporaryDirectory() as d:
                run = Path(d) / "run"
                run.mkdir()
                for name, data in files.items():
                    (run / name).write_bytes(data)
                self._fit = type(self)._load(str(run))

    def save(self, path, force=False):
        """Writes the run folder ``path`` that ``occam predict`` and ``occam report`` read;
        ``force`` replaces a run already there."""
        check_is_fitted(self, "_fit")
        self._fit.save(str(path), force)

    def report(self, path, force=False):
        """Saves the run folder ``path`` (as ``save``) and writes its report.html, the page
        ``occam report`` draws from it. Returns the page's path."""
        check_is_fitted(self, "_fit")
        return Path(self._fit.report(str(path), force))

    def summary(self):
        """The summary table the command line prints."""
        check_is_fitted(self, "_fit")
        return self._fit.summary()


class RunFilesState:
    """Pickling and saving for a fitted object whose compiled part (``_fit``) writes a run
    folder but is not a model to load back (a selection, a search): it travels as the
    folder's files, which ``save`` and ``report`` write out again."""

    def __getstate__(self):
        state = dict(super().__getstate__())
        fit = state.pop("_fit", None)
        if fit is not None:
            with tempfile.TemporaryDirectory() as d:
                run = Path(d) / "run"
                fit.save(str(run), False)
                state["_run_files"] = {p.name: p.read_bytes() for p in run.iterdir()}
        return state

    def save(self, path, force=False):
        """Writes the run folder ``path`` that ``occam report`` reads; ``force`` replaces a
        run already there."""
        fit = getattr(self, "_fit", None)
        if fit is not None:
            fit.save(str(path), force)
            return
        if not hasattr(self, "_run_files"):
            raise ValueError("nothing to save: fit first")
        path = Path(path)
        if path.exists() and any(path.iterdir()) and not force:
            raise ValueError(f"{path} already holds a run; pass force=True to replace it")
        path.mkdir(parents=True, exist_ok=True)
        for name, data in self._run_files.items():
            (path / name).write_bytes(data)

    def report(self, path, force=False):
        """Saves the run folder ``path`` and writes its report.html, the page ``occam report``
        draws from it. Returns the page's path."""
        from . import _occam

        self.save(path, force)
        return Path(_occam.report_run(str(path)))
