//! The networks of the Python package: an MLP fitted through the facade's prepared run (the
//! split, scaling and training `occam train` does), its model and result, saved to the same
//! run folder.

use crate::{predict_with, py_err, write_report};
use numpy::{PyArray1, PyArray2, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn};
use occam::options::TrainOptions;
use occam::results::NetworkResult;
use occam::{Callback, MlpModel, Mode, RunFolder};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// Stops training when Python has a signal pending (Ctrl-C raises KeyboardInterrupt), checked
/// after every optimizer step; the fit itself runs without the interpreter lock.
#[derive(Default)]
struct Interrupt {
    raised: Option<PyErr>,
}

impl Interrupt {
    fn check(&mut self) -> Result<(), String> {
        match Python::with_gil(|py| py.check_signals()) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.raised = Some(e);
                Err("interrupted".into())
            }
        }
    }
}

impl Callback for Interrupt {
    fn on_step(&mut self, _: usize, _: usize, _: usize, _: f64) -> Result<(), String> {
        self.check()
    }
}

/// Predicted rows with a standard deviation per row, when the model gives one.
type RowsAndStd<'py> = (Bound<'py, PyArray2<f64>>, Option<Vec<f64>>);

/// A trained network with its preprocessing, and the result of its training (held-out
/// metrics, zeros per layer) when it was trained here or its run folder holds one.
#[pyclass(module = "occam._occam")]
pub struct NetworkFit {
    model: MlpModel,
    result: Option<NetworkResult>,
    /// metrics.csv: one row per epoch (empty when a loaded run folder had none).
    metrics: String,
}

impl NetworkFit {
    /// A network without a training record (a search's chosen network).
    pub fn of(model: MlpModel) -> NetworkFit {
        NetworkFit {
            metrics: occam::results::epochs_csv(&model.history),
            model,
            result: None,
        }
    }
}

#[pymethods]
impl NetworkFit {
    /// The network's parameters as float32 arrays of their shapes, in the network's order.
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyArrayDyn<f32>>>> {
        self.model
            .net
            .params()
            .iter()
            .map(|p| {
                PyArray1::from_slice(py, &p.value)
                    .reshape(p.shape.clone())
                    .map(|a| a.to_dyn().clone())
            })
            .collect()
    }

    /// Replaces the parameters by `weights` (as `weights()` gives them); refused for a network
    /// with a Laplace approximation, which belongs to the weights it was fitted at.
    fn set_weights(&mut self, weights: Vec<PyReadonlyArrayDyn<'_, f32>>) -> PyResult<()> {
        if self.model.laplace_meta().is_some() {
            return Err(PyValueError::new_err(
                "invalid value for weights: a network with a Laplace approximation keeps the \
                 weights it was fitted at",
            ));
        }
        let w: Vec<Vec<f32>> = weights
            .iter()
            .map(|a| a.as_array().iter().copied().collect())
            .collect();
        occam::mlp::warm::set_weights(&mut self.model.net, &w).map_err(py_err)
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

    /// MC dropout: the mean prediction of `samples` stochastic passes (as `predict`'s rows)
    /// and its spread per row (the value's sd, or the predicted class's probability's).
    fn predict_mc<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        samples: usize,
        seed: u64,
    ) -> PyResult<(Bound<'py, PyArray2<f64>>, Vec<f64>)> {
        let xm = crate::features_of(x, &self.model.preprocess)?;
        let mut model = self.model.clone();
        let pred = py
            .allow_threads(|| model.predict_mc(&xm, samples, seed))
            .map_err(py_err)?;
        Ok((crate::rows_array(py, &pred)?, pred.std.unwrap_or_default()))
    }

