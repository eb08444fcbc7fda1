//! Linear estimators: [`Linear`] (a whole elastic-net path, the glmnet way) and [`LinearCv`]
//! (the path plus k-fold cross-validation, lambda.min and lambda.1se). Fitting returns a
//! [`LinearModel`] that carries its preprocessing and predicts at one chosen lambda (or any
//! other), and saves to / loads from a run folder.

use crate::error::{Error, Result};
use crate::estimator::{validate_data, Estimator, Fitted};
use crate::predict::Predictions;
use crate::preprocess::Preprocessor;
use crate::run::{RunFolder, RunKind};
use occam_core::{Dataset, Matrix, Task};
use occam_linear::predict::{coef_at_parts, predict_response};
use occam_linear::{CvConfig, CvFit, Family, Measure, PathConfig, PathFit};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};

/// The format string of `linear.json`.
pub const LINEAR_FORMAT: &str = "occam-linear-1";

/// A regularization path (glmnet's `glmnet()`).
///
/// | field | default | range | meaning |
/// |---|---|---|---|
/// | `family` | from the task | | gaussian, binomial, multinomial, poisson |
/// | `alpha` | 1 | [0, 1] | elastic-net mixing; 1 lasso, 0 ridge |
/// | `nlambda` | 100 | >= 1 | length of the automatic lambda grid |
/// | `lambda_min_ratio` | 1e-4 if n > p else 1e-2 | (0, 1) | smallest / largest lambda |
/// | `lambda` | None | >= 0 | explicit lambdas instead of the grid |
/// | `penalty_factor` | all 1 | >= 0 | per-feature factors, rescaled to sum to p |
/// | `standardize` | true | | fit on standardized X, report the original scale |
/// | `intercept` | true | | unpenalized intercept |
/// | `tol` | 1e-7 | (0, 1) | glmnet's thresh |
/// | `gap_tol` | None | (0, 1) | also certify this relative duality gap |
/// | `grouped` | false | | multinomial: group lasso across classes |
/// | `relax` | None | [0, 1] | gamma of the relaxed fit (1 - gamma of the unpenalized refit) |
/// | `weights` | all 1 | >= 0 | observation weight of each row (frequencies: see [`PathConfig`]) |
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// The GLM family; `None` takes the task's natural family.
    pub family: Option<Family>,
    /// Elastic-net mixing.
    pub alpha: f64,
    /// Length of the automatic lambda grid.
    pub nlambda: usize,
    /// Smallest lambda as a fraction of the largest.
    pub lambda_min_ratio: Option<f64>,
    /// Explicit lambdas.
    pub lambda: Option<Vec<f64>>,
    /// Per-feature penalty factors.
    pub penalty_factor: Option<Vec<f64>>,
    /// Standardize the features for the fit.
    pub standardize: bool,
    /// Fit an intercept.
    pub intercept: bool,
    /// Convergence threshold (glmnet's `thresh`).
    pub tol: f64,
    /// Certified relative duality gap.
    pub gap_tol: Option<f64>,
    /// Multinomial group lasso.
    pub grouped: bool,
    /// Relaxed fit with this gamma.
    pub relax: Option<f64>,
    /// Observation weights, one per row of the data set.
    pub weights: Option<Vec<f64>>,
}

impl Default for Linear {
    fn default() -> Linear {
        let p = PathConfig::new(Family::Gaussian);
        Linear {
            family: None,
            alpha: p.alpha,
            nlambda: p.nlambda,
            lambda_min_ratio: None,
            lambda: None,
            penalty_factor: None,
            standardize: p.standardize,
            intercept: p.intercept,
            tol: p.tol,
            gap_tol: None,
            grouped: false,
            relax: None,
            weights: None,
        }
    }
}

