//! Bayesian ridge and ARD for the Python package: the facade's `BayesLinear` fitted on the
//! data, its posterior and learned precisions as arrays, predictions with their standard
//! deviations, and the run folder the command line's `occam linear bayes` writes.

use crate::{interruptible, predictions_of, py_err, write_report};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use occam::results::BayesResult;
use occam::{BayesConfig, BayesKind, BayesLinear, BayesModel, Estimator, Mode};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// A fitted Bayesian ridge or ARD model.
#[pyclass(module = "occam._occam")]
pub struct BayesFit {
    model: BayesModel,
    result: Option<BayesResult>,
}

/// Per row, the posterior mean and the predictive standard deviation.
type MeanStd<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

fn array1<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyArray1<f64>> {
    v.to_vec().into_pyarray(py)
}

#[pymethods]
impl BayesFit {
    /// "ridge" or "ard".
    #[getter]
    fn kind(&self) -> &'static str {
        match self.model.fit.kind {
            BayesKind::Ridge => "ridge",
            BayesKind::Ard => "ard",
        }
    }

    #[getter]
    fn coef<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, &self.model.fit.coef)
    }

    #[getter]
    fn intercept(&self) -> f64 {
        self.model.fit.intercept
    }

    #[getter]
    fn alpha(&self) -> f64 {
        self.model.fit.alpha
    }

    /// One precision (ridge) or one per feature (ARD).
    #[getter]
    fn lambda_<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, &self.model.fit.lambda)
    }

    /// The posterior covariance over the kept features (all for ridge).
    #[getter]
    fn sigma<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let k = self.model.fit.kept.len();
        let a = numpy::ndarray::Array2::from_shape_vec((k, k), self.model.fit.sigma.clone())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(a.into_pyarray(py))
    }

    #[getter]
    fn kept(&self) -> Vec<usize> {
        self.model.fit.kept.clone()
    }

    #[getter]
    fn scores<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, &self.model.fit.scores)
    }

    #[getter]
    fn n_iter(&self) -> usize {
        self.model.fit.n_iter
    }

    #[getter]
    fn x_offset<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, &self.model.fit.x_offset)
    }

    /// (posterior mean, predictive standard deviation) of each row of `x`.
    fn predict<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<MeanStd<'py>> {
        let pred = predictions_of(py, &self.model, x)?;
        let mean: Vec<f64> = pred.rows.iter().map(|r| r[0]).collect();
        let sd = pred.std.unwrap_or_default();
        Ok((mean.into_pyarray(py), sd.into_pyarray(py)))
    }

    /// Writes the run folder `dir` that `occam predict` and `occam report` read (the model and
    /// bayes.json); `force` replaces a run already there.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, dir: PathBuf, force: bool) -> PyResult<()> {
        let mode = if force { Mode::Force } else { Mode::New };
        let mut run =
            occam::RunFolder::create(&dir, occam::RunKind::Bayes, mode).map_err(py_err)?;
        if let Some(r) = &self.result {
            run.write_json("bayes.json", r).map_err(py_err)?;
        }
        self.model.save(&mut run).map_err(py_err)
    }

    /// `save` into `dir`, then its report.html (the page `occam report` draws).
    #[pyo3(signature = (dir, force = false))]
    fn report(&self, dir: PathBuf, force: bool) -> PyResult<PathBuf> {
        self.save(dir.clone(), force)?;
        write_report(&dir)
    }

    /// (feature names, class labels, raw columns, categorical raw columns).
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
            occam::Model::Bayes(Box::new(self.model.clone())),
            &self.model.preprocess,
            x,
            y,
            params,
        )
    }

    /// The table the command line prints.
    fn summary(&self) -> String {
        self.result
            .as_ref()
            .map_or_else(String::new, |r| r.to_string())
    }
}

/// Fits Bayesian ridge (`kind` "ridge") or ARD ("ard") on `data`; `params` are
/// scikit-learn's names (`max_iter`, `tol`, `alpha_1`, `alpha_2`, `lambda_1`, `lambda_2`,
/// `alpha_init`, `lambda_init`, `compute_score`, `fit_intercept`, `threshold_lambda`) and
/// `sample_weight` (ridge).
#[pyfunction]
#[pyo3(signature = (data, kind, **params))]
pub fn fit_bayes(
    py: Python<'_>,
    data: crate::Input<'_>,
    kind: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<BayesFit> {
    let d = data.dataset()?;
    let mut est = match kind {
        "ridge" => BayesLinear::ridge(),
        "ard" => BayesLinear::ard(),
        _ => {
            return Err(PyValueError::new_err(format!(
                "kind: '{kind}' is not ridge or ard"
            )))
        }
    };
    let c: &mut BayesConfig = &mut est.config;
    if let Some(kw) = params {
        for (k, v) in kw.iter() {
            let name: String = k.extract()?;
            if v.is_none() {
                continue;
            }
            let bad = |e: PyErr| PyTypeError::new_err(format!("{name}: {e}"));
            match name.as_str() {
                "max_iter" => c.max_iter = v.extract().map_err(bad)?,
                "tol" => c.tol = v.extract().map_err(bad)?,
                "alpha_1" => c.alpha_1 = v.extract().map_err(bad)?,
                "alpha_2" => c.alpha_2 = v.extract().map_err(bad)?,
                "lambda_1" => c.lambda_1 = v.extract().map_err(bad)?,
                "lambda_2" => c.lambda_2 = v.extract().map_err(bad)?,
                "alpha_init" => c.alpha_init = Some(v.extract().map_err(bad)?),
                "lambda_init" => c.lambda_init = Some(v.extract().map_err(bad)?),
                "compute_score" => c.compute_score = v.extract().map_err(bad)?,
                "fit_intercept" => c.fit_intercept = v.extract().map_err(bad)?,
                "threshold_lambda" => c.threshold_lambda = v.extract().map_err(bad)?,
                "sample_weight" => est.weights = Some(v.extract().map_err(bad)?),
                _ => return Err(PyTypeError::new_err(format!("unknown parameter '{name}'"))),
            }
        }
    }
    let start = std::time::Instant::now();
    let model = interruptible(py, |_stop| est.fit(&d))?.map_err(py_err)?;
    let result = BayesResult::new(&model, &d, start.elapsed().as_secs_f64()).map_err(py_err)?;
    Ok(BayesFit {
        model,
        result: Some(result),
    })
}

/// The fit of `model`, loaded from the run folder `dir` with its bayes.json.
pub fn bayes_fit(dir: &std::path::Path, model: BayesModel) -> PyResult<BayesFit> {
    let run = occam::RunFolder::open(dir).map_err(py_err)?;
    Ok(BayesFit {
        model,
        result: run.read_json::<BayesResult>("bayes.json").ok(),
    })
}

/// Loads the Bayesian linear model of a run folder written by `save` or `occam linear bayes`.
#[pyfunction]
pub fn load_bayes(dir: PathBuf) -> PyResult<BayesFit> {
    match occam::Model::load(&dir).map_err(py_err)? {
        occam::Model::Bayes(model) => bayes_fit(&dir, *model),
        _ => Err(PyTypeError::new_err(format!(
            "{} holds a model that is not Bayesian ridge or ARD",
            dir.display()
        ))),
    }
}
