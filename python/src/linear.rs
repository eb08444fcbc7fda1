//! The linear paths of the Python package: the elastic-net path and its k-fold CV, in one
//! call or in stages (folds, one fold's scores, their combination) so that Python can send
//! the folds through joblib to a cluster and get the same numbers.

use crate::{interruptible, predict_with, py_err, write_report};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use occam::results::{CvResult, LinearResult};
use occam::{Family, Linear, LinearCv, LinearModel, Measure, Mode, PathFit, Rule};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// The keyword arguments of the linear functions: the path's and the CV's settings, by the
/// Python package's names. An unknown name is a `TypeError`; a value of the wrong type a
/// `TypeError` naming it.
pub(crate) struct Params {
    pub(crate) lin: Linear,
    folds: usize,
    foldid: Option<Vec<usize>>,
    measure: String,
    seed: u64,
    rule: String,
}

impl Params {
    pub(crate) fn read(kw: Option<&Bound<'_, PyDict>>) -> PyResult<Params> {
        let mut p = Params {
            lin: Linear::default(),
            folds: 10,
            foldid: None,
            measure: "deviance".into(),
            seed: 1,
            rule: "1se".into(),
        };
        let Some(kw) = kw else { return Ok(p) };
        for (k, v) in kw.iter() {
            let name: String = k.extract()?;
            if v.is_none() {
                continue;
            }
            let bad = |e: PyErr| PyTypeError::new_err(format!("{name}: {e}"));
            let l = &mut p.lin;
            match name.as_str() {
                "family" => {
                    let f: String = v.extract().map_err(bad)?;
                    l.family =
                        Some(Family::parse(&f).map_err(|e| PyValueError::new_err(e.to_string()))?);
                }
                "l1_ratio" => l.alpha = v.extract().map_err(bad)?,
                "n_lambdas" => l.nlambda = v.extract().map_err(bad)?,
                "lambda_min_ratio" => l.lambda_min_ratio = Some(v.extract().map_err(bad)?),
                "lambdas" => l.lambda = Some(v.extract().map_err(bad)?),
                "penalty_factor" => l.penalty_factor = Some(v.extract().map_err(bad)?),
                "standardize" => l.standardize = v.extract().map_err(bad)?,
                "fit_intercept" => l.intercept = v.extract().map_err(bad)?,
                "tol" => l.tol = v.extract().map_err(bad)?,
                "gap_tol" => l.gap_tol = Some(v.extract().map_err(bad)?),
                "relax" => l.relax = Some(v.extract().map_err(bad)?),
                "weights" => l.weights = Some(v.extract().map_err(bad)?),
                "folds" => p.folds = v.extract().map_err(bad)?,
                "foldid" => p.foldid = Some(v.extract().map_err(bad)?),
                "measure" => p.measure = v.extract().map_err(bad)?,
                "seed" => p.seed = v.extract().map_err(bad)?,
                "rule" => p.rule = v.extract().map_err(bad)?,
                _ => return Err(PyTypeError::new_err(format!("unknown parameter '{name}'"))),
            }
        }
        Ok(p)
    }

    /// The cross-validated estimator on `d` (its family's measure).
    fn cv(self, d: &occam::Dataset) -> PyResult<LinearCv> {
        let fam = self.lin.family.unwrap_or(Family::for_task(d.task));
        Ok(LinearCv {
            measure: Measure::parse(&self.measure, fam)
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
            rule: Rule::parse(&self.rule).map_err(py_err)?,
            path: self.lin,
            folds: self.folds,
            foldid: self.foldid,
            seed: self.seed,
        })
    }
}

/// Intercepts per class and coefficients per class and feature.
type Coef<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>);

/// A fitted linear path (and its cross-validation, when it was cross-validated).
#[pyclass(module = "occam._occam")]
pub struct LinearFit {
    model: LinearModel,
    cv: Option<CvResult>,
    path: Option<LinearResult>,
    /// The path as fitted (a path fitted here, not loaded): what `with_cv` combines the
    /// folds with.
    full: Option<PathFit>,
}

