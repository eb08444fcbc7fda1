//! `occam._occam`: the compiled core of the Python package. It stands on the facade crate
//! only: a NumPy matrix and target become an `occam::Dataset`, the facade's estimators fit
//! it, and the fitted model (with its run folder, shared with the CLI) comes back as a
//! Python object. The scikit-learn classes of `occam/linear.py` and `occam/network.py` wrap
//! it (`linear.rs`, `network.rs`).

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use occam::{Column, Dataset, Matrix, Numbers, RawTable, Task};
use occam_core::dataset::ColumnSpec;
use occam_core::DenseMatrix;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

mod bayes;
mod explain;
mod linear;
mod network;
mod privacy;
mod select;
mod tune;

/// A facade error as a Python exception: a bad parameter or bad data is a `ValueError`
/// whose message names the parameter; a file that cannot be read is an `OSError`.
fn py_err(e: occam::Error) -> PyErr {
    match e {
        occam::Error::Io { .. } => pyo3::exceptions::PyOSError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// What a fitted model reads and answers in: feature names, class labels, raw columns and
/// the categorical ones among them.
type Schema = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);

/// The [`Schema`] of a model's preprocessing.
fn schema(p: &occam::Preprocessor) -> Schema {
    let mut raw = Vec::new();
    let mut categorical = Vec::new();
    for c in &p.columns {
        match c {
            ColumnSpec::Numeric { name, .. } => raw.push(name.clone()),
            ColumnSpec::Categorical { name, .. } => {
                raw.push(name.clone());
                categorical.push(name.clone());
            }
        }
    }
    (p.feature_names.clone(), p.classes.clone(), raw, categorical)
}

/// Runs `work` on a thread of its own, without the interpreter lock, while this thread
/// checks for Python signals every 20 ms: on Ctrl-C it sets the flag `work` watches and, once
/// `work` has returned (at its next check), raises the KeyboardInterrupt.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&AtomicBool) -> T + Send,
) -> PyResult<T> {
    use std::sync::mpsc::{channel, RecvTimeoutError};
    let stop = AtomicBool::new(false);
    let mut raised = None;
    let out = py.allow_threads(|| {
        std::thread::scope(|s| {
            let (tx, rx) = channel();
            let stop = &stop;
            s.spawn(move || {
                let _ = tx.send(work(stop));
            });
            loop {
                match rx.recv_timeout(std::time::Duration::from_millis(20)) {
                    Ok(v) => return Some(v),
                    Err(RecvTimeoutError::Disconnected) => return None,
                    Err(RecvTimeoutError::Timeout) if raised.is_none() => {
                        if let Err(e) = Python::with_gil(|py| py.check_signals()) {
                            raised = Some(e);
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
        })
    });
    if let Some(e) = raised {
        return Err(e);
    }
    out.ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the fit stopped unexpectedly"))
}

/// Writes report.html into the run folder `dir`: the page `occam report` draws from it.
fn write_report(dir: &std::path::Path) -> PyResult<PathBuf> {
    let run = occam::results::RunResult::read(dir).map_err(py_err)?;
    let page =
        occam_report::render(&dir.display().to_string(), &run).map_err(PyValueError::new_err)?;
    let out = dir.join("report.html");
    occam::run::write_atomic(&out, page.as_bytes()).map_err(py_err)?;
    Ok(out)
}

/// A sparse matrix in SciPy's CSC parts (`data`, `indices`, `indptr`, `(rows, columns)`),
/// checked entry by entry: a malformed one is a `ValueError`, never a panic later.
type CscParts<'py> = (
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray1<'py, i64>,
    (usize, usize),
);

fn csc_matrix(parts: CscParts<'_>) -> PyResult<Matrix> {
    let (data, indices, indptr, (nrows, ncols)) = parts;
    let values = data.as_array().to_vec();
    let bad = |what: &str| PyValueError::new_err(format!("the sparse matrix: {what}"));
    let indptr: Vec<usize> = indptr
        .as_array()
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| bad("a negative column pointer")))
        .collect::<PyResult<_>>()?;
    if indptr.len() != ncols + 1 || indptr[0] != 0 || indptr[ncols] != values.len() {
        return Err(bad("indptr does not match its columns and stored values"));
    }
    if indptr.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad("indptr decreases"));
    }
    let indices: Vec<u32> = indices
        .as_array()
        .iter()
        .map(|&v| {
            u32::try_from(v)
                .ok()
                .filter(|&r| (r as usize) < nrows)
                .ok_or_else(|| bad("a row index out of range"))
        })
        .collect::<PyResult<_>>()?;
    if indices.len() != values.len() {
        return Err(bad("indices and data differ in length"));
    }
    for j in 0..ncols {
        if indices[indptr[j]..indptr[j + 1]]
            .windows(2)
            .any(|w| w[0] >= w[1])
        {
            return Err(bad("row indices of a column are not sorted and unique"));
        }
    }
    Ok(Matrix::Sparse(occam_core::CscMatrix {
        nrows,
        ncols,
        indptr,
        indices,
        values,
    }))
}

