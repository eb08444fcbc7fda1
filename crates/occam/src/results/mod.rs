//! Typed results: what each run writes (summary.json, path.json, cv.json and the tables
//! beside them) as serde types, and [`RunResult::read`], which reads a run folder back into
//! them. The report (occam-report) builds every page from these types; nothing reads the
//! JSON by string key.

mod bayes;
mod linear;
mod network;
mod search;
mod summary;
mod uncertainty;
mod variational;

pub use bayes::BayesResult;
pub use linear::{
    column_sd, Coefficients, CvResult, HeldOutPoint, Intercepts, LinearResult, RelaxedCoefficients,
    TextResult,
};
pub use network::{
    Comparison, Errors, FederatedSummary, ForecastComparison, ForecastResult, ForecastScores,
    L2Try, LayerZeros, NetworkResult, OverfitGap, PartScores, RatingBaselines, RatingCounts,
    RatingErrors, RatingScores, RecommenderResult, SeedScores, SeriesInfo, TopInputs, WindowInfo,
};
pub use occam_nn::trainer::EvidenceLog;
pub use search::{
    HeldOut, LassoPoint, NetworkPathResult, PathChoice, Rows, SelectResult, StabilityChoice,
    StableCluster, TrialPick, TuneChoice, TuneResult,
};
pub use uncertainty::{z_of, IntervalCheck, ProbabilityCheck, Uncertainty};
pub use variational::{VariationalResult, VdLayer};

use crate::error::{Error, Result};
use crate::run::{RunFolder, RunKind};
use occam_nn::model::ModelMeta;
use occam_nn::EpochLog;
use occam_select::search::Trial;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Named metric values (accuracy, auc, rmse, ...), in name order. A NaN value (an AUC on one
/// class) is written as `null` and read back as NaN.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Metrics(pub BTreeMap<String, f64>);

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let m = BTreeMap::<String, Option<f64>>::deserialize(d)?;
        Ok(Metrics(
            m.into_iter()
                .map(|(k, v)| (k, v.unwrap_or(f64::NAN)))
                .collect(),
        ))
    }
}

impl Metrics {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }
}

impl FromIterator<(String, f64)> for Metrics {
    fn from_iter<I: IntoIterator<Item = (String, f64)>>(it: I) -> Self {
        Metrics(it.into_iter().collect())
    }
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// One epoch of a training log (metrics.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss (data term).
    pub train_loss: f64,
    /// Validation loss, when there is a validation set.
    pub val_loss: Option<f64>,
    /// The penalty term.
    pub penalty: f64,
    /// The first of the validation accuracy, R² or RMSE, by name.
    pub metric: Option<(String, f64)>,
}

/// The training log as metrics.csv: one row per epoch with the learning rate, the losses,
/// the penalty and decay terms, every validation metric, the exact zeros per dense layer and
/// the seconds.
pub fn epochs_csv(history: &[EpochLog]) -> String {
    use std::fmt::Write as _;
    let names: Vec<&str> = history
        .first()
        .map(|h| h.val_metrics.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let layers = history.first().map_or(0, |h| h.zeros.len());
    let mut s = String::from("epoch,lr,train_loss,val_loss,penalty,decay_term");
    for n in &names {
        let _ = write!(s, ",val_{n}");
    }
    for l in 0..layers {
        let _ = write!(s, ",zeros_layer{l},weights_layer{l}");
    }
    s.push_str(",seconds\n");
    for h in history {
        let val = h.val_loss.map_or(String::new(), |v| v.to_string());
        let _ = write!(
            s,
            "{},{},{},{val},{},{}",
            h.epoch, h.lr, h.train_loss, h.penalty, h.decay_term
        );
        for (_, v) in &h.val_metrics {
            let _ = write!(s, ",{v}");
        }
        for (z, t) in &h.zeros {
            let _ = write!(s, ",{z},{t}");
        }
        let _ = writeln!(s, ",{:.4}", h.seconds);
    }
    s
}

/// Reads metrics.csv as written by [`epochs_csv`]; anything else (a missing column, a row of
/// another width, a cell that is not a number, epochs out of order) is an error naming the
/// line and the column.
pub fn parse_epochs(text: &str) -> std::result::Result<Vec<Epoch>, String> {
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |n: &str| {
        head.iter().position(|h| *h == n).ok_or_else(|| {
            format!(
                "line 1: no column '{n}' in the header (found {})",
                occam_core::table::cut(&head.join(","))
            )
        })
    };
    let (ie, it, iv, ip) = (
        col("epoch")?,
        col("train_loss")?,
        col("val_loss")?,
        col("penalty")?,
    );
    let metric = ["val_accuracy", "val_r2", "val_rmse"].iter().find_map(|m| {
        col(m)
            .ok()
            .map(|i| (m.trim_start_matches("val_").to_string(), i))
    });
    let mut out: Vec<Epoch> = Vec::new();
    for (k, l) in lines.enumerate() {
        let line = k + 2;
        let f: Vec<&str> = l.split(',').collect();
        if f.len() != head.len() {
            return Err(format!(
                "line {line}: {} fields, the header has {}",
                f.len(),
                head.len()
            ));
        }
        let num = |i: usize| -> std::result::Result<f64, String> {
            f[i].trim().parse::<f64>().map_err(|_| {
                format!(
                    "line {line}, column {} ('{}'): '{}' is not a number",
                    i + 1,
                    head[i],
                    occam_core::table::cut(f[i])
                )
            })
        };
        let epoch = num(ie)?;
        if epoch.fract() != 0.0
            || epoch < 1.0
            || out.last().is_some_and(|e| e.epoch as f64 >= epoch)
        {
            return Err(format!(
                "line {line}: epoch {epoch} does not follow epoch {}",
                out.last().map_or(0, |e| e.epoch)
            ));
        }
        out.push(Epoch {
            epoch: epoch as usize,
            train_loss: num(it)?,
            val_loss: if f[iv].is_empty() {
                None
            } else {
                Some(num(iv)?)
            },
            penalty: num(ip)?,
            metric: match &metric {
                Some((n, i)) if !f[*i].is_empty() => Some((n.clone(), num(*i)?)),
                _ => None,
            },
        });
    }
    Ok(out)
}

/// One dense layer's weights as saved: `[out, in]` row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseWeights {
    /// The tensor's name in model.safetensors.
    pub name: String,
    /// Outputs.
    pub out: usize,
    /// Inputs.
    pub inp: usize,
    /// The weights.
    pub w: Vec<f64>,
}

