//! `occam._occam`: the compiled core of the Python package. It stands on the facade crate
//! only: a NumPy matrix and target become an `occam::Dataset`, the facade's estimators fit
//! it, and the fitted model (with its run folder, shared with the CLI) comes back as a
//! Python object. The scikit-learn classes of `occam/linear.py` wrap it.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2};
use occam::results::{CvResult, LinearResult};
use occam::{Dataset, Family, Linear, LinearCv, LinearModel, Matrix, Measure, Mode, Rule, Task};
use occam_core::dataset::ColumnSpec;
use occam_core::DenseMatrix;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;

mod network;

/// A facade error as a Python exception: a bad parameter or bad data is a `ValueError`
/// whose message names the parameter; a file that cannot be read is an `OSError`.
fn py_err(e: occam::Error) -> PyErr {
    match e {
        occam::Error::Io { .. } => pyo3::exceptions::PyOSError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
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
        let cols: Vec<Vec<f64>> = (0..p).map(|j| x.column(j).to_vec()).collect();
        return Ok(Matrix::Dense(DenseMatrix::from_columns(n, cols)));
    }
    match x.extract::<CscParts<'_>>() {
        Ok(parts) => csc_matrix(parts),
        Err(_) => Err(PyTypeError::new_err(
            "X must be a float64 NumPy matrix or the CSC parts of a SciPy sparse matrix",
        )),
    }
}

/// The data set of a matrix `x` (rows x features), its target `y` (class indices for
/// classifiers) and names; every feature a numeric column, so a saved model reads a CSV by
/// these names.
fn dataset(
    x: &Bound<'_, PyAny>,
    y: PyReadonlyArray1<f64>,
    task: &str,
    feature_names: Vec<String>,
    classes: Vec<String>,
) -> PyResult<Dataset> {
    let x = matrix_of(x)?;
    let (n, p) = (x.nrows(), x.ncols());
    if feature_names.len() != p {
        return Err(PyValueError::new_err(format!(
            "{} feature names for {p} columns",
            feature_names.len()
        )));
    }
    let y = y.as_array().to_vec();
    if y.len() != n {
        return Err(PyValueError::new_err(format!(
            "X has {n} rows but y has {}",
            y.len()
        )));
    }
    let task = match task {
        "regression" => Task::Regression,
        "counts" => Task::Counts,
        "binary" => Task::Binary,
        "multiclass" => Task::Multiclass,
        t => return Err(PyValueError::new_err(format!("unknown task '{t}'"))),
    };
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

/// Intercepts per class and coefficients per class and feature.
type Coef<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>);

/// A fitted linear path (and its cross-validation, when it was cross-validated).
#[pyclass(module = "occam._occam")]
struct LinearFit {
    model: LinearModel,
    cv: Option<CvResult>,
    path: Option<LinearResult>,
}