/// Why `family` cannot model the target of `d`, if it cannot (a sentence to show the user).
pub fn family_mismatch(family: Family, d: &Dataset) -> Option<String> {
    // What the target is, in words: "has 3 classes", or "has 1 distinct value".
    let has = || {
        if d.task.is_classification() {
            format!("has {} classes", d.classes.len())
        } else {
            let mut v = d.y.clone();
            v.sort_by(f64::total_cmp);
            v.dedup();
            let s = if v.len() == 1 { "" } else { "s" };
            format!("has {} distinct value{s}", v.len())
        }
    };
    match family {
        Family::Binomial if d.classes.len() != 2 => Some(format!(
            "binomial needs a two-class target; '{}' {}{}",
            d.target_name,
            has(),
            if d.classes.len() > 2 {
                " (use multinomial)"
            } else {
                ""
            }
        )),
        Family::Multinomial if d.classes.len() < 2 => Some(format!(
            "multinomial needs a class target; '{}' was read as {} (use task multiclass)",
            d.target_name,
            d.task.name()
        )),
        Family::Gaussian | Family::Poisson if d.task.is_classification() => Some(format!(
            "{} needs a numeric target; '{}' was read as classes (use task regression or counts)",
            family.name(),
            d.target_name
        )),
        _ => None,
    }
}

impl Linear {
    /// The solver's configuration for data set `d`, validated (the data too).
    pub fn path_config(&self, d: &Dataset) -> Result<PathConfig> {
        validate_data(d)?;
        let family = self.family.unwrap_or_else(|| Family::for_task(d.task));
        if let Some(why) = family_mismatch(family, d) {
            return Err(Error::param_err("family", why));
        }
        if self.grouped && family != Family::Multinomial {
            return Err(Error::param_err(
                "grouped",
                "applies to the multinomial family only",
            ));
        }
        if let Some(g) = self.relax {
            if !(0.0..=1.0).contains(&g) {
                return Err(Error::param_err("gamma", format!("{g} is not in [0, 1]")));
            }
        }
        let mut c = PathConfig::new(family);
        c.alpha = self.alpha;
        c.nlambda = self.nlambda;
        c.lambda_min_ratio = self.lambda_min_ratio;
        c.lambda = self.lambda.clone();
        c.penalty_factor = self.penalty_factor.clone();
        c.standardize = self.standardize;
        c.intercept = self.intercept;
        c.tol = self.tol;
        c.gap_tol = self.gap_tol;
        c.grouped = self.grouped;
        c.weights = self.weights.clone();
        c.validate(d.nrows(), d.nfeatures())?;
        Ok(c)
    }
}

impl Estimator for Linear {
    type Model = LinearModel;

    /// Fits the whole path on `d` (no lambda is chosen: set one to predict).
    fn fit(&self, d: &Dataset) -> Result<LinearModel> {
        let cfg = self.path_config(d)?;
        let fit = occam_linear::fit_path(&d.x, &d.y, &cfg, self.relax)?;
        Ok(LinearModel::from_path(d, fit, None))
    }
}

impl Estimator for LinearCv {
    type Model = LinearModel;

    /// Cross-validates the path; the model predicts at the rule's lambda.
    fn fit(&self, d: &Dataset) -> Result<LinearModel> {
        Ok(self.fit_cv(d)?.0)
    }
}

impl Fitted for LinearModel {
    fn run_kind(&self) -> RunKind {
        if self.cv.is_some() {
            RunKind::LinearCv
        } else {
            RunKind::LinearPath
        }
    }

    fn predict(&mut self, x: &Matrix) -> Result<Predictions> {
        LinearModel::predict(self, x)
    }

    fn preprocessor(&self) -> &Preprocessor {
        &self.preprocess
    }

    fn save(&self, run: &mut RunFolder) -> Result<()> {
        LinearModel::save(self, run)
    }

    fn load(run: &RunFolder) -> Result<LinearModel> {
        LinearModel::load(run)
    }
}

/// Which lambda of a cross-validated path a model predicts with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// The largest lambda within one standard error of the best (glmnet's `lambda.1se`).
    #[default]
    #[serde(rename = "1se")]
    OneSe,
    /// The lambda with the best cross-validated measure (`lambda.min`).
    #[serde(rename = "min")]
    Min,
}

impl Rule {
    /// Parses `1se` or `min`.
    pub fn parse(s: &str) -> Result<Rule> {
        match s {
            "1se" => Ok(Rule::OneSe),
            "min" => Ok(Rule::Min),
            _ => Err(Error::param_err(
                "rule",
                format!("'{s}' is not one of 1se, min"),
            )),
        }
    }
}

