//! The option sets in text form, as a user gives them: command-line flags (with the `clap`
//! feature, each set derives its flags and `--help` from these fields and doc comments), a
//! TOML config file (same names, with underscores), or keyword arguments of a binding. Each
//! set resolves into the typed estimator configs ([`Linear`], [`LinearCv`], [`Mlp`](crate::Mlp)) through
//! [`crate::parse`]; every error names the field as it is spelled here.
//!
//! ```
//! use occam::options::TrainOptions;
//! let o = TrainOptions { l1: Some(0.01), optimizer: Some("sgd".into()), ..Default::default() };
//! let mlp = o.mlp().unwrap();
//! assert_eq!(mlp.penalty.default.l1, 0.01);
//! let bad = TrainOptions { elastic_net: Some(vec![0.1]), ..Default::default() };
//! assert_eq!(bad.mlp().unwrap_err().param(), Some("elastic_net"));
//! ```

mod robust;
mod train;

pub use train::TrainOptions;

use crate::error::{Error, Result};
use crate::linear::{family_mismatch, Linear, LinearCv, Rule};
use occam_core::{CsvOptions, DataError, Dataset, MissingPolicy, Task};
use occam_linear::{Family, Measure};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How a supervised data set is read from a table (the reading options of every command).
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataOptions {
    /// Target column (default: the last column).
    #[cfg_attr(feature = "clap", arg(long))]
    pub target: Option<String>,
    /// Missing values (empty, NA, ?): error | mean | median | drop.
    #[cfg_attr(feature = "clap", arg(long, default_value = "error"))]
    pub missing: String,
    /// String columns to one-hot encode, comma separated.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub categorical: Vec<String>,
    /// Use only these feature columns, comma separated.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub features: Option<Vec<String>>,
    /// Leave these columns out, comma separated.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub drop: Vec<String>,
    /// Task: regression | binary | multiclass | counts (default: inferred from the target).
    #[cfg_attr(feature = "clap", arg(long))]
    pub task: Option<String>,
    /// Feature names for a libsvm file, one per line (line i names feature i).
    #[cfg_attr(feature = "clap", arg(long))]
    pub vocab: Option<PathBuf>,
}

impl Default for DataOptions {
    fn default() -> DataOptions {
        DataOptions {
            target: None,
            missing: "error".into(),
            categorical: Vec::new(),
            features: None,
            drop: Vec::new(),
            task: None,
            vocab: None,
        }
    }
}

impl DataOptions {
    /// The reader's options, the text forms parsed.
    pub fn csv_options(&self) -> Result<CsvOptions> {
        Ok(CsvOptions {
            target: self.target.clone(),
            missing: MissingPolicy::parse(&self.missing)?,
            categorical: self.categorical.clone(),
            features: self.features.clone(),
            drop: self.drop.clone(),
            task: self.task.as_deref().map(Task::parse).transpose()?,
        })
    }

    /// Reads DATA (a path or `builtin:NAME`) with these options.
    pub fn load(&self, data: &str) -> Result<Dataset> {
        let src = crate::data::resolve(data)?;
        crate::data::dataset(&src, &self.csv_options()?, self.vocab.as_deref())
    }
}

/// The regularization path of a penalized GLM, in text form ([`Linear`]'s settings).
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearOptions {
    /// gaussian | binomial | multinomial | poisson (default: from the task).
    #[cfg_attr(feature = "clap", arg(long))]
    pub family: Option<String>,
    /// Elastic-net mixing: 1 = lasso, 0 = ridge.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0))]
    pub alpha: f64,
    /// Number of lambdas.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 100))]
    pub nlambda: usize,
    /// Smallest lambda as a fraction of lambda_max (default 1e-4 if n > p, else 1e-2).
    #[cfg_attr(feature = "clap", arg(long))]
    pub lambda_min_ratio: Option<f64>,
    /// Explicit lambdas, comma separated (any order; reported in that order).
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub lambda: Option<Vec<f64>>,
    /// File with one penalty factor per feature (one number per line, or name,factor lines).
    #[cfg_attr(feature = "clap", arg(long))]
    pub penalty_factor: Option<PathBuf>,
    /// Do not standardize the features.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_standardize: bool,
    /// Fit without an intercept.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_intercept: bool,
    /// Convergence threshold (glmnet's thresh).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-7))]
    pub tol: f64,
    /// Also require a certified relative duality gap below this (gaussian, binomial).
    #[cfg_attr(feature = "clap", arg(long))]
    pub gap_tol: Option<f64>,
    /// Relaxed fit: unpenalized refit on each active set, blended with --gamma.
    #[cfg_attr(feature = "clap", arg(long))]
    pub relax: bool,
    /// Relaxation blend for --relax (0 = fully relaxed, 1 = the penalized fit).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub gamma: f64,
    /// Multinomial: group each feature's coefficients across classes (glmnet's "grouped").
    #[cfg_attr(feature = "clap", arg(long))]
    pub grouped: bool,
}

