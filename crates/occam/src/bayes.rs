//! Bayesian linear regression, its regularization learned from the data by evidence
//! maximization: Bayesian ridge (one prior precision for every coefficient) and ARD (one per
//! coefficient, irrelevant features pruned to exact zero), as scikit-learn's
//! `BayesianRidge` and `ARDRegression` (the solver is occam-linear's `bayes`). The fitted
//! model predicts a mean and a standard deviation for each row, saves to a run folder
//! (`bayes_model.json` + `bayes_model.safetensors`) and has a typed result for the report
//! ([`crate::results::BayesResult`]).

use crate::error::{Error, Result};
use crate::estimator::{validate_data, Estimator, Fitted};
use crate::linear::{f64_tensor, f64_view};
use crate::predict::Predictions;
use crate::preprocess::Preprocessor;
use crate::run::{RunFolder, RunKind};
use occam_core::{Dataset, Matrix};
pub use occam_linear::{BayesConfig, BayesFit, BayesKind};
use safetensors::tensor::SafeTensors;
use serde::{Deserialize, Serialize};

/// The format tag of `bayes_model.json`.
pub const BAYES_FORMAT: &str = "occam-bayes-1";

/// Bayesian ridge or ARD regression; `config` as [`BayesConfig`] (scikit-learn's names and
/// defaults).
///
/// | field | default | meaning |
/// |---|---|---|
/// | `kind` | | [`BayesKind::Ridge`] or [`BayesKind::Ard`] |
/// | `config` | [`BayesConfig::default`] | priors, iterations, intercept, ARD threshold |
/// | `weights` | None | observation weights, one per row (ridge only, as scikit-learn) |
#[derive(Clone, Debug, PartialEq)]
pub struct BayesLinear {
    /// One precision for all coefficients, or one per coefficient.
    pub kind: BayesKind,
    /// Priors, iterations, intercept, the ARD threshold.
    pub config: BayesConfig,
    /// Observation weights (ridge only).
    pub weights: Option<Vec<f64>>,
}

impl BayesLinear {
    /// Bayesian ridge with the default settings.
    pub fn ridge() -> BayesLinear {
        BayesLinear {
            kind: BayesKind::Ridge,
            config: BayesConfig::default(),
            weights: None,
        }
    }

    /// ARD with the default settings.
    pub fn ard() -> BayesLinear {
        BayesLinear {
            kind: BayesKind::Ard,
            ..BayesLinear::ridge()
        }
    }
}

impl Estimator for BayesLinear {
    type Model = BayesModel;

    fn fit(&self, d: &Dataset) -> Result<BayesModel> {
        validate_data(d)?;
        if d.task.is_classification() {
            return Err(Error::param_err(
                "target",
                format!(
                    "Bayesian ridge and ARD need a numeric target; '{}' was read as classes \
                     (use task regression)",
                    d.target_name
                ),
            ));
        }
        if let Some(w) = &self.weights {
            if self.kind == BayesKind::Ard {
                return Err(Error::param_err(
                    "weights",
                    "ARD takes no observation weights (as scikit-learn's ARDRegression)",
                ));
            }
            if w.len() != d.nrows() {
                return Err(Error::param_err(
                    "weights",
                    format!("{} weights given for {} rows", w.len(), d.nrows()),
                ));
            }
        }
        let fit = match self.kind {
            BayesKind::Ridge => {
                occam_linear::bayesian_ridge(&d.x, &d.y, self.weights.as_deref(), &self.config)?
            }
            BayesKind::Ard => occam_linear::ard(&d.x, &d.y, &self.config)?,
        };
        Ok(BayesModel {
            preprocess: Preprocessor::from_dataset(d),
            fit,
        })
    }
}

/// A fitted Bayesian linear model and the preprocessing of its training data.
#[derive(Clone, Debug, PartialEq)]
pub struct BayesModel {
    /// The steps from raw columns to features.
    pub preprocess: Preprocessor,
    /// The posterior and the learned precisions.
    pub fit: BayesFit,
}

/// `bayes_model.json`: everything but the arrays (in `bayes_model.safetensors`).
#[derive(Serialize, Deserialize)]
struct BayesMeta {
    format: String,
    kind: BayesKind,
    intercept: f64,
    alpha: f64,
    y_offset: f64,
    kept: Vec<usize>,
    scores: Vec<f64>,
    n_iter: usize,
    preprocess: Preprocessor,
}