/// A path with k-fold cross-validation (glmnet's `cv.glmnet()`).
///
/// | field | default | meaning |
/// |---|---|---|
/// | `path` | [`Linear::default`] | the path settings (relax is not cross-validated) |
/// | `folds` | 10 | number of folds (ignored with `foldid`) |
/// | `foldid` | None | fold of each row, 0-based |
/// | `measure` | deviance | deviance, mse, mae, class, auc |
/// | `seed` | 1 | seed of the (stratified for classes) folds |
/// | `rule` | 1se | the lambda the fitted model predicts with |
#[derive(Clone, Debug, PartialEq)]
pub struct LinearCv {
    /// The path settings.
    pub path: Linear,
    /// Number of folds.
    pub folds: usize,
    /// Fold of each row, 0-based.
    pub foldid: Option<Vec<usize>>,
    /// The held-out loss.
    pub measure: Measure,
    /// Seed of the folds.
    pub seed: u64,
    /// Which lambda the model predicts with.
    pub rule: Rule,
}

impl Default for LinearCv {
    fn default() -> LinearCv {
        LinearCv {
            path: Linear::default(),
            folds: 10,
            foldid: None,
            measure: Measure::Deviance,
            seed: 1,
            rule: Rule::OneSe,
        }
    }
}

impl LinearCv {
    /// Cross-validates the path on `d`; the model predicts at the rule's lambda. Returns the
    /// whole cross-validation result beside the model.
    pub fn fit_cv(&self, d: &Dataset) -> Result<(LinearModel, CvFit)> {
        self.fit_with_progress(d, &|| {})
    }

    /// `fit`, calling `done` after each of the K + 1 path fits (from any thread).
    pub fn fit_with_progress(
        &self,
        d: &Dataset,
        done: &(dyn Fn() + Sync),
    ) -> Result<(LinearModel, CvFit)> {
        self.fit_interruptible(d, done, &|| true)
    }

    /// `fit_with_progress`, asking `go_on` after every lambda of every path fit: when it
    /// returns false the fit stops with an "interrupted" error (Ctrl-C from a binding).
    pub fn fit_interruptible(
        &self,
        d: &Dataset,
        done: &(dyn Fn() + Sync),
        go_on: &(dyn Fn() -> bool + Sync),
    ) -> Result<(LinearModel, CvFit)> {
        let cfg = self.config(d)?;
        let cv =
            occam_linear::cross_validate_with_progress(&d.x, &d.y, &cfg, &self.cv(), done, go_on)?;
        Ok(self.chosen(d, cv))
    }

    /// The folds of `d`: each row's 0-based fold and the number of folds (checked as `fit`
    /// checks them). With [`LinearCv::score_fold`] and [`LinearCv::combine`], `fit` in
    /// stages, so that the folds can run elsewhere (a cluster) with the same numbers.
    pub fn folds(&self, d: &Dataset) -> Result<(Vec<usize>, usize)> {
        let cfg = self.config(d)?;
        Ok(occam_linear::assign_folds(&d.y, &cfg, &self.cv())?)
    }

    /// Fold `fold` of `foldid`: the path fitted on the other rows of `d`, scored on the
    /// fold's rows at `lambdas` (the full path's), with the fold's row count.
    pub fn score_fold(
        &self,
        d: &Dataset,
        foldid: &[usize],
        fold: usize,
        lambdas: &[f64],
    ) -> Result<(Vec<f64>, f64)> {
        let cfg = self.config(d)?;
        Ok(occam_linear::score_fold(
            &d.x,
            &d.y,
            &cfg,
            foldid,
            fold,
            self.measure,
            lambdas,
        )?)
    }