/// A finished `occam train` run of an MLP or CNN.
#[derive(Clone, Debug)]
pub struct NetworkRun {
    /// summary.json.
    pub result: NetworkResult,
    /// model.json.
    pub meta: ModelMeta,
    /// metrics.csv.
    pub epochs: Vec<Epoch>,
    /// The dense layers' weights from model.safetensors, in layer order.
    pub weights: Vec<DenseWeights>,
    /// config.toml, the resolved options.
    pub config: String,
}

/// A finished search.
#[derive(Clone, Debug)]
pub struct TuneRun {
    /// summary.json.
    pub result: TuneResult,
    /// trials.jsonl.
    pub trials: Vec<Trial>,
    /// tune.json, the resolved setup.
    pub setup: String,
}

/// A finished stability selection.
#[derive(Clone, Debug)]
pub struct SelectRun {
    /// summary.json.
    pub result: SelectResult,
    /// stability.csv: every feature and its selection probability, largest first.
    pub probabilities: Vec<(String, f64)>,
}

/// One point of a LassoNet path (path.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct PathPoint {
    /// The lambda.
    pub lambda: f64,
    /// Validation loss of the penalized fit.
    pub val_loss: f64,
    /// Validation loss of the relaxed refit.
    pub relaxed_val_loss: f64,
    /// Its standard error.
    pub relaxed_val_se: f64,
    /// Features in the model.
    pub features: usize,
}

/// A finished LassoNet path.
#[derive(Clone, Debug)]
pub struct NetworkPathRun {
    /// summary.json.
    pub result: NetworkPathResult,
    /// path.csv.
    pub path: Vec<PathPoint>,
    /// features.csv: (feature, lambda at which it leaves), the last to leave first.
    pub leave: Vec<(String, Option<f64>)>,
}

/// A finished recommender run.
#[derive(Clone, Debug)]
pub struct RecommenderRun {
    /// summary.json.
    pub result: RecommenderResult,
    /// epochs.csv: per model ("regularized", "unregularized") the train and validation RMSE.
    pub curves: BTreeMap<String, Vec<Epoch>>,
}

/// One scored test window of a forecaster (forecasts.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastRow {
    /// The time forecast.
    pub time: String,
    /// The observed value.
    pub actual: f64,
    /// The network's forecast.
    pub forecast: f64,
    /// The seasonal-naive forecast.
    pub seasonal_naive: f64,
}

/// A finished forecaster run.
#[derive(Clone, Debug)]
pub struct ForecastRun {
    /// summary.json.
    pub result: ForecastResult,
    /// The scored test windows of forecasts.csv, in time order.
    pub test: Vec<ForecastRow>,
    /// metrics.csv.
    pub epochs: Vec<Epoch>,
    /// config.toml.
    pub config: String,
}