/// A dense float matrix (NumPy, rows x features) or SciPy's CSC parts.
fn matrix_of(x: &Bound<'_, PyAny>) -> PyResult<Matrix> {
    if let Ok(dense) = x.extract::<PyReadonlyArray2<f64>>() {
        let x = dense.as_array();
        let (n, p) = x.dim();
        // Straight into the column-major buffer (no matrix of columns in between).
        let mut data = Vec::with_capacity(n * p);
        (0..p).for_each(|j| data.extend(x.column(j).iter()));
        return Ok(Matrix::Dense(DenseMatrix {
            nrows: n,
            ncols: p,
            data,
        }));
    }
    match x.extract::<CscParts<'_>>() {
        Ok(parts) => csc_matrix(parts),
        Err(_) => Err(PyTypeError::new_err(
            "X must be a float64 NumPy matrix or the CSC parts of a SciPy sparse matrix",
        )),
    }
}

/// The feature matrix of `x` (a matrix, or a DataFrame's table through the preprocessing
/// `pre`).
fn features_of(x: &Bound<'_, PyAny>, pre: &occam::Preprocessor) -> PyResult<Matrix> {
    match table_of(x)? {
        Some((t, _)) => Ok(pre
            .transform_table(&t, occam::HandleUnknown::Error)
            .map_err(py_err)?
            .x),
        None => matrix_of(x),
    }
}

/// A pandas DataFrame with categorical columns, as Python hands it over: a dict with
/// `headers` (the column names), `columns` (each column's cells as text, "" when missing)
/// and `categorical` (the names of the columns to one-hot encode). `None` for anything else.
fn table_of(x: &Bound<'_, PyAny>) -> PyResult<Option<(RawTable, Vec<String>)>> {
    let Ok(dict) = x.downcast::<PyDict>() else {
        return Ok(None);
    };
    let field = |name: &str| -> PyResult<Bound<'_, PyAny>> {
        dict.get_item(name)?
            .ok_or_else(|| PyTypeError::new_err(format!("a table needs '{name}'")))
    };
    let headers: Vec<String> = field("headers")?.extract()?;
    let columns: Vec<Vec<String>> = field("columns")?.extract()?;
    let categorical: Vec<String> = field("categorical")?.extract()?;
    let n = columns.first().map_or(0, Vec::len);
    if columns.len() != headers.len() || columns.iter().any(|c| c.len() != n) {
        return Err(PyValueError::new_err(
            "the table's columns differ in length or do not match its headers",
        ));
    }
    let table = RawTable {
        path: PathBuf::from("DataFrame"),
        headers,
        columns: columns.into_iter().map(Column::from_texts).collect(),
        lines: (1..=n as u64).collect(),
    };
    Ok(Some((table, categorical)))
}

fn task_of(task: &str) -> PyResult<Task> {
    Ok(match task {
        "regression" => Task::Regression,
        "counts" => Task::Counts,
        "binary" => Task::Binary,
        "multiclass" => Task::Multiclass,
        t => return Err(PyValueError::new_err(format!("unknown task '{t}'"))),
    })
}

/// What Python hands over for a fit, as one tuple: `(x, y, task, feature_names, classes)`
/// and optionally the target's name (a pandas Series' name) as a sixth (see [`dataset`]).
pub struct Input<'py> {
    x: Bound<'py, PyAny>,
    y: PyReadonlyArray1<'py, f64>,
    task: String,
    names: Vec<String>,
    classes: Vec<String>,
    target: Option<String>,
}