impl Default for LinearOptions {
    fn default() -> LinearOptions {
        let l = Linear::default();
        LinearOptions {
            family: None,
            alpha: l.alpha,
            nlambda: l.nlambda,
            lambda_min_ratio: None,
            lambda: None,
            penalty_factor: None,
            no_standardize: false,
            no_intercept: false,
            tol: l.tol,
            gap_tol: None,
            relax: false,
            gamma: 0.0,
            grouped: false,
        }
    }
}

impl LinearOptions {
    /// The path estimator for the data set `d` (the penalty-factor file is read here, its
    /// names matched to `d`'s features); ranges are checked by [`Linear::path_config`].
    pub fn linear(&self, d: &Dataset) -> Result<Linear> {
        let family = self.family.as_deref().map(Family::parse).transpose()?;
        if let Some(why) = family_mismatch(family.unwrap_or(Family::for_task(d.task)), d) {
            return Err(Error::param_err("family", why));
        }
        if !(0.0..=1.0).contains(&self.gamma) {
            return Err(Error::param_err(
                "gamma",
                format!("{} is not in [0, 1]", self.gamma),
            ));
        }
        let penalty_factor = match &self.penalty_factor {
            Some(p) => Some(penalty_factors(p, d)?),
            None => None,
        };
        Ok(Linear {
            family,
            alpha: self.alpha,
            nlambda: self.nlambda,
            lambda_min_ratio: self.lambda_min_ratio,
            lambda: self.lambda.clone(),
            penalty_factor,
            standardize: !self.no_standardize,
            intercept: !self.no_intercept,
            tol: self.tol,
            gap_tol: self.gap_tol,
            grouped: self.grouped,
            relax: self.relax.then_some(self.gamma),
            weights: None,
        })
    }
}

/// The penalty factors of a file: one number per line in feature order, or `name,factor`
/// lines (features not named keep 1).
fn penalty_factors(path: &Path, d: &Dataset) -> Result<Vec<f64>> {
    let rows = read_numbers(path, "penalty factor")?;
    if !rows.iter().all(|(n, _)| n.is_some()) {
        return Ok(rows.into_iter().map(|(_, v)| v).collect());
    }
    let mut pf = vec![1.0; d.nfeatures()];
    for (name, v) in rows {
        let name = name.unwrap_or_default();
        let j = d
            .feature_names
            .iter()
            .position(|f| *f == name)
            .ok_or_else(|| {
                Error::param_err(
                    "penalty_factor",
                    format!("{}: no feature named '{name}'", path.display()),
                )
            })?;
        pf[j] = v;
    }
    Ok(pf)
}

/// Reads numbers from a file, one per line (or `name,number`), with errors naming the line.
fn read_numbers(path: &Path, what: &str) -> Result<Vec<(Option<String>, f64)>> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, num) = match line.rsplit_once(',') {
            Some((n, v)) => (Some(n.trim().to_string()), v.trim()),
            None => (None, line),
        };
        let v: f64 = num
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| DataError::Malformed {
                path: path.to_path_buf(),
                line: k as u64 + 1,
                detail: format!("'{num}' is not a number ({what})"),
            })?;
        out.push((name, v));
    }
    Ok(out)
}

/// K-fold cross-validation of the path, in text form ([`LinearCv`]'s settings).
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvOptions {
    /// Number of folds.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 10))]
    pub folds: usize,
    /// File with one fold id (1..K) per row, instead of random folds.
    #[cfg_attr(feature = "clap", arg(long))]
    pub foldid: Option<PathBuf>,
    /// deviance | mse | mae | class | auc (default: deviance).
    #[cfg_attr(feature = "clap", arg(long, default_value = "deviance"))]
    pub measure: String,
    /// Seed for the folds.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1))]
    pub seed: u64,
    /// The lambda the saved model predicts with: 1se (lambda.1se) or min (lambda.min).
    #[cfg_attr(feature = "clap", arg(long, default_value = "1se"))]
    pub rule: String,
}

impl Default for CvOptions {
    fn default() -> CvOptions {
        CvOptions {
            folds: 10,
            foldid: None,
            measure: "deviance".into(),
            seed: 1,
            rule: "1se".into(),
        }
    }
}

