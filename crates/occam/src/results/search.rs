//! The results of choosing a model: a search over network configurations (`occam tune`),
//! stability selection (`occam select`) and the LassoNet path (`occam path`).

use super::Metrics;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The chosen model and the baseline scored on the same held-out rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    /// The regularized (chosen) model; `None` without held-out rows.
    #[serde(default)]
    pub regularized: Option<Metrics>,
    /// The baseline; `None` without held-out rows.
    #[serde(default)]
    pub baseline: Option<Metrics>,
    /// What the two models are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_note: Option<String>,
}

/// One trial picked by a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialPick {
    /// 1-based trial number.
    pub trial: usize,
    /// Its parameters.
    pub params: BTreeMap<String, f64>,
    /// Its mean CV score.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_mean: f64,
    /// Its standard error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_se: f64,
    /// Mean input features kept over the folds.
    pub features_kept: f64,
}

/// The configuration the search chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneChoice {
    /// 1-based trial number.
    pub trial: usize,
    /// Its parameters.
    pub params: BTreeMap<String, f64>,
    /// The full training options of the chosen configuration, for the record.
    pub options: serde_json::Value,
}

/// The result of a search (summary.json of `occam tune`); the trials are in trials.jsonl.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneResult {
    /// The chosen configuration.
    pub chosen: TuneChoice,
    /// Its mean CV score.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_mean: f64,
    /// Its standard error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_se: f64,
    /// The CV metric.
    pub metric: String,
    /// The rule that chose: "min" or "1se".
    pub rule: String,
    /// The trial with the best mean.
    pub min: TrialPick,
    /// The trial the one-standard-error rule picks.
    pub one_se: TrialPick,
    /// Input features the chosen network keeps.
    pub selected_features: Vec<String>,
    /// The chosen network and the unregularized one on held-out rows.
    #[serde(flatten)]
    pub held_out: HeldOut,
    /// Trials run.
    pub trials: usize,
    /// Of those, pruned.
    pub pruned: usize,
    /// Held-out rows.
    pub held_out_rows: usize,
}

/// Rows used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    /// Training rows.
    pub train: usize,
    /// Validation rows, where a split has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<usize>,
    /// Held-out test rows.
    pub test: usize,
}

/// The settings of a stability selection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StabilityChoice {
    /// Complementary pairs of half-samples.
    pub pairs: usize,
    /// The per-lambda target of selected features (linear) or the measured mean (network).
    pub q: f64,
    /// The selection-probability threshold.
    pub threshold: f64,
    /// Randomized-lasso weakness (linear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weakness: Option<f64>,
    /// The lambda range (linear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_range: Option<[f64; 2]>,
    /// The GLM family (linear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// The elastic-net mixing (linear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// The first-layer L1 strength (network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1: Option<f64>,
    /// Hidden widths (network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// Epochs per half-sample fit (network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
}

/// Correlated features selected as one cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StableCluster {
    /// The member features.
    pub members: Vec<String>,
    /// The cluster's selection probability (any member selected).
    pub probability: f64,
    /// Whether the cluster passes the threshold.
    pub stable: bool,
    /// Each member's own probability.
    pub member_probabilities: Vec<f64>,
    /// Half-sample fits.
    pub half_fits: usize,
    /// Fits keeping exactly one member.
    pub half_fits_one_member: usize,
    /// Fits keeping every member.
    pub half_fits_all_members: usize,
    /// Fits keeping none.
    pub half_fits_no_member: usize,
}

/// The lasso at lambda.1se on held-out rows, and the features it keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LassoPoint {
    /// Held-out metrics.
    #[serde(flatten)]
    pub metrics: Metrics,
    /// The features kept.
    pub features: Vec<String>,
}

/// The result of a stability selection (summary.json of `occam select`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectResult {
    /// Always "stability".
    pub method: String,
    /// "mlp" for a network; absent for the lasso.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The settings.
    pub chosen: StabilityChoice,
    /// The rule in words.
    pub rule: String,
    /// The stable features.
    pub selected_features: Vec<String>,
    /// Their selection probabilities.
    pub selection_probability: Vec<f64>,
    /// The mean number selected per fit over the range.
    pub q_lambda: f64,
    /// The bound on the expected number of false selections.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub error_bound: f64,
    /// CV mean of the refit on the stable features (linear).
    #[serde(default)]
    pub cv_mean: Option<f64>,
    /// Its standard error.
    #[serde(default)]
    pub cv_se: Option<f64>,
    /// What that CV means.
    pub cv_note: String,
    /// Half-sample fits.
    pub fits: usize,
    /// Seconds.
    pub fit_seconds: f64,
    /// Rows.
    pub rows: Rows,
    /// Clusters of correlated features (linear).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<StableCluster>,
    /// The refit on the stable features and the baseline on held-out rows.
    #[serde(flatten)]
    pub held_out: HeldOut,
    /// The plain lasso at lambda.1se on the same rows (linear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lasso_1se: Option<LassoPoint>,
}

/// The chosen point of a LassoNet path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathChoice {
    /// 0-based point on the path.
    pub point: usize,
    /// Its lambda.
    pub lambda: f64,
    /// Features kept there.
    pub features: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// The hierarchy multiplier M.
    pub m: f64,
}

/// The result of a LassoNet path (summary.json of `occam path`); the path is in path.csv.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkPathResult {
    /// Always "lassonet".
    pub method: String,
    /// The chosen point.
    pub chosen: PathChoice,
    /// Validation loss of the relaxed fit there.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_mean: f64,
    /// Its standard error over validation rows.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_se: f64,
    /// What that loss means.
    pub cv_note: String,
    /// The rule that chose.
    pub rule: String,
    /// The features at the chosen point.
    pub selected_features: Vec<String>,
    /// Points on the path.
    pub points: usize,
    /// Seconds for the path.
    pub path_seconds: f64,
    /// Rows.
    pub rows: Rows,
    /// The relaxed refit and the dense fit on held-out rows.
    #[serde(flatten)]
    pub held_out: HeldOut,
    /// The chosen point's own (shrunk) weights on held-out rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalized: Option<Metrics>,
}
