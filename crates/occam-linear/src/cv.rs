//! k-fold cross-validation of a whole path, as cv.glmnet: the path is fitted on all data,
//! then on each fold's training rows with the same settings (folds in parallel); each fold's
//! coefficients are taken at the full-data lambdas by glmnet's interpolation (its default
//! `alignment = "lambda"`), held-out losses give cvm and cvsd, lambda.min and lambda.1se.

use crate::config::{Family, PathConfig};
use crate::driver::{fit_path_owned, fit_path_with_progress, PathFit};
use crate::error::{param, LinearError};
use crate::predict::{coef_at, predict_class, predict_response};
use occam_core::{metrics, split, Matrix};
use rayon::prelude::*;

/// The loss averaged over held-out rows (glmnet's type.measure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    Deviance,
    Mse,
    Mae,
    Class,
    Auc,
}

impl Measure {
    pub fn parse(s: &str, fam: Family) -> Result<Measure, LinearError> {
        let m = match s {
            "deviance" => Measure::Deviance,
            "mse" => Measure::Mse,
            "mae" => Measure::Mae,
            "class" => Measure::Class,
            "auc" => Measure::Auc,
            _ => {
                return Err(param(
                    "measure",
                    format!("'{s}' is not one of deviance, mse, mae, class, auc"),
                ))
            }
        };
        let ok = match m {
            Measure::Class => matches!(fam, Family::Binomial | Family::Multinomial),
            Measure::Auc => fam == Family::Binomial,
            _ => true,
        };
        if !ok {
            return Err(param(
                "measure",
                format!("'{s}' does not apply to the {} family", fam.name()),
            ));
        }
        Ok(m)
    }

    /// AUC is maximized; every other measure is minimized.
    pub fn higher_is_better(self) -> bool {
        self == Measure::Auc
    }

    pub fn name(self) -> &'static str {
        match self {
            Measure::Deviance => "deviance",
            Measure::Mse => "mse",
            Measure::Mae => "mae",
            Measure::Class => "class",
            Measure::Auc => "auc",
        }
    }
}

/// Cross-validation settings.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `folds` | 10 | number of folds (ignored with `foldid`) |
/// | `foldid` | None | fold of each row, 0-based |
/// | `measure` | deviance | see [`Measure`] |
/// | `seed` | 1 | seed of the (stratified for classification) folds |
#[derive(Clone, Debug)]
pub struct CvConfig {
    pub folds: usize,
    pub foldid: Option<Vec<usize>>,
    pub measure: Measure,
    pub seed: u64,
}

/// The cross-validated path.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CvFit {
    /// The path fitted on all rows.
    pub fit: PathFit,
    pub measure: Measure,
    pub cvm: Vec<f64>,
    pub cvsd: Vec<f64>,
    pub lambda_min: f64,
    pub lambda_1se: f64,
    /// 0-based indices into `fit.lambda`.
    pub index_min: usize,
    pub index_1se: usize,
    /// Fold of each row, 0-based.
    pub foldid: Vec<usize>,
    pub fit_seconds: f64,
}

/// The fold's measure at each of the full-data `lambdas`.
fn fold_scores(
    fit: &PathFit,
    x: &Matrix,
    y: &[f64],
    w: Option<&[f64]>,
    measure: Measure,
    lambdas: &[f64],
) -> Vec<f64> {
    lambdas
        .iter()
        .map(|&s| {
            let (a0, beta) = coef_at(fit, s);
            let mu = predict_response(fit.family, x, &a0, &beta);
            match w {
                None => fold_measure(fit.family, measure, &mu, y),
                Some(w) => weighted_fold_measure(fit.family, measure, &mu, y, w),
            }
        })
        .collect()
}

/// Each held-out row's loss under `measure` (glmnet's per-family definitions; not AUC).
fn row_losses(fam: Family, measure: Measure, mu: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let pred = if measure == Measure::Class {
        predict_class(fam, mu)
    } else {
        Vec::new()
    };
    (0..y.len())
        .map(|i| {
            let t = y[i];
            match (fam, measure) {
                (Family::Binomial, Measure::Class) => {
                    let p = mu[0][i];
                    f64::from(if t > 0.5 { p <= 0.5 } else { p >= 0.5 })
                }
                (_, Measure::Class) => f64::from(pred[i] != t as usize),
                (Family::Binomial, m) => {
                    let p = mu[0][i];
                    match m {
                        Measure::Mse => 2.0 * (t - p) * (t - p),
                        Measure::Mae => 2.0 * (t - p).abs(),
                        _ => {
                            let p = p.clamp(1e-5, 1.0 - 1e-5);
                            -2.0 * (t * p.ln() + (1.0 - t) * (1.0 - p).ln())
                        }
                    }
                }
                (Family::Multinomial, m) => {
                    let c = t as usize;
                    let k = mu.len();
                    match m {
                        Measure::Mse => {
                            (0..k).map(|q| (f64::from(q == c) - mu[q][i]).powi(2)).sum()
                        }
                        Measure::Mae => (0..k).map(|q| (f64::from(q == c) - mu[q][i]).abs()).sum(),
                        _ => -2.0 * mu[c][i].clamp(1e-5, 1.0 - 1e-5).ln(),
                    }
                }
                (Family::Poisson, Measure::Deviance) => metrics::poisson_dev(t, mu[0][i]),
                (_, Measure::Mae) => (mu[0][i] - t).abs(),
                _ => (mu[0][i] - t) * (mu[0][i] - t),
            }
        })
        .collect()
}

