//! A search over an estimator's configuration: trials proposed by grid, random or TPE search
//! (occam-select), each scored by k-fold cross-validation, the median pruning rule as a
//! [`Callback`] that stops a trial's folds early, and the choice by the best mean or the
//! one-standard-error rule. Any config that implements [`Tunable`] can be searched; the
//! network config [`Mlp`] does.

use crate::error::{Error, Result};
use crate::mlp::{engine_data, n_outputs, scaling, train_network, Callback, Mlp};
use occam_core::{split, Dataset, Task};
use occam_nn::{EpochLog, NnError, Trainer};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

pub use occam_select::search::{higher_is_better, Method, Trial};
pub use occam_select::space::{DimSpec, Params, Space};

/// One fold of one trial: the score on the fold's validation rows.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldScore {
    /// The metric on the validation rows (NaN when pruned).
    pub score: f64,
    /// Input features the fitted model keeps.
    pub kept: usize,
    /// Validation loss per epoch (what the pruning rule compares).
    pub losses: Vec<f64>,
    /// Whether the pruning rule stopped it.
    pub pruned: bool,
}

/// A configuration a search can tune.
pub trait Tunable: Clone + Send + Sync {
    /// The configuration with a trial's parameters applied.
    fn with_params(&self, p: &Params) -> Result<Self>;
    /// Epochs per fit (the pruning rule waits a tenth of them).
    fn epochs(&self) -> usize;
    /// The configuration the chosen trial is finally fitted with on all rows (default: as
    /// is). A network drops early stopping there: all epochs, last weights, no rows held
    /// out, as [`Tune::finish`] trains it.
    fn for_final_fit(&self) -> Self {
        self.clone()
    }
    /// Trains on `train` and scores `metric` on `val`; `cb` sees every epoch and may stop
    /// training with the message "pruned".
    fn fold(
        &self,
        train: &Dataset,
        val: &Dataset,
        metric: &str,
        cb: &mut dyn Callback,
    ) -> Result<FoldScore>;
}

/// The metric a search scores by default: accuracy for classes, RMSE for regression, the
/// Poisson deviance for counts.
pub fn default_metric(task: Task) -> &'static str {
    match task {
        Task::Binary | Task::Multiclass => "accuracy",
        Task::Regression => "rmse",
        Task::Counts => "poisson_deviance",
    }
}

/// Checks that a search on `d` can score `metric`: `loss`, or a metric its task reports
/// (checked before any work, so that a bad metric never touches a run folder).
pub fn check_metric(metric: &str, d: &Dataset) -> Result<()> {
    // The names come from the metrics themselves, computed on two made-up rows.
    let k = d.classes.len().max(2);
    let (p, y) = match d.task {
        Task::Binary => (vec![0.25, 0.75], vec![0.0, 1.0]),
        Task::Multiclass => ((0..2 * k).map(|_| 1.0 / k as f64).collect(), vec![0.0, 1.0]),
        Task::Regression | Task::Counts => (vec![1.0, 2.0], vec![1.0, 2.0]),
    };
    let cols = p.len() / 2;
    let names: Vec<String> =
        occam_nn::metrics::task_metrics(d.task, &occam_nn::Mat::from_vec(2, cols, p), &y)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
    if metric == "loss" || names.iter().any(|n| n == metric) {
        return Ok(());
    }
    Err(Error::param_err(
        "metric",
        format!(
            "{metric} is not reported for a {} task (loss, {})",
            d.task.name(),
            names.join(", ")
        ),
    ))
}

/// The median pruning rule (Optuna's `MedianPruner`): after a warm-up, a fold whose
/// validation loss at an epoch is above the median of earlier trials at that epoch is
/// stopped, and so are the trial's other folds.
pub struct MedianPruner<'a> {
    history: &'a [Trial],
    fold: usize,
    warmup: usize,
    stop: &'a AtomicBool,
    enabled: bool,
    /// The fold's validation loss per epoch so far.
    pub losses: Vec<f64>,
}

impl<'a> MedianPruner<'a> {
    /// The rule for `fold` against the recorded trials; `stop` is shared by a trial's folds.
    pub fn new(
        history: &'a [Trial],
        fold: usize,
        warmup: usize,
        stop: &'a AtomicBool,
        enabled: bool,
    ) -> Self {
        MedianPruner {
            history,
            fold,
            warmup,
            stop,
            enabled,
            losses: Vec::new(),
        }
    }
}