    /// `predict`'s rows with the per-row standard deviations of a network fitted with a
    /// Laplace approximation (None for classes, whose probabilities it moderates instead).
    fn predict_std<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<RowsAndStd<'py>> {
        let pred = crate::predictions_of(py, &self.model, x)?;
        Ok((crate::rows_array(py, &pred)?, pred.std))
    }

    /// The Laplace approximation's findings (None without one): its method, the prior
    /// precision, the noise sd in the target's units (regression), the log marginal
    /// likelihood, the effective number of parameters, the parameters it covers, and the
    /// validation NLL when the prior was chosen on validation rows.
    #[getter]
    fn laplace<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(m) = self.model.laplace_meta() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("method", &m.method)?;
        d.set_item("prior_precision", m.prior_precision)?;
        let sd = self.model.meta.preprocess.y_scale.map_or(1.0, |(_, s)| s);
        let gaussian = self.model.meta.task == occam::Task::Regression;
        d.set_item("noise_sd", gaussian.then_some(m.sigma_noise * sd))?;
        d.set_item("log_marglik", m.log_marglik)?;
        d.set_item("effective_params", m.effective_params)?;
        d.set_item("n_params", m.n_params)?;
        d.set_item("validation_nll", m.validation_nll)?;
        Ok(Some(d))
    }

    /// The L2 strengths learned from the evidence (`l2_evidence`), one dict per update:
    /// epoch, l2 (tensor name -> strength), noise_sd in the target's units (regression),
    /// log_marglik; empty without.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let Some(r) = &self.result else {
            return Ok(Vec::new());
        };
        let sd = self.model.meta.preprocess.y_scale.map_or(1.0, |(_, s)| s);
        let regression = self.model.meta.task == occam::Task::Regression;
        r.evidence
            .iter()
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("epoch", e.epoch)?;
                let l2 = PyDict::new(py);
                for (k, v) in &e.l2 {
                    l2.set_item(k, v)?;
                }
                d.set_item("l2", l2)?;
                d.set_item("noise_sd", regression.then_some(e.sigma_noise * sd))?;
                d.set_item("log_marglik", e.log_marglik)?;
                Ok(d)
            })
            .collect()
    }

    /// What variational dropout learned (`variational`), as summary.json writes it (a JSON
    /// text; None without): kind, threshold, kl_per_row, and per dense layer the zeros, the
    /// log alpha histogram of the kept weights and the learned dropout rates.
    #[getter]
    fn variational(&self) -> Option<String> {
        let v = self.result.as_ref()?.variational.as_ref()?;
        serde_json::to_string(v).ok()
    }

    /// What DP-SGD spent (`dp_epsilon` / `dp_noise_multiplier`), as model.json records it
    /// (a JSON text; None for a network trained without it).
    #[getter]
    fn privacy(&self) -> Option<String> {
        let p = self.model.meta.privacy.as_ref()?;
        serde_json::to_string(p).ok()
    }

    /// Clean and robust accuracy under PGD on the held-out rows (`robust_eval`), as
    /// summary.json writes it (a JSON text; None without).
    #[getter]
    fn robustness(&self) -> Option<String> {
        let r = self.result.as_ref()?.robustness.as_ref()?;
        serde_json::to_string(r).ok()
    }

    /// Federated training's settings and client rows (`federated`), as summary.json writes
    /// them (a JSON text; None without).
    #[getter]
    fn federated(&self) -> Option<String> {
        let r = self.result.as_ref()?.federated.as_ref()?;
        serde_json::to_string(r).ok()
    }

    /// Writes the run folder `dir` that `occam predict` and `occam report` read: the model,
    /// metrics.csv and summary.json. `force` replaces a run already there.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, dir: PathBuf, force: bool) -> PyResult<()> {
        let mode = if force { Mode::Force } else { Mode::New };
        let mut run = RunFolder::create(&dir, occam::RunKind::Mlp, mode).map_err(py_err)?;
        occam::network::save_run(&mut run, &self.model, &self.metrics, self.result.as_ref())
            .map_err(py_err)
    }

    /// `save` into `dir`, then the run's report.html, the page `occam report` draws.
    #[pyo3(signature = (dir, force = false))]
    fn report(&self, dir: PathBuf, force: bool) -> PyResult<PathBuf> {
        if self.result.is_none() {
            return Err(PyValueError::new_err(
                "this network has no training result to report (its run folder had no \
                 summary.json)",
            ));
        }
        self.save(dir.clone(), force)?;
        write_report(&dir)
    }

    /// (exact zeros, weights) of each dense layer's weight matrix, input layer first.
    #[getter]
    fn zeros_per_layer(&self) -> Vec<(usize, usize)> {
        self.model
            .net
            .dense()
            .iter()
            .map(|d| (d.weight.zeros(), d.weight.len()))
            .collect()
    }

    /// The input features whose first-layer weights are not all exactly zero.
    #[getter]
    fn selected_features(&self) -> Vec<String> {
        let dense = self.model.net.dense();
        let names = &self.model.meta.feature_names;
        dense.first().map_or_else(Vec::new, |first| {
            first
                .active_inputs()
                .into_iter()
                .filter_map(|j| names.get(j).cloned())
                .collect()
        })
    }

    /// metrics.csv: one row per epoch (the learning rate, the losses, the penalty, the
    /// validation metrics, the zeros per layer).
    #[getter]
    fn metrics_csv(&self) -> &str {
        &self.metrics
    }

    /// The training result (summary.json) in JSON, or `None`.
    #[getter]
    fn result_json(&self) -> PyResult<Option<String>> {
        self.result
            .as_ref()
            .map(|r| serde_json::to_string(r).map_err(|e| PyValueError::new_err(e.to_string())))
            .transpose()
    }

    /// regression, counts, binary or multiclass.
    #[getter]
    fn task(&self) -> &'static str {
        self.model.meta.task.name()
    }

    /// (feature names, class labels, raw columns, categorical raw columns): the features in
    /// column order, the classes in the order of the probabilities, the columns of a CSV or
    /// DataFrame the model reads and the ones it one-hot encodes.
    #[getter]
    fn schema(&self) -> crate::Schema {
        crate::schema(&self.model.preprocess)
    }

    /// Explains the network on `x` (`y`: the targets, coded as in training): permutation
    /// importance, integrated gradients, gradient x input or SmoothGrad; `params` as
    /// `explain::explain_model`'s.
    #[pyo3(signature = (x, y = None, **params))]
    fn explain(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: Option<Vec<f64>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<crate::explain::ExplainFit> {
        let model = occam::Model::Network(Box::new(self.model.clone()));
        crate::explain::explain_model(py, model, &self.model.preprocess, x, y, params)
    }

    /// The summary the CLI prints.
    fn summary(&self) -> String {
        self.result
            .as_ref()
            .map_or_else(String::new, |r| r.to_string())
    }
}