/// A linear run: a path, or a cross-validated path (a text model's too).
#[derive(Clone, Debug)]
pub enum LinearRun {
    /// path.json.
    Path(Box<LinearResult>),
    /// cv.json, and for a text model the words with the largest weights (words.csv).
    Cv(Box<CvResult>, Vec<(String, f64)>),
}

impl LinearRun {
    /// The path.
    pub fn path(&self) -> &LinearResult {
        match self {
            LinearRun::Path(p) => p,
            LinearRun::Cv(c, _) => &c.path,
        }
    }
}

/// What a run folder holds, read back into the types the run wrote.
#[derive(Clone, Debug)]
pub enum RunResult {
    /// `occam linear path|cv`, `occam train --model text`, `occam demo`.
    Linear(Box<LinearRun>),
    /// `occam train` (MLP or CNN).
    Network(Box<NetworkRun>),
    /// `occam tune`.
    Tune(Box<TuneRun>),
    /// `occam select`.
    Select(Box<SelectRun>),
    /// `occam path`.
    NetworkPath(Box<NetworkPathRun>),
    /// `occam train --model recommender`.
    Recommender(Box<RecommenderRun>),
    /// `occam train --model lstm|gru`.
    Forecast(Box<ForecastRun>),
    /// `occam linear bayes`.
    Bayes(Box<BayesResult>),
    /// `occam explain`.
    Explain(Box<crate::explain::Explanation>),
}

/// A run folder's files: verified against the manifest when there is one; a folder from
/// before the manifest is read as it is.
struct Files {
    dir: PathBuf,
    run: Option<RunFolder>,
}

impl Files {
    fn bytes(&self, name: &str) -> Result<Vec<u8>> {
        match &self.run {
            Some(r) => r.read(name),
            None => {
                let p = self.dir.join(name);
                std::fs::read(&p).map_err(|e| Error::Io { path: p, source: e })
            }
        }
    }

    fn text(&self, name: &str) -> Result<String> {
        String::from_utf8(self.bytes(name)?)
            .map_err(|_| Error::model(self.dir.join(name), "is not UTF-8 text"))
    }

    fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T> {
        serde_json::from_slice(&self.bytes(name)?)
            .map_err(|e| Error::model(self.dir.join(name), format!("cannot be read: {e}")))
    }

    fn epochs(&self) -> Result<Vec<Epoch>> {
        parse_epochs(&self.text("metrics.csv")?)
            .map_err(|e| Error::model(self.dir.join("metrics.csv"), e))
    }

    fn has(&self, name: &str) -> bool {
        self.dir.join(name).exists()
    }

    /// The rows of a CSV file with a header, split at commas.
    fn csv_rows(&self, name: &str) -> Result<Vec<Vec<String>>> {
        Ok(self
            .text(name)?
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect())
    }
}