/// The fold's weighted mean loss (or weighted AUC) for observation weights `w`.
fn weighted_fold_measure(
    fam: Family,
    measure: Measure,
    mu: &[Vec<f64>],
    y: &[f64],
    w: &[f64],
) -> f64 {
    if measure == Measure::Auc {
        return metrics::weighted_auc(&mu[0], y, w);
    }
    let losses = row_losses(fam, measure, mu, y);
    let total: f64 = w.iter().sum();
    losses.iter().zip(w).map(|(l, wi)| wi * l).sum::<f64>() / total
}

/// The fold's mean loss (or AUC) with glmnet's per-family definitions.
fn fold_measure(fam: Family, measure: Measure, mu: &[Vec<f64>], y: &[f64]) -> f64 {
    let n = y.len() as f64;
    match (fam, measure) {
        (Family::Binomial, Measure::Auc) => metrics::auc(&mu[0], y),
        (_, Measure::Class) => {
            let pred = predict_class(fam, mu);
            let wrong: usize = match fam {
                // glmnet counts p == 0.5 as wrong for both classes
                Family::Binomial => mu[0]
                    .iter()
                    .zip(y)
                    .filter(|(&p, &t)| if t > 0.5 { p <= 0.5 } else { p >= 0.5 })
                    .count(),
                _ => pred
                    .iter()
                    .zip(y)
                    .filter(|(&p, &t)| p != t as usize)
                    .count(),
            };
            wrong as f64 / n
        }
        (Family::Binomial, m) => {
            let s: f64 = mu[0]
                .iter()
                .zip(y)
                .map(|(&p, &t)| match m {
                    Measure::Mse => 2.0 * (t - p) * (t - p),
                    Measure::Mae => 2.0 * (t - p).abs(),
                    _ => {
                        let p = p.clamp(1e-5, 1.0 - 1e-5);
                        -2.0 * (t * p.ln() + (1.0 - t) * (1.0 - p).ln())
                    }
                })
                .sum();
            s / n
        }
        (Family::Multinomial, m) => {
            let k = mu.len();
            let s: f64 = (0..y.len())
                .map(|i| {
                    let c = y[i] as usize;
                    match m {
                        Measure::Mse => {
                            (0..k).map(|q| (f64::from(q == c) - mu[q][i]).powi(2)).sum()
                        }
                        Measure::Mae => (0..k).map(|q| (f64::from(q == c) - mu[q][i]).abs()).sum(),
                        _ => -2.0 * mu[c][i].clamp(1e-5, 1.0 - 1e-5).ln(),
                    }
                })
                .sum();
            s / n
        }
        (Family::Poisson, Measure::Deviance) => {
            mu[0]
                .iter()
                .zip(y)
                .map(|(&m, &t)| metrics::poisson_dev(t, m))
                .sum::<f64>()
                / n
        }
        (_, Measure::Mae) => metrics::mae(&mu[0], y),
        _ => metrics::mse(&mu[0], y),
    }
}

/// A fold whose training rows lack a class cannot score its held-out rows of that class:
/// refused before any fit, naming the class (its 0-based code) and how many rows it has.
fn every_class_trains_in_every_fold(
    y: &[f64],
    foldid: &[usize],
    weights: Option<&[f64]>,
    k: usize,
    given: bool,
) -> Result<(), LinearError> {
    let classes = y.iter().fold(0usize, |m, &v| m.max(v as usize)) + 1;
    let mut count = vec![0usize; classes];
    let mut per_fold = vec![vec![0usize; classes]; k];
    for (i, (&v, &f)) in y.iter().zip(foldid).enumerate() {
        // a row of weight 0 is not fitted: it does not count
        if weights.is_some_and(|w| w[i] == 0.0) {
            continue;
        }
        count[v as usize] += 1;
        per_fold[f][v as usize] += 1;
    }
    for (f, in_fold) in per_fold.iter().enumerate() {
        if let Some(c) = (0..classes).find(|&c| count[c] > 0 && count[c] == in_fold[c]) {
            return Err(param(
                if given { "foldid" } else { "folds" },
                format!(
                    "fold {} holds every row of class {c} ({} rows), so its training part has \
                     none: each class needs rows in at least two folds",
                    f + 1,
                    count[c]
                ),
            ));
        }
    }
    Ok(())
}