/// Trains an MLP on `x`, `y` with the options `options` (a JSON object of `occam train`'s
/// option names, the schema of its --config files).
/// `init`: the parameters to start at (a warm start), float32 arrays in the network's order.
#[pyfunction]
#[pyo3(signature = (data, options, init = None))]
pub fn fit_mlp(
    py: Python<'_>,
    data: crate::Input<'_>,
    options: &str,
    init: Option<Vec<PyReadonlyArrayDyn<'_, f32>>>,
) -> PyResult<NetworkFit> {
    let d = data.dataset()?;
    let o: TrainOptions =
        serde_json::from_str(options).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut m = o.mlp().map_err(py_err)?;
    m.init = init.map(|ws| {
        ws.iter()
            .map(|w| w.as_array().iter().copied().collect())
            .collect()
    });
    let prepared = occam::network::Prepared::new(&m, d, 0.0, None).map_err(py_err)?;
    let mut stop = Interrupt::default();
    let threads = rayon::current_num_threads();
    let fitted = py.allow_threads(|| prepared.train(threads, &mut stop));
    if let Some(e) = stop.raised {
        return Err(e);
    }
    let (model, result) = fitted.map_err(py_err)?;
    Ok(NetworkFit {
        metrics: occam::results::epochs_csv(&model.history),
        model,
        result: Some(result),
    })
}

/// The network fit of `model`, loaded from the run folder `dir` with its summary.json and
/// metrics.csv when it has them.
pub fn network_fit(dir: &std::path::Path, model: MlpModel) -> PyResult<NetworkFit> {
    let run = RunFolder::open(dir).map_err(py_err)?;
    let result = run.read_json::<NetworkResult>("summary.json").ok();
    let metrics = run
        .read_listed("metrics.csv")
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Ok(NetworkFit {
        model,
        result,
        metrics,
    })
}

/// Loads the network of a run folder written by `save` or by `occam train`.
#[pyfunction]
pub fn load_network(dir: PathBuf) -> PyResult<NetworkFit> {
    match occam::Model::load(&dir).map_err(py_err)? {
        occam::Model::Network(model) => network_fit(&dir, *model),
        _ => Err(PyTypeError::new_err(format!(
            "{} holds a model that is not a network",
            dir.display()
        ))),
    }
}