fn num(s: Option<&String>) -> f64 {
    s.and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// The run kind of a folder written before the manifest, recognised by its files (a tune
/// folder also holds the chosen model, so it is tried first).
fn legacy_kind(f: &Files) -> Option<RunKind> {
    let summary = f.has("summary.json");
    [
        (summary && f.has("trials.jsonl"), RunKind::Tune),
        (summary && f.has("model.json"), RunKind::Mlp),
        (summary && f.has("forecasts.csv"), RunKind::Forecast),
        (
            f.has("recommendations.csv") && f.has("epochs.csv"),
            RunKind::Recommender,
        ),
        (
            f.has("features.csv") && f.has("path.csv"),
            RunKind::NetworkPath,
        ),
        (summary && f.has("stability.csv"), RunKind::Select),
        (f.has("cv.json"), RunKind::LinearCv),
        (f.has("path.json"), RunKind::LinearPath),
    ]
    .into_iter()
    .find_map(|(ok, k)| ok.then_some(k))
}

impl RunResult {
    /// Reads the run folder `dir` by the kind its manifest records.
    pub fn read(dir: &Path) -> Result<RunResult> {
        let (run, kind) = match RunFolder::open(dir) {
            Ok(r) => {
                let k = r.kind();
                (Some(r), Some(k))
            }
            Err(_) => (None, None),
        };
        let f = Files {
            dir: dir.to_path_buf(),
            run,
        };
        let kind = kind.or_else(|| legacy_kind(&f)).ok_or_else(|| Error::Run {
            path: dir.to_path_buf(),
            detail: "not a run folder (no manifest.json, and none of the files of an \
                         `occam train`, `tune`, `select`, `path` or `linear` run)"
                .into(),
        })?;
        Ok(match kind {
            RunKind::LinearPath => {
                RunResult::Linear(Box::new(LinearRun::Path(Box::new(f.json("path.json")?))))
            }
            RunKind::LinearCv | RunKind::Text => {
                let words = if f.has("words.csv") {
                    f.csv_rows("words.csv")?
                        .iter()
                        .filter_map(|r| {
                            let (v, t) = r.split_last()?;
                            Some((t.join(","), v.parse().ok()?))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                RunResult::Linear(Box::new(LinearRun::Cv(Box::new(f.json("cv.json")?), words)))
            }
            RunKind::Mlp => RunResult::Network(Box::new(network(&f)?)),
            RunKind::Bayes => RunResult::Bayes(Box::new(f.json("bayes.json")?)),
            RunKind::Explain => RunResult::Explain(Box::new(f.json("explain.json")?)),
            RunKind::Tune => RunResult::Tune(Box::new(TuneRun {
                result: f.json("summary.json")?,
                trials: f
                    .text("trials.jsonl")?
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        serde_json::from_str(l).map_err(|e| {
                            Error::model(f.dir.join("trials.jsonl"), format!("line {}: {e}", i + 1))
                        })
                    })
                    .collect::<Result<_>>()?,
                setup: f.text("tune.json").unwrap_or_default(),
            })),
            RunKind::Select => RunResult::Select(Box::new(SelectRun {
                result: f.json("summary.json")?,
                probabilities: f
                    .csv_rows("stability.csv")?
                    .into_iter()
                    .filter(|r| r.len() >= 2)
                    .map(|r| (r[0].clone(), r[1].parse().unwrap_or(0.0)))
                    .collect(),
            })),
            RunKind::NetworkPath => RunResult::NetworkPath(Box::new(NetworkPathRun {
                result: f.json("summary.json")?,
                path: f
                    .csv_rows("path.csv")?
                    .iter()
                    .map(|r| PathPoint {
                        lambda: num(r.first()),
                        val_loss: num(r.get(1)),
                        relaxed_val_loss: num(r.get(2)),
                        relaxed_val_se: num(r.get(3)),
                        features: num(r.get(4)) as usize,
                    })
                    .collect(),
                leave: f
                    .csv_rows("features.csv")?
                    .into_iter()
                    .filter(|r| r.len() >= 2)
                    .map(|r| (r[0].clone(), r[1].parse().ok()))
                    .collect(),
            })),
            RunKind::Recommender => {
                let mut curves: BTreeMap<String, Vec<Epoch>> = BTreeMap::new();
                for r in f.csv_rows("epochs.csv")?.iter().filter(|r| r.len() == 4) {
                    curves.entry(r[0].clone()).or_default().push(Epoch {
                        epoch: r[1].parse().unwrap_or(0),
                        train_loss: num(r.get(2)),
                        val_loss: r[3].parse().ok(),
                        penalty: 0.0,
                        metric: None,
                    });
                }
                RunResult::Recommender(Box::new(RecommenderRun {
                    result: f.json("summary.json")?,
                    curves,
                }))
            }
            RunKind::Forecast => RunResult::Forecast(Box::new(ForecastRun {
                result: f.json("summary.json")?,
                test: f
                    .csv_rows("forecasts.csv")?
                    .iter()
                    .filter(|r| r.len() == 7 && r[1] == "test")
                    .map(|r| ForecastRow {
                        time: r[0].clone(),
                        actual: num(r.get(3)),
                        forecast: num(r.get(4)),
                        seasonal_naive: num(r.get(5)),
                    })
                    .collect(),
                epochs: f.epochs()?,
                config: f.text("config.toml").unwrap_or_default(),
            })),
        })
    }
}

fn network(f: &Files) -> Result<NetworkRun> {
    let mut t: Vec<_> = occam_nn::tensors::decode::<f64>(&f.bytes("model.safetensors")?)
        .map_err(|e| Error::model(f.dir.join("model.safetensors"), e.to_string()))?
        .into_iter()
        .filter(|t| t.name.ends_with(".weight") && t.shape.len() == 2)
        .collect();
    let layer = |n: &str| {
        n.split('.')
            .nth(1)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0)
    };
    t.sort_by_key(|x| layer(&x.name));
    Ok(NetworkRun {
        result: f.json("summary.json")?,
        meta: f.json("model.json")?,
        epochs: f.epochs()?,
        weights: t
            .into_iter()
            .map(|x| DenseWeights {
                out: x.shape[0],
                inp: x.shape[1],
                name: x.name,
                w: x.data,
            })
            .collect(),
        config: f.text("config.toml").unwrap_or_default(),
    })
}
