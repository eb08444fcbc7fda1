//! The network search of the Python package: the facade's `Tune<Mlp>` set up as `occam tune`
//! sets it up (a held-out split, k folds of the training rows, the space), run in one call
//! (the folds on the core's threads, with the pruning rule) or trial by trial, each trial's
//! folds as tasks Python sends through joblib, and finished into the same run folder.

use crate::network::NetworkFit;
use crate::{py_err, write_report};
use occam::options::TrainOptions;
use occam::tune::{DimSpec, FoldScore, Journal, Params, Space, Trial, Tune, TuneFit};
use occam::{Dataset, Mlp, Mode, Rule, RunFolder, RunKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn value_err(what: &str, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("invalid value for {what}: {e}"))
}

/// The network of `options` (a JSON object of `occam train`'s options).
fn network(options: &str) -> PyResult<(TrainOptions, Mlp)> {
    let o: TrainOptions = serde_json::from_str(options).map_err(|e| value_err("options", e))?;
    o.only_train_networks("a search (its trials train many models on the same rows)")
        .map_err(py_err)?;
    let m = o.mlp().map_err(py_err)?;
    Ok((o, m))
}

/// One fold's score as Python carries it: (score, features kept, losses per epoch, pruned).
type FoldTuple = (f64, usize, Vec<f64>, bool);

/// A search being run: the data split, the search's settings, its trials so far and, once
/// finished, the chosen network.
#[pyclass(module = "occam._occam")]
pub struct TuneRun {
    data: Dataset,
    train: Dataset,
    test: Option<Dataset>,
    train_rows: Vec<usize>,
    tune: Tune<Mlp>,
    foldid: Vec<usize>,
    trials: Vec<Trial>,
    options: TrainOptions,
    setup: String,
    fit: Option<TuneFit>,
}

#[pymethods]
impl TuneRun {
    /// Runs the whole search here: each trial's folds on the core's threads, the pruning
    /// rule when asked for; Ctrl-C stops it after the trial in progress.
    fn search(&mut self, py: Python<'_>) -> PyResult<()> {
        let mut raised: Option<PyErr> = None;
        let (tune, train) = (&self.tune, &self.train);
        let done = std::mem::take(&mut self.trials);
        let out = py.allow_threads(|| {
            tune.search(train, done, &mut |_| {
                Python::with_gil(|py| py.check_signals()).map_err(|e| {
                    raised = Some(e);
                    occam::Error::Param {
                        param: "search".into(),
                        detail: "interrupted".into(),
                    }
                })
            })
        });
        if let Some(e) = raised {
            return Err(e);
        }
        self.trials = out.map_err(py_err)?;
        Ok(())
    }

    /// The next trial's parameters, or `None` when the search is done (all trials run, or a
    /// grid exhausted).
    fn propose(&self) -> Option<Params> {
        if self.trials.len() >= self.tune.trials {
            return None;
        }
        self.tune.propose(&self.train, &self.trials)
    }

    /// Records the next trial: its parameters, its folds' scores (`tune_score_fold`'s, in
    /// fold order) and the seconds it took.
    fn record(&mut self, params: Params, folds: Vec<FoldTuple>, seconds: f64) -> PyResult<()> {
        if folds.len() != self.tune.folds {
            return Err(PyValueError::new_err(format!(
                "{} fold scores for {} folds",
                folds.len(),
                self.tune.folds
            )));
        }
        let results = folds
            .into_iter()
            .map(|(score, kept, losses, pruned)| FoldScore {
                score,
                kept,
                losses,
                pruned,
            })
            .collect();
        let t = self
            .tune
            .record(self.trials.len(), params, results, seconds);
        self.trials.push(t);
        Ok(())
    }

    /// The rows of the data the search trains on (the rest are held out), in order.
    #[getter]
    fn train_rows(&self) -> Vec<usize> {
        self.train_rows.clone()
    }

    /// Each training row's fold (0-based).
    #[getter]
    fn fold_of(&self) -> Vec<usize> {
        self.foldid.clone()
    }

    /// The metric the folds score.
    #[getter]
    fn metric(&self) -> String {
        self.tune.metric_for(&self.train)
    }

    /// Chooses the trial by the rule, trains it on all training rows beside the same network
    /// without regularization, and scores both on the held-out rows.
    fn finish(&mut self, py: Python<'_>) -> PyResult<()> {
        let (tune, d, train, test, trials) = (
            &self.tune,
            &self.data,
            &self.train,
            self.test.as_ref(),
            &self.trials,
        );
        let mut fit = py
            .allow_threads(|| tune.finish(d, train, test, trials))
            .map_err(py_err)?;
        fit.result.chosen.options =
            serde_json::to_value(&self.options).map_err(|e| value_err("options", e))?;
        self.fit = Some(fit);
        Ok(())
    }

