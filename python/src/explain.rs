//! Explanations for the Python package (`explain(X, y)` on fitted estimators): the facade's
//! `occam::explain` on the estimator's model, and the run folder `occam explain` writes.

use crate::{features_of, py_err, write_report};
use numpy::{IntoPyArray, PyArray2};
use occam::explain::{self, Baseline, ExplainOptions, Explanation, Method, Quadrature};
use occam::{Mode, Model, Preprocessor};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// An explanation: importance (most important first) and, for SHAP, per-row attributions.
#[pyclass(module = "occam._occam")]
pub struct ExplainFit {
    e: Explanation,
}

#[pymethods]
impl ExplainFit {
    /// "shap", "permutation", "ig", "gradxinput" or "smoothgrad".
    #[getter]
    fn method(&self) -> &'static str {
        self.e.method.name()
    }

    /// (feature or "a+b" group, importance, standard error), most important first.
    #[getter]
    fn importance(&self) -> Vec<(String, f64, f64)> {
        self.e
            .importance
            .iter()
            .map(|r| (r.feature.clone(), r.importance, r.se))
            .collect()
    }

    /// Attributions per row and feature (SHAP values, integrated gradients, ...; None for
    /// permutation).
    #[getter]
    fn attributions<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        let Some(a) = &self.e.attributions else {
            return Ok(None);
        };
        let (n, p) = (a.len(), self.e.feature_names.len());
        let arr = numpy::ndarray::Array2::from_shape_vec((n, p), a.concat())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Some(arr.into_pyarray(py)))
    }

    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.e.feature_names.clone()
    }

    #[getter]
    fn base_value(&self) -> Option<f64> {
        self.e.base_value
    }

    #[getter]
    fn completeness_error(&self) -> Option<f64> {
        self.e.completeness_error
    }

    #[getter]
    fn baseline_score(&self) -> Option<f64> {
        self.e.baseline_score
    }

    #[getter]
    fn score(&self) -> Option<String> {
        self.e.score.clone()
    }

    /// Gradient methods: how they ran, a dict (output, baseline, baseline_values,
    /// quadrature, tol, steps, rows_over_tol, noise); None otherwise.
    #[getter]
    fn gradient<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(g) = &self.e.gradient else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("output", &g.output)?;
        d.set_item("baseline", &g.baseline)?;
        d.set_item("baseline_values", g.baseline_values.clone())?;
        d.set_item("quadrature", g.quadrature.clone())?;
        d.set_item("tol", g.tol)?;
        d.set_item("steps", g.steps)?;
        d.set_item("rows_over_tol", g.rows_over_tol)?;
        d.set_item("noise", g.noise)?;
        Ok(Some(d))
    }

    /// The model's selected features in their order of entry (linear models).
    #[getter]
    fn selected(&self) -> Vec<String> {
        self.e.selected.clone()
    }

    /// Writes the run folder `occam explain` writes (explain.json, importance.csv,
    /// attributions.csv); `force` replaces a run already there.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, dir: PathBuf, force: bool) -> PyResult<()> {
        let mode = if force { Mode::Force } else { Mode::New };
        let mut run =
            occam::RunFolder::create(&dir, occam::RunKind::Explain, mode).map_err(py_err)?;
        run.write("importance.csv", self.e.importance_csv().as_bytes())
            .map_err(py_err)?;
        if let Some(csv) = self.e.attributions_csv() {
            run.write("attributions.csv", csv.as_bytes())
                .map_err(py_err)?;
        }
        run.write_json("explain.json", &self.e).map_err(py_err)
    }

    /// `save`, then the report page. Returns its path.
    #[pyo3(signature = (dir, force = false))]
    fn report(&self, dir: PathBuf, force: bool) -> PyResult<PathBuf> {
        self.save(dir.clone(), force)?;
        write_report(&dir)
    }
}

/// Explains `model` (with its preprocessing `pre`) on `x` (a matrix, or a DataFrame's table)
/// and `y` (class codes or values; None for SHAP); `params`: method, repeats, seed,
/// group_corr, background (a matrix like x), class_, rows, and for the gradient methods
/// baseline (auto|mean|zero or one row of raw values), steps, tol (a number or "off"),
/// quadrature, samples, noise.
pub fn explain_model(
    py: Python<'_>,
    model: Model,
    pre: &Preprocessor,
    x: &Bound<'_, PyAny>,
    y: Option<Vec<f64>>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<ExplainFit> {
    let xm = features_of(x, pre)?;
    let linear = matches!(model, Model::Linear(_) | Model::Bayes(_));
    let mut opts = ExplainOptions {
        method: if linear {
            Method::Shap
        } else {
            Method::Permutation
        },
        ..ExplainOptions::default()
    };
    if let Some(kw) = params {
        for (k, v) in kw.iter() {
            let name: String = k.extract()?;
            if v.is_none() {
                continue;
            }
            let bad = |e: PyErr| PyTypeError::new_err(format!("{name}: {e}"));
            match name.as_str() {
                "method" => {
                    let m: String = v.extract().map_err(bad)?;
                    opts.method = Method::parse(&m).map_err(py_err)?;
                }
                "repeats" => opts.repeats = v.extract().map_err(bad)?,
                "seed" => opts.seed = v.extract().map_err(bad)?,
                "group_corr" => opts.group_corr = Some(v.extract().map_err(bad)?),
                "class_" => opts.class = Some(v.extract().map_err(bad)?),
                "rows" => opts.rows = v.extract().map_err(bad)?,
                "background" => {
                    let b = features_of(&v, pre)?;
                    opts.background = Some(explain::column_means(&b));
                }
                "baseline" => match v.extract::<String>() {
                    Ok(b) => opts.baseline = Baseline::parse(&b).map_err(py_err)?,
                    Err(_) => {
                        let b: Vec<f64> = v.extract().map_err(|_| {
                            PyTypeError::new_err(
                                "baseline: is neither auto, mean, zero nor one row of values",
                            )
                        })?;
                        opts.background = Some(b);
                    }
                },
                "steps" => opts.steps = v.extract().map_err(bad)?,
                "tol" => {
                    opts.tol = match v.extract::<String>() {
                        Ok(s) if s == "off" => None,
                        _ => Some(v.extract().map_err(bad)?),
                    }
                }
                "quadrature" => {
                    let q: String = v.extract().map_err(bad)?;
                    opts.quadrature = Quadrature::parse(&q).ok_or_else(|| {
                        PyValueError::new_err(format!(
                            "quadrature: '{q}' is not one of gausslegendre, riemann_left, \
                             riemann_right, riemann_middle, riemann_trapezoid"
                        ))
                    })?;
                }
                "samples" => opts.samples = v.extract().map_err(bad)?,
                "noise" => opts.noise = v.extract().map_err(bad)?,
                _ => return Err(PyTypeError::new_err(format!("unknown parameter '{name}'"))),
            }
        }
    }
    let e = py
        .allow_threads(|| explain::explain(&model, &xm, y.as_deref(), &opts))
        .map_err(py_err)?;
    Ok(ExplainFit { e })
}
