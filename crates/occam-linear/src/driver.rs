//! The driver: validates the config, standardizes (X; y for gaussian, as glmnet), builds the
//! lambda grid, runs the path, maps coefficients back to the original scale, and optionally
//! adds the relaxed fit.

use crate::config::{Family, PathConfig};
use crate::design::Design;
use crate::error::{param, LinearError, PathWarning};
use crate::family::multinomial::Multi;
use crate::path::{self, Coefs, Lambdas, LoopSettings, RawPath, Solver, StopRule};
use crate::point::Single;
use occam_core::Matrix;

/// A fitted regularization path, coefficients on the original scale of X (and y).
#[derive(Clone, Debug, serde::Serialize)]
pub struct PathFit {
    pub family: Family,
    pub alpha: f64,
    /// Lambdas in the order fitted (decreasing), or in the order given with `lambda`.
    pub lambda: Vec<f64>,
    /// Intercept per lambda and class: `a0[l][k]` (one class except multinomial).
    pub a0: Vec<Vec<f64>>,
    /// Coefficients per class, lambda and feature: `beta[k][l][j]`.
    pub beta: Vec<Vec<Vec<f64>>>,
    /// Non-zero features per lambda (in any class).
    pub df: Vec<usize>,
    /// Fraction of the null deviance explained.
    pub dev_ratio: Vec<f64>,
    /// Null deviance (each row's deviance times its weight; unit weights by default).
    pub nulldev: f64,
    /// Certified relative duality gap per lambda (gaussian, binomial).
    pub relative_gap: Vec<Option<f64>>,
    /// Coordinate-descent passes over all lambdas.
    pub passes: usize,
    pub warnings: Vec<PathWarning>,
    /// The relaxed fit, when asked for.
    pub relaxed: Option<Relaxed>,
    /// Seconds spent in the fit itself.
    pub fit_seconds: f64,
}

/// Unpenalized refit on each lambda's active set, blended: gamma * penalized + (1 - gamma) * refit.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Relaxed {
    pub gamma: f64,
    pub a0: Vec<Vec<f64>>,
    pub beta: Vec<Vec<Vec<f64>>>,
}

impl PathFit {
    pub fn nclass(&self) -> usize {
        self.beta.len()
    }

    pub fn nfeatures(&self) -> usize {
        self.beta
            .first()
            .and_then(|b| b.first())
            .map_or(0, Vec::len)
    }

    /// Features with a non-zero coefficient at lambda index `l`, in their order of entry
    /// along the path (ties by feature index).
    pub fn selected(&self, l: usize) -> Vec<usize> {
        let entry = self.entry_index();
        let mut sel: Vec<usize> = (0..self.nfeatures())
            .filter(|&j| self.beta.iter().any(|b| b[l][j] != 0.0))
            .collect();
        sel.sort_by_key(|&j| (entry[j], j));
        sel
    }

    /// For each feature, the index of the first lambda where it is non-zero (order of entry).
    pub fn entry_index(&self) -> Vec<Option<usize>> {
        (0..self.nfeatures())
            .map(|j| (0..self.lambda.len()).find(|&l| self.beta.iter().any(|b| b[l][j] != 0.0)))
            .collect()
    }
}

/// Fits the whole path of `cfg.family` for X and y (class indices 0..K-1 for binomial and
/// multinomial).
pub fn fit_path(
    x: &Matrix,
    y: &[f64],
    cfg: &PathConfig,
    relax_gamma: Option<f64>,
) -> Result<PathFit, LinearError> {
    fit_path_with_progress(x, y, cfg, relax_gamma, &|_, _| true)
}

/// `fit_path`, calling `progress(done, total)` after each lambda of the grid (a path that
/// stops early, as glmnet's does, ends below the total); when it returns false the fit
/// stops there with an "interrupted" error.
pub fn fit_path_with_progress(
    x: &Matrix,
    y: &[f64],
    cfg: &PathConfig,
    relax_gamma: Option<f64>,
    progress: &(dyn Fn(usize, usize) -> bool + Sync),
) -> Result<PathFit, LinearError> {
    fit(X::Borrowed(x), y, cfg, relax_gamma, progress)
}

