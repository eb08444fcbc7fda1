//! The results of a linear path (path.json) and of its cross-validation (cv.json), with
//! glmnet's names: `lambda`, `a0`, `beta`, `df`, `dev_ratio`, `nulldev`, `cvm`, `cvsd`.

use occam_core::Dataset;
use occam_linear::error::PathWarning;
use occam_linear::{CvFit, Family, Measure, PathFit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Intercepts along the path: one per lambda, or per lambda and class (multinomial).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Intercepts {
    /// `[lambda]`.
    One(Vec<f64>),
    /// `[lambda][class]`.
    PerClass(Vec<Vec<f64>>),
}

/// Coefficients along the path: `[lambda][feature]`, or `[class][lambda][feature]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Coefficients {
    /// `[lambda][feature]`.
    One(Vec<Vec<f64>>),
    /// `[class][lambda][feature]` (multinomial).
    PerClass(Vec<Vec<Vec<f64>>>),
}

impl Coefficients {
    /// The coefficients of one response (the first class of a multinomial) as
    /// `[feature][lambda]`, the layout a coefficient-path plot draws.
    pub fn by_feature(&self) -> Vec<Vec<f64>> {
        let rows: &[Vec<f64>] = match self {
            Coefficients::One(b) => b,
            Coefficients::PerClass(b) => b.first().map_or(&[], |c| &c[..]),
        };
        let p = rows.first().map_or(0, |r| r.len());
        (0..p)
            .map(|j| rows.iter().map(|r| r[j]).collect())
            .collect()
    }
}

/// The relaxed fit's coefficients (glmnet's `relax = TRUE`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelaxedCoefficients {
    /// The blend: gamma * penalized + (1 - gamma) * unpenalized refit.
    pub gamma: f64,
    /// Intercepts.
    pub a0: Intercepts,
    /// Coefficients.
    pub beta: Coefficients,
}

/// A fitted regularization path (path.json), coefficients on the original scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearResult {
    /// The GLM family.
    pub family: Family,
    /// The elastic-net mixing: 1 lasso, 0 ridge.
    pub alpha: f64,
    /// The lambdas, in the order fitted.
    pub lambda: Vec<f64>,
    /// Intercepts.
    pub a0: Intercepts,
    /// Coefficients.
    pub beta: Coefficients,
    /// Non-zero coefficients at each lambda.
    pub df: Vec<usize>,
    /// Fraction of the null deviance explained at each lambda.
    #[serde(deserialize_with = "occam_core::nan::vec")]
    pub dev_ratio: Vec<f64>,
    /// The null deviance.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub nulldev: f64,
    /// The feature names, in coefficient order.
    pub feature_names: Vec<String>,
    /// Class labels (classification), else empty.
    pub classes: Vec<String>,
    /// The target column.
    pub target: String,
    /// Rows fitted.
    pub n: usize,
    /// Certified relative duality gap at each lambda, where computed.
    pub relative_gap: Vec<Option<f64>>,
    /// Coordinate-descent passes over the whole path.
    pub passes: usize,
    /// What the caller should know about a fit that still returned.
    pub warnings: Vec<PathWarning>,
    /// Seconds in the solver.
    pub fit_seconds: f64,
    /// The relaxed fit, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relaxed: Option<RelaxedCoefficients>,
}

fn intercepts(a0: &[Vec<f64>], multi: bool) -> Intercepts {
    if multi {
        Intercepts::PerClass(a0.to_vec())
    } else {
        Intercepts::One(a0.iter().map(|a| a[0]).collect())
    }
}

fn coefficients(beta: &[Vec<Vec<f64>>], multi: bool) -> Coefficients {
    if multi {
        Coefficients::PerClass(beta.to_vec())
    } else {
        Coefficients::One(beta.first().cloned().unwrap_or_default())
    }
}

impl LinearResult {
    /// The result of `fit` on `data`.
    pub fn new(fit: &PathFit, data: &Dataset) -> Self {
        let multi = fit.family == Family::Multinomial;
        LinearResult {
            family: fit.family,
            alpha: fit.alpha,
            lambda: fit.lambda.clone(),
            a0: intercepts(&fit.a0, multi),
            beta: coefficients(&fit.beta, multi),
            df: fit.df.clone(),
            dev_ratio: fit.dev_ratio.clone(),
            nulldev: fit.nulldev,
            feature_names: data.feature_names.clone(),
            classes: data.classes.clone(),
            target: data.target_name.clone(),
            n: data.nrows(),
            relative_gap: fit.relative_gap.clone(),
            passes: fit.passes,
            warnings: fit.warnings.clone(),
            fit_seconds: fit.fit_seconds,
            relaxed: fit.relaxed.as_ref().map(|r| RelaxedCoefficients {
                gamma: r.gamma,
                a0: intercepts(&r.a0, multi),
                beta: coefficients(&r.beta, multi),
            }),
        }
    }
}

