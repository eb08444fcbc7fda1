//! Coefficients and predictions at any lambda, interpolated linearly in lambda between the
//! fitted values as glmnet's `coef(fit, s)` does (clamped to the fitted range).

use crate::config::Family;
use crate::driver::PathFit;
use occam_core::Matrix;

/// Intercepts and coefficients per class at lambda `s`.
pub fn coef_at(fit: &PathFit, s: f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    coef_at_parts(&fit.lambda, &fit.a0, &fit.beta, s)
}

/// `coef_at` on a path's parts: fitted `lambda`, intercepts `a0[l][k]`, coefficients
/// `beta[k][l][j]` (a saved model keeps only these).
pub fn coef_at_parts(
    lambda: &[f64],
    a0: &[Vec<f64>],
    beta: &[Vec<Vec<f64>>],
    s: f64,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    // Fitted lambdas in decreasing order (a user list may come in another order).
    let mut order: Vec<usize> = (0..lambda.len()).collect();
    order.sort_by(|&a, &b| lambda[b].total_cmp(&lambda[a]));
    let lam: Vec<f64> = order.iter().map(|&l| lambda[l]).collect();
    let take = |l: usize| {
        let l = order[l];
        (
            a0[l].clone(),
            beta.iter().map(|b| b[l].clone()).collect::<Vec<_>>(),
        )
    };
    let k = lam.len();
    if k == 1 || s >= lam[0] {
        return take(0);
    }
    if s <= lam[k - 1] {
        return take(k - 1);
    }
    let right = lam
        .iter()
        .position(|&l| l <= s)
        .expect("s is inside the range");
    let left = right - 1;
    if lam[right] == s {
        return take(right);
    }
    let frac = (s - lam[right]) / (lam[left] - lam[right]);
    let (al, bl) = take(left);
    let (ar, br) = take(right);
    let a0 = al
        .iter()
        .zip(&ar)
        .map(|(a, b)| frac * a + (1.0 - frac) * b)
        .collect();
    let beta = bl
        .iter()
        .zip(&br)
        .map(|(l, r)| {
            l.iter()
                .zip(r)
                .map(|(a, b)| frac * a + (1.0 - frac) * b)
                .collect()
        })
        .collect();
    (a0, beta)
}

/// a0 + X beta on the original scale.
pub fn linear_predictor(x: &Matrix, a0: f64, beta: &[f64]) -> Vec<f64> {
    let mut eta = vec![a0; x.nrows()];
    for (j, &b) in beta.iter().enumerate() {
        if b != 0.0 {
            x.for_each_in_col(j, |i, v| eta[i] += b * v);
        }
    }
    eta
}

/// Predicted means per class: gaussian the value, binomial P(class 1), poisson the rate,
/// multinomial the class probabilities (`out[c][i]`).
pub fn predict_response(
    family: Family,
    x: &Matrix,
    a0: &[f64],
    beta: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    let etas: Vec<Vec<f64>> = a0
        .iter()
        .zip(beta)
        .map(|(a, b)| linear_predictor(x, *a, b))
        .collect();
    match family {
        Family::Gaussian => etas,
        Family::Binomial => vec![etas[0].iter().map(|e| 1.0 / (1.0 + (-e).exp())).collect()],
        Family::Poisson => vec![etas[0].iter().map(|e| e.exp()).collect()],
        Family::Multinomial => {
            let n = x.nrows();
            let k = etas.len();
            let mut out = vec![vec![0.0; n]; k];
            for i in 0..n {
                let mx = (0..k).map(|c| etas[c][i]).fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = (0..k).map(|c| (etas[c][i] - mx).exp()).sum();
                for c in 0..k {
                    out[c][i] = (etas[c][i] - mx).exp() / s;
                }
            }
            out
        }
    }
}

/// Predicted class per row from predicted means (binomial: P >= 0.5 is class 1).
pub fn predict_class(family: Family, mu: &[Vec<f64>]) -> Vec<usize> {
    match family {
        Family::Binomial => mu[0].iter().map(|&p| usize::from(p >= 0.5)).collect(),
        _ => (0..mu[0].len())
            .map(|i| {
                (0..mu.len())
                    .max_by(|&a, &b| mu[a][i].total_cmp(&mu[b][i]))
                    .unwrap_or(0)
            })
            .collect(),
    }
}