/// [`fit_path_with_progress`] for an X the caller gives up: a dense X is standardized in
/// place instead of copied, so the fit holds X once (the same numbers, bit for bit).
pub fn fit_path_owned(
    x: Matrix,
    y: &[f64],
    cfg: &PathConfig,
    relax_gamma: Option<f64>,
    progress: &(dyn Fn(usize, usize) -> bool + Sync),
) -> Result<PathFit, LinearError> {
    fit(X::Owned(x), y, cfg, relax_gamma, progress)
}

/// X as given to a fit.
enum X<'a> {
    Borrowed(&'a Matrix),
    Owned(Matrix),
}

impl X<'_> {
    fn matrix(&self) -> &Matrix {
        match self {
            X::Borrowed(m) => m,
            X::Owned(m) => m,
        }
    }
}

fn fit(
    x: X<'_>,
    y: &[f64],
    cfg: &PathConfig,
    relax_gamma: Option<f64>,
    progress: &(dyn Fn(usize, usize) -> bool + Sync),
) -> Result<PathFit, LinearError> {
    let (n, p) = (x.matrix().nrows(), x.matrix().ncols());
    cfg.validate(n, p)?;
    if y.len() != n {
        return Err(param("y", format!("{} values for {n} rows", y.len())));
    }
    if let Some(wts) = cfg.weights.as_ref().filter(|v| v.contains(&0.0)) {
        // Rows of weight 0 are left out (so that they cannot make a feature look varying).
        let keep: Vec<usize> = (0..n).filter(|&i| wts[i] > 0.0).collect();
        let mut kept = cfg.clone();
        kept.weights = Some(keep.iter().map(|&i| wts[i]).collect());
        let yk: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
        let xk = x.matrix().select_rows(&keep);
        drop(x);
        return fit(X::Owned(xk), &yk, &kept, relax_gamma, progress);
    }
    let start = std::time::Instant::now();
    // Weights normalized to sum to 1; `nobs` counts the rows (the weights' sum: frequencies).
    let (w, nobs) = match &cfg.weights {
        Some(v) => {
            let s: f64 = v.iter().sum();
            (v.iter().map(|x| x / s).collect::<Vec<f64>>(), s)
        }
        None => (vec![1.0 / n as f64; n], n as f64),
    };
    let mut pf = cfg.penalty_factor.clone().unwrap_or_else(|| vec![1.0; p]);
    let s: f64 = pf.iter().sum();
    pf.iter_mut().for_each(|v| *v *= p as f64 / s);
    let sparse_owned;
    let design = match x {
        X::Borrowed(m) => Design::new(m, &w, cfg.intercept, cfg.standardize),
        X::Owned(Matrix::Dense(d)) => Design::from_dense(d, &w, cfg.intercept, cfg.standardize),
        X::Owned(m) => {
            sparse_owned = m;
            Design::new(&sparse_owned, &w, cfg.intercept, cfg.standardize)
        }
    };
    if !design.usable.iter().any(|&u| u) {
        return Err(param(
            "data",
            "every feature is constant: there is nothing to fit",
        ));
    }
    let nclass = match cfg.family {
        Family::Multinomial => y.iter().fold(0usize, |m, &v| m.max(v as usize + 1)),
        _ => 1,
    };
    check_response(cfg.family, y, nclass)?;
    // Gaussian: standardize y as glmnet does (the ridge part is then in units of sd(y)).
    let (ym, ys) = if cfg.family == Family::Gaussian {
        let (m, sd) = if cfg.weights.is_some() {
            let m: f64 = y.iter().zip(&w).map(|(v, wi)| wi * v).sum();
            let var: f64 = y.iter().zip(&w).map(|(v, wi)| wi * (v - m) * (v - m)).sum();
            (m, var.sqrt())
        } else {
            let m: f64 = y.iter().sum::<f64>() / n as f64;
            (
                m,
                (y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64).sqrt(),
            )
        };
        if sd == 0.0 {
            return Err(param("target", "the response is constant"));
        }
        (if cfg.intercept { m } else { 0.0 }, sd)
    } else {
        (0.0, 1.0)
    };
    let yw: Vec<f64> = y.iter().map(|v| (v - ym) / ys).collect();
    let ratio = cfg
        .lambda_min_ratio
        .unwrap_or(if nobs < p as f64 { 1e-2 } else { 1e-4 });
    let (lambdas, order) = match &cfg.lambda {
        Some(l) => {
            let mut idx: Vec<usize> = (0..l.len()).collect();
            idx.sort_by(|&a, &b| l[b].total_cmp(&l[a]));
            (
                Lambdas::User(idx.iter().map(|&k| l[k] / ys).collect()),
                Some(idx),
            )
        }
        None => (
            Lambdas::Auto {
                nlambda: cfg.nlambda,
                ratio,
            },
            None,
        ),
    };
    let settings = LoopSettings {
        alpha: cfg.alpha,
        pf: &pf,
        usable: &design.usable,
        dfmax: cfg.dfmax.unwrap_or(p + 1),
        gap_tol: cfg.gap_tol,
        stop: match cfg.family {
            Family::Gaussian => StopRule::Relative,
            Family::Poisson => StopRule::Window,
            _ => StopRule::Absolute,
        },
        progress,
    };
    let new_solver = |alpha: f64| -> Box<dyn Solver + '_> {
        match cfg.family {
            Family::Multinomial => Box::new(Multi::new(
                &design,
                &yw,
                &w,
                nclass,
                alpha,
                &pf,
                cfg.intercept,
                cfg.grouped,
                cfg.tol,
                cfg.max_passes,
            )),
            fam => Box::new(Single::new(
                &design,
                fam,
                &yw,
                &w,
                alpha,
                &pf,
                cfg.intercept,
                cfg.tol,
                cfg.max_passes,
            )),
        }
    };
    let mut solver = new_solver(cfg.alpha);
    let raw = path::run(solver.as_mut(), lambdas, &settings);
    if raw.interrupted {
        return Err(param("fit", "interrupted"));
    }
    let relaxed_raw = relax_gamma.map(|gamma| {
        let mut a0s = Vec::new();
        let mut betas = Vec::new();
        for l in 0..raw.lambda.len() {
            let mut refit = new_solver(1.0);
            let active = support(&raw.beta[l], p);
            refit.solve(0.0, &active);
            let (a0, beta) = refit.coefs();
            let mix = |pen: f64, unpen: f64| gamma * pen + (1.0 - gamma) * unpen;
            a0s.push(
                a0.iter()
                    .zip(&raw.a0[l])
                    .map(|(u, pn)| mix(*pn, *u))
                    .collect::<Vec<_>>(),
            );
            betas.push(
                beta.iter()
                    .zip(&raw.beta[l])
                    .map(|(bu, bp)| Coefs {
                        idx: bp.idx.clone(),
                        val: bp.iter().map(|(j, pn)| mix(pn, bu[j])).collect(),
                    })
                    .collect::<Vec<Coefs>>(),
            );
        }
        (gamma, a0s, betas)
    });
    let fit_seconds = start.elapsed().as_secs_f64();
    drop(solver);
    let mut design = design;
    design.release_matrix();
    Ok(assemble(
        cfg,
        &design,
        raw,
        relaxed_raw,
        ym,
        ys,
        nobs,
        order,
        fit_seconds,
    ))
}

