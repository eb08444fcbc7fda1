//! Path configuration: plain data with documented defaults, validated once.

use crate::error::{param, LinearError};
use occam_core::Task;

/// The GLM family, as glmnet names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Gaussian,
    Binomial,
    Multinomial,
    Poisson,
}

impl Family {
    pub fn parse(s: &str) -> Result<Family, LinearError> {
        match s {
            "gaussian" => Ok(Family::Gaussian),
            "binomial" => Ok(Family::Binomial),
            "multinomial" => Ok(Family::Multinomial),
            "poisson" => Ok(Family::Poisson),
            _ => Err(param(
                "family",
                format!("'{s}' is not one of gaussian, binomial, multinomial, poisson"),
            )),
        }
    }

    /// The natural family of a task.
    pub fn for_task(task: Task) -> Family {
        match task {
            Task::Regression => Family::Gaussian,
            Task::Binary => Family::Binomial,
            Task::Multiclass => Family::Multinomial,
            Task::Counts => Family::Poisson,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Gaussian => "gaussian",
            Family::Binomial => "binomial",
            Family::Multinomial => "multinomial",
            Family::Poisson => "poisson",
        }
    }
}

/// Settings of a regularization path, as glmnet's arguments.
///
/// | field | default | range | meaning |
/// |---|---|---|---|
/// | `family` | from the task | | gaussian, binomial, multinomial, poisson |
/// | `alpha` | 1 | [0, 1] | elastic-net mixing; 1 lasso, 0 ridge |
/// | `nlambda` | 100 | >= 1 | length of the automatic lambda grid |
/// | `lambda_min_ratio` | 1e-4 if n > p else 1e-2 | (0, 1) | smallest / largest lambda |
/// | `lambda` | None | > 0 | explicit lambdas (any order; no early stop) |
/// | `penalty_factor` | all 1 | >= 0 | per-feature factors, rescaled to sum to p |
/// | `standardize` | true | | fit on standardized X, report original scale |
/// | `intercept` | true | | unpenalized intercept |
/// | `tol` | 1e-7 | > 0 | glmnet's thresh: coordinate changes relative to null deviance |
/// | `gap_tol` | None | > 0 | also require this certified relative duality gap (gaussian, binomial) |
/// | `max_passes` | 100000 | >= 1 | coordinate-descent passes per lambda |
/// | `grouped` | false | | multinomial: group lasso across classes |
/// | `dfmax` | p + 1 | | stop the path when more features are non-zero |
/// | `weights` | all 1 | >= 0, not all 0 | observation weights, see below |
///
/// Observation `weights` scale each row's loss (the objective is the weighted mean loss, so
/// only their ratios matter, as glmnet's). They are read as frequencies: a row of weight 2
/// fits as that row twice, so the default `lambda_min_ratio` counts their sum as the number
/// of rows, and a row of weight 0 is left out of the fit altogether.
#[derive(Clone, Debug, PartialEq)]
pub struct PathConfig {
    pub family: Family,
    pub alpha: f64,
    pub nlambda: usize,
    pub lambda_min_ratio: Option<f64>,
    pub lambda: Option<Vec<f64>>,
    pub penalty_factor: Option<Vec<f64>>,
    pub standardize: bool,
    pub intercept: bool,
    pub tol: f64,
    pub gap_tol: Option<f64>,
    pub max_passes: usize,
    pub grouped: bool,
    pub dfmax: Option<usize>,
    pub weights: Option<Vec<f64>>,
}

/// Observation weights for `n` rows: one each, finite, non-negative, not all zero.
pub(crate) fn check_weights(w: &[f64], n: usize) -> Result<(), LinearError> {
    if w.len() != n {
        return Err(param(
            "weights",
            format!("{} weights given for {n} rows", w.len()),
        ));
    }
    if let Some(v) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(param(
            "weights",
            format!("{v} is not a finite non-negative number"),
        ));
    }
    if !w.iter().any(|&v| v > 0.0) {
        return Err(param(
            "weights",
            "every weight is zero: there is nothing to fit",
        ));
    }
    Ok(())
}

impl PathConfig {
    pub fn new(family: Family) -> PathConfig {
        PathConfig {
            family,
            alpha: 1.0,
            nlambda: 100,
            lambda_min_ratio: None,
            lambda: None,
            penalty_factor: None,
            standardize: true,
            intercept: true,
            tol: 1e-7,
            gap_tol: None,
            max_passes: 100_000,
            grouped: false,
            dfmax: None,
            weights: None,
        }
    }

    /// Checks every field against its range for a problem with n rows and p features.
    pub fn validate(&self, n: usize, p: usize) -> Result<(), LinearError> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(param("alpha", format!("{} is not in [0, 1]", self.alpha)));
        }
        if self.nlambda == 0 {
            return Err(param("nlambda", "must be at least 1"));
        }
        if let Some(r) = self.lambda_min_ratio {
            if !(r > 0.0 && r < 1.0) {
                return Err(param("lambda_min_ratio", format!("{r} is not in (0, 1)")));
            }
        }
        if let Some(l) = &self.lambda {
            if l.is_empty() {
                return Err(param("lambda", "the list is empty"));
            }
            if let Some(v) = l.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(param(
                    "lambda",
                    format!("{v} is not a finite non-negative number"),
                ));
            }
        }
        if let Some(pf) = &self.penalty_factor {
            if pf.len() != p {
                return Err(param(
                    "penalty_factor",
                    format!("{} factors given for {p} features", pf.len()),
                ));
            }
            if let Some(v) = pf.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(param(
                    "penalty_factor",
                    format!("{v} is not a finite non-negative number"),
                ));
            }
            if pf.iter().all(|&v| v == 0.0) {
                return Err(param(
                    "penalty_factor",
                    "all factors are zero: nothing is penalized",
                ));
            }
        }
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(param("tol", format!("{} is not in (0, 1)", self.tol)));
        }
        if let Some(g) = self.gap_tol {
            if !(g > 0.0 && g < 1.0) {
                return Err(param("gap_tol", format!("{g} is not in (0, 1)")));
            }
        }
        if let Some(w) = &self.weights {
            check_weights(w, n)?;
            if w.iter().filter(|&&v| v > 0.0).count() < 2 {
                return Err(param(
                    "weights",
                    "only 1 row has a non-zero weight: at least 2 are needed",
                ));
            }
        }
        if n < 2 {
            return Err(param("data", format!("{n} rows: at least 2 are needed")));
        }
        Ok(())
    }
}