/// Cross-validates the path of `cfg` on X, y.
pub fn cross_validate(
    x: &Matrix,
    y: &[f64],
    cfg: &PathConfig,
    cv: &CvConfig,
) -> Result<CvFit, LinearError> {
    cross_validate_with_progress(x, y, cfg, cv, &|| {}, &|| true)
}

/// `cross_validate`, calling `done` after each of the K + 1 path fits (the full data and
/// every fold; folds run in parallel, so from any thread), and `go_on` after every lambda of
/// every fit: when it returns false, the cross-validation stops with an "interrupted" error.
pub fn cross_validate_with_progress(
    x: &Matrix,
    y: &[f64],
    cfg: &PathConfig,
    cv: &CvConfig,
    done: &(dyn Fn() + Sync),
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<CvFit, LinearError> {
    let start = std::time::Instant::now();
    let (foldid, k) = assign_folds(y, cfg, cv)?;
    let full = fit_path_with_progress(x, y, cfg, None, &|_, _| go_on())?;
    done();
    let per_fold: Vec<Result<(Vec<f64>, f64), LinearError>> = (0..k)
        .into_par_iter()
        .map(|f| {
            let scores = score_fold_with(x, y, cfg, &foldid, f, cv.measure, &full.lambda, go_on);
            done();
            scores
        })
        .collect();
    let per_fold: Vec<(Vec<f64>, f64)> = per_fold.into_iter().collect::<Result<_, _>>()?;
    combine(
        full,
        &per_fold,
        cv.measure,
        foldid,
        start.elapsed().as_secs_f64(),
    )
}

/// The fold of each of the rows of `y` (0-based) and the number of folds K: `cv.foldid` when
/// given, else K seeded folds (stratified for classes), checked (K >= 3, every fold present,
/// every class training in every fold). The first stage of [`cross_validate`]; with
/// [`score_fold`] and [`combine`] its folds can run anywhere (a cluster) and give the same
/// numbers.
pub fn assign_folds(
    y: &[f64],
    cfg: &PathConfig,
    cv: &CvConfig,
) -> Result<(Vec<usize>, usize), LinearError> {
    let n = y.len();
    let foldid = match &cv.foldid {
        Some(f) => {
            if f.len() != n {
                return Err(param(
                    "foldid",
                    format!("{} fold ids for {n} rows", f.len()),
                ));
            }
            f.clone()
        }
        None => {
            let strata = matches!(cfg.family, Family::Binomial | Family::Multinomial).then_some(y);
            split::kfold(n, cv.folds, strata, cv.seed)?
        }
    };
    let k = foldid.iter().max().map_or(0, |m| m + 1);
    if k < 3 {
        return Err(param(
            "folds",
            format!("{k} folds: cross-validation needs at least 3"),
        ));
    }
    if (0..k).any(|f| !foldid.contains(&f)) {
        return Err(param(
            "foldid",
            "fold numbers must be 1..K with every fold present",
        ));
    }
    if matches!(cfg.family, Family::Binomial | Family::Multinomial) {
        every_class_trains_in_every_fold(
            y,
            &foldid,
            cfg.weights.as_deref(),
            k,
            cv.foldid.is_some(),
        )?;
    }
    Ok((foldid, k))
}

/// Fold `f` of `foldid`: the path of `cfg` fitted on the other rows, its measure on the
/// fold's rows at each of `lambdas` (the full fit's), and the fold's weight (its row count, or
/// the sum of its rows' observation weights). With weights the fold's measure is their
/// weighted mean (AUC: over pairs weighted by both rows' weights).
pub fn score_fold(
    x: &Matrix,
    y: &[f64],
    cfg: &PathConfig,
    foldid: &[usize],
    f: usize,
    measure: Measure,
    lambdas: &[f64],
) -> Result<(Vec<f64>, f64), LinearError> {
    score_fold_with(x, y, cfg, foldid, f, measure, lambdas, &|| true)
}

/// [`score_fold`], stopping with an "interrupted" error when `go_on` (asked after every
/// lambda) returns false.
#[allow(clippy::too_many_arguments)]
pub fn score_fold_with(
    x: &Matrix,
    y: &[f64],
    cfg: &PathConfig,
    foldid: &[usize],
    f: usize,
    measure: Measure,
    lambdas: &[f64],
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<(Vec<f64>, f64), LinearError> {
    let n = x.nrows();
    if foldid.len() != n || y.len() != n {
        return Err(param(
            "foldid",
            format!("{} fold ids for {n} rows", foldid.len()),
        ));
    }
    let train: Vec<usize> = (0..n).filter(|&i| foldid[i] != f).collect();
    let test: Vec<usize> = (0..n).filter(|&i| foldid[i] == f).collect();
    if test.is_empty() || train.is_empty() {
        return Err(param(
            "fold",
            format!("fold {} has no rows to score", f + 1),
        ));
    }
    let xt = x.select_rows(&train);
    let yt: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let xh = x.select_rows(&test);
    let yh: Vec<f64> = test.iter().map(|&i| y[i]).collect();
    let Some(w) = &cfg.weights else {
        let fit = fit_path_owned(xt, &yt, cfg, None, &|_, _| go_on())?;
        return Ok((
            fold_scores(&fit, &xh, &yh, None, measure, lambdas),
            test.len() as f64,
        ));
    };
    if w.len() != n {
        return Err(param(
            "weights",
            format!("{} weights given for {n} rows", w.len()),
        ));
    }
    let wh: Vec<f64> = test.iter().map(|&i| w[i]).collect();
    let fold_weight: f64 = wh.iter().sum();
    if fold_weight <= 0.0 {
        return Err(param(
            "weights",
            format!(
                "every row of fold {} has weight 0: it cannot be scored",
                f + 1
            ),
        ));
    }
    let mut train_cfg = cfg.clone();
    train_cfg.weights = Some(train.iter().map(|&i| w[i]).collect());
    let fit = fit_path_owned(xt, &yt, &train_cfg, None, &|_, _| go_on())?;
    Ok((
        fold_scores(&fit, &xh, &yh, Some(&wh), measure, lambdas),
        fold_weight,
    ))
}

/// The cross-validated path from the full-data path `full` and each fold's
/// [`score_fold`] (in fold order): glmnet's weighted mean and standard error per lambda, and
/// lambda.min and lambda.1se. Fewer than 3 folds, or a fold without a score per lambda or
/// with no rows, is an error.
pub fn combine(
    full: PathFit,
    per_fold: &[(Vec<f64>, f64)],
    measure: Measure,
    foldid: Vec<usize>,
    fit_seconds: f64,
) -> Result<CvFit, LinearError> {
    let k = per_fold.len();
    let nl = full.lambda.len();
    if k < 3 {
        return Err(param(
            "folds",
            format!("{k} folds: cross-validation needs at least 3"),
        ));
    }
    if let Some(f) = per_fold
        .iter()
        .position(|(s, w)| s.len() != nl || !(w.is_finite() && *w > 0.0))
    {
        return Err(param(
            "fold",
            format!("fold {} has no score per lambda ({nl} lambdas)", f + 1),
        ));
    }
    let wsum: f64 = per_fold.iter().map(|(_, w)| w).sum();
    let mut cvm = vec![0.0; nl];
    let mut cvsd = vec![0.0; nl];
    for l in 0..nl {
        let m: f64 = per_fold.iter().map(|(s, w)| w * s[l]).sum::<f64>() / wsum;
        let v: f64 = per_fold
            .iter()
            .map(|(s, w)| w * (s[l] - m).powi(2))
            .sum::<f64>()
            / wsum;
        cvm[l] = m;
        cvsd[l] = (v / (k as f64 - 1.0)).sqrt();
    }
    let (index_min, index_1se) = choose(&full.lambda, &cvm, &cvsd, measure.higher_is_better());
    Ok(CvFit {
        lambda_min: full.lambda[index_min],
        lambda_1se: full.lambda[index_1se],
        fit: full,
        measure,
        cvm,
        cvsd,
        index_min,
        index_1se,
        foldid,
        fit_seconds,
    })
}

/// lambda.min: the largest lambda attaining the best cvm; lambda.1se: the largest lambda whose
/// cvm is within one standard error (cvsd at lambda.min) of the best.
pub fn choose(lambda: &[f64], cvm: &[f64], cvsd: &[f64], maximize: bool) -> (usize, usize) {
    let sign = if maximize { -1.0 } else { 1.0 };
    let score: Vec<f64> = cvm.iter().map(|v| sign * v).collect();
    let best = score.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = |ok: &dyn Fn(usize) -> bool| {
        (0..lambda.len())
            .filter(|&l| ok(l))
            .max_by(|&a, &b| lambda[a].total_cmp(&lambda[b]))
            .expect("the best index qualifies")
    };
    let imin = largest(&|l| score[l] <= best);
    let bound = score[imin] + cvsd[imin];
    let i1se = largest(&|l| score[l] <= bound);
    (imin, i1se)
}
