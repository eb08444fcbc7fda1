//! An independent check of the Karush-Kuhn-Tucker conditions of a fitted path, computed from
//! the original data and the reported coefficients only (no solver state), for tests.
//!
//! On the scale the penalty is defined (standardized X; y / sd(y) for gaussian), with
//! g_j = sum_i w_i x~_ij (y_i - mu_i) (w the observation weights normalized to sum to 1, 1/n
//! by default): a zero coefficient needs |g_j| <= lambda alpha pf_j;
//! a non-zero one needs g_j = lambda pf_j (alpha sign(b_j) + (1 - alpha) b_j). Grouped
//! multinomial uses the group versions. The intercept needs sum_i w_i (y_i - mu_i) = 0.

use crate::config::{Family, PathConfig};
use crate::driver::PathFit;
use crate::predict::predict_response;
use occam_core::{Matrix, Standardizer};

/// The largest KKT violation over the path, divided by lambda (so comparable across lambdas).
#[derive(Clone, Debug, PartialEq)]
pub struct KktReport {
    pub worst: f64,
    pub lambda_index: usize,
    pub feature: Option<usize>,
}

/// Checks every lambda of `fit`; returns the worst relative violation.
pub fn check(x: &Matrix, y: &[f64], cfg: &PathConfig, fit: &PathFit) -> KktReport {
    let p = x.ncols();
    let w = weights(x.nrows(), cfg);
    let st = Standardizer::fit(x, Some(&w));
    let scale: Vec<f64> = (0..p)
        .map(|j| {
            if cfg.standardize && !st.constant[j] {
                st.scale[j]
            } else {
                1.0
            }
        })
        .collect();
    let center: Vec<f64> = if cfg.intercept {
        st.mean.clone()
    } else {
        vec![0.0; p]
    };
    let (ys, pf) = scales(x, y, cfg, fit.family);
    let k = fit.nclass();
    let mut worst = KktReport {
        worst: 0.0,
        lambda_index: 0,
        feature: None,
    };
    let mut note = |v: f64, l: usize, f: Option<usize>| {
        if v > worst.worst {
            worst = KktReport {
                worst: v,
                lambda_index: l,
                feature: f,
            };
        }
    };
    for l in 0..fit.lambda.len() {
        let lam = fit.lambda[l] / ys;
        let a0: Vec<f64> = fit.a0[l].clone();
        let beta: Vec<Vec<f64>> = fit.beta.iter().map(|b| b[l].clone()).collect();
        let mu = predict_response(fit.family, x, &a0, &beta);
        // residuals per class, on the penalty's scale
        let resid: Vec<Vec<f64>> = (0..k)
            .map(|c| {
                (0..y.len())
                    .map(|i| {
                        let t = match fit.family {
                            Family::Multinomial => f64::from(y[i] as usize == c),
                            _ => y[i],
                        };
                        (t - mu[c][i]) / ys
                    })
                    .collect()
            })
            .collect();
        if cfg.intercept {
            for r in &resid {
                let s: f64 = r.iter().zip(&w).map(|(r, w)| w * r).sum();
                note(s.abs() / lam, l, None);
            }
        }
        for j in 0..p {
            if st.constant[j] {
                continue;
            }
            let g: Vec<f64> = resid
                .iter()
                .map(|r| {
                    let mut a = 0.0;
                    let mut rs = 0.0;
                    x.for_each_in_col(j, |i, v| a += w[i] * v * r[i]);
                    if center[j] != 0.0 {
                        rs = r.iter().zip(&w).map(|(r, w)| w * r).sum::<f64>();
                    }
                    (a - center[j] * rs) / scale[j]
                })
                .collect();
            let b: Vec<f64> = beta.iter().map(|bc| bc[j] * scale[j] / ys).collect();
            let l1 = lam * cfg.alpha * pf[j];
            let l2 = lam * (1.0 - cfg.alpha) * pf[j];
            if fit.family == Family::Multinomial && cfg.grouped {
                let norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm == 0.0 {
                    let gn = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                    note((gn - l1).max(0.0) / lam, l, Some(j));
                } else {
                    for c in 0..k {
                        let want = l1 * b[c] / norm + l2 * b[c];
                        note((g[c] - want).abs() / lam, l, Some(j));
                    }
                }
                continue;
            }
            for c in 0..k {
                if b[c] == 0.0 {
                    note((g[c].abs() - l1).max(0.0) / lam, l, Some(j));
                } else {
                    let want = l1 * b[c].signum() + l2 * b[c];
                    note((g[c] - want).abs() / lam, l, Some(j));
                }
            }
        }
    }
    worst
}

