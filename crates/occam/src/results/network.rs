//! The results of a network run (summary.json of `occam train`), of a forecaster and of a
//! recommender.

use super::Metrics;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Exact zeros in one dense layer's weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerZeros {
    /// The dense layer, 0 first.
    pub layer: usize,
    /// Weights that are exactly zero.
    pub zeros: usize,
    /// All weights.
    pub total: usize,
}

/// The input features with the largest first-layer weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "weight", rename_all = "lowercase")]
pub enum TopInputs {
    /// A network without hidden layers and one output: the signed weights.
    Signed {
        /// The class a positive weight points to.
        toward: String,
        /// Up to 20 most positive (name, weight).
        positive: Vec<(String, f64)>,
        /// Up to 20 most negative (name, weight).
        negative: Vec<(String, f64)>,
    },
    /// Otherwise: the L2 norm of a feature's outgoing weights.
    Norm {
        /// Up to 20 largest (name, norm).
        largest: Vec<(String, f64)>,
    },
}

impl TopInputs {
    /// The strongest inputs of a first dense layer whose inputs are the columns `names`; a
    /// positive signed weight points toward the last of `classes`.
    pub fn of(first: &occam_nn::layer::Dense<f32>, names: &[String], classes: &[String]) -> Self {
        let (n_in, n_out) = (first.n_in, first.n_out);
        let w = &first.weight.value;
        let named = |j: usize, v: f32| (names[j].clone(), v as f64);
        if n_out == 1 {
            let mut order: Vec<usize> = (0..n_in).filter(|&j| w[j] != 0.0).collect();
            order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
            let pick = |it: &mut dyn Iterator<Item = &usize>, pos: bool| -> Vec<(String, f64)> {
                it.filter(|&&j| (w[j] > 0.0) == pos)
                    .take(20)
                    .map(|&j| named(j, w[j]))
                    .collect()
            };
            return TopInputs::Signed {
                toward: classes.last().cloned().unwrap_or_default(),
                positive: pick(&mut order.iter(), true),
                negative: pick(&mut order.iter().rev(), false),
            };
        }
        let norms: Vec<f32> = (0..n_in)
            .map(|j| {
                w[j * n_out..(j + 1) * n_out]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f32>()
                    .sqrt()
            })
            .collect();
        let mut order: Vec<usize> = (0..n_in).filter(|&j| norms[j] > 0.0).collect();
        order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
        TopInputs::Norm {
            largest: order.iter().take(20).map(|&j| named(j, norms[j])).collect(),
        }
    }
}

/// One metric over several seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedScores {
    /// The mean over seeds.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub mean: f64,
    /// The value of each seed.
    #[serde(deserialize_with = "occam_core::nan::vec")]
    pub per_seed: Vec<f64>,
}

/// The regularized network against the same network trained without any penalty, dropout
/// or early stopping, on the same held-out rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Which rows: "test" or "validation".
    pub held_out: String,
    /// Seeds per model.
    pub repeats: usize,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Metric -> scores of the regularized network.
    pub regularized: BTreeMap<String, SeedScores>,
    /// Metric -> scores of the unregularized network.
    pub baseline: BTreeMap<String, SeedScores>,
}

/// The result of training one network (summary.json of `occam train`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkResult {
    /// Validation loss of the kept weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// Validation metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_metrics: Option<Metrics>,
    /// Test loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// Test metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_metrics: Option<Metrics>,
    /// The strongest inputs (dense networks on columns only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_inputs: Option<TopInputs>,
    /// Exact zeros per dense layer.
    pub zeros_per_layer: Vec<LayerZeros>,
    /// Input features with a non-zero first-layer column (empty behind convolutions).
    pub input_features_kept: Vec<String>,
    /// Inputs of the first dense layer.
    pub n_input_features: usize,
    /// Epochs run.
    pub epochs_run: usize,
    /// The epoch whose weights were kept, when early stopping watched a validation set.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Seconds training.
    pub fit_seconds: f64,
    /// The penalty term of the final weights.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub penalty: f64,
    /// Trainable parameters.
    pub n_params: usize,
    /// Threads used.
    pub threads: usize,
    /// Against the unregularized network (`baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The L2 strengths learned from the evidence, one entry per update (`l2_evidence`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<occam_nn::trainer::EvidenceLog>,
    /// What DP-SGD spent (`occam_nn::dp`): the noise multiplier, clipping norm, sampling rate,
    /// steps and the (epsilon, delta) guarantee; absent without DP-SGD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<occam_nn::dp::PrivacySpent>,
    /// Clean and robust accuracy under PGD on the held-out rows (`robust_eval`); absent
    /// without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robustness: Option<crate::robust::Robustness>,
    /// Federated training's settings and the rows of each client; absent for a network
    /// trained on all rows at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<FederatedSummary>,
    /// The last-layer Laplace's hyperparameters and held-out calibration (`laplace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<super::Uncertainty>,
    /// What variational dropout learned (`variational`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variational: Option<super::VariationalResult>,
}

/// Forecast errors at the scored horizon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Errors {
    /// Root mean square error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub rmse: f64,
    /// Mean absolute error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub mae: f64,
    /// Windows scored.
    pub n: usize,
}

impl Errors {
    /// The errors of (forecast, actual) pairs.
    pub fn of(pairs: &[(f64, f64)]) -> Self {
        let n = pairs.len().max(1) as f64;
        let mse = pairs.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n;
        let mae = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
        Errors {
            rmse: mse.sqrt(),
            mae,
            n: pairs.len(),
        }
    }
}

