//! Explanations beside selection: exact SHAP values of linear models, and permutation
//! importance (with repeats and standard errors, optionally grouped by correlated clusters)
//! for any model on feature columns. [`explain`] runs one on a run folder's model and data;
//! [`Explanation`] is the typed result (`explain.json`) that `occam explain` writes beside
//! `attributions.csv` and `importance.csv`, and that the report draws.
//!
//! SHAP for a linear predictor f(x) = a + b'x (the link scale: log-odds for binomial, the
//! linear predictor of the predicted class for multinomial) with features treated as
//! independent of each other, against a background distribution B, is exact and closed:
//! `phi_j(x) = b_j (x_j - E_B[x_j])`, and the values of a row sum to `f(x) - f(E_B[x])`
//! (Lundberg & Lee 2017, the linear-model case; shap's `LinearExplainer` with an
//! independent masker). The interventional form over a background data set is the same with
//! E_B the background's column means.
//!
//! Permutation importance (Breiman 2001; Fisher, Rudin & Dominici 2019): the drop of the
//! model's score (accuracy, R^2, Poisson deviance explained) when a feature's column, or a
//! whole group's columns with one shared row permutation, is shuffled; mean and standard
//! error over seeded repeats. With correlated features, permuting one member of a pair lets
//! the model lean on the other, so plain importance splits (and understates) the pair;
//! grouping the pair permutes it as one.

mod gradient;

pub use gradient::explain_forecast;

use crate::bayes::BayesModel;
use crate::error::{Error, Result};
use crate::linear::LinearModel;
use crate::predict::Predictions;
use occam_core::rng::Rng;
use occam_core::{metrics, CscMatrix, Matrix, Task};
use occam_linear::Family;
pub use occam_nn::attribution::Quadrature;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How importance is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Exact SHAP values of a linear model (per row), and their mean absolute value.
    Shap,
    /// Permutation importance.
    Permutation,
    /// Integrated gradients of a network (per row), and their mean absolute value.
    Ig,
    /// Gradient x input of a network (per row).
    #[serde(rename = "gradxinput")]
    GradXInput,
    /// SmoothGrad x input of a network: the input times its gradient averaged over noisy
    /// copies of the row.
    SmoothGrad,
}

impl Method {
    /// Parses shap, permutation, ig, gradxinput or smoothgrad.
    pub fn parse(s: &str) -> Result<Method> {
        match s {
            "shap" => Ok(Method::Shap),
            "permutation" => Ok(Method::Permutation),
            "ig" | "integrated_gradients" => Ok(Method::Ig),
            "gradxinput" | "input_x_gradient" => Ok(Method::GradXInput),
            "smoothgrad" => Ok(Method::SmoothGrad),
            _ => Err(Error::param_err(
                "method",
                format!("'{s}' is not one of shap, permutation, ig, gradxinput, smoothgrad"),
            )),
        }
    }

    /// The name as parsed.
    pub fn name(self) -> &'static str {
        match self {
            Method::Shap => "shap",
            Method::Permutation => "permutation",
            Method::Ig => "ig",
            Method::GradXInput => "gradxinput",
            Method::SmoothGrad => "smoothgrad",
        }
    }
}

/// One line of importance.csv: a feature or a group of features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportanceRow {
    /// The feature, or the group's members joined by "+".
    pub feature: String,
    /// The members (one for a single feature).
    pub members: Vec<String>,
    /// Mean score drop (permutation) or mean absolute SHAP value.
    pub importance: f64,
    /// Its standard error (over repeats, or over rows).
    pub se: f64,
}