#[pymethods]
impl LinearFit {
    /// The fitted lambdas, largest first.
    #[getter]
    fn lambdas<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.model.lambdas.clone().into_pyarray(py)
    }

    /// The lambda `predict` uses (`None` for a path fitted without CV and no lambda set).
    #[getter]
    fn lambda_(&self) -> Option<f64> {
        self.model.lambda
    }

    #[getter]
    fn lambda_min(&self) -> Option<f64> {
        self.model.cv.as_ref().map(|c| c.lambda_min)
    }

    #[getter]
    fn lambda_1se(&self) -> Option<f64> {
        self.model.cv.as_ref().map(|c| c.lambda_1se)
    }

    /// Mean cross-validated loss per lambda.
    #[getter]
    fn cv_mean<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.cv.as_ref().map(|c| c.cvm.clone().into_pyarray(py))
    }

    /// Its standard error per lambda.
    #[getter]
    fn cv_se<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.cv.as_ref().map(|c| c.cvsd.clone().into_pyarray(py))
    }

    /// Coefficients on the original scale, `[class, feature, lambda]`.
    #[getter]
    fn coef_path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let b = &self.model.beta;
        let (k, l) = (b.len(), self.model.lambdas.len());
        let p = b.first().and_then(|c| c.first()).map_or(0, Vec::len);
        let mut out = numpy::ndarray::Array3::<f64>::zeros((k, p, l));
        for (c, per_lambda) in b.iter().enumerate() {
            for (li, beta) in per_lambda.iter().enumerate() {
                for (j, v) in beta.iter().enumerate() {
                    out[[c, j, li]] = *v;
                }
            }
        }
        Ok(out.into_pyarray(py))
    }

    /// Intercepts `[class, lambda]`.
    #[getter]
    fn intercept_path<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let a0 = &self.model.a0;
        let (l, k) = (a0.len(), a0.first().map_or(0, Vec::len));
        let mut out = numpy::ndarray::Array2::<f64>::zeros((k, l));
        for (li, per_class) in a0.iter().enumerate() {
            for (c, v) in per_class.iter().enumerate() {
                out[[c, li]] = *v;
            }
        }
        out.into_pyarray(py)
    }

    /// `(intercepts[class], coefficients[class, feature])` at the model's lambda.
    fn coef<'py>(&self, py: Python<'py>) -> PyResult<Coef<'py>> {
        let (a0, beta) = self.model.coef().map_err(py_err)?;
        let rows = beta.len();
        let cols = beta.first().map_or(0, Vec::len);
        let flat: Vec<f64> = beta.concat();
        let beta = numpy::ndarray::Array2::from_shape_vec((rows, cols), flat)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((a0.into_pyarray(py), beta.into_pyarray(py)))
    }

    /// Predicts at `lambda_` (glmnet's interpolation between fitted lambdas).
    fn set_lambda(&mut self, lambda_: f64) -> PyResult<()> {
        self.model.set_lambda(lambda_).map_err(py_err)
    }

    /// Per row: the value (regression, counts), P(second class) (binary) or the class
    /// probabilities (multiclass).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = matrix_of(x)?;
        let n = m.nrows();
        let mut model = self.model.clone();
        let pred = occam::Fitted::predict(&mut model, &m).map_err(py_err)?;
        let width = pred.rows.first().map_or(1, Vec::len);
        let out = numpy::ndarray::Array2::from_shape_vec((n, width), pred.rows.concat())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(out.into_pyarray(py))
    }

    /// Writes the run folder `dir` that `occam predict` and `occam report` read: the model,
    /// and cv.json or path.json. `force` replaces a run already there.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, dir: PathBuf, force: bool) -> PyResult<()> {
        let mode = if force { Mode::Force } else { Mode::New };
        let kind = occam::Fitted::run_kind(&self.model);
        let mut run = occam::RunFolder::create(&dir, kind, mode).map_err(py_err)?;
        if let Some(cv) = &self.cv {
            run.write_json("cv.json", cv).map_err(py_err)?;
        }
        if let Some(path) = &self.path {
            run.write_json("path.json", path).map_err(py_err)?;
        }
        occam::Fitted::save(&self.model, &mut run).map_err(py_err)
    }

    /// The GLM family: gaussian, binomial, multinomial or poisson.
    #[getter]
    fn family(&self) -> &'static str {
        self.model.family.name()
    }

    /// Whether the path was cross-validated.
    #[getter]
    fn is_cv(&self) -> bool {
        self.model.cv.is_some()
    }

    /// `save` into `dir`, then the run's report.html, the page `occam report` draws
    /// (coefficient paths, the CV curve, the selected features). Returns the page's path.
    #[pyo3(signature = (dir, force = false))]
    fn report(&self, dir: PathBuf, force: bool) -> PyResult<PathBuf> {
        self.save(dir.clone(), force)?;
        write_report(&dir)
    }

    /// The feature names, in column order.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.model.preprocess.feature_names.clone()
    }

    /// The class labels (classifiers), in the order of the probabilities.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.model.preprocess.classes.clone()
    }

    /// The glmnet-style summary the CLI prints.
    fn summary(&self) -> String {
        match (&self.cv, &self.path) {
            (Some(cv), _) => cv.to_string(),
            (None, Some(p)) => p.to_string(),
            (None, None) => String::new(),
        }
    }
}