impl Callback for MedianPruner<'_> {
    fn on_epoch(&mut self, log: &EpochLog, _: &Trainer<f32>) -> std::result::Result<(), String> {
        let l = log.val_loss.unwrap_or(f64::NAN);
        self.losses.push(l);
        if self.stop.load(Ordering::Relaxed) {
            return Err("pruned".into());
        }
        let min_trials = 5;
        if self.enabled
            && occam_select::search::should_prune(
                self.history,
                self.fold,
                log.epoch - 1,
                l,
                min_trials,
                self.warmup,
            )
        {
            self.stop.store(true, Ordering::Relaxed);
            return Err("pruned".into());
        }
        Ok(())
    }
}

impl Tunable for Mlp {
    /// `l1`, `l2`, `weight_decay` set the default layer penalty; `alpha` makes it an elastic
    /// net of strength `l1` (or the configured L1); `dropout`, `dropconnect`, `lr` set those
    /// fields; `width` and `depth` make the hidden layers `depth` layers of `width` (from
    /// `[64, 32]` when no hidden layers are configured).
    fn with_params(&self, p: &Params) -> Result<Self> {
        let mut m = self.clone();
        let get = |k: &str| p.get(k).copied();
        let pen = &mut m.penalty.default;
        if let Some(a) = get("alpha") {
            let lam = get("l1").unwrap_or(pen.l1);
            pen.elastic_net = Some((lam, a));
            pen.l1 = 0.0;
        } else if let Some(v) = get("l1") {
            pen.l1 = v;
        }
        if let Some(v) = get("l2") {
            pen.l2 = v;
        }
        if let Some(v) = get("weight_decay") {
            pen.weight_decay = v;
        }
        if let Some(v) = get("dropout") {
            m.dropout = v;
        }
        if let Some(v) = get("dropconnect") {
            m.dropconnect = v;
        }
        if let Some(v) = get("lr") {
            m.lr = Some(v);
        }
        if get("width").is_some() || get("depth").is_some() {
            let h = m.hidden.clone().unwrap_or_else(|| vec![64, 32]);
            let w = get("width").map_or(h.first().copied().unwrap_or(32), |v| v.round() as usize);
            let d = get("depth").map_or(h.len(), |v| v.round() as usize);
            m.hidden = Some(vec![w; d]);
        }
        if let Some(k) = p.keys().find(|k| {
            ![
                "alpha",
                "l1",
                "l2",
                "weight_decay",
                "dropout",
                "dropconnect",
                "lr",
                "width",
                "depth",
            ]
            .contains(&k.as_str())
        }) {
            return Err(Error::param_err(
                "space",
                format!("'{k}' is not a parameter of a network (alpha, l1, l2, weight_decay, dropout, dropconnect, lr, width, depth)"),
            ));
        }
        Ok(m)
    }

    fn epochs(&self) -> usize {
        self.epochs
    }

    fn for_final_fit(&self) -> Self {
        Mlp {
            patience: None,
            restore_best: false,
            val_fraction: 0.0,
            ..self.clone()
        }
    }

    fn fold(
        &self,
        train: &Dataset,
        val: &Dataset,
        metric: &str,
        cb: &mut dyn Callback,
    ) -> Result<FoldScore> {
        let pre = scaling(train, self.standardize);
        let spec = self.spec(train.nfeatures(), n_outputs(train))?;
        let mut cfg = self.train_config(train.task)?;
        cfg.batch_size = cfg.batch_size.min(train.nrows());
        let (tdata, vdata) = (engine_data(train, &pre), engine_data(val, &pre));
        let mut tr = match train_network(&spec, &cfg, &tdata, Some(&vdata), None, cb) {
            Err(Error::Nn(NnError::Callback(m))) if m == "pruned" => {
                return Ok(FoldScore {
                    score: f64::NAN,
                    kept: 0,
                    losses: Vec::new(),
                    pruned: true,
                })
            }
            other => other?.trainer,
        };
        let (loss, m) = tr.evaluate(&vdata);
        let score = if metric == "loss" {
            loss
        } else {
            m.iter()
                .find(|(k, _)| k == metric)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    Error::param_err(
                        "metric",
                        format!("{metric} is not reported for a {} task", train.task.name()),
                    )
                })?
        };
        Ok(FoldScore {
            score,
            kept: tr.net.dense()[0].active_inputs().len(),
            losses: Vec::new(),
            pruned: false,
        })
    }
}

