//! Bayesian linear regression with its regularization learned from the data by evidence
//! maximization: Bayesian ridge (one Gaussian prior precision lambda for every coefficient;
//! MacKay 1992, "Bayesian interpolation") and ARD, automatic relevance determination (one
//! precision per coefficient, features whose precision passes a threshold pruned to exact
//! zero; MacKay 1994, Tipping 2001). Gamma hyperpriors on the noise precision alpha and on
//! lambda, the fixed-point updates of the evidence, the posterior covariance, the log
//! marginal likelihood and the predictive standard deviation, all as scikit-learn's
//! `BayesianRidge` and `ARDRegression` define them (their parameters, defaults, stopping
//! rule and order of updates), so that the numbers agree with scikit-learn's.
//!
//! Works on the centred X (rows scaled by the square roots of the observation weights),
//! formed densely: sparse X is accepted, and the cost is that of the n x p centred matrix,
//! O(min(n, p)^2 max(n, p)) per eigendecomposition or Woodbury step.

use crate::cholesky;
use crate::eigen::{pinv_sym, sym_eigen};
use crate::error::{param, LinearError};
use occam_core::Matrix;

/// Which prior: one precision for all coefficients, or one per coefficient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BayesKind {
    /// Bayesian ridge.
    Ridge,
    /// Automatic relevance determination.
    Ard,
}

/// Settings, with scikit-learn's names and defaults.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `max_iter` | 300 | evidence updates at most |
/// | `tol` | 1e-3 | stop when the coefficients moved less (sum of absolute changes) |
/// | `alpha_1`, `alpha_2` | 1e-6 | shape and rate of the Gamma prior on the noise precision |
/// | `lambda_1`, `lambda_2` | 1e-6 | shape and rate of the Gamma prior on the weights' precision |
/// | `alpha_init` | 1 / var(y) | start of alpha (ridge only) |
/// | `lambda_init` | 1 | start of lambda (ridge only) |
/// | `compute_score` | false | record the log marginal likelihood at each update |
/// | `fit_intercept` | true | centre X and y (the intercept is not penalized) |
/// | `threshold_lambda` | 1e4 | ARD: features whose precision passes it are pruned (coefficient 0) |
#[derive(Clone, Debug, PartialEq)]
pub struct BayesConfig {
    pub max_iter: usize,
    pub tol: f64,
    pub alpha_1: f64,
    pub alpha_2: f64,
    pub lambda_1: f64,
    pub lambda_2: f64,
    pub alpha_init: Option<f64>,
    pub lambda_init: Option<f64>,
    pub compute_score: bool,
    pub fit_intercept: bool,
    pub threshold_lambda: f64,
}

impl Default for BayesConfig {
    fn default() -> BayesConfig {
        BayesConfig {
            max_iter: 300,
            tol: 1e-3,
            alpha_1: 1e-6,
            alpha_2: 1e-6,
            lambda_1: 1e-6,
            lambda_2: 1e-6,
            alpha_init: None,
            lambda_init: None,
            compute_score: false,
            fit_intercept: true,
            threshold_lambda: 1e4,
        }
    }
}

impl BayesConfig {
    /// Checks every field against its range.
    pub fn validate(&self) -> Result<(), LinearError> {
        if self.max_iter == 0 {
            return Err(param("max_iter", "must be at least 1"));
        }
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(param(name, format!("{v} is not a finite positive number")))
            }
        };
        let non_negative = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(param(
                    name,
                    format!("{v} is not a finite non-negative number"),
                ))
            }
        };
        non_negative("tol", self.tol)?;
        non_negative("alpha_1", self.alpha_1)?;
        non_negative("alpha_2", self.alpha_2)?;
        non_negative("lambda_1", self.lambda_1)?;
        non_negative("lambda_2", self.lambda_2)?;
        if let Some(v) = self.alpha_init {
            positive("alpha_init", v)?;
        }
        if let Some(v) = self.lambda_init {
            positive("lambda_init", v)?;
        }
        positive("threshold_lambda", self.threshold_lambda)?;
        Ok(())
    }
}