fn check_response(fam: Family, y: &[f64], nclass: usize) -> Result<(), LinearError> {
    let bad = |d: String| Err(param("target", d));
    match fam {
        Family::Binomial => {
            if y.iter().any(|&v| v != 0.0 && v != 1.0) {
                return bad("binomial needs a 0/1 (two-class) target".into());
            }
            if y.iter().all(|&v| v == y[0]) {
                return bad("binomial needs both classes present".into());
            }
        }
        Family::Multinomial => {
            if y.iter().any(|&v| v < 0.0 || v.fract() != 0.0) {
                return bad("multinomial needs class indices 0..K-1".into());
            }
            if nclass < 2 {
                return bad("multinomial needs at least two classes".into());
            }
        }
        Family::Poisson => {
            if y.iter().any(|&v| v < 0.0) {
                return bad("poisson needs a non-negative target".into());
            }
            if y.iter().all(|&v| v == 0.0) {
                return bad("poisson needs some non-zero counts".into());
            }
        }
        Family::Gaussian => {}
    }
    Ok(())
}

/// Relaxed coefficients on the standardized scale: gamma, a0[l][k], beta[l][k].
type RawRelaxed = (f64, Vec<Vec<f64>>, Vec<Vec<Coefs>>);

/// The features nonzero for some class, in order.
fn support(beta: &[Coefs], p: usize) -> Vec<usize> {
    let mut on = vec![false; p];
    beta.iter().flat_map(|b| &b.idx).for_each(|&j| on[j] = true);
    (0..p).filter(|&j| on[j]).collect()
}