/// The scale of y the penalty is defined on (sd(y) for gaussian, as glmnet) and the penalty
/// factors rescaled to sum to p.
fn scales(x: &Matrix, y: &[f64], cfg: &PathConfig, family: Family) -> (f64, Vec<f64>) {
    let p = x.ncols();
    let w = weights(x.nrows(), cfg);
    let ys = if family == Family::Gaussian {
        let m: f64 = y.iter().zip(&w).map(|(v, w)| w * v).sum();
        y.iter()
            .zip(&w)
            .map(|(v, w)| w * (v - m) * (v - m))
            .sum::<f64>()
            .sqrt()
    } else {
        1.0
    };
    let mut pf = cfg.penalty_factor.clone().unwrap_or_else(|| vec![1.0; p]);
    let s: f64 = pf.iter().sum();
    pf.iter_mut().for_each(|v| *v *= p as f64 / s);
    (ys, pf)
}

/// The observation weights of `cfg` normalized to sum to 1 (1/n each by default).
fn weights(n: usize, cfg: &PathConfig) -> Vec<f64> {
    match &cfg.weights {
        Some(v) => {
            let s: f64 = v.iter().sum();
            v.iter().map(|x| x / s).collect()
        }
        None => vec![1.0 / n as f64; n],
    }
}

/// The penalized objective at lambda index `l`, computed from data and reported coefficients:
/// weighted mean negative log-likelihood (gaussian: half mean squared error of y / sd(y)) plus the
/// elastic-net penalty of the standardized coefficients — the quantity every path minimises.
pub fn objective(x: &Matrix, y: &[f64], cfg: &PathConfig, fit: &PathFit, l: usize) -> f64 {
    let p = x.ncols();
    let w = weights(x.nrows(), cfg);
    let st = Standardizer::fit(x, Some(&w));
    let (ys, pf) = scales(x, y, cfg, fit.family);
    let beta: Vec<Vec<f64>> = fit.beta.iter().map(|b| b[l].clone()).collect();
    let mu = predict_response(fit.family, x, &fit.a0[l], &beta);
    let loss: f64 = (0..y.len())
        .map(|i| {
            w[i] * match fit.family {
                Family::Gaussian => 0.5 * ((y[i] - mu[0][i]) / ys).powi(2),
                Family::Binomial => {
                    let q = mu[0][i].clamp(1e-300, 1.0 - 1e-16);
                    -(y[i] * q.ln() + (1.0 - y[i]) * (1.0 - q).ln())
                }
                Family::Poisson => mu[0][i] - y[i] * mu[0][i].max(1e-300).ln(),
                Family::Multinomial => -mu[y[i] as usize][i].max(1e-300).ln(),
            }
        })
        .sum::<f64>();
    let lam = fit.lambda[l] / ys;
    let mut pen = 0.0;
    for j in 0..p {
        let sc = if cfg.standardize && !st.constant[j] {
            st.scale[j]
        } else {
            1.0
        };
        let b: Vec<f64> = beta.iter().map(|bk| bk[j] * sc / ys).collect();
        let l2: f64 = b.iter().map(|v| v * v).sum();
        let l1: f64 = if fit.family == Family::Multinomial && cfg.grouped {
            l2.sqrt()
        } else {
            b.iter().map(|v| v.abs()).sum()
        };
        pen += pf[j] * (cfg.alpha * l1 + 0.5 * (1.0 - cfg.alpha) * l2);
    }
    loss + lam * pen
}