/// A linear model's search space: `alpha` (the elastic-net mixing) and `lambda` (the
/// penalty the path is fitted down to, as glmnet's `lambda = ...`); each fold fits on its
/// training rows and scores the metric at that lambda on its validation rows. There are no
/// epochs, so the pruning rule never stops a trial.
impl Tunable for crate::linear::Linear {
    fn with_params(&self, p: &Params) -> Result<Self> {
        let mut m = self.clone();
        for (k, &v) in p {
            match k.as_str() {
                "alpha" => m.alpha = v,
                "lambda" => m.lambda = Some(vec![v]),
                _ => {
                    return Err(Error::param_err(
                        "space",
                        format!("'{k}' is not a parameter of a linear model (alpha, lambda)"),
                    ))
                }
            }
        }
        Ok(m)
    }

    fn epochs(&self) -> usize {
        1
    }

    fn fold(
        &self,
        train: &Dataset,
        val: &Dataset,
        metric: &str,
        _cb: &mut dyn Callback,
    ) -> Result<FoldScore> {
        use crate::estimator::Estimator;
        let lambda = match self.lambda.as_deref() {
            Some([l]) => *l,
            _ => {
                return Err(Error::param_err(
                    "lambda",
                    "a linear search needs one lambda: a lambda dimension in the space, or a fixed lambda",
                ))
            }
        };
        let mut model = self.fit(train)?;
        model.set_lambda(lambda)?;
        let m = model.predict(&val.x)?.metrics(&val.y);
        let score = m
            .iter()
            .find(|(k, _)| k == metric)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                Error::param_err(
                    "metric",
                    format!("{metric} is not reported for a {} task", train.task.name()),
                )
            })?;
        let (_, beta) = model.coef()?;
        let kept = (0..train.nfeatures())
            .filter(|&j| beta.iter().any(|b| b[j] != 0.0))
            .count();
        Ok(FoldScore {
            score,
            kept,
            losses: Vec::new(),
            pruned: false,
        })
    }
}

/// The search's settings.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `estimator` | (given) | the configuration the trials start from |
/// | `space` | (given) | the dimensions searched |
/// | `method` | `Method::Tpe` | grid, random or TPE |
/// | `trials` | 40 | trials to run (a grid stops when exhausted) |
/// | `folds` | 5 | CV folds per trial |
/// | `metric` | [`default_metric`] of the task | the CV score |
/// | `prune` | false | the median pruning rule |
/// | `seed` | 0 | folds and proposals |
/// | `rule` | 1se | the trial chosen: the most regularized within one SE of the best, or the best |
///
/// As an [`Estimator`](crate::Estimator) (for any tunable estimator), `fit` runs the search
/// on all rows and fits the chosen configuration on them ([`Tunable::for_final_fit`]: a
/// network trains all epochs on all rows, as `finish` trains it).
#[derive(Clone, Debug)]
pub struct Tune<E> {
    /// The configuration the trials start from.
    pub estimator: E,
    /// The dimensions searched.
    pub space: Space,
    /// How trials are proposed.
    pub method: Method,
    /// Trials to run.
    pub trials: usize,
    /// CV folds per trial.
    pub folds: usize,
    /// The CV score; `None`: [`default_metric`].
    pub metric: Option<String>,
    /// Whether the median pruning rule stops poor trials early.
    pub prune: bool,
    /// The seed of the folds and the proposals.
    pub seed: u64,
    /// Which trial is chosen.
    pub rule: crate::linear::Rule,
}

impl<E: Tunable> Tune<E> {
    /// A search of `space` from `estimator` with the defaults above.
    pub fn new(estimator: E, space: Space) -> Self {
        Tune {
            estimator,
            space,
            method: Method::Tpe,
            trials: 40,
            folds: 5,
            metric: None,
            prune: false,
            seed: 0,
            rule: crate::linear::Rule::OneSe,
        }
    }

    /// The index of the trial the rule chooses.
    pub fn chosen(&self, trials: &[Trial], d: &Dataset) -> Result<usize> {
        let (best, se1) = choose(trials, &self.metric_for(d))?;
        Ok(match self.rule {
            crate::linear::Rule::Min => best,
            crate::linear::Rule::OneSe => se1,
        })
    }

    /// The metric this search scores on `d`.
    pub fn metric_for(&self, d: &Dataset) -> String {
        self.metric
            .clone()
            .unwrap_or_else(|| default_metric(d.task).to_string())
    }