impl<'py> FromPyObject<'py> for Input<'py> {
    fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
        let t = ob.downcast::<pyo3::types::PyTuple>()?;
        if t.len() != 5 && t.len() != 6 {
            return Err(PyTypeError::new_err(format!(
                "the data is a tuple of 5 or 6 items, got {}",
                t.len()
            )));
        }
        Ok(Input {
            x: t.get_item(0)?,
            y: t.get_item(1)?.extract()?,
            task: t.get_item(2)?.extract()?,
            names: t.get_item(3)?.extract()?,
            classes: t.get_item(4)?.extract()?,
            target: if t.len() == 6 {
                t.get_item(5)?.extract()?
            } else {
                None
            },
        })
    }
}

impl Input<'_> {
    /// The data set.
    fn dataset(self) -> PyResult<Dataset> {
        let mut d = dataset(&self.x, self.y, &self.task, self.names, self.classes)?;
        // The target's name (what `occam predict` looks for in a CSV and names its column
        // after), unless a feature has it.
        if let Some(t) = self.target.filter(|t| !t.is_empty()) {
            if !d.feature_names.contains(&t)
                && !d.schema.iter().any(|c| match c {
                    ColumnSpec::Numeric { name, .. } | ColumnSpec::Categorical { name, .. } => {
                        *name == t
                    }
                })
            {
                d.target_name = t;
            }
        }
        Ok(d)
    }
}

/// The data set of `x` (a matrix, rows x features, or a DataFrame's table), its target `y`
/// (class indices for classifiers) and names. Matrix columns are numeric features by these
/// names; a table's categorical columns are one-hot encoded as a CSV's are, so a saved model
/// reads a CSV with the same columns either way.
fn dataset(
    x: &Bound<'_, PyAny>,
    y: PyReadonlyArray1<f64>,
    task: &str,
    feature_names: Vec<String>,
    classes: Vec<String>,
) -> PyResult<Dataset> {
    let task = task_of(task)?;
    let y = y.as_array().to_vec();
    if let Some((mut t, categorical)) = table_of(x)? {
        if t.nrows() != y.len() {
            return Err(PyValueError::new_err(format!(
                "X has {} rows but y has {}",
                t.nrows(),
                y.len()
            )));
        }
        // The target joins the table under a name no feature has; its values come back
        // exactly from `y` below (the text only lets the table be read as a CSV is).
        let mut target = "y".to_string();
        while t.headers.contains(&target) {
            target.push('_');
        }
        t.headers.push(target.clone());
        t.columns.push(Column::Numbers(Numbers::new(
            y.iter()
                .map(|&v| {
                    if task.is_classification() {
                        (v as usize) as f64
                    } else {
                        v
                    }
                })
                .collect(),
        )));
        let opts = occam::CsvOptions {
            target: Some(target),
            categorical,
            task: Some(task),
            ..Default::default()
        };
        let mut d = Dataset::from_table(&t, &opts).map_err(|e| py_err(e.into()))?;
        d.y = y;
        d.classes = classes;
        return Ok(d);
    }
    let x = matrix_of(x)?;
    let (n, p) = (x.nrows(), x.ncols());
    if feature_names.len() != p {
        return Err(PyValueError::new_err(format!(
            "{} feature names for {p} columns",
            feature_names.len()
        )));
    }
    if y.len() != n {
        return Err(PyValueError::new_err(format!(
            "X has {n} rows but y has {}",
            y.len()
        )));
    }
    Ok(Dataset {
        source: PathBuf::from("<numpy>"),
        x,
        y,
        schema: feature_names
            .iter()
            .map(|name| ColumnSpec::Numeric {
                name: name.clone(),
                impute: None,
            })
            .collect(),
        feature_names,
        target_name: "y".into(),
        task,
        classes,
        rows_dropped: 0,
    })
}

/// A fitted model's predictions of `x` (a matrix, or a DataFrame's table read through the
/// model's preprocessing), one row of numbers per row, as a NumPy matrix. On a copy of the
/// model (a network's forward pass keeps buffers), so that threads may predict with one
/// fitted model at once.
fn predict_with<'py, M: occam::Fitted + Clone + Send>(
    py: Python<'py>,
    model: &M,
    x: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    rows_array(py, &predictions_of(py, model, x)?)
}