impl BayesModel {
    /// The posterior mean and the predictive standard deviation of each row of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<Predictions> {
        let p = self.preprocess.n_features();
        if x.ncols() != p {
            return Err(Error::param_err(
                "x",
                format!("has {} feature columns, the model needs {p}", x.ncols()),
            ));
        }
        let mean = self.fit.predict(x)?;
        let std = self.fit.predict_std(x)?;
        let mut pred = Predictions::new(
            &self.preprocess,
            mean.into_iter().map(|v| vec![v]).collect(),
        );
        pred.std = Some(std);
        Ok(pred)
    }

    /// The posterior standard deviation of each coefficient (0 for a pruned ARD feature).
    pub fn coef_sd(&self) -> Vec<f64> {
        let k = self.fit.kept.len();
        let mut sd = vec![0.0; self.fit.coef.len()];
        for (a, &j) in self.fit.kept.iter().enumerate() {
            sd[j] = self.fit.sigma[a * k + a].max(0.0).sqrt();
        }
        sd
    }

    /// Saves the model into `run`.
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        let f = &self.fit;
        let meta = BayesMeta {
            format: BAYES_FORMAT.into(),
            kind: f.kind,
            intercept: f.intercept,
            alpha: f.alpha,
            y_offset: f.y_offset,
            kept: f.kept.clone(),
            scores: f.scores.clone(),
            n_iter: f.n_iter,
            preprocess: self.preprocess.clone(),
        };
        let bytes = |v: &[f64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        let (coef, lambda, sigma, offset) = (
            bytes(&f.coef),
            bytes(&f.lambda),
            bytes(&f.sigma),
            bytes(&f.x_offset),
        );
        let k = f.kept.len();
        let view = |shape, data| f64_view(shape, data, "bayes_model.safetensors");
        let tensors = vec![
            ("coef", view(vec![f.coef.len()], &coef)?),
            ("lambda", view(vec![f.lambda.len()], &lambda)?),
            ("sigma", view(vec![k, k], &sigma)?),
            ("x_offset", view(vec![f.x_offset.len()], &offset)?),
        ];
        let st = safetensors::serialize(tensors, &None).map_err(|e| Error::Run {
            path: run.path("bayes_model.safetensors"),
            detail: format!("cannot encode: {e}"),
        })?;
        run.write("bayes_model.safetensors", &st)?;
        run.write_json("bayes_model.json", &meta)
    }

    /// Loads a model saved by [`BayesModel::save`], verifying every file and shape.
    pub fn load(run: &RunFolder) -> Result<BayesModel> {
        if run.kind() != RunKind::Bayes {
            return Err(Error::model(
                run.dir(),
                format!(
                    "holds a {} run, not a Bayesian linear model",
                    run.kind().name()
                ),
            ));
        }
        let jp = run.path("bayes_model.json");
        let meta: BayesMeta = run.read_json("bayes_model.json")?;
        if meta.format != BAYES_FORMAT {
            return Err(Error::model(
                &jp,
                format!("format '{}' is not {BAYES_FORMAT}", meta.format),
            ));
        }
        meta.preprocess.verify(&jp)?;
        let p = meta.preprocess.n_features();
        let k = meta.kept.len();
        if meta.kept.iter().any(|&j| j >= p) || meta.kept.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::model(
                &jp,
                "the kept features are out of order or range",
            ));
        }
        if !(meta.alpha.is_finite() && meta.alpha > 0.0 && meta.intercept.is_finite()) {
            return Err(Error::model(&jp, "alpha or the intercept is out of range"));
        }
        let tp = run.path("bayes_model.safetensors");
        let raw = run.read_listed("bayes_model.safetensors")?;
        let st = SafeTensors::deserialize(&raw)
            .map_err(|e| Error::model(&tp, format!("not a safetensors file: {e}")))?;
        let get = |name: &str, shape: &[usize]| f64_tensor(&st, name, shape, &tp);
        let nl = if meta.kind == BayesKind::Ridge { 1 } else { p };
        Ok(BayesModel {
            fit: BayesFit {
                kind: meta.kind,
                coef: get("coef", &[p])?,
                intercept: meta.intercept,
                alpha: meta.alpha,
                lambda: get("lambda", &[nl])?,
                sigma: get("sigma", &[k, k])?,
                kept: meta.kept,
                x_offset: get("x_offset", &[p])?,
                y_offset: meta.y_offset,
                scores: meta.scores,
                n_iter: meta.n_iter,
            },
            preprocess: meta.preprocess,
        })
    }
}

impl Fitted for BayesModel {
    fn run_kind(&self) -> RunKind {
        RunKind::Bayes
    }

    fn predict(&mut self, x: &Matrix) -> Result<Predictions> {
        BayesModel::predict(self, x)
    }

    fn preprocessor(&self) -> &Preprocessor {
        &self.preprocess
    }

    fn save(&self, run: &mut RunFolder) -> Result<()> {
        BayesModel::save(self, run)
    }

    fn load(run: &RunFolder) -> Result<BayesModel> {
        BayesModel::load(run)
    }
}