    /// The cross-validated model from the full path `full` of `d` (the path estimator's fit)
    /// and every fold's [`LinearCv::score_fold`], in fold order.
    pub fn combine(
        &self,
        d: &Dataset,
        full: PathFit,
        per_fold: &[(Vec<f64>, f64)],
        foldid: Vec<usize>,
        seconds: f64,
    ) -> Result<(LinearModel, CvFit)> {
        if foldid.len() != d.nrows() {
            return Err(Error::param_err(
                "foldid",
                format!("{} fold ids for {} rows", foldid.len(), d.nrows()),
            ));
        }
        let cv = occam_linear::combine(full, per_fold, self.measure, foldid, seconds)?;
        Ok(self.chosen(d, cv))
    }

    fn config(&self, d: &Dataset) -> Result<occam_linear::PathConfig> {
        if self.path.relax.is_some() {
            return Err(Error::param_err(
                "relax",
                "is not cross-validated; fit a path with relax instead",
            ));
        }
        self.path.path_config(d)
    }

    fn cv(&self) -> CvConfig {
        CvConfig {
            folds: self.folds,
            foldid: self.foldid.clone(),
            measure: self.measure,
            seed: self.seed,
        }
    }

    /// The model at the rule's lambda of `cv`.
    fn chosen(&self, d: &Dataset, cv: CvFit) -> (LinearModel, CvFit) {
        let chosen = match self.rule {
            Rule::OneSe => cv.lambda_1se,
            Rule::Min => cv.lambda_min,
        };
        let mut m = LinearModel::from_path(d, cv.fit.clone(), Some(chosen));
        m.cv = Some(CvChoice {
            measure: cv.measure,
            rule: self.rule,
            lambda_min: cv.lambda_min,
            lambda_1se: cv.lambda_1se,
        });
        (m, cv)
    }
}

/// What cross-validation chose, kept with the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvChoice {
    /// The held-out loss.
    pub measure: Measure,
    /// The rule that chose `LinearModel::lambda`.
    pub rule: Rule,
    /// glmnet's `lambda.min`.
    pub lambda_min: f64,
    /// glmnet's `lambda.1se`.
    pub lambda_1se: f64,
}

/// `linear.json`: everything of a fitted linear model but its coefficient arrays.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LinearMeta {
    format: String,
    family: Family,
    alpha: f64,
    lambda: Option<f64>,
    cv: Option<CvChoice>,
    relax_gamma: Option<f64>,
    preprocess: Preprocessor,
}

/// A fitted linear path: coefficients at every fitted lambda, the lambda it predicts with,
/// and the preprocessing of its training data.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    /// The steps from raw columns to features.
    pub preprocess: Preprocessor,
    /// The family.
    pub family: Family,
    /// The elastic-net mixing of the fit.
    pub alpha: f64,
    /// The fitted lambdas, in fit order.
    pub lambdas: Vec<f64>,
    /// Intercept per lambda and class: `a0[l][k]`.
    pub a0: Vec<Vec<f64>>,
    /// Coefficients per class, lambda and feature: `beta[k][l][j]`.
    pub beta: Vec<Vec<Vec<f64>>>,
    /// The gamma of a relaxed fit, whose blended coefficients are in `a0` and `beta`.
    pub relax_gamma: Option<f64>,
    /// The lambda `predict` uses (chosen by CV, or set with [`LinearModel::set_lambda`]).
    pub lambda: Option<f64>,
    /// What cross-validation chose.
    pub cv: Option<CvChoice>,
}

impl LinearModel {
    /// The model of a fitted path on `d`, predicting at `lambda` (none: give one later).
    pub fn from_path(d: &Dataset, fit: PathFit, lambda: Option<f64>) -> LinearModel {
        let (a0, beta, relax_gamma) = match fit.relaxed {
            Some(r) => (r.a0, r.beta, Some(r.gamma)),
            None => (fit.a0, fit.beta, None),
        };
        LinearModel {
            preprocess: Preprocessor::from_dataset(d),
            family: fit.family,
            alpha: fit.alpha,
            lambdas: fit.lambda,
            a0,
            beta,
            relax_gamma,
            lambda,
            cv: None,
        }
    }