/// An explanation of a model on a data set (explain.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// shap or permutation.
    pub method: Method,
    /// The model's features, in column order.
    pub feature_names: Vec<String>,
    /// Importance, most important first.
    pub importance: Vec<ImportanceRow>,
    /// SHAP: per row, per feature (the link scale); written as attributions.csv, not into
    /// explain.json.
    #[serde(skip)]
    pub attributions: Option<Vec<Vec<f64>>>,
    /// SHAP: the attributions of a few chosen rows (0-based), for the report.
    #[serde(default)]
    pub rows_shown: Vec<(usize, Vec<f64>)>,
    /// SHAP: f at the background means (each row's values sum to f(x) minus it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_value: Option<f64>,
    /// SHAP: the largest |sum of a row's values - (f(x) - base)| relative to the spread of
    /// f(x) - base: the completeness check (rounding only, for an exact method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness_error: Option<f64>,
    /// SHAP for multinomial: the class whose linear predictor is explained (each row's
    /// predicted class otherwise is not one function); None for the other families.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Permutation: the model's score on the data before any shuffle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_score: Option<f64>,
    /// Permutation: the score (accuracy, r2, deviance explained).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// Permutation: repeats per feature or group.
    pub repeats: usize,
    /// Permutation: the seed of the shuffles.
    pub seed: u64,
    /// Permutation: the correlation at which features were grouped (complete linkage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_corr: Option<f64>,
    /// Linear models: the features with a non-zero coefficient, in their order of entry
    /// along the path (first in, first).
    pub selected: Vec<String>,
    /// Rows explained.
    pub n: usize,
    /// Gradient methods: how they ran (baseline, steps, noise, the output explained).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient: Option<GradientInfo>,
    /// Gradient methods on images or windows: (channels, height, width) of a row, so the
    /// report draws attributions as heat maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<(usize, usize, usize)>,
    /// Gradient methods on images or windows: the raw inputs of the rows shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs_shown: Vec<(usize, Vec<f64>)>,
}

/// How a gradient explanation ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientInfo {
    /// The output explained: "output" (regression: in the target's units; counts: the log
    /// rate), "logit" (binary), or "logit of CLASS" / "logit of the predicted class".
    pub output: String,
    /// The baseline: "training means", "zeros", "background means".
    pub baseline: String,
    /// The baseline's raw values.
    pub baseline_values: Vec<f64>,
    /// IG: the rule (gausslegendre, riemann_* at fixed steps; with a tolerance, the kinks
    /// located for piecewise-linear networks, adaptive Gauss-Legendre panels otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quadrature: Option<String>,
    /// IG: the tolerance of the completeness error (None: fixed steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// IG: gradient evaluations per row, mean and most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<(f64, usize)>,
    /// IG: rows whose completeness error is above the tolerance (they hit the step limit).
    #[serde(default)]
    pub rows_over_tol: usize,
    /// SmoothGrad: noisy copies per row and the noise's sd as a fraction of each feature's
    /// range over the rows explained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<(usize, f64)>,
}

impl Explanation {
    /// An explanation of `n` rows over `feature_names` by `opts`, with nothing computed yet.
    pub(crate) fn blank(feature_names: Vec<String>, n: usize, opts: &ExplainOptions) -> Self {
        Explanation {
            method: opts.method,
            feature_names,
            importance: Vec::new(),
            attributions: None,
            rows_shown: Vec::new(),
            base_value: None,
            completeness_error: None,
            class: None,
            baseline_score: None,
            score: None,
            repeats: opts.repeats,
            seed: opts.seed,
            group_corr: opts.group_corr,
            selected: Vec::new(),
            n,
            gradient: None,
            grid: None,
            inputs_shown: Vec::new(),
        }
    }

    /// importance.csv: `feature,importance,se`, most important first.
    pub fn importance_csv(&self) -> String {
        let mut s = String::from("feature,importance,se\n");
        for r in &self.importance {
            s.push_str(&format!(
                "{},{},{}\n",
                csv_cell(&r.feature),
                r.importance,
                r.se
            ));
        }
        s
    }