#[pymethods]
impl LinearFit {
    /// This path (fitted here on `x`, `y`, with `params` as `fit_linear`'s) cross-validated by
    /// the folds' scores `per_fold` (`cv_score_fold`'s, in fold order) over the folds
    /// `fold_of` (each row's 0-based fold, `cv_folds`'s), all of it taking `seconds`.
    #[pyo3(signature = (data, fold_of, per_fold, seconds, **params))]
    #[allow(clippy::too_many_arguments)]
    fn with_cv(
        &self,
        data: crate::Input<'_>,
        fold_of: Vec<usize>,
        per_fold: Vec<(Vec<f64>, f64)>,
        seconds: f64,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<LinearFit> {
        let d = data.dataset()?;
        let est = Params::read(params)?.cv(&d)?;
        let full = self.full.clone().ok_or_else(|| {
            PyValueError::new_err("with_cv needs a path fitted here, not a loaded one")
        })?;
        let (model, cv) = est
            .combine(&d, full, &per_fold, fold_of, seconds)
            .map_err(py_err)?;
        Ok(LinearFit {
            model,
            cv: Some(CvResult::new(&cv, &d)),
            path: None,
            full: None,
        })
    }

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
        predict_with(py, &self.model, x)
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

    /// Seconds the core spent fitting (the path, or the whole cross-validation), as it
    /// measured them: what a Python call adds is the rest.
    #[getter]
    fn core_seconds(&self) -> Option<f64> {
        match (&self.cv, &self.full) {
            (Some(cv), _) => Some(cv.cv_seconds),
            (None, Some(full)) => Some(full.fit_seconds),
            (None, None) => self.path.as_ref().map(|p| p.fit_seconds),
        }
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

    /// (feature names, class labels, raw columns, categorical raw columns): the features in
    /// column order, the classes in the order of the probabilities, the columns of a CSV or
    /// DataFrame the model reads and the ones it one-hot encodes.
    #[getter]
    fn schema(&self) -> crate::Schema {
        crate::schema(&self.model.preprocess)
    }

    /// Explains the model on `x` (`y`: the targets, coded as in training, for permutation);
    /// `params` as `explain::explain_model`'s.
    #[pyo3(signature = (x, y = None, **params))]
    fn explain(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: Option<Vec<f64>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<crate::explain::ExplainFit> {
        crate::explain::explain_model(
            py,
            occam::Model::Linear(self.model.clone()),
            &self.model.preprocess,
            x,
            y,
            params,
        )
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

/// Fits the elastic-net path (and, with `folds`, its k-fold CV, the folds in parallel) on
/// `x`, `y`; `params` as [`Params`].
#[pyfunction]
#[pyo3(signature = (data, **params))]
pub fn fit_linear(
    py: Python<'_>,
    data: crate::Input<'_>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<LinearFit> {
    let d = data.dataset()?;
    let cross = params.is_some_and(|p| p.contains("folds").unwrap_or(false));
    let p = Params::read(params)?;
    // The fit runs without the interpreter lock: other Python threads go on meanwhile.
    if cross {
        let est = p.cv(&d)?;
        let (model, cv) = interruptible(py, |stop| {
            est.fit_interruptible(&d, &|| {}, &|| !stop.load(Ordering::Relaxed))
        })?
        .map_err(py_err)?;
        return Ok(LinearFit {
            model,
            cv: Some(CvResult::new(&cv, &d)),
            path: None,
            full: None,
        });
    }
    let lin = p.lin;
    let cfg = lin.path_config(&d).map_err(py_err)?;
    let fit = interruptible(py, |stop| {
        let go_on = |_, _| !stop.load(Ordering::Relaxed);
        occam_linear::fit_path_with_progress(&d.x, &d.y, &cfg, lin.relax, &go_on)
    })?
    .map_err(|e| py_err(e.into()))?;
    Ok(LinearFit {
        path: Some(LinearResult::new(&fit, &d)),
        model: LinearModel::from_path(&d, fit.clone(), None),
        cv: None,
        full: Some(fit),
    })
}

/// The folds of a cross-validation of `x`, `y` with `params`: each row's fold (0-based).
#[pyfunction]
#[pyo3(signature = (data, **params))]
pub fn cv_folds(
    data: crate::Input<'_>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<usize>> {
    let d = data.dataset()?;
    let est = Params::read(params)?.cv(&d)?;
    Ok(est.folds(&d).map_err(py_err)?.0)
}

/// One fold of a cross-validation (a joblib task): the path fitted without fold `fold` of
/// `fold_of`, scored on its rows at `score_at` (the full path's lambdas); returns (scores, rows).
#[pyfunction]
#[pyo3(signature = (data, fold_of, fold, score_at, **params))]
#[allow(clippy::too_many_arguments)]
pub fn cv_score_fold(
    py: Python<'_>,
    data: crate::Input<'_>,
    fold_of: Vec<usize>,
    fold: usize,
    score_at: Vec<f64>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Vec<f64>, f64)> {
    let d = data.dataset()?;
    let est = Params::read(params)?.cv(&d)?;
    py.allow_threads(|| est.score_fold(&d, &fold_of, fold, &score_at))
        .map_err(py_err)
}

/// The linear fit of `model`, loaded from the run folder `dir` with its cv.json or path.json.
pub fn linear_fit(dir: &std::path::Path, model: LinearModel) -> PyResult<LinearFit> {
    let run = occam::RunFolder::open(dir).map_err(py_err)?;
    let cv = run.read_json::<CvResult>("cv.json").ok();
    let path = run.read_json::<LinearResult>("path.json").ok();
    Ok(LinearFit {
        model,
        cv,
        path,
        full: None,
    })
}

/// Loads the linear model of a run folder written by `save` or by `occam linear cv|path`.
#[pyfunction]
pub fn load_linear(dir: PathBuf) -> PyResult<LinearFit> {
    match occam::Model::load(&dir).map_err(py_err)? {
        occam::Model::Linear(model) => linear_fit(&dir, model),
        _ => Err(PyTypeError::new_err(format!(
            "{} holds a model that is not a linear path",
            dir.display()
        ))),
    }
}