/// A fitted Bayesian linear model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BayesFit {
    pub kind: BayesKind,
    /// Posterior mean of the coefficients (0 for pruned ARD features).
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// Noise precision.
    pub alpha: f64,
    /// Weights' precision: one value for ridge, one per feature for ARD.
    pub lambda: Vec<f64>,
    /// Posterior covariance of the coefficients of `kept` (row-major, kept x kept).
    pub sigma: Vec<f64>,
    /// The features `sigma` covers: all for ridge; for ARD those with lambda below the
    /// threshold.
    pub kept: Vec<usize>,
    /// The (weighted) means X and y were centred by (zeros without an intercept).
    pub x_offset: Vec<f64>,
    pub y_offset: f64,
    /// Log marginal likelihood at each update (with `compute_score`).
    pub scores: Vec<f64>,
    pub n_iter: usize,
}

impl BayesFit {
    /// The posterior mean prediction for each row of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LinearError> {
        self.check_width(x)?;
        let mut out = vec![self.intercept; x.nrows()];
        for (j, &b) in self.coef.iter().enumerate() {
            if b != 0.0 {
                x.for_each_in_col(j, |i, v| out[i] += b * v);
            }
        }
        Ok(out)
    }

    /// The predictive standard deviation for each row of `x`: sqrt(d' Sigma d + 1 / alpha),
    /// d the row centred by `x_offset` (over the kept features).
    pub fn predict_std(&self, x: &Matrix) -> Result<Vec<f64>, LinearError> {
        self.check_width(x)?;
        let (n, k) = (x.nrows(), self.kept.len());
        // the centred kept columns, row-major n x k
        let mut d = vec![0.0; n * k];
        for (c, &j) in self.kept.iter().enumerate() {
            for i in 0..n {
                d[i * k + c] = -self.x_offset[j];
            }
            x.for_each_in_col(j, |i, v| d[i * k + c] += v);
        }
        Ok((0..n)
            .map(|i| {
                let row = &d[i * k..(i + 1) * k];
                let mut q = 0.0;
                for a in 0..k {
                    let s: f64 = (0..k).map(|b| self.sigma[a * k + b] * row[b]).sum();
                    q += row[a] * s;
                }
                (q + 1.0 / self.alpha).sqrt()
            })
            .collect())
    }

    fn check_width(&self, x: &Matrix) -> Result<(), LinearError> {
        if x.ncols() != self.coef.len() {
            return Err(param(
                "data",
                format!(
                    "{} features, but the model was fitted on {}",
                    x.ncols(),
                    self.coef.len()
                ),
            ));
        }
        Ok(())
    }
}

/// The centred (and weight-scaled) problem.
struct Centered {
    n: usize,
    p: usize,
    /// Column-major n x p.
    x: Vec<f64>,
    y: Vec<f64>,
    x_offset: Vec<f64>,
    y_offset: f64,
    /// Variance of y (weighted), for the start of alpha.
    y_var: f64,
    /// Sum of the weights (n without).
    sw_sum: f64,
}