    /// attributions.csv: a column per feature, a row per data row (per-row methods only).
    pub fn attributions_csv(&self) -> Option<String> {
        let a = self.attributions.as_ref()?;
        let mut s = self
            .feature_names
            .iter()
            .map(|n| csv_cell(n))
            .collect::<Vec<_>>()
            .join(",");
        s.push('\n');
        for row in a {
            let cells: Vec<String> = row.iter().map(f64::to_string).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        Some(s)
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Exact SHAP values of the linear predictor a + b'x against background means `mean`: per
/// row, b_j (x_ij - mean_j); and the base value a + b'mean.
pub fn linear_shap(a: f64, b: &[f64], x: &Matrix, mean: &[f64]) -> Result<(Vec<Vec<f64>>, f64)> {
    let (n, p) = (x.nrows(), x.ncols());
    if b.len() != p || mean.len() != p {
        return Err(Error::param_err(
            "data",
            format!("{p} feature columns, the model has {}", b.len()),
        ));
    }
    let mut phi = vec![vec![0.0; p]; n];
    for j in 0..p {
        if b[j] == 0.0 {
            continue;
        }
        let shift = -b[j] * mean[j];
        phi.iter_mut().for_each(|r| r[j] = shift);
        x.for_each_in_col(j, |i, v| phi[i][j] = b[j] * (v - mean[j]));
    }
    let base = a + b.iter().zip(mean).map(|(bj, m)| bj * m).sum::<f64>();
    Ok((phi, base))
}

/// The column means of `x`.
pub fn column_means(x: &Matrix) -> Vec<f64> {
    let n = x.nrows().max(1) as f64;
    (0..x.ncols())
        .map(|j| {
            let mut s = 0.0;
            x.for_each_in_col(j, |_, v| s += v);
            s / n
        })
        .collect()
}

/// `x` with the columns `cols` shuffled by one row permutation: new row i takes old row
/// `perm[i]` in those columns.
pub fn permute_columns(x: &Matrix, cols: &[usize], perm: &[usize]) -> Matrix {
    match x {
        Matrix::Dense(d) => {
            let mut out = d.clone();
            for &j in cols {
                let old = d.col(j);
                let new = out.col_mut(j);
                for (i, &pi) in perm.iter().enumerate() {
                    new[i] = old[pi];
                }
            }
            Matrix::Dense(out)
        }
        Matrix::Sparse(s) => {
            let mut inv = vec![0usize; perm.len()];
            for (i, &pi) in perm.iter().enumerate() {
                inv[pi] = i;
            }
            let mut indptr = vec![0usize];
            let (mut indices, mut values) = (Vec::new(), Vec::new());
            for j in 0..s.ncols {
                let (a, b) = (s.indptr[j], s.indptr[j + 1]);
                if cols.contains(&j) {
                    let mut e: Vec<(u32, f64)> = (a..b)
                        .map(|k| (inv[s.indices[k] as usize] as u32, s.values[k]))
                        .collect();
                    e.sort_by_key(|&(r, _)| r);
                    for (r, v) in e {
                        indices.push(r);
                        values.push(v);
                    }
                } else {
                    indices.extend_from_slice(&s.indices[a..b]);
                    values.extend_from_slice(&s.values[a..b]);
                }
                indptr.push(indices.len());
            }
            Matrix::Sparse(CscMatrix {
                nrows: s.nrows,
                ncols: s.ncols,
                indptr,
                indices,
                values,
            })
        }
    }
}

/// The score of predictions against `y` (coded as in training): accuracy (classes), R^2
/// (regression), Poisson deviance explained (counts): higher is better.
pub fn score_of(task: Task, pred: &Predictions, y: &[f64]) -> f64 {
    let labels = pred.labels();
    let n = y.len();
    match task {
        Task::Binary | Task::Multiclass => {
            labels.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / n as f64
        }
        Task::Regression => metrics::r2(&labels, y),
        Task::Counts => {
            let mean = y.iter().sum::<f64>() / n as f64;
            let dev = |mu: &dyn Fn(usize) -> f64| -> f64 {
                (0..n).map(|i| metrics::poisson_dev(y[i], mu(i))).sum()
            };
            1.0 - dev(&|i| labels[i]) / dev(&|_| mean)
        }
    }
}

/// The name of [`score_of`]'s score for `task`.
pub fn score_name(task: Task) -> &'static str {
    match task {
        Task::Binary | Task::Multiclass => "accuracy",
        Task::Regression => "r2",
        Task::Counts => "deviance explained",
    }
}

/// Permutation importance of each group of columns (features in no group are their own):
/// for each group and repeat, the score drop when the group's columns are shuffled by one
/// seeded permutation; (groups in column order of their first member, mean drop, standard
/// error, baseline score). The repeats of a group use streams (seed, group's first column,
/// repeat), so the result does not depend on the threads.
#[allow(clippy::type_complexity)]
pub fn permutation_importance(
    predict: &(dyn Fn(&Matrix) -> Result<Predictions> + Sync),
    task: Task,
    x: &Matrix,
    y: &[f64],
    groups: &[Vec<usize>],
    repeats: usize,
    seed: u64,
) -> Result<(Vec<Vec<usize>>, Vec<f64>, Vec<f64>, f64)> {
    if repeats == 0 {
        return Err(Error::param_err("repeats", "must be at least 1"));
    }
    let (n, p) = (x.nrows(), x.ncols());
    if y.len() != n {
        return Err(Error::param_err(
            "data",
            "the data has no target values for every row (permutation needs the target)",
        ));
    }
    if n < 2 {
        return Err(Error::param_err(
            "data",
            format!("{n} rows: at least 2 are needed"),
        ));
    }
    let mut grouped = vec![false; p];
    let mut all: Vec<Vec<usize>> = Vec::new();
    for g in groups {
        if g.iter().any(|&j| j >= p || grouped[j]) {
            return Err(Error::param_err(
                "groups",
                "a group names a feature out of range or one already in another group",
            ));
        }
        g.iter().for_each(|&j| grouped[j] = true);
        let mut g = g.clone();
        g.sort_unstable();
        all.push(g);
    }
    all.extend((0..p).filter(|&j| !grouped[j]).map(|j| vec![j]));
    all.sort_by_key(|g| g[0]);
    let base = score_of(task, &predict(x)?, y);
    let drops: Vec<Result<Vec<f64>>> = all
        .par_iter()
        .map(|g| {
            (0..repeats)
                .map(|r| {
                    let mut rng = Rng::stream(seed, (g[0] as u64) << 20 | r as u64);
                    let mut perm: Vec<usize> = (0..n).collect();
                    rng.shuffle(&mut perm);
                    let xp = permute_columns(x, g, &perm);
                    Ok(base - score_of(task, &predict(&xp)?, y))
                })
                .collect()
        })
        .collect();
    let mut mean = Vec::with_capacity(all.len());
    let mut se = Vec::with_capacity(all.len());
    for d in drops {
        let (m, s) = mean_and_se(&d?);
        mean.push(m);
        se.push(s);
    }
    Ok((all, mean, se, base))
}

/// Groups of features that correlate at |r| >= `corr` with every other member (complete
/// linkage over all columns; stability selection's clustering).
pub fn correlation_groups(x: &Matrix, corr: f64) -> Result<Vec<Vec<usize>>> {
    if !(corr > 0.0 && corr <= 1.0) {
        return Err(Error::param_err(
            "group_corr",
            format!("{corr} is not in (0, 1]"),
        ));
    }
    let all: Vec<usize> = (0..x.ncols()).collect();
    Ok(occam_select::correlated_clusters(x, &all, corr))
}

/// Settings of [`explain`].
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainOptions {
    /// SHAP or permutation.
    pub method: Method,
    /// Permutation: repeats per feature or group (5).
    pub repeats: usize,
    /// Permutation: the seed (1).
    pub seed: u64,
    /// Permutation: group features correlating at |r| >= this (None: no groups).
    pub group_corr: Option<f64>,
    /// SHAP: background column means (None: the explained data's).
    pub background: Option<Vec<f64>>,
    /// SHAP, multinomial: the class to explain (None: the first).
    pub class: Option<String>,
    /// Per-row methods: the rows (0-based) whose attributions the report shows.
    pub rows: Vec<usize>,
    /// Gradient methods: the baseline when `background` is None.
    pub baseline: Baseline,
    /// IG: gradient evaluations (50; with `tol`, the adaptive rule's start).
    pub steps: usize,
    /// IG: the quadrature of a fixed-step run.
    pub quadrature: Quadrature,
    /// IG: the completeness tolerance (Some(1e-3)); None: `steps` points of `quadrature`.
    pub tol: Option<f64>,
    /// SmoothGrad: noisy copies per row (50).
    pub samples: usize,
    /// SmoothGrad: the noise's sd as a fraction of each feature's range (0.15).
    pub noise: f64,
    /// Forecasters: the forecast explained, steps after the window (1).
    pub horizon_step: usize,
}

/// The baseline of the gradient methods (`background` means override it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Training means for a standardized tabular network, zeros for images, windows and
    /// unstandardized (sparse) input.
    Auto,
    /// The training means (standardized zero), or the data's means when the model stores
    /// none.
    Mean,
    /// All raw inputs zero (a black image, an empty document).
    Zero,
}

impl Baseline {
    /// Parses auto, mean or zero.
    pub fn parse(s: &str) -> Result<Baseline> {
        match s {
            "auto" => Ok(Baseline::Auto),
            "mean" => Ok(Baseline::Mean),
            "zero" | "zeros" => Ok(Baseline::Zero),
            _ => Err(Error::param_err(
                "baseline",
                format!("'{s}' is not one of auto, mean, zero"),
            )),
        }
    }
}

impl Default for ExplainOptions {
    fn default() -> ExplainOptions {
        ExplainOptions {
            method: Method::Permutation,
            repeats: 5,
            seed: 1,
            group_corr: None,
            background: None,
            class: None,
            rows: vec![0, 1, 2],
            baseline: Baseline::Auto,
            steps: 50,
            quadrature: Quadrature::GaussLegendre,
            tol: Some(1e-3),
            samples: 50,
            noise: 0.15,
            horizon_step: 1,
        }
    }
}

/// Intercept, coefficients, the class explained (multinomial), the selected features.
type LinearParts = (f64, Vec<f64>, Option<String>, Vec<String>);

/// A model's linear predictor (intercept, coefficients) and the selection facts: for a
/// linear path at its lambda (the class `class` for multinomial), or a Bayesian model.
fn linear_parts(model: &crate::model::Model, class: Option<&str>) -> Result<LinearParts> {
    use crate::model::Model;
    match model {
        Model::Linear(m) => {
            let (a0, beta) = m.coef()?;
            let names = &m.preprocess.feature_names;
            let k = if m.family == Family::Multinomial {
                let labels = &m.preprocess.classes;
                match class {
                    None => 0,
                    Some(c) => labels.iter().position(|l| l == c).ok_or_else(|| {
                        Error::param_err(
                            "class",
                            format!("'{c}' is not one of the classes {}", labels.join(", ")),
                        )
                    })?,
                }
            } else {
                0
            };
            let cls = (m.family == Family::Multinomial).then(|| m.preprocess.classes[k].clone());
            Ok((a0[k], beta[k].clone(), cls, selected_in_order(m, names)))
        }
        Model::Bayes(m) => {
            let names = &m.preprocess.feature_names;
            let sel = bayes_selected(m, names);
            Ok((m.fit.intercept, m.fit.coef.clone(), None, sel))
        }
        _ => Err(Error::param_err(
            "method",
            "shap is exact for linear models only (linear path, cv, bayes runs); use \
             permutation for this model",
        )),
    }
}

/// The features with a non-zero coefficient at the model's lambda, in order of entry.
fn selected_in_order(m: &LinearModel, names: &[String]) -> Vec<String> {
    let Ok((_, beta)) = m.coef() else {
        return Vec::new();
    };
    let p = names.len();
    let entry: Vec<Option<usize>> = (0..p)
        .map(|j| (0..m.lambdas.len()).find(|&l| m.beta.iter().any(|b| b[l][j] != 0.0)))
        .collect();
    let mut sel: Vec<usize> = (0..p)
        .filter(|&j| beta.iter().any(|b| b[j] != 0.0))
        .collect();
    sel.sort_by_key(|&j| (entry[j], j));
    sel.into_iter().map(|j| names[j].clone()).collect()
}

fn bayes_selected(m: &BayesModel, names: &[String]) -> Vec<String> {
    m.fit
        .coef
        .iter()
        .enumerate()
        .filter(|(_, b)| **b != 0.0)
        .map(|(j, _)| names[j].clone())
        .collect()
}

/// Explains `model` on the feature matrix `x` (with the target `y` for permutation).
pub fn explain(
    model: &crate::model::Model,
    x: &Matrix,
    y: Option<&[f64]>,
    opts: &ExplainOptions,
) -> Result<Explanation> {
    use crate::model::Model;
    let (names, task) = match model {
        Model::Linear(m) => (m.preprocess.feature_names.clone(), m.preprocess.task),
        Model::Bayes(m) => (m.preprocess.feature_names.clone(), m.preprocess.task),
        Model::Network(m) => (m.preprocess.feature_names.clone(), m.preprocess.task),
        Model::TextNetwork(m) => (
            m.network.preprocess.feature_names.clone(),
            m.network.preprocess.task,
        ),
        _ => {
            return Err(Error::param_err(
                "run",
                "explain reads models on feature columns (linear, bayes, network and text \
                 network runs); a forecaster is explained by explain_forecast",
            ))
        }
    };
    if x.ncols() != names.len() {
        return Err(Error::param_err(
            "data",
            format!(
                "{} feature columns, the model has {}",
                x.ncols(),
                names.len()
            ),
        ));
    }
    let n = x.nrows();
    let mut out = Explanation::blank(names.clone(), n, opts);
    match opts.method {
        Method::Ig | Method::GradXInput | Method::SmoothGrad => {
            let m = match model {
                Model::Network(m) => m.as_ref(),
                Model::TextNetwork(m) => &m.network,
                _ => {
                    return Err(Error::param_err(
                        "method",
                        format!(
                            "{} differentiates a network; use shap (linear models) or permutation \
                         for this model",
                            opts.method.name()
                        ),
                    ))
                }
            };
            gradient::gradient_explanation(m, x, opts, &mut out)?;
        }
        Method::Shap => {
            let (a, b, class, selected) = linear_parts(model, opts.class.as_deref())?;
            let mean = match &opts.background {
                Some(m) if m.len() != names.len() => {
                    return Err(Error::param_err(
                        "background",
                        format!("{} columns, the model has {}", m.len(), names.len()),
                    ))
                }
                Some(m) => m.clone(),
                None => column_means(x),
            };
            let (phi, base) = linear_shap(a, &b, x, &mean)?;
            // completeness: each row's values sum to f(x) - base
            let mut f = vec![a; n];
            for (j, &bj) in b.iter().enumerate() {
                if bj != 0.0 {
                    x.for_each_in_col(j, |i, v| f[i] += bj * v);
                }
            }
            let spread = f.iter().map(|v| (v - base).abs()).fold(0.0f64, f64::max);
            let err = phi
                .iter()
                .zip(&f)
                .map(|(r, fi)| (r.iter().sum::<f64>() - (fi - base)).abs())
                .fold(0.0f64, f64::max);
            out.importance = abs_importance(&names, &phi);
            out.rows_shown = opts
                .rows
                .iter()
                .filter(|&&i| i < n)
                .map(|&i| (i, phi[i].clone()))
                .collect();
            out.attributions = Some(phi);
            out.base_value = Some(base);
            out.completeness_error = Some(if spread > 0.0 { err / spread } else { err });
            out.class = class;
            out.selected = selected;
        }
        Method::Permutation => {
            if matches!(model, Model::TextNetwork(_)) {
                return Err(Error::param_err(
                    "method",
                    "permutation would shuffle each of a vocabulary's terms; explain a text \
                     network by ig, gradxinput or smoothgrad",
                ));
            }
            let y = y.ok_or_else(|| {
                Error::param_err(
                    "data",
                    "permutation importance needs the target column in the data",
                )
            })?;
            let groups = match opts.group_corr {
                Some(c) => correlation_groups(x, c)?,
                None => Vec::new(),
            };
            let predict = |xm: &Matrix| -> Result<Predictions> {
                match model {
                    Model::Linear(m) => m.predict(xm),
                    Model::Bayes(m) => m.predict(xm),
                    Model::Network(m) => {
                        let mut c = m.as_ref().clone();
                        c.predict(xm)
                    }
                    _ => unreachable!("checked above"),
                }
            };
            let (gs, mean, se, base) =
                permutation_importance(&predict, task, x, y, &groups, opts.repeats, opts.seed)?;
            let mut rows: Vec<ImportanceRow> = gs
                .iter()
                .zip(mean.iter().zip(&se))
                .map(|(g, (&m, &s))| {
                    let members: Vec<String> = g.iter().map(|&j| names[j].clone()).collect();
                    ImportanceRow {
                        feature: members.join("+"),
                        members,
                        importance: m,
                        se: s,
                    }
                })
                .collect();
            rows.sort_by(|a, b| b.importance.total_cmp(&a.importance));
            out.importance = rows;
            out.baseline_score = Some(base);
            out.score = Some(score_name(task).into());
            out.selected = match model {
                Model::Linear(m) => selected_in_order(m, &names),
                Model::Bayes(m) => bayes_selected(m, &names),
                _ => Vec::new(),
            };
        }
    }
    Ok(out)
}

/// Importance from per-row attributions: each feature's mean |attribution| over the rows,
/// with its standard error, most important first.
pub(crate) fn abs_importance(names: &[String], attributions: &[Vec<f64>]) -> Vec<ImportanceRow> {
    let mut rows: Vec<ImportanceRow> = (0..names.len())
        .map(|j| {
            let abs: Vec<f64> = attributions.iter().map(|r| r[j].abs()).collect();
            let (importance, se) = mean_and_se(&abs);
            ImportanceRow {
                feature: names[j].clone(),
                members: vec![names[j].clone()],
                importance,
                se,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    rows
}

/// The mean of `v` and its standard error (the sample sd over sqrt(n); 0 for one value);
/// (0, 0) for none.
fn mean_and_se(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, sd / n.sqrt())
}
