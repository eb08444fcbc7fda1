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
    /// Each feature's standard deviation in the fitted rows (1/n, as glmnet standardizes):
    /// a coefficient times it is on the standardized scale, where coefficients compare.
    /// Empty in runs written before it was recorded.
    #[serde(default)]
    pub feature_sd: Vec<f64>,
}

/// The standard deviation (1/n) of each column of `x`.
pub fn column_sd(x: &occam_core::Matrix) -> Vec<f64> {
    let rows = x.nrows();
    let n = rows.max(1) as f64;
    (0..x.ncols())
        .map(|j| {
            let (mut s, mut stored) = (0.0, 0usize);
            x.for_each_in_col(j, |_, v| {
                s += v;
                stored += 1;
            });
            let m = s / n;
            // implicit zeros of a sparse column each add m^2
            let mut ss = (rows - stored) as f64 * m * m;
            x.for_each_in_col(j, |_, v| ss += (v - m) * (v - m));
            (ss / n).sqrt()
        })
        .collect()
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
        Self::with_feature_sd(fit, data, column_sd(&data.x))
    }

    /// [`LinearResult::new`] with the features' standard deviations ([`column_sd`]) taken
    /// before the fit, for a fit that consumed X ([`occam_linear::fit_path_owned`]).
    pub fn with_feature_sd(fit: &PathFit, data: &Dataset, feature_sd: Vec<f64>) -> Self {
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
            feature_sd,
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

impl Coefficients {
    /// The coefficient of feature `j` at lambda `l` in each class (one entry for one response).
    fn at(&self, l: usize, j: usize) -> Vec<f64> {
        match self {
            Coefficients::One(b) => vec![b[l][j]],
            Coefficients::PerClass(b) => b.iter().map(|c| c[l][j]).collect(),
        }
    }
}

impl LinearResult {
    /// For each feature, the index of the first lambda where it is non-zero.
    pub fn entry_index(&self) -> Vec<Option<usize>> {
        (0..self.feature_names.len())
            .map(|j| (0..self.lambda.len()).find(|&l| self.beta.at(l, j).iter().any(|b| *b != 0.0)))
            .collect()
    }

    /// The features non-zero at lambda `l`, in order of entry.
    pub fn selected(&self, l: usize) -> Vec<usize> {
        let entry = self.entry_index();
        let mut sel: Vec<usize> = (0..self.feature_names.len())
            .filter(|&j| self.beta.at(l, j).iter().any(|b| *b != 0.0))
            .collect();
        sel.sort_by_key(|&j| (entry[j], j));
        sel
    }

    /// "name (+coef), ..." of the features selected at lambda `l` (names only for several
    /// classes), or "none (intercept only)".
    pub fn describe_selected(&self, l: usize) -> String {
        let sel = self.selected(l);
        if sel.is_empty() {
            return "none (intercept only)".into();
        }
        sel.iter()
            .map(|&j| match &self.beta {
                Coefficients::One(b) => format!("{} ({:+.4})", self.feature_names[j], b[l][j]),
                Coefficients::PerClass(_) => self.feature_names[j].clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The first 15 features in the order they enter the path.
    pub fn entry_order(&self) -> String {
        let mut entered: Vec<(usize, usize)> = self
            .entry_index()
            .into_iter()
            .enumerate()
            .filter_map(|(j, e)| e.map(|l| (l, j)))
            .collect();
        entered.sort();
        let mut s: Vec<String> = entered
            .iter()
            .take(15)
            .map(|&(_, j)| self.feature_names[j].clone())
            .collect();
        if entered.len() > 15 {
            s.push(format!("... ({} in all)", entered.len()));
        }
        if s.is_empty() {
            "no feature enters".into()
        } else {
            s.join(", ")
        }
    }
}

/// glmnet's printout of a path: Df, %Dev and Lambda per lambda.
impl std::fmt::Display for LinearResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:>4} {:>6} {:>8} {:>14}", "", "Df", "%Dev", "Lambda")?;
        for l in 0..self.lambda.len() {
            writeln!(
                f,
                "{:>4} {:>6} {:>8.2} {:>14.6}",
                l + 1,
                self.df[l],
                100.0 * self.dev_ratio[l],
                self.lambda[l]
            )?;
        }
        Ok(())
    }
}

/// cv.glmnet's printout: per lambda Df, %Dev, Lambda, the CV measure and its SE with
/// lambda.min and lambda.1se marked, then the features each keeps.
impl std::fmt::Display for CvResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.path;
        let m = self.measure.name();
        let (imin, i1se) = (self.index_min.max(1) - 1, self.index_1se.max(1) - 1);
        writeln!(
            f,
            "{:>4} {:>6} {:>8} {:>14} {m:>12} {:>12}",
            "", "Df", "%Dev", "Lambda", "SE"
        )?;
        for l in 0..p.lambda.len() {
            let mark = if l == imin {
                "  <- lambda.min"
            } else if l == i1se {
                "  <- lambda.1se"
            } else {
                ""
            };
            writeln!(
                f,
                "{:>4} {:>6} {:>8.2} {:>14.6} {:>12.5} {:>12.5}{mark}",
                l + 1,
                p.df[l],
                100.0 * p.dev_ratio[l],
                p.lambda[l],
                self.cvm[l],
                self.cvsd[l]
            )?;
        }
        for (name, l) in [("lambda.min", imin), ("lambda.1se", i1se)] {
            writeln!(
                f,
                "{name} = {:.6} (#{}, {m} = {:.5}): {}",
                p.lambda[l],
                l + 1,
                self.cvm[l],
                p.describe_selected(l)
            )?;
        }
        Ok(())
    }
}