/// One lambda scored on held-out rows (the demo's lambda.min and lambda.1se).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldOutPoint {
    /// The lambda.
    pub lambda: f64,
    /// Held-out accuracy.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub accuracy: f64,
    /// Held-out AUC (NaN when the held-out rows have one class).
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub auc: f64,
    /// Non-zero coefficients.
    pub df: usize,
}

/// A cross-validated path (cv.json): the path plus glmnet's `cv.glmnet` fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvResult {
    /// The path fitted on all rows.
    #[serde(flatten)]
    pub path: LinearResult,
    /// The loss averaged over held-out folds.
    pub measure: Measure,
    /// Mean CV loss at each lambda.
    #[serde(deserialize_with = "occam_core::nan::vec")]
    pub cvm: Vec<f64>,
    /// Its standard error.
    #[serde(deserialize_with = "occam_core::nan::vec")]
    pub cvsd: Vec<f64>,
    /// The lambda with the smallest mean CV loss.
    pub lambda_min: f64,
    /// The largest lambda within one standard error of it.
    pub lambda_1se: f64,
    /// 1-based index of lambda.min (as glmnet's `index`).
    pub index_min: usize,
    /// 1-based index of lambda.1se.
    pub index_1se: usize,
    /// The fold of each row, 1-based.
    pub foldid: Vec<usize>,
    /// Features with a non-zero coefficient at lambda.min.
    pub selected_min: Vec<String>,
    /// Features with a non-zero coefficient at lambda.1se.
    pub selected_1se: Vec<String>,
    /// Seconds for the path and the folds.
    pub cv_seconds: f64,
    /// lambda.min and lambda.1se scored on rows held out of the CV (the demo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<BTreeMap<String, HeldOutPoint>>,
    /// The seed of that held-out split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_seed: Option<u64>,
}

impl CvResult {
    /// The result of a cross-validation on `data`.
    pub fn new(cv: &CvFit, data: &Dataset) -> Self {
        let names = |l: usize| -> Vec<String> {
            cv.fit
                .selected(l)
                .iter()
                .map(|&j| data.feature_names[j].clone())
                .collect()
        };
        CvResult {
            path: LinearResult::new(&cv.fit, data),
            measure: cv.measure,
            cvm: cv.cvm.clone(),
            cvsd: cv.cvsd.clone(),
            lambda_min: cv.lambda_min,
            lambda_1se: cv.lambda_1se,
            index_min: cv.index_min + 1,
            index_1se: cv.index_1se + 1,
            foldid: cv.foldid.iter().map(|f| f + 1).collect(),
            selected_min: names(cv.index_min),
            selected_1se: names(cv.index_1se),
            cv_seconds: cv.fit_seconds,
            held_out: None,
            split_seed: None,
        }
    }
}

/// The result of a text model (summary.json of `occam train --model text`); its path and CV
/// are in cv.json ([`CvResult`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextResult {
    /// Always "text".
    pub model: String,
    /// Texts trained on.
    pub texts: usize,
    /// Terms in the vocabulary.
    pub terms: usize,
    /// How texts became rows.
    pub vectorizer: occam_core::text::TextConfig,
    /// The elastic-net mixing.
    pub alpha: f64,
    /// CV folds.
    pub folds: usize,
    /// CV accuracy at lambda.min.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_accuracy: f64,
    /// Its standard error.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_se: f64,
    /// lambda.min.
    pub lambda_min: f64,
    /// lambda.1se.
    pub lambda_1se: f64,
    /// CV accuracy at lambda.1se.
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub cv_accuracy_1se: f64,
    /// Terms with a non-zero weight at lambda.min.
    pub terms_in_model: usize,
    /// The class a positive weight points to.
    pub positive_class: String,
    /// Up to 20 (term, weight) pointing to it, largest first.
    pub top_positive: Vec<(String, f64)>,
    /// Up to 20 pointing away, most negative first.
    pub top_negative: Vec<(String, f64)>,
}