/// The predictions' rows as a NumPy array (rows x width).
fn rows_array<'py>(
    py: Python<'py>,
    pred: &occam::Predictions,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    use numpy::IntoPyArray;
    let n = pred.rows.len();
    let width = pred.rows.first().map_or(1, Vec::len);
    let out = numpy::ndarray::Array2::from_shape_vec((n, width), pred.rows.concat())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(out.into_pyarray(py))
}

/// The model's predictions for `x` (a matrix, or a DataFrame's table), computed without the
/// interpreter lock.
fn predictions_of<M: occam::Fitted + Clone + Send>(
    py: Python<'_>,
    model: &M,
    x: &Bound<'_, PyAny>,
) -> PyResult<occam::Predictions> {
    let mut model = model.clone();
    match table_of(x)? {
        Some((t, _)) => py.allow_threads(|| model.predict_table(&t, occam::HandleUnknown::Error)),
        None => {
            let m = matrix_of(x)?;
            py.allow_threads(|| model.predict(&m))
        }
    }
    .map_err(py_err)
}

/// Loads the model of any run folder the package knows: a linear path (`LinearFit`) or a
/// network (`NetworkFit`).
#[pyfunction]
fn load_model(py: Python<'_>, dir: PathBuf) -> PyResult<PyObject> {
    Ok(match occam::Model::load(&dir).map_err(py_err)? {
        occam::Model::Linear(model) => linear::linear_fit(&dir, model)?
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        occam::Model::Network(model) => network::network_fit(&dir, *model)?
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        occam::Model::Bayes(model) => bayes::bayes_fit(&dir, *model)?
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        _ => {
            return Err(PyTypeError::new_err(format!(
                "{} holds a text, recommender or forecaster model, which the Python package \
                 does not load yet (use occam predict)",
                dir.display()
            )))
        }
    })
}

/// A federated client process's main: `fed_processes=True` starts this interpreter with it.
#[pyfunction]
fn _fed_client() -> PyResult<()> {
    occam::fedproc::serve().map_err(py_err)
}

#[pymodule]
fn _occam(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // federated client processes are this interpreter running `_fed_client`
    let exe: String = m.py().import("sys")?.getattr("executable")?.extract()?;
    if !exe.is_empty() {
        occam::fedproc::register_client(
            exe.into(),
            vec![
                "-c".into(),
                "from occam import _occam; _occam._fed_client()".into(),
            ],
        );
    }
    m.add_function(wrap_pyfunction!(_fed_client, m)?)?;
    m.add_class::<linear::LinearFit>()?;
    m.add_function(wrap_pyfunction!(linear::fit_linear, m)?)?;
    m.add_function(wrap_pyfunction!(linear::cv_folds, m)?)?;
    m.add_function(wrap_pyfunction!(linear::cv_score_fold, m)?)?;
    m.add_function(wrap_pyfunction!(linear::load_linear, m)?)?;
    m.add_class::<network::NetworkFit>()?;
    m.add_function(wrap_pyfunction!(network::fit_mlp, m)?)?;
    m.add_function(wrap_pyfunction!(network::load_network, m)?)?;
    m.add_function(wrap_pyfunction!(load_model, m)?)?;
    m.add_function(wrap_pyfunction!(privacy::privacy_epsilon, m)?)?;
    m.add_function(wrap_pyfunction!(privacy::privacy_noise, m)?)?;
    m.add_class::<explain::ExplainFit>()?;
    m.add_class::<bayes::BayesFit>()?;
    m.add_function(wrap_pyfunction!(bayes::fit_bayes, m)?)?;
    m.add_function(wrap_pyfunction!(bayes::load_bayes, m)?)?;
    m.add_class::<select::SelectionFit>()?;
    m.add_function(wrap_pyfunction!(select::stability_selection, m)?)?;
    m.add_function(wrap_pyfunction!(select::report_run, m)?)?;
    m.add_class::<tune::TuneRun>()?;
    m.add_function(wrap_pyfunction!(tune::tune_setup, m)?)?;
    m.add_function(wrap_pyfunction!(tune::tune_score_fold, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