/// One part's forecasts against the baselines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartScores {
    /// The network.
    pub model: Errors,
    /// The value one season earlier.
    pub seasonal_naive: Errors,
    /// The last observed value.
    pub last_value: Errors,
    /// The network's RMSE at each step ahead, 1 first.
    #[serde(deserialize_with = "occam_core::nan::vec")]
    pub rmse_per_step: Vec<f64>,
    /// Windows in the part.
    pub windows: usize,
    /// Windows not scored because their seasonal-naive value is missing.
    pub unscored_no_seasonal_value: usize,
}

/// Validation and test scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastScores {
    /// The validation windows.
    pub validation: PartScores,
    /// The test windows.
    pub test: PartScores,
}

/// The series a forecaster was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesInfo {
    /// Time steps, missing ones included.
    pub steps: usize,
    /// Seconds between steps.
    pub step_seconds: i64,
    /// Missing values.
    pub missing: usize,
    /// Of those, time stamps absent from the file.
    pub missing_time_stamps: usize,
    /// How missing values were handled.
    pub gaps: occam_core::series::Gaps,
    /// The first time stamp.
    pub first: String,
    /// The last time stamp.
    pub last: String,
    /// Where validation starts.
    pub validation_starts: String,
    /// Where test starts.
    pub test_starts: String,
}

/// The windows cut from the series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowInfo {
    /// Steps in.
    pub window: usize,
    /// Steps ahead forecast.
    pub horizon: usize,
    /// The season, in steps.
    pub season: usize,
    /// Whether values are taken relative to the window's last value.
    pub relative: bool,
    /// Input features per step.
    pub features_per_step: usize,
    /// Training windows.
    pub train: usize,
    /// Validation windows.
    pub validation: usize,
    /// Test windows.
    pub test: usize,
    /// Windows left out for a missing input.
    pub left_out_missing_input: usize,
    /// Windows left out for a missing target.
    pub left_out_missing_target: usize,
}

/// The forecaster against the same network without regularization, on test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastComparison {
    /// Always "test".
    pub held_out: String,
    /// The regularized network.
    pub regularized: Errors,
    /// The unregularized network.
    pub baseline: Errors,
    /// Epochs the unregularized network ran.
    pub baseline_epochs: usize,
}

/// The result of a forecaster run (summary.json of `occam train --model lstm|gru`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastResult {
    /// "lstm" or "gru".
    pub model: String,
    /// The forecast column.
    pub target: String,
    /// The series.
    pub series: SeriesInfo,
    /// The windows.
    pub windows: WindowInfo,
    /// Training errors at the horizon.
    pub train_model: Errors,
    /// Validation and test against the baselines.
    pub scores: ForecastScores,
    /// Whether the network beats seasonal naive on test.
    pub beats_seasonal_naive: bool,
    /// Epochs run.
    pub epochs_run: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Seconds training.
    pub fit_seconds: f64,
    /// Trainable parameters.
    pub n_params: usize,
    /// The penalty term of the final weights.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub penalty: f64,
    /// Against the unregularized network (`baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ForecastComparison>,
    /// MC dropout's 90%-and-other intervals on the test windows at the horizon (a network
    /// with dropout, recurrent or variational dropout only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<super::IntervalCheck>,
}

/// Rating errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingErrors {
    /// Root mean square error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub rmse: f64,
    /// Mean absolute error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub mae: f64,
}

/// A recommender model's scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingScores {
    /// Training RMSE (not for the global-mean and bias baselines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_rmse: Option<f64>,
    /// Validation RMSE.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub val_rmse: f64,
    /// Test errors.
    pub test: RatingErrors,
    /// Epochs run (factorisations only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs_run: Option<usize>,
    /// The L2 strength (the regularized factorisation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2: Option<f64>,
}

/// The two baselines without factors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingBaselines {
    /// The mean training rating.
    pub global_mean: RatingScores,
    /// Mean plus user and item biases.
    pub user_item_bias: RatingScores,
}

/// One L2 strength tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct L2Try {
    /// The strength.
    pub l2: f64,
    /// Its validation RMSE.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub val_rmse: f64,
}

/// Rows per part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingCounts {
    /// Training ratings.
    pub train: usize,
    /// Validation ratings.
    pub validation: usize,
    /// Test ratings.
    pub test: usize,
}

/// Validation minus training RMSE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverfitGap {
    /// With L2 and early stopping.
    pub regularized: f64,
    /// Without.
    pub unregularized: f64,
}

/// The result of a recommender run (summary.json of `occam train --model recommender`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecommenderResult {
    /// Always "recommender".
    pub model: String,
    /// Distinct users.
    pub users: usize,
    /// Distinct items.
    pub items: usize,
    /// Ratings per part.
    pub ratings: RatingCounts,
    /// The configuration (with L2 0; the chosen L2 is in `regularized`).
    pub config: occam_nn::recommender::RecConfig,
    /// The baselines.
    pub baselines: RatingBaselines,
    /// The L2 strengths tried on validation.
    pub l2_grid: Vec<L2Try>,
    /// The factorisation with the chosen L2 and early stopping.
    pub regularized: RatingScores,
    /// The factorisation without L2 or early stopping.
    pub unregularized: RatingScores,
    /// Validation minus training RMSE of both.
    pub overfit_gap: OverfitGap,
}

/// How a network was trained federated ([`occam_nn::federated`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FederatedSummary {
    /// Clients, rounds, local epochs, FedProx's mu, the split.
    pub settings: occam_nn::federated::FedConfig,
    /// The training rows of each client.
    pub client_rows: Vec<usize>,
}
