//! The result of a Bayesian linear fit (bayes.json): the posterior of the coefficients, the
//! precisions learned from the evidence, the log marginal likelihood per update, and how
//! well the predictive distribution covers the training rows.

use crate::bayes::BayesModel;
use crate::error::Result;
use occam_core::Dataset;
use occam_linear::BayesKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The z of a central 90% normal interval.
const Z90: f64 = 1.644_853_626_951_472_2;

/// A fitted Bayesian ridge or ARD model (bayes.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BayesResult {
    /// Ridge (one precision) or ARD (one per feature).
    pub kind: BayesKind,
    /// The feature names, in coefficient order.
    pub feature_names: Vec<String>,
    /// The target column.
    pub target: String,
    /// Rows fitted.
    pub n: usize,
    /// Posterior mean of each coefficient (original scale; 0 where ARD pruned).
    pub coef: Vec<f64>,
    /// Posterior standard deviation of each coefficient (0 where ARD pruned).
    pub coef_sd: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// Noise precision learned from the evidence.
    pub alpha: f64,
    /// The noise standard deviation it implies, 1 / sqrt(alpha).
    pub noise_sd: f64,
    /// The weights' precision: one value (ridge) or one per feature (ARD).
    pub lambda: Vec<f64>,
    /// The features ARD kept (all for ridge), in order.
    pub kept: Vec<String>,
    /// Log marginal likelihood at each update (empty unless asked for).
    pub scores: Vec<f64>,
    /// Evidence updates run.
    pub n_iter: usize,
    /// Root mean squared error of the posterior mean on the training rows.
    pub train_rmse: f64,
    /// Mean predictive standard deviation on the training rows.
    pub mean_predictive_sd: f64,
    /// Share of training rows inside their central 90% predictive interval.
    pub coverage_90: f64,
    /// Seconds in the fit.
    pub fit_seconds: f64,
}

impl BayesResult {
    /// The result of `model` fitted on `d` in `seconds`.
    pub fn new(model: &BayesModel, d: &Dataset, seconds: f64) -> Result<BayesResult> {
        let f = &model.fit;
        let pred = model.predict(&d.x)?;
        let sd = pred.std.clone().unwrap_or_default();
        let n = d.nrows();
        let (mut se, mut inside) = (0.0, 0usize);
        for ((r, s), y) in pred.rows.iter().zip(&sd).zip(&d.y) {
            let e = r[0] - y;
            se += e * e;
            inside += usize::from(e.abs() <= Z90 * s);
        }
        Ok(BayesResult {
            kind: f.kind,
            feature_names: d.feature_names.clone(),
            target: d.target_name.clone(),
            n,
            coef: f.coef.clone(),
            coef_sd: model.coef_sd(),
            intercept: f.intercept,
            alpha: f.alpha,
            noise_sd: 1.0 / f.alpha.sqrt(),
            lambda: f.lambda.clone(),
            kept: f.kept.iter().map(|&j| d.feature_names[j].clone()).collect(),
            scores: f.scores.clone(),
            n_iter: f.n_iter,
            train_rmse: (se / n as f64).sqrt(),
            mean_predictive_sd: sd.iter().sum::<f64>() / n as f64,
            coverage_90: inside as f64 / n as f64,
            fit_seconds: seconds,
        })
    }

    /// "Bayesian ridge" or "ARD".
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            BayesKind::Ridge => "Bayesian ridge",
            BayesKind::Ard => "ARD",
        }
    }
}

impl fmt::Display for BayesResult {
    /// The coefficients with their posterior standard deviations (largest first), then the
    /// learned precisions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut idx: Vec<usize> = (0..self.coef.len()).collect();
        idx.sort_by(|&a, &b| self.coef[b].abs().total_cmp(&self.coef[a].abs()));
        writeln!(
            f,
            "{:<24} {:>14} {:>12}",
            "feature", "coefficient", "posterior sd"
        )?;
        for &j in idx.iter().take(30) {
            if self.coef[j] == 0.0 && self.kind == BayesKind::Ard {
                continue;
            }
            writeln!(
                f,
                "{:<24} {:>14.6} {:>12.6}",
                self.feature_names[j], self.coef[j], self.coef_sd[j]
            )?;
        }
        writeln!(f, "{:<24} {:>14.6}", "(intercept)", self.intercept)?;
        let lambda = match self.kind {
            BayesKind::Ridge => format!("lambda {:.6}", self.lambda[0]),
            BayesKind::Ard => format!(
                "{} of {} features kept (precision < threshold)",
                self.kept.len(),
                self.coef.len()
            ),
        };
        writeln!(
            f,
            "alpha {:.6} (noise sd {:.4}), {lambda}, {} updates",
            self.alpha, self.noise_sd, self.n_iter
        )?;
        writeln!(
            f,
            "training rows: rmse {:.4}, mean predictive sd {:.4}, {:.1}% inside their 90% interval",
            self.train_rmse,
            self.mean_predictive_sd,
            100.0 * self.coverage_90
        )
    }
}
