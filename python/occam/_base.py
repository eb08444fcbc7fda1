"""What the estimators share: the core's matrix form, the constructor rule, error messages in
Python's parameter names, and pickling through the run folder's files."""

import re
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.validation import check_is_fitted, validate_data


def python_message(e, names):
    """The core's message with the parameter as this package names it (``names``: the core's
    name -> the Python one)."""
    msg = str(e)
    m = re.match(r"invalid value for (\w+):", msg)
    if m and m.group(1) in names:
        msg = msg.replace(m.group(0), f"invalid value for {names[m.group(1)]}:", 1)
    return msg


def core_matrix(X):
    """What the core reads: a C-ordered float64 matrix, a SciPy matrix's CSC parts
    (canonical: sorted, no duplicates), or a DataFrame's table (``frame_table``) as is."""
    if isinstance(X, dict):
        return X
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


def _text_columns(X):
    """The columns of a pandas DataFrame that hold categories or text."""
    import pandas as pd

    return [
        c for c in X.columns
        if isinstance(X[c].dtype, pd.CategoricalDtype) or X[c].dtype == object
        or pd.api.types.is_string_dtype(X[c].dtype)
    ]


def frame_table(X, categorical=None):
    """A pandas DataFrame with categorical or text columns as the core's table (each cell as
    text, "" when missing; the core one-hot encodes the categorical columns as it does a
    CSV's), or None for anything else. ``categorical``: the columns to encode (default: the
    DataFrame's categorical and text columns)."""
    if type(X).__module__.split(".")[0] != "pandas" or not hasattr(X, "columns"):
        return None
    import pandas as pd

    if categorical is None:
        categorical = [str(c) for c in _text_columns(X)]
        if not categorical:
            return None
    columns = []
    for c in X.columns:
        col = X[c]
        if str(c) in categorical:
            cells = ["" if pd.isna(v) else str(v) for v in col.astype(object)]
        else:
            try:
                vals = col.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                raise ValueError(f"column {c!r} is neither numeric nor categorical") from None
            cells = ["" if np.isnan(v) else repr(float(v)) for v in vals]
        columns.append(cells)
    return {
        "headers": [str(c) for c in X.columns],
        "columns": columns,
        "categorical": list(categorical),
    }


