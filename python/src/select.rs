//! Stability selection from Python: the facade's `Stability` (the penalized GLM's path on
//! complementary half-samples) or `NetworkStability` (the network's L1 input layer), with
//! the same run folder and report as `occam select --stability`.

use crate::linear::Params;
use crate::{py_err, write_report};
use occam::select::{NetworkStability, Stability, StabilityFit};
use occam::{Mode, RunFolder, RunKind};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// A finished stability selection.
#[pyclass(module = "occam._occam")]
pub struct SelectionFit {
    fit: StabilityFit,
    feature_names: Vec<String>,
}

#[pymethods]
impl SelectionFit {
    /// Each feature's largest selection probability, in column order.
    #[getter]
    fn probabilities(&self) -> Vec<f64> {
        self.fit.selection_of(&self.feature_names).scores
    }

    /// Whether each feature is selected, in column order.
    #[getter]
    fn support(&self) -> Vec<bool> {
        self.fit.selection_of(&self.feature_names).support
    }

    /// The stable clusters of correlated features (each selected as a whole).
    #[getter]
    fn clusters(&self) -> Vec<Vec<String>> {
        let r = &self.fit.result;
        r.clusters
            .iter()
            .filter(|c| c.stable)
            .map(|c| c.members.clone())
            .collect()
    }

    /// The bound on the expected number of false selections.
    #[getter]
    fn error_bound(&self) -> f64 {
        self.fit.result.error_bound
    }

    /// The result (summary.json) in JSON.
    #[getter]
    fn result_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.fit.result).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Writes the run folder `dir` (stability.csv, summary.json) that `occam report` reads.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, dir: PathBuf, force: bool) -> PyResult<()> {
        let mode = if force { Mode::Force } else { Mode::New };
        let mut run = RunFolder::create(&dir, RunKind::Select, mode).map_err(py_err)?;
        self.fit.save(&mut run).map_err(py_err)
    }

    /// `save`, then the run's report.html, the page `occam report` draws.
    #[pyo3(signature = (dir, force = false))]
    fn report(&self, dir: PathBuf, force: bool) -> PyResult<PathBuf> {
        self.save(dir.clone(), force)?;
        write_report(&dir)
    }

    /// The summary the CLI prints.
    fn summary(&self) -> String {
        self.fit.to_string()
    }
}

/// Takes `name` out of `kw` as a `T` (the default when absent or None).
fn take<'py, T: FromPyObject<'py>>(kw: &Bound<'py, PyDict>, name: &str, default: T) -> PyResult<T> {
    let v = match kw.get_item(name)? {
        Some(v) => v,
        None => return Ok(default),
    };
    kw.del_item(name)?;
    if v.is_none() {
        return Ok(default);
    }
    v.extract()
        .map_err(|e| PyTypeError::new_err(format!("{name}: {e}")))
}

/// Stability selection on `x`, `y`. `params`: `estimator` ("linear" | "mlp"), `pairs`,
/// `threshold`, `test_fraction`, `seed`; linear: `weakness`, `q`, `cluster_corr` (None: no
/// clusters) and the path's settings (as `fit_linear`); mlp: `hidden`, `l1`, `epochs`, `lr`.
#[pyfunction]
#[pyo3(signature = (data, **params))]
pub fn stability_selection(
    py: Python<'_>,
    data: crate::Input<'_>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<SelectionFit> {
    let feature_names = data.names.clone();
    let d = data.dataset()?;
    let kw = match params {
        Some(p) => p.copy()?,
        None => PyDict::new(py),
    };
    let estimator: String = take(&kw, "estimator", "linear".to_string())?;
    let pairs = take(&kw, "pairs", 50usize)?;
    let threshold = take(&kw, "threshold", 0.6)?;
    let test_fraction = take(&kw, "test_fraction", 0.25)?;
    let seed = take(&kw, "seed", 0u64)?;
    let fit = match estimator.as_str() {
        "linear" => {
            let has_clusters = kw.contains("cluster_corr")?;
            let cluster_corr: Option<f64> = take(&kw, "cluster_corr", None)?;
            let est = Stability {
                weakness: take(&kw, "weakness", 0.8)?,
                q: take(&kw, "q", None)?,
                cluster_corr: if has_clusters {
                    cluster_corr
                } else {
                    Some(0.8)
                },
                linear: Params::read(Some(&kw))?.lin,
                pairs,
                threshold,
                test_fraction,
                seed,
            };
            py.allow_threads(|| est.fit(&d))
        }
        "mlp" => {
            let defaults = NetworkStability::default();
            let network = occam::Mlp {
                hidden: Some(take(&kw, "hidden", vec![16usize])?),
                epochs: take(&kw, "epochs", defaults.network.epochs)?,
                lr: Some(take(&kw, "lr", 1e-3)?),
                seed,
                ..defaults.network
            };
            let est = NetworkStability {
                l1: take(&kw, "l1", defaults.l1)?,
                network,
                pairs,
                threshold,
                test_fraction,
                seed,
            };
            if let Some(k) = kw.keys().iter().next() {
                return Err(PyTypeError::new_err(format!(
                    "unknown parameter '{k}' for the mlp estimator"
                )));
            }
            py.allow_threads(|| est.fit(&d))
        }
        e => {
            return Err(PyValueError::new_err(format!(
                "invalid value for estimator: '{e}' is not linear or mlp"
            )))
        }
    }
    .map_err(py_err)?;
    Ok(SelectionFit { fit, feature_names })
}

/// Writes report.html into the run folder `dir`, the page `occam report` draws.
#[pyfunction]
pub fn report_run(dir: PathBuf) -> PyResult<PathBuf> {
    write_report(&dir)
}