    /// Runs trials on `train` until `trials` are recorded, continuing from `trials` (a
    /// resumed search proposes what an uninterrupted one would); `on_trial` is told after
    /// each (progress, checkpoints) and may stop the search with an error.
    pub fn search(
        &self,
        train: &Dataset,
        mut trials: Vec<Trial>,
        on_trial: &mut dyn FnMut(&[Trial]) -> Result<()>,
    ) -> Result<Vec<Trial>> {
        let foldid = self.folds_of(train)?;
        let metric = self.metric_for(train);
        let warmup = (self.estimator.epochs() / 10).max(1);
        while trials.len() < self.trials {
            let Some(params) = self.propose(train, &trials) else {
                break;
            };
            let t0 = std::time::Instant::now();
            let est = self.estimator.with_params(&params)?;
            let stop = AtomicBool::new(false);
            let history = &trials;
            let results: Vec<FoldScore> = (0..self.folds)
                .into_par_iter()
                .map(|f| {
                    let (tr, va) = fold_parts(train, &foldid, f);
                    let mut pruner = MedianPruner::new(history, f, warmup, &stop, self.prune);
                    let mut s = est.fold(&tr, &va, &metric, &mut pruner)?;
                    s.losses = std::mem::take(&mut pruner.losses);
                    Ok(s)
                })
                .collect::<Result<_>>()?;
            let trial = self.record(trials.len(), params, results, t0.elapsed().as_secs_f64());
            trials.push(trial);
            on_trial(&trials)?;
        }
        Ok(trials)
    }

    /// The search's folds of `train` (0-based, seeded, stratified for classes), after the
    /// checks every search makes: valid data, a metric of the task, at least one trial. With
    /// [`Tune::propose`], [`Tune::score_fold`] and [`Tune::record`], `search` in stages, so
    /// that a trial's folds can run elsewhere (a cluster) with the same numbers (without the
    /// pruning rule, which needs the folds to share a flag).
    pub fn folds_of(&self, train: &Dataset) -> Result<Vec<usize>> {
        crate::estimator::validate_data(train)?;
        check_metric(&self.metric_for(train), train)?;
        if self.trials == 0 {
            return Err(Error::param_err("trials", "must be at least 1"));
        }
        let ycls = train.task.is_classification().then_some(&train.y[..]);
        Ok(split::kfold(train.nrows(), self.folds, ycls, self.seed)?)
    }

    /// The parameters of the next trial after `trials` (`None`: a grid is exhausted).
    pub fn propose(&self, train: &Dataset, trials: &[Trial]) -> Option<Params> {
        let higher = higher_is_better(&self.metric_for(train));
        occam_select::search::propose(
            self.method,
            &self.space,
            trials,
            trials.len(),
            self.seed,
            higher,
        )
    }

    /// Fold `fold` of `foldid` of the trial with `params`: trained on the other rows of
    /// `train`, scored on the fold's.
    pub fn score_fold(
        &self,
        train: &Dataset,
        foldid: &[usize],
        fold: usize,
        params: &Params,
    ) -> Result<FoldScore> {
        if foldid.len() != train.nrows() || !foldid.contains(&fold) {
            return Err(Error::param_err(
                "fold",
                format!("fold {} is not one of the search's folds", fold + 1),
            ));
        }
        let est = self.estimator.with_params(params)?;
        let (tr, va) = fold_parts(train, foldid, fold);
        let stop = AtomicBool::new(false);
        let mut pruner = MedianPruner::new(&[], fold, 1, &stop, false);
        let mut s = est.fold(&tr, &va, &self.metric_for(train), &mut pruner)?;
        s.losses = std::mem::take(&mut pruner.losses);
        Ok(s)
    }

    /// The record of trial `index` with `params` from its folds' scores (in fold order).
    pub fn record(
        &self,
        index: usize,
        params: Params,
        results: Vec<FoldScore>,
        seconds: f64,
    ) -> Trial {
        let pruned = results.iter().any(|r| r.pruned);
        let scores: Vec<f64> = results.iter().map(|r| r.score).collect();
        let (mean, se) = if pruned {
            (f64::NAN, f64::NAN)
        } else {
            occam_select::search::mean_se(&scores)
        };
        Trial {
            index,
            params,
            fold_scores: scores,
            mean,
            se,
            features_kept: results.iter().map(|r| r.kept as f64).sum::<f64>()
                / results.len().max(1) as f64,
            pruned,
            seconds,
            epoch_losses: results.into_iter().map(|r| r.losses).collect(),
        }
    }
}