def target_name(y):
    """The name of a pandas Series target (what a saved model's CSV column is called), or
    None."""
    name = getattr(y, "name", None)
    return str(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else None


def fit_input(est, X, y, y_numeric):
    """(what the core reads, y, feature names) for ``fit``: a DataFrame with categorical or
    text columns as the core's table, anything else validated by scikit-learn into a float64
    matrix or a CSC sparse matrix. Records the target's name (a Series' name) in
    ``est._target``."""
    est._target = target_name(y)
    table = frame_table(X)
    if table is None:
        X, y = validate_data(
            est, X, y, accept_sparse="csc", dtype=np.float64, y_numeric=y_numeric, order="C"
        )
        est._categorical = None
        return X, y, feature_names(est, X.shape[1])
    y = column_or_1d(check_array(y, ensure_2d=False, dtype="numeric" if y_numeric else None,
                                 input_name="y"), warn=True)
    check_consistent_length(X, y)
    est.n_features_in_ = X.shape[1]
    est.feature_names_in_ = np.asarray(table["headers"], dtype=object)
    est._categorical = table["categorical"]
    return table, y, table["headers"]


def sample_weights(sample_weight, n):
    """``sample_weight`` of ``fit`` as a list of ``n`` floats (``None`` stays ``None``): a
    number is that weight for every row; otherwise one finite weight >= 0 per row, not all 0.
    A weight is a frequency: 2 fits as the row twice, 0 as no row."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"sample_weight: expected numbers ({e})") from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"sample_weight: shape {w.shape} does not match the {n} samples; expected ({n},)"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight: holds a NaN or infinite weight")
    if np.any(w < 0):
        raise ValueError(f"sample_weight: holds a negative weight ({w.min()})")
    if not np.any(w > 0):
        raise ValueError("sample_weight: every weight is zero: there is nothing to fit")
    return [float(v) for v in w]


def folds_of_splits(cv, y):
    """Each row's fold (0-based) from ``cv`` when it is a scikit-learn splitter (its
    ``split(X, y)``) or an iterable of (train, test) index pairs, as ``GridSearchCV`` takes
    them. occam's cross-validation holds each row out once and fits on all the others, so
    the test sets must partition the rows and each train set be the rest."""
    n = len(y)
    if hasattr(cv, "split"):
        splits = list(cv.split(np.zeros((n, 1)), y))
    else:
        try:
            splits = list(cv)
        except TypeError:
            raise TypeError(
                f"cv: expected a number of folds, a splitter or (train, test) pairs; got "
                f"{type(cv).__name__}"
            ) from None
    fold = np.full(n, -1, dtype=np.int64)
    for f, pair in enumerate(splits):
        try:
            train, test = (np.asarray(a).ravel() for a in pair)
        except (TypeError, ValueError):
            raise ValueError(f"cv: split {f + 1} is not a (train, test) pair") from None
        test = np.arange(n)[test] if test.dtype == bool else test.astype(np.int64)
        train = np.arange(n)[train] if train.dtype == bool else train.astype(np.int64)
        if test.size and (test.min() < 0 or test.max() >= n):
            raise ValueError(f"cv: split {f + 1} holds a row index outside 0..{n - 1}")
        if np.any(fold[test] >= 0):
            raise ValueError(
                f"cv: the test rows of split {f + 1} were already held out by an earlier "
                "split; occam's cross-validation holds each row out exactly once"
            )
        fold[test] = f
        rest = np.setdiff1d(np.arange(n), test)
        if not np.array_equal(np.sort(train), rest):
            raise ValueError(
                f"cv: the train rows of split {f + 1} are not all the other rows; occam's "
                "cross-validation fits each fold on every row it does not hold out"
            )
    if np.any(fold < 0):
        raise ValueError(
            f"cv: {int(np.sum(fold < 0))} rows are in no test set; occam's "
            "cross-validation holds every row out once"
        )
    return [int(f) for f in fold]


def predict_input(est, X):
    """What the core reads for ``predict``: the table of a DataFrame when the model encodes
    categorical columns (by the columns it was fitted on), else the validated matrix."""
    categorical = getattr(est, "_categorical", None)
    if not categorical:
        return validate_data(est, X, reset=False, accept_sparse="csc", dtype=np.float64,
                             order="C")
    if frame_table(X, categorical) is None:
        raise TypeError(
            "this model encodes the categorical columns "
            f"{', '.join(categorical)}: predict needs a pandas DataFrame with its columns"
        )
    want = [str(c) for c in est.feature_names_in_]
    have = [str(c) for c in X.columns]
    missing = [c for c in want if c not in have]
    if missing:
        raise ValueError(f"X lacks the feature columns {', '.join(missing)}")
    X = X[[c for c in X.columns if str(c) in want]]
    X = X[[c for w in want for c in X.columns if str(c) == w]]
    return frame_table(X, categorical)


def adopt_columns(est, fit):
    """A loaded model's raw columns as the estimator's input columns (``n_features_in_``,
    ``feature_names_in_``), and the categorical ones it encodes."""
    _, _, raw, categorical = fit.schema
    est.n_features_in_ = len(raw)
    est.feature_names_in_ = np.asarray(raw, dtype=object)
    est._categorical = list(categorical) or None


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


def _with_run_files(state):
    """A copy of ``state`` (object.__getstate__ may hand back the instance's own __dict__)
    with the compiled ``_fit`` replaced by the files of the run folder it saves."""
    state = dict(state)
    fit = state.pop("_fit", None)
    if fit is not None:
        with tempfile.TemporaryDirectory() as d:
            run = Path(d) / "run"
            fit.save(str(run), False)
            state["_run_files"] = {p.name: p.read_bytes() for p in run.iterdir()}
    return state


class RunFolderState:
    """Pickling for an estimator whose compiled model (``_fit``) saves to a run folder: the
    model travels as the folder's files and comes back through ``_load``."""

    _load = None  # the core function that loads a run folder

    def __getstate__(self):
        return _with_run_files(super().__getstate__())

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
        return _with_run_files(super().__getstate__())

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


class ProbaClassifier:
    """What occam's classifiers share: the labels encoded for the core (``encode``) and the
    core's probabilities as scikit-learn's (``_core_predict`` gives P(second class) for two
    classes, the class probabilities for more)."""

    def _encode(self, y):
        """``classes_`` from ``y``, and (task, class codes, labels as text) for the core."""
        from sklearn.utils.multiclass import check_classification_targets

        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y has one class ({self.classes_[0]!r}); a classifier needs two")
        task = "binary" if len(self.classes_) == 2 else "multiclass"
        return task, codes.astype(np.float64), [str(c) for c in self.classes_]

    def predict_proba(self, X):
        p = self._core_predict(X)
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - p[:, 0], p[:, 0]])
        return p

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