    /// Predicts with `lambda` from now on (interpolated between fitted lambdas, as glmnet).
    pub fn set_lambda(&mut self, lambda: f64) -> Result<()> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::param_err(
                "lambda",
                format!("{lambda} is not a finite non-negative number"),
            ));
        }
        self.lambda = Some(lambda);
        Ok(())
    }

    /// Intercepts and coefficients (per class) at the model's lambda.
    pub fn coef(&self) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        let s = self.lambda.ok_or_else(|| {
            Error::param_err(
                "lambda",
                "a path fitted without cross-validation has no chosen lambda; give one",
            )
        })?;
        Ok(coef_at_parts(&self.lambdas, &self.a0, &self.beta, s))
    }

    /// The fitted means at the model's lambda, one row per row of `x`: gaussian the value,
    /// binomial P(second class), poisson the rate, multinomial the class probabilities.
    pub fn predict_response(&self, x: &Matrix) -> Result<Vec<Vec<f64>>> {
        let p = self.preprocess.n_features();
        if x.ncols() != p {
            return Err(Error::param_err(
                "x",
                format!("has {} feature columns, the model needs {p}", x.ncols()),
            ));
        }
        let (a0, beta) = self.coef()?;
        let by_class = predict_response(self.family, x, &a0, &beta);
        Ok((0..x.nrows())
            .map(|i| by_class.iter().map(|c| c[i]).collect())
            .collect())
    }

    /// Predictions for `x` in the shape every estimator shares.
    pub fn predict(&self, x: &Matrix) -> Result<Predictions> {
        let rows = self.predict_response(x)?;
        Ok(Predictions::new(&self.preprocess, rows))
    }

    /// Saves the model into `run` as `linear.json` and `linear.safetensors` (f64).
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        let meta = LinearMeta {
            format: LINEAR_FORMAT.into(),
            family: self.family,
            alpha: self.alpha,
            lambda: self.lambda,
            cv: self.cv.clone(),
            relax_gamma: self.relax_gamma,
            preprocess: self.preprocess.clone(),
        };
        let (l, k) = (self.lambdas.len(), self.beta.len());
        let p = self.preprocess.n_features();
        run.write_with("linear.safetensors", &mut |w| {
            write_f64_safetensors(
                w,
                &mut [
                    ("lambda", vec![l], &mut self.lambdas.iter().copied()),
                    ("a0", vec![l, k], &mut self.a0.iter().flatten().copied()),
                    (
                        "beta",
                        vec![k, l, p],
                        &mut self.beta.iter().flatten().flatten().copied(),
                    ),
                ],
            )
        })?;
        run.write_json("linear.json", &meta)
    }

    /// Loads a model saved by [`LinearModel::save`], verifying every file and shape.
    pub fn load(run: &RunFolder) -> Result<LinearModel> {
        if !matches!(
            run.kind(),
            RunKind::LinearCv | RunKind::LinearPath | RunKind::Text
        ) {
            return Err(Error::model(
                run.dir(),
                format!("holds a {} run, not a linear model", run.kind().name()),
            ));
        }
        let meta: LinearMeta = run.read_json("linear.json")?;
        let jp = run.path("linear.json");
        if meta.format != LINEAR_FORMAT {
            return Err(Error::model(
                &jp,
                format!("format '{}' is not {LINEAR_FORMAT}", meta.format),
            ));
        }
        meta.preprocess.verify(&jp)?;
        let tp = run.path("linear.safetensors");
        let bytes = run.read_listed("linear.safetensors")?;
        let st = SafeTensors::deserialize(&bytes)
            .map_err(|e| Error::model(&tp, format!("not a safetensors file: {e}")))?;
        let get = |name: &str, shape: &[usize]| f64_tensor(&st, name, shape, &tp);
        let lt = st
            .tensor("lambda")
            .map_err(|_| Error::model(&tp, "tensor 'lambda' is missing"))?;
        let l = lt.shape().first().copied().unwrap_or(0);
        let k = match meta.family {
            Family::Multinomial => meta.preprocess.classes.len(),
            _ => 1,
        };
        let p = meta.preprocess.n_features();
        let lambdas = get("lambda", &[l])?;
        if l == 0 || lambdas.iter().any(|&v| v < 0.0) {
            return Err(Error::model(&tp, "the lambdas are empty or negative"));
        }
        let a0f = get("a0", &[l, k])?;
        let bf = get("beta", &[k, l, p])?;
        let a0 = a0f.chunks_exact(k).map(<[f64]>::to_vec).collect();
        let beta = (0..k)
            .map(|c| {
                (0..l)
                    .map(|li| bf[(c * l + li) * p..(c * l + li + 1) * p].to_vec())
                    .collect()
            })
            .collect();
        let task_ok = matches!(
            (meta.family, meta.preprocess.task),
            (Family::Gaussian, Task::Regression)
                | (Family::Poisson, Task::Counts | Task::Regression)
                | (Family::Binomial, Task::Binary)
                | (Family::Multinomial, Task::Binary | Task::Multiclass)
        );
        if !task_ok {
            return Err(Error::model(
                &jp,
                format!(
                    "family {} does not fit a {} task",
                    meta.family.name(),
                    meta.preprocess.task.name()
                ),
            ));
        }
        if meta.lambda.is_some_and(|s| !(s.is_finite() && s >= 0.0))
            || !(0.0..=1.0).contains(&meta.alpha)
        {
            return Err(Error::model(&jp, "lambda or alpha is out of range"));
        }
        Ok(LinearModel {
            preprocess: meta.preprocess,
            family: meta.family,
            alpha: meta.alpha,
            lambdas,
            a0,
            beta,
            relax_gamma: meta.relax_gamma,
            lambda: meta.lambda,
            cv: meta.cv,
        })
    }
}