impl Centered {
    fn new(
        x: &Matrix,
        y: &[f64],
        w: Option<&[f64]>,
        fit_intercept: bool,
    ) -> Result<Centered, LinearError> {
        let (n, p) = (x.nrows(), x.ncols());
        if y.len() != n {
            return Err(param("y", format!("{} values for {n} rows", y.len())));
        }
        if n < 2 {
            return Err(param("data", format!("{n} rows: at least 2 are needed")));
        }
        if p == 0 {
            return Err(param("data", "no features"));
        }
        if let Some(w) = w {
            crate::config::check_weights(w, n)?;
        }
        let sw_sum = w.map_or(n as f64, |w| w.iter().sum());
        let wt = |i: usize| w.map_or(1.0, |w| w[i]);
        let mean_of = |v: &[f64]| -> f64 {
            match w {
                Some(w) => v.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw_sum,
                None => v.iter().sum::<f64>() / n as f64,
            }
        };
        let ym = mean_of(y);
        let y_var = match w {
            Some(w) => {
                y.iter()
                    .zip(w)
                    .map(|(v, wi)| wi * (v - ym) * (v - ym))
                    .sum::<f64>()
                    / sw_sum
            }
            None => y.iter().map(|v| (v - ym) * (v - ym)).sum::<f64>() / n as f64,
        };
        let mut xc = vec![0.0; n * p];
        let mut x_offset = vec![0.0; p];
        for j in 0..p {
            let col = &mut xc[j * n..(j + 1) * n];
            x.for_each_in_col(j, |i, v| col[i] = v);
            if fit_intercept {
                x_offset[j] = mean_of(col);
                col.iter_mut().for_each(|v| *v -= x_offset[j]);
            }
            if w.is_some() {
                col.iter_mut()
                    .enumerate()
                    .for_each(|(i, v)| *v *= wt(i).sqrt());
            }
        }
        let y_offset = if fit_intercept { ym } else { 0.0 };
        let yc = y
            .iter()
            .enumerate()
            .map(|(i, v)| (v - y_offset) * wt(i).sqrt())
            .collect();
        Ok(Centered {
            n,
            p,
            x: xc,
            y: yc,
            x_offset,
            y_offset,
            y_var,
            sw_sum,
        })
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }

    /// X' v.
    fn xt(&self, v: &[f64]) -> Vec<f64> {
        (0..self.p).map(|j| dot(self.col(j), v)).collect()
    }

    /// X b.
    fn x_times(&self, b: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        for (j, &bj) in b.iter().enumerate() {
            if bj != 0.0 {
                for (o, v) in out.iter_mut().zip(self.col(j)) {
                    *o += bj * v;
                }
            }
        }
        out
    }

    /// Sum of squared residuals of b.
    fn sse(&self, b: &[f64]) -> f64 {
        let fit = self.x_times(b);
        self.y
            .iter()
            .zip(&fit)
            .map(|(y, f)| (y - f) * (y - f))
            .sum()
    }

    /// X' X over the columns `cols` (row-major |cols| x |cols|).
    fn gram_cols(&self, cols: &[usize]) -> Vec<f64> {
        let k = cols.len();
        let mut g = vec![0.0; k * k];
        for a in 0..k {
            for b in a..k {
                let s = dot(self.col(cols[a]), self.col(cols[b]));
                g[a * k + b] = s;
                g[b * k + a] = s;
            }
        }
        g
    }

    /// sum_j c_j x_j x_j' over the columns `cols` with factors `c` (row-major n x n).
    fn gram_rows(&self, cols: &[usize], c: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut g = vec![0.0; n * n];
        for (&j, &cj) in cols.iter().zip(c) {
            let x = self.col(j);
            for a in 0..n {
                let xa = cj * x[a];
                if xa == 0.0 {
                    continue;
                }
                let row = &mut g[a * n..(a + 1) * n];
                for (r, xb) in row[a..].iter_mut().zip(&x[a..]) {
                    *r += xa * xb;
                }
            }
        }
        for a in 0..n {
            for b in 0..a {
                g[a * n + b] = g[b * n + a];
            }
        }
        g
    }
}