/// The training and validation rows of fold `f`.
fn fold_parts(train: &Dataset, foldid: &[usize], f: usize) -> (Dataset, Dataset) {
    let tr: Vec<usize> = (0..train.nrows()).filter(|&r| foldid[r] != f).collect();
    let va: Vec<usize> = (0..train.nrows()).filter(|&r| foldid[r] == f).collect();
    (train.subset(&tr), train.subset(&va))
}

/// The trials the rules pick: (best mean, one-standard-error choice), as indices.
pub fn choose(trials: &[Trial], metric: &str) -> Result<(usize, usize)> {
    let higher = higher_is_better(metric);
    let best = occam_select::search::best(trials, higher)
        .ok_or_else(|| Error::param_err("trials", "no trial completed (all pruned?)"))?;
    Ok((
        best,
        occam_select::search::one_se(trials, higher).unwrap_or(best),
    ))
}

/// The trials of a search as they finish, one JSON line each in RUN/trials.jsonl (written
/// whole and atomically after every trial), beside the search's setup in RUN/tune.json: a
/// rerun of the same setup resumes where the last one stopped.
#[derive(Clone, Debug)]
pub struct Journal {
    path: std::path::PathBuf,
}

impl Journal {
    /// The journal of the run folder `run` for the search described by `setup` (any text
    /// that a rerun must match: data, options, space, settings), and the trials it holds.
    /// `fresh` (a new or replaced run) starts an empty journal; otherwise a journal of
    /// another setup is refused.
    pub fn open(
        run: &crate::run::RunFolder,
        setup: &str,
        fresh: bool,
    ) -> Result<(Journal, Vec<Trial>)> {
        let (path, setup_path) = (run.path("trials.jsonl"), run.path("tune.json"));
        let journal = Journal { path };
        let io = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        if fresh || !journal.path.exists() {
            if journal.path.exists() {
                std::fs::remove_file(&journal.path).map_err(io(&journal.path))?;
            }
            crate::run::write_atomic(&setup_path, setup.as_bytes())?;
            return Ok((journal, Vec::new()));
        }
        if std::fs::read_to_string(&setup_path).unwrap_or_default() != setup {
            return Err(Error::Run {
                path: run.dir().to_path_buf(),
                detail: format!(
                    "holds trials of another search (data, options, space or settings differ \
                     from {}); use another run folder",
                    setup_path.display()
                ),
            });
        }
        let text = std::fs::read_to_string(&journal.path).map_err(io(&journal.path))?;
        let trials = text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .map_err(|e| Error::model(&journal.path, format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<Trial>>>()?;
        Ok((journal, trials))
    }

    /// The file the trials are kept in.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Records `trials` (all of them so far).
    pub fn write(&self, trials: &[Trial]) -> Result<()> {
        let mut lines = String::new();
        for t in trials {
            let line =
                serde_json::to_string(t).map_err(|e| Error::model(&self.path, e.to_string()))?;
            lines.push_str(&line);
            lines.push('\n');
        }
        crate::run::write_atomic(&self.path, lines.as_bytes())
    }
}

/// trials.csv: one row per trial with its parameters, mean, SE, features kept, whether it was
/// pruned and its seconds.
pub fn trials_csv(trials: &[Trial]) -> String {
    use std::fmt::Write as _;
    let mut csv = String::from("trial");
    let names: Vec<String> = trials
        .first()
        .map(|t| t.params.keys().cloned().collect())
        .unwrap_or_default();
    for n in &names {
        let _ = write!(csv, ",{n}");
    }
    csv.push_str(",mean,se,features_kept,pruned,seconds\n");
    for t in trials {
        let _ = write!(csv, "{}", t.index + 1);
        for n in &names {
            let _ = write!(csv, ",{}", t.params.get(n).copied().unwrap_or(f64::NAN));
        }
        let _ = writeln!(
            csv,
            ",{},{},{},{},{:.3}",
            t.mean, t.se, t.features_kept, t.pruned, t.seconds
        );
    }
    csv
}

/// The end of a network search: the chosen trial trained on all training rows and the same
/// network without regularization, both scored on the held-out rows.
pub struct TuneFit {
    /// The chosen network (no early stopping: all epochs, last weights).
    pub model: crate::mlp::MlpModel,
    /// The result (summary.json); `chosen.options` is left null for the caller to record
    /// the options the trials started from.
    pub result: crate::results::TuneResult,
}

impl TuneFit {
    /// Writes the search's run files into `run`: trials.csv, the chosen network and
    /// summary.json (the trials.jsonl journal is [`Journal`]'s, written as trials finish).
    pub fn save(&self, run: &mut crate::RunFolder, trials: &[Trial]) -> Result<()> {
        run.write("trials.csv", trials_csv(trials).as_bytes())?;
        self.model.save(run)?;
        run.write_json("summary.json", &self.result)
    }
}

impl Tune<Mlp> {
    /// Picks the trial by `rule`, trains it on `train` and the unregularized network, and
    /// scores both on `test` (when it has rows). `d` is the whole data set, whose columns the
    /// saved model reads.
    pub fn finish(
        &self,
        d: &Dataset,
        train: &Dataset,
        test: Option<&Dataset>,
        trials: &[Trial],
    ) -> Result<TuneFit> {
        use crate::results::{HeldOut, Metrics, TrialPick, TuneChoice, TuneResult};
        let metric = self.metric_for(train);
        let (best, se1) = choose(trials, &metric)?;
        let chosen = self.chosen(trials, train)?;
        let est = self.estimator.with_params(&trials[chosen].params)?;
        let spec = est.spec(d.nfeatures(), n_outputs(d))?;
        let mut cfg = est.train_config(d.task)?;
        cfg.patience = None;
        cfg.restore_best = false;
        cfg.batch_size = cfg.batch_size.min(train.nrows());
        let pre = scaling(train, est.standardize);
        let tdata = engine_data(train, &pre);
        let test = test.map(|t| engine_data(t, &pre));
        let mut reg = train_network(&spec, &cfg, &tdata, None, None, &mut ())?.trainer;
        let (bspec, bcfg) = crate::mlp::unregularized(&spec, &cfg);
        let mut base = train_network(&bspec, &bcfg, &tdata, None, None, &mut ())?.trainer;
        let held = |tr: &mut Trainer<f32>| -> Option<Metrics> {
            test.as_ref()
                .map(|t| crate::network::held_out_metrics(tr, t))
        };
        let pick = |i: usize| TrialPick {
            trial: i + 1,
            params: trials[i].params.clone(),
            cv_mean: trials[i].mean,
            cv_se: trials[i].se,
            features_kept: trials[i].features_kept,
        };
        let result = TuneResult {
            chosen: TuneChoice {
                trial: chosen + 1,
                params: trials[chosen].params.clone(),
                options: serde_json::Value::Null,
            },
            cv_mean: trials[chosen].mean,
            cv_se: trials[chosen].se,
            metric: metric.clone(),
            rule: match self.rule {
                crate::linear::Rule::Min => "min",
                crate::linear::Rule::OneSe => "1se",
            }
            .into(),
            min: pick(best),
            one_se: pick(se1),
            selected_features: reg.net.dense()[0]
                .active_inputs()
                .into_iter()
                .map(|j| d.feature_names[j].clone())
                .collect(),
            held_out: HeldOut {
                regularized: held(&mut reg),
                baseline: held(&mut base),
                baseline_note: Some("the same architecture trained the same way without any penalty, dropout or early stopping".into()),
            },
            trials: trials.len(),
            pruned: trials.iter().filter(|t| t.pruned).count(),
            held_out_rows: test.as_ref().map_or(0, |t| t.rows()),
        };
        let meta = occam_nn::model::ModelMeta {
            format: occam_nn::model::FORMAT.into(),
            spec,
            task: d.task,
            loss: cfg.loss,
            feature_names: d.feature_names.clone(),
            target_name: d.target_name.clone(),
            classes: d.classes.clone(),
            preprocess: pre,
            training: serde_json::to_value(&cfg)
                .map_err(|e| Error::param_err("training", e.to_string()))?,
            noise_sd: None,
            laplace: None,
            privacy: None,
        };
        Ok(TuneFit {
            model: crate::mlp::MlpModel::new(meta, reg.net, d),
            result,
        })
    }
}

impl<E: Tunable + crate::Estimator> crate::Estimator for Tune<E> {
    type Model = E::Model;

    fn fit(&self, d: &Dataset) -> Result<E::Model> {
        let trials = self.search(d, Vec::new(), &mut |_| Ok(()))?;
        let chosen = self.chosen(&trials, d)?;
        self.estimator
            .with_params(&trials[chosen].params)?
            .for_final_fit()
            .fit(d)
    }
}