/// Fits the elastic-net path (and, with `folds`, its k-fold CV) on `x`, `y`.
#[pyfunction]
#[pyo3(signature = (
    x, y, task, feature_names, classes, *, family = None, l1_ratio = 1.0, n_lambdas = 100,
    lambda_min_ratio = None, lambdas = None, penalty_factor = None, standardize = true,
    fit_intercept = true, tol = 1e-7, gap_tol = None, relax = None, folds = None,
    foldid = None, measure = "deviance", seed = 1, rule = "1se"
))]
#[allow(clippy::too_many_arguments)]
fn fit_linear(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: PyReadonlyArray1<f64>,
    task: &str,
    feature_names: Vec<String>,
    classes: Vec<String>,
    family: Option<&str>,
    l1_ratio: f64,
    n_lambdas: usize,
    lambda_min_ratio: Option<f64>,
    lambdas: Option<Vec<f64>>,
    penalty_factor: Option<Vec<f64>>,
    standardize: bool,
    fit_intercept: bool,
    tol: f64,
    gap_tol: Option<f64>,
    relax: Option<f64>,
    folds: Option<usize>,
    foldid: Option<Vec<usize>>,
    measure: &str,
    seed: u64,
    rule: &str,
) -> PyResult<LinearFit> {
    let d = dataset(x, y, task, feature_names, classes)?;
    let family = family
        .map(Family::parse)
        .transpose()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let lin = Linear {
        family,
        alpha: l1_ratio,
        nlambda: n_lambdas,
        lambda_min_ratio,
        lambda: lambdas,
        penalty_factor,
        standardize,
        intercept: fit_intercept,
        tol,
        gap_tol,
        grouped: false,
        relax,
    };
    // The fit runs without the interpreter lock: other Python threads go on meanwhile.
    match folds {
        Some(folds) => {
            let fam = lin.family.unwrap_or(Family::for_task(d.task));
            let est = LinearCv {
                path: lin,
                folds,
                foldid,
                measure: Measure::parse(measure, fam)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?,
                seed,
                rule: Rule::parse(rule).map_err(py_err)?,
            };
            let (model, cv) = py.allow_threads(|| est.fit_cv(&d)).map_err(py_err)?;
            let cv = CvResult::new(&cv, &d);
            Ok(LinearFit {
                model,
                cv: Some(cv),
                path: None,
            })
        }
        None => {
            let cfg = lin.path_config(&d).map_err(py_err)?;
            let fit = py
                .allow_threads(|| occam_linear::fit_path(&d.x, &d.y, &cfg, lin.relax))
                .map_err(|e| py_err(e.into()))?;
            let path = LinearResult::new(&fit, &d);
            Ok(LinearFit {
                model: LinearModel::from_path(&d, fit, None),
                cv: None,
                path: Some(path),
            })
        }
    }
}

/// The linear fit of `model`, loaded from the run folder `dir` with its cv.json or path.json.
fn linear_fit(dir: &std::path::Path, model: LinearModel) -> PyResult<LinearFit> {
    let run = occam::RunFolder::open(dir).map_err(py_err)?;
    let cv = run.read_json::<CvResult>("cv.json").ok();
    let path = run.read_json::<LinearResult>("path.json").ok();
    Ok(LinearFit { model, cv, path })
}

/// Loads the linear model of a run folder written by `save` or by `occam linear cv|path`.
#[pyfunction]
fn load_linear(dir: PathBuf) -> PyResult<LinearFit> {
    match occam::Model::load(&dir).map_err(py_err)? {
        occam::Model::Linear(model) => linear_fit(&dir, model),
        _ => Err(PyTypeError::new_err(format!(
            "{} holds a model that is not a linear path",
            dir.display()
        ))),
    }
}

/// Loads the model of any run folder the package knows: a linear path (`LinearFit`) or a
/// network (`NetworkFit`).
#[pyfunction]
fn load_model(py: Python<'_>, dir: PathBuf) -> PyResult<PyObject> {
    Ok(match occam::Model::load(&dir).map_err(py_err)? {
        occam::Model::Linear(model) => linear_fit(&dir, model)?
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        occam::Model::Network(model) => network::network_fit(&dir, *model)?
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

#[pymodule]
fn _occam(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LinearFit>()?;
    m.add_function(wrap_pyfunction!(fit_linear, m)?)?;
    m.add_function(wrap_pyfunction!(load_linear, m)?)?;
    m.add_class::<network::NetworkFit>()?;
    m.add_function(wrap_pyfunction!(network::fit_mlp, m)?)?;
    m.add_function(wrap_pyfunction!(network::load_network, m)?)?;
    m.add_function(wrap_pyfunction!(load_model, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