/// How far the coefficients moved in one update: the sum of absolute changes (the stopping
/// rule of both, as scikit-learn's).
fn moved(old: &[f64], new: &[f64]) -> f64 {
    old.iter().zip(new).map(|(a, b)| (a - b).abs()).sum()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fits Bayesian ridge regression on X, y with optional observation weights (each row's
/// loss scaled by its weight, as scikit-learn's `sample_weight`).
pub fn bayesian_ridge(
    x: &Matrix,
    y: &[f64],
    weights: Option<&[f64]>,
    cfg: &BayesConfig,
) -> Result<BayesFit, LinearError> {
    cfg.validate()?;
    let c = Centered::new(x, y, weights, cfg.fit_intercept)?;
    let (n, p) = (c.n, c.p);
    let mut alpha = cfg.alpha_init.unwrap_or(1.0 / (c.y_var + f64::EPSILON));
    let mut lambda = cfg.lambda_init.unwrap_or(1.0);
    let xty = c.xt(&c.y);
    // Eigendecomposition of X'X (n > p) or of X X' (otherwise): the nonzero spectrum is
    // shared; `basis` holds the eigenvectors (p x p or n x n, row-major).
    let tall = n > p;
    let (mut eig, basis) = if tall {
        sym_eigen(&c.gram_cols(&(0..p).collect::<Vec<_>>()), p)
    } else {
        sym_eigen(&c.gram_rows(&(0..p).collect::<Vec<_>>(), &vec![1.0; p]), n)
    };
    eig.iter_mut().for_each(|e| *e = e.max(0.0));
    let m = eig.len();
    // projections fixed across updates: V' X'y (tall) or U' y
    let proj: Vec<f64> = (0..m)
        .map(|k| {
            let v = if tall { &xty } else { &c.y };
            (0..m).map(|i| basis[i * m + k] * v[i]).sum()
        })
        .collect();
    // W = X' U (wide only): p x n, row-major
    let w: Vec<f64> = if tall {
        Vec::new()
    } else {
        let mut w = vec![0.0; p * n];
        for j in 0..p {
            let col = c.col(j);
            for k in 0..n {
                w[j * n + k] = (0..n).map(|i| col[i] * basis[i * n + k]).sum();
            }
        }
        w
    };
    let coef_of = |alpha: f64, lambda: f64| -> Vec<f64> {
        let s: Vec<f64> = (0..m)
            .map(|k| proj[k] / (eig[k] + lambda / alpha))
            .collect();
        if tall {
            (0..p)
                .map(|j| (0..m).map(|k| basis[j * m + k] * s[k]).sum())
                .collect()
        } else {
            (0..p)
                .map(|j| (0..m).map(|k| w[j * n + k] * s[k]).sum())
                .collect()
        }
    };
    let score = |alpha: f64, lambda: f64, coef: &[f64], sse: f64| -> f64 {
        let mut logdet: f64 = eig.iter().map(|e| (lambda + alpha * e).ln()).sum();
        if !tall {
            logdet += (p - n) as f64 * lambda.ln();
        }
        let b2: f64 = coef.iter().map(|b| b * b).sum();
        cfg.lambda_1 * lambda.ln() - cfg.lambda_2 * lambda + cfg.alpha_1 * alpha.ln()
            - cfg.alpha_2 * alpha
            + 0.5
                * (p as f64 * lambda.ln() + c.sw_sum * alpha.ln()
                    - alpha * sse
                    - lambda * b2
                    - logdet
                    - c.sw_sum * (2.0 * std::f64::consts::PI).ln())
    };
    let mut scores = Vec::new();
    let mut coef_old: Vec<f64> = Vec::new();
    let mut iter = 0;
    while iter < cfg.max_iter {
        let coef = coef_of(alpha, lambda);
        let sse = c.sse(&coef);
        if cfg.compute_score {
            scores.push(score(alpha, lambda, &coef, sse));
        }
        let gamma: f64 = eig.iter().map(|e| alpha * e / (lambda + alpha * e)).sum();
        lambda = (gamma + 2.0 * cfg.lambda_1)
            / (coef.iter().map(|b| b * b).sum::<f64>() + 2.0 * cfg.lambda_2);
        alpha = (c.sw_sum - gamma + 2.0 * cfg.alpha_1) / (sse + 2.0 * cfg.alpha_2);
        if !alpha.is_finite() || !lambda.is_finite() {
            return Err(param(
                "data",
                "the evidence updates diverged (is the target constant?)",
            ));
        }
        if iter != 0 && moved(&coef_old, &coef) < cfg.tol {
            break;
        }
        coef_old = coef;
        iter += 1;
    }
    let n_iter = (iter + 1).min(cfg.max_iter);
    let coef = coef_of(alpha, lambda);
    if cfg.compute_score {
        let sse = c.sse(&coef);
        scores.push(score(alpha, lambda, &coef, sse));
    }
    // posterior covariance (lambda I + alpha X'X)^-1
    let mut sigma = vec![0.0; p * p];
    if tall {
        let d: Vec<f64> = eig.iter().map(|e| 1.0 / (alpha * e + lambda)).collect();
        for a in 0..p {
            for b in a..p {
                let s: f64 = (0..m)
                    .map(|k| basis[a * m + k] * d[k] * basis[b * m + k])
                    .sum();
                sigma[a * p + b] = s;
                sigma[b * p + a] = s;
            }
        }
    } else {
        let d: Vec<f64> = eig
            .iter()
            .map(|e| alpha / (lambda * (lambda + alpha * e)))
            .collect();
        for a in 0..p {
            for b in a..p {
                let s: f64 = (0..n).map(|k| w[a * n + k] * d[k] * w[b * n + k]).sum();
                let v = f64::from(a == b) / lambda - s;
                sigma[a * p + b] = v;
                sigma[b * p + a] = v;
            }
        }
    }
    let intercept = c.y_offset - dot(&c.x_offset, &coef);
    Ok(BayesFit {
        kind: BayesKind::Ridge,
        coef,
        intercept,
        alpha,
        lambda: vec![lambda],
        sigma,
        kept: (0..p).collect(),
        x_offset: c.x_offset,
        y_offset: c.y_offset,
        scores,
        n_iter,
    })
}

/// Fits ARD regression on X, y.
pub fn ard(x: &Matrix, y: &[f64], cfg: &BayesConfig) -> Result<BayesFit, LinearError> {
    cfg.validate()?;
    let c = Centered::new(x, y, None, cfg.fit_intercept)?;
    let (n, p) = (c.n, c.p);
    let mut alpha = 1.0 / (c.y_var + f64::EPSILON);
    let mut lambda = vec![1.0; p];
    let mut coef = vec![0.0; p];
    let mut keep = vec![true; p];
    let xty = c.xt(&c.y);
    let tall = n >= p;
    let gram = if tall {
        c.gram_cols(&(0..p).collect::<Vec<_>>())
    } else {
        Vec::new()
    };
    // Sigma over the kept features for (alpha, lambda).
    let sigma_of = |alpha: f64, lambda: &[f64], ks: &[usize]| -> Vec<f64> {
        let k = ks.len();
        if tall {
            let mut s = vec![0.0; k * k];
            for a in 0..k {
                for b in 0..k {
                    s[a * k + b] = alpha * gram[ks[a] * p + ks[b]];
                }
                s[a * k + a] += lambda[ks[a]];
            }
            pinv_sym(&s, k)
        } else {
            // Woodbury: Lambda^-1 - Lambda^-1 X' (I / alpha + X Lambda^-1 X')^-1 X Lambda^-1
            let inv: Vec<f64> = ks.iter().map(|&j| 1.0 / lambda[j]).collect();
            let mut a = c.gram_rows(ks, &inv);
            (0..n).for_each(|i| a[i * n + i] += 1.0 / alpha);
            let ainv = pinv_sym(&a, n);
            // B = Ainv X_k Lambda^-1 (n x k)
            let mut xl = vec![0.0; n * k];
            for (b, &j) in ks.iter().enumerate() {
                for (i, v) in c.col(j).iter().enumerate() {
                    xl[i * k + b] = v * inv[b];
                }
            }
            let mut bm = vec![0.0; n * k];
            for i in 0..n {
                for l in 0..n {
                    let f = ainv[i * n + l];
                    if f == 0.0 {
                        continue;
                    }
                    for b in 0..k {
                        bm[i * k + b] += f * xl[l * k + b];
                    }
                }
            }
            let mut s = vec![0.0; k * k];
            for a2 in 0..k {
                for b in a2..k {
                    let v: f64 = -(0..n).map(|i| xl[i * k + a2] * bm[i * k + b]).sum::<f64>();
                    s[a2 * k + b] = v;
                    s[b * k + a2] = v;
                }
                s[a2 * k + a2] += inv[a2];
            }
            s
        }
    };
    let set_coef = |coef: &mut [f64], sigma: &[f64], alpha: f64, ks: &[usize]| {
        let k = ks.len();
        for a in 0..k {
            coef[ks[a]] = alpha * (0..k).map(|b| sigma[a * k + b] * xty[ks[b]]).sum::<f64>();
        }
    };
    let kept = |keep: &[bool]| -> Vec<usize> { (0..p).filter(|&j| keep[j]).collect() };
    let mut scores = Vec::new();
    let mut coef_old: Vec<f64> = Vec::new();
    let mut iter = 0;
    while iter < cfg.max_iter {
        let ks = kept(&keep);
        let sigma = sigma_of(alpha, &lambda, &ks);
        set_coef(&mut coef, &sigma, alpha, &ks);
        let sse = c.sse(&coef);
        let k = ks.len();
        let mut gsum = 0.0;
        for (a, &j) in ks.iter().enumerate() {
            let g = 1.0 - lambda[j] * sigma[a * k + a];
            gsum += g;
            lambda[j] = (g + 2.0 * cfg.lambda_1) / (coef[j] * coef[j] + 2.0 * cfg.lambda_2);
        }
        alpha = (n as f64 - gsum + 2.0 * cfg.alpha_1) / (sse + 2.0 * cfg.alpha_2);
        if !alpha.is_finite() || lambda.iter().any(|l| !l.is_finite()) {
            return Err(param(
                "data",
                "the evidence updates diverged (is the target constant?)",
            ));
        }
        for j in 0..p {
            keep[j] = lambda[j] < cfg.threshold_lambda;
            if !keep[j] {
                coef[j] = 0.0;
            }
        }
        if cfg.compute_score {
            let mut s: f64 = lambda
                .iter()
                .map(|l| cfg.lambda_1 * l.ln() - cfg.lambda_2 * l)
                .sum();
            s += cfg.alpha_1 * alpha.ln() - cfg.alpha_2 * alpha;
            s += 0.5
                * (logdet_spd(&sigma, k)
                    + n as f64 * alpha.ln()
                    + lambda.iter().map(|l| l.ln()).sum::<f64>());
            s -= 0.5
                * (alpha * sse
                    + lambda
                        .iter()
                        .zip(&coef)
                        .map(|(l, b)| l * b * b)
                        .sum::<f64>());
            scores.push(s);
        }
        if iter > 0 && moved(&coef_old, &coef) < cfg.tol {
            break;
        }
        coef_old = coef.clone();
        if !keep.iter().any(|&k| k) {
            break;
        }
        iter += 1;
    }
    let n_iter = (iter + 1).min(cfg.max_iter);
    let ks = kept(&keep);
    let sigma = if ks.is_empty() {
        Vec::new()
    } else {
        let s = sigma_of(alpha, &lambda, &ks);
        set_coef(&mut coef, &s, alpha, &ks);
        s
    };
    let intercept = c.y_offset - dot(&c.x_offset, &coef);
    Ok(BayesFit {
        kind: BayesKind::Ard,
        coef,
        intercept,
        alpha,
        lambda,
        sigma,
        kept: ks,
        x_offset: c.x_offset,
        y_offset: c.y_offset,
        scores,
        n_iter,
    })
}

/// log det of a symmetric positive definite k x k matrix by Cholesky (-inf when it is not
/// positive definite, as NumPy's `slogdet` sign rule in scikit-learn's `fast_logdet`).
fn logdet_spd(a: &[f64], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let mut m = a.to_vec();
    if !cholesky::factor(&mut m, k) {
        return f64::NEG_INFINITY;
    }
    (0..k).map(|i| 2.0 * m[i * k + i].ln()).sum()
}