/// Standardized coefficients back to the original scale.
fn unstandardize(
    d: &Design,
    a0: &[f64],
    beta: &[Coefs],
    ym: f64,
    ys: f64,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut a0o = Vec::with_capacity(a0.len());
    let mut bo = Vec::with_capacity(beta.len());
    for (k, b) in beta.iter().enumerate() {
        let mut orig = vec![0.0; d.p];
        let mut shift = 0.0;
        for (j, v) in b.iter() {
            orig[j] = ys * v / d.scale[j];
            shift += orig[j] * d.center[j];
        }
        a0o.push(ym + ys * a0[k] - shift);
        bo.push(orig);
    }
    if a0o.len() > 1 {
        // Multinomial intercepts are identified up to a constant: report them summing to zero
        // on the original scale (as glmnet).
        let m = a0o.iter().sum::<f64>() / a0o.len() as f64;
        a0o.iter_mut().for_each(|a| *a -= m);
    }
    (a0o, bo)
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    cfg: &PathConfig,
    d: &Design,
    raw: RawPath,
    relaxed: Option<RawRelaxed>,
    ym: f64,
    ys: f64,
    nobs: f64,
    order: Option<Vec<usize>>,
    fit_seconds: f64,
) -> PathFit {
    let nl = raw.lambda.len();
    let nclass = raw.beta.first().map_or(1, Vec::len);
    // positions: output slot i takes fitted index perm[i]
    let perm: Vec<usize> = match &order {
        Some(idx) => {
            let mut inv = vec![0; idx.len()];
            for (fitted, &given) in idx.iter().enumerate() {
                inv[given] = fitted;
            }
            inv.into_iter().filter(|&f| f < nl).collect()
        }
        None => (0..nl).collect(),
    };
    let convert = |a0s: &[Vec<f64>], betas: &[Vec<Coefs>]| {
        let mut a0o = Vec::new();
        let mut bo = vec![Vec::new(); nclass];
        for &l in &perm {
            let (a, b) = unstandardize(d, &a0s[l], &betas[l], ym, ys);
            a0o.push(a);
            for (k, bk) in b.into_iter().enumerate() {
                bo[k].push(bk);
            }
        }
        (a0o, bo)
    };
    let (a0, beta) = convert(&raw.a0, &raw.beta);
    let df = perm
        .iter()
        .map(|&l| support(&raw.beta[l], d.p).len())
        .collect();
    let relaxed = relaxed.map(|(gamma, ra0, rb)| {
        let (a0, beta) = convert(&ra0, &rb);
        Relaxed { gamma, a0, beta }
    });
    PathFit {
        family: cfg.family,
        alpha: cfg.alpha,
        lambda: perm.iter().map(|&l| raw.lambda[l] * ys).collect(),
        a0,
        beta,
        df,
        dev_ratio: perm.iter().map(|&l| raw.dev_ratio[l]).collect(),
        nulldev: raw.null_dev * nobs * ys * ys,
        relative_gap: perm.iter().map(|&l| raw.gap[l]).collect(),
        passes: raw.passes,
        warnings: raw.warnings,
        relaxed,
        fit_seconds,
    }
}