/// An f64 tensor view of `data` for a safetensors file `file` (named in an error).
/// Writes f64 tensors in the safetensors format (little-endian, the header padded with
/// spaces to a multiple of 8), streaming each tensor's values in order: the coefficient path
/// of a wide design is never copied into one buffer. Each iterator must yield exactly the
/// product of its shape.
pub(crate) fn write_f64_safetensors(
    w: &mut dyn std::io::Write,
    tensors: &mut [(&str, Vec<usize>, &mut dyn Iterator<Item = f64>)],
) -> std::io::Result<()> {
    let mut header = serde_json::Map::new();
    let mut at = 0usize;
    for (name, shape, _) in tensors.iter() {
        let n: usize = shape.iter().product::<usize>() * 8;
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": "F64", "shape": shape, "data_offsets": [at, at + n]}),
        );
        at += n;
    }
    let mut head = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    head.resize(head.len().div_ceil(8) * 8, b' ');
    w.write_all(&(head.len() as u64).to_le_bytes())?;
    w.write_all(&head)?;
    for (name, shape, values) in tensors.iter_mut() {
        let want: usize = shape.iter().product();
        let mut got = 0usize;
        for v in values {
            w.write_all(&v.to_le_bytes())?;
            got += 1;
        }
        if got != want {
            return Err(std::io::Error::other(format!(
                "tensor {name}: {got} values for the shape {shape:?}"
            )));
        }
    }
    Ok(())
}

pub(crate) fn f64_view<'a>(
    shape: Vec<usize>,
    data: &'a [u8],
    file: &str,
) -> Result<TensorView<'a>> {
    TensorView::new(Dtype::F64, shape, data).map_err(|e| Error::Run {
        path: file.into(),
        detail: format!("cannot encode: {e}"),
    })
}

/// Tensor `name` of `st` (the file at `path`) as f64 values: present, F64, of `shape`, every
/// value finite.
pub(crate) fn f64_tensor(
    st: &SafeTensors,
    name: &str,
    shape: &[usize],
    path: &std::path::Path,
) -> Result<Vec<f64>> {
    let t = st
        .tensor(name)
        .map_err(|_| Error::model(path, format!("tensor '{name}' is missing")))?;
    if t.dtype() != Dtype::F64 || t.shape() != shape {
        return Err(Error::model(
            path,
            format!(
                "tensor '{name}' is {:?} {:?}, expected F64 {shape:?}",
                t.dtype(),
                t.shape()
            ),
        ));
    }
    let v: Vec<f64> = t
        .data()
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    if v.iter().any(|x| !x.is_finite()) {
        return Err(Error::model(
            path,
            format!("tensor '{name}' holds a non-finite value"),
        ));
    }
    Ok(v)
}