    /// Every trial so far, in JSON (as trials.jsonl's lines).
    #[getter]
    fn trials_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.trials).map_err(|e| value_err("trials", e))
    }

    /// The result (summary.json) in JSON, once finished.
    #[getter]
    fn result_json(&self) -> PyResult<Option<String>> {
        self.fit
            .as_ref()
            .map(|f| serde_json::to_string(&f.result).map_err(|e| value_err("result", e)))
            .transpose()
    }

    /// The chosen network, trained on all training rows, once finished.
    fn chosen(&self) -> PyResult<NetworkFit> {
        let fit = self.finished()?;
        Ok(NetworkFit::of(fit.model.clone()))
    }

    /// Writes the run folder `dir` that `occam predict` and `occam report` read: trials.jsonl
    /// (with tune.json, the setup), trials.csv, the chosen network, summary.json.
    #[pyo3(signature = (dir, force = false))]
    fn save(&self, dir: PathBuf, force: bool) -> PyResult<()> {
        let fit = self.finished()?;
        let mode = if force { Mode::Force } else { Mode::New };
        let mut run = RunFolder::create(&dir, RunKind::Tune, mode).map_err(py_err)?;
        let (journal, _) = Journal::open(&run, &self.setup, true).map_err(py_err)?;
        journal.write(&self.trials).map_err(py_err)?;
        fit.save(&mut run, &self.trials).map_err(py_err)
    }

    /// `save`, then the run's report.html, the page `occam report` draws.
    #[pyo3(signature = (dir, force = false))]
    fn report(&self, dir: PathBuf, force: bool) -> PyResult<PathBuf> {
        self.save(dir.clone(), force)?;
        write_report(&dir)
    }

    /// The summary the CLI prints.
    fn summary(&self) -> PyResult<String> {
        Ok(self.finished()?.result.to_string())
    }
}

impl TuneRun {
    fn finished(&self) -> PyResult<&TuneFit> {
        self.fit
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("the search has not finished"))
    }
}

/// Sets up a search of the network of `options` (JSON, `occam train`'s options) over `space`
/// (JSON, the schema of `occam tune --space`: {"l1": {"log": [1e-5, 1e-1]}, ...}) on `x`,
/// `y`: `test_fraction` of the rows held out (seeded by the options' seed), `folds` folds of
/// the rest.
#[pyfunction]
#[pyo3(signature = (
    data, options, space, *, search = "tpe", trials = 40,
    folds = 5, metric = None, rule = "1se", prune = false, test_fraction = 0.2
))]
#[allow(clippy::too_many_arguments)]
pub fn tune_setup(
    data: crate::Input<'_>,
    options: &str,
    space: &str,
    search: &str,
    trials: usize,
    folds: usize,
    metric: Option<String>,
    rule: &str,
    prune: bool,
    test_fraction: f64,
) -> PyResult<TuneRun> {
    let d = data.dataset()?;
    let (o, m) = network(options)?;
    let specs: BTreeMap<String, DimSpec> =
        serde_json::from_str(space).map_err(|e| value_err("space", e))?;
    let space_parsed = Space::from_specs(&specs).map_err(|e| value_err("space", e))?;
    let names = space_parsed
        .dims
        .iter()
        .map(|(n, _)| (n.clone(), 1.0))
        .collect();
    occam::tune::Tunable::with_params(&m, &names).map_err(py_err)?;
    let method = occam::parse::search_method(search).map_err(py_err)?;
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(value_err(
            "test_fraction",
            format!("{test_fraction} is not in [0, 1)"),
        ));
    }
    let seed = m.seed;
    let tune = Tune {
        estimator: m,
        space: space_parsed,
        method,
        trials,
        folds,
        metric,
        prune,
        seed,
        rule: Rule::parse(rule).map_err(py_err)?,
    };
    let classes = d.task.is_classification().then_some(&d.y[..]);
    let s = occam_core::split::train_val_test(d.nrows(), classes, 0.0, test_fraction, seed)
        .map_err(|e| py_err(e.into()))?;
    let train = d.subset(&s.train);
    let test = (!s.test.is_empty()).then(|| d.subset(&s.test));
    let foldid = tune.folds_of(&train).map_err(py_err)?;
    let setup = serde_json::json!({
        "data": "<numpy>", "options": o, "space": specs, "search": search, "folds": folds,
        "metric": tune.metric_for(&train), "rule": rule, "prune": prune, "seed": seed,
    });
    Ok(TuneRun {
        setup: serde_json::to_string_pretty(&setup).map_err(|e| value_err("setup", e))?,
        data: d,
        train,
        test,
        train_rows: s.train,
        tune,
        foldid,
        trials: Vec::new(),
        options: o,
        fit: None,
    })
}

/// One fold of one trial (a joblib task): the network of `options` with the trial's
/// `params`, trained on the rows of `x`, `y` (the search's training rows) outside fold `fold`
/// of `fold_of` and scored by `metric` on the fold's rows.
#[pyfunction]
#[pyo3(signature = (data, options, params, fold_of, fold, metric))]
#[allow(clippy::too_many_arguments)]
pub fn tune_score_fold(
    py: Python<'_>,
    data: crate::Input<'_>,
    options: &str,
    params: Params,
    fold_of: Vec<usize>,
    fold: usize,
    metric: String,
) -> PyResult<FoldTuple> {
    let d = data.dataset()?;
    let (_, m) = network(options)?;
    let mut tune = Tune::new(
        m,
        Space {
            dims: Vec::new(),
            grid_points: Vec::new(),
        },
    );
    tune.metric = Some(metric);
    let s = py
        .allow_threads(|| tune.score_fold(&d, &fold_of, fold, &params))
        .map_err(py_err)?;
    Ok((s.score, s.kept, s.losses, s.pruned))
}