impl CvOptions {
    /// The cross-validated path estimator over `path` for the data set `d` (the fold-id
    /// file is read here and checked against `d`'s rows).
    pub fn linear_cv(&self, path: Linear, d: &Dataset) -> Result<LinearCv> {
        let n = d.nrows();
        let foldid = match &self.foldid {
            Some(p) => {
                let rows = read_numbers(p, "fold id")?;
                if rows.len() != n {
                    return Err(Error::param_err(
                        "foldid",
                        format!("{} has {} fold ids for {n} rows", p.display(), rows.len()),
                    ));
                }
                let mut ids = Vec::with_capacity(n);
                for (k, (_, v)) in rows.iter().enumerate() {
                    if v.fract() != 0.0 || *v < 1.0 {
                        return Err(Error::param_err(
                            "foldid",
                            format!("entry {} is {v}; fold ids are 1, 2, ..., K", k + 1),
                        ));
                    }
                    ids.push(*v as usize - 1);
                }
                Some(ids)
            }
            None => None,
        };
        let family = path.family.unwrap_or(Family::for_task(d.task));
        Ok(LinearCv {
            path,
            folds: self.folds,
            foldid,
            measure: Measure::parse(&self.measure, family)?,
            seed: self.seed,
            rule: Rule::parse(&self.rule)?,
        })
    }
}

/// Bayesian ridge or ARD, in text form ([`crate::BayesLinear`]'s settings; scikit-learn's
/// names and defaults).
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BayesOptions {
    /// ARD: one prior precision per coefficient, features past --threshold-lambda pruned to
    /// zero (default: Bayesian ridge, one precision for all).
    #[cfg_attr(feature = "clap", arg(long))]
    pub ard: bool,
    /// Evidence updates at most.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 300))]
    pub max_iter: usize,
    /// Stop when the coefficients move less than this (sum of absolute changes).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-3))]
    pub tol: f64,
    /// Shape of the Gamma prior on the noise precision alpha.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-6))]
    pub alpha_1: f64,
    /// Rate of the Gamma prior on alpha.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-6))]
    pub alpha_2: f64,
    /// Shape of the Gamma prior on the weights' precision lambda.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-6))]
    pub lambda_1: f64,
    /// Rate of the Gamma prior on lambda.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-6))]
    pub lambda_2: f64,
    /// Start of alpha (Bayesian ridge; default 1 / var(y)).
    #[cfg_attr(feature = "clap", arg(long))]
    pub alpha_init: Option<f64>,
    /// Start of lambda (Bayesian ridge; default 1).
    #[cfg_attr(feature = "clap", arg(long))]
    pub lambda_init: Option<f64>,
    /// ARD: prune a feature once its precision passes this.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e4))]
    pub threshold_lambda: f64,
    /// Fit without an intercept.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_intercept: bool,
}

impl Default for BayesOptions {
    fn default() -> BayesOptions {
        let c = occam_linear::BayesConfig::default();
        BayesOptions {
            ard: false,
            max_iter: c.max_iter,
            tol: c.tol,
            alpha_1: c.alpha_1,
            alpha_2: c.alpha_2,
            lambda_1: c.lambda_1,
            lambda_2: c.lambda_2,
            alpha_init: None,
            lambda_init: None,
            threshold_lambda: c.threshold_lambda,
            no_intercept: false,
        }
    }
}

impl BayesOptions {
    /// The estimator (recording the log marginal likelihood at every update, for the
    /// report), checked.
    pub fn bayes(&self) -> Result<crate::BayesLinear> {
        let config = occam_linear::BayesConfig {
            max_iter: self.max_iter,
            tol: self.tol,
            alpha_1: self.alpha_1,
            alpha_2: self.alpha_2,
            lambda_1: self.lambda_1,
            lambda_2: self.lambda_2,
            alpha_init: self.alpha_init,
            lambda_init: self.lambda_init,
            compute_score: true,
            fit_intercept: !self.no_intercept,
            threshold_lambda: self.threshold_lambda,
        };
        config.validate()?;
        if self.ard && (self.alpha_init.is_some() || self.lambda_init.is_some()) {
            return Err(Error::param_err(
                if self.alpha_init.is_some() {
                    "alpha_init"
                } else {
                    "lambda_init"
                },
                "applies to Bayesian ridge only (ARD starts from 1 / var(y) and 1)",
            ));
        }
        Ok(crate::BayesLinear {
            kind: if self.ard {
                occam_linear::BayesKind::Ard
            } else {
                occam_linear::BayesKind::Ridge
            },
            config,
            weights: None,
        })
    }
}

/// One `[[layer_penalty]]` table of a TOML config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayerPenaltyEntry {
    /// The dense layer, 0-based.
    pub layer: usize,
    /// L1 strength.
    pub l1: f64,
    /// Coupled L2 strength.
    pub l2: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// Elastic net as (lambda, alpha).
    pub elastic_net: Option<(f64, f64)>,
    /// Group lasso over the layer's inputs.
    pub group_lasso: f64,
    /// Group lasso over the layer's neurons.
    pub group_lasso_neurons: f64,
}
