//! Gaussian family: identity link, squared-error deviance, and the certified duality gap of
//! the elastic net.

use crate::family::binomial::conj_penalty;

/// Relative duality gap of the elastic net on the standardized problem:
/// P(b) = 1/2 sum w r^2 + pen(b), dual point theta = s * r (s rescales r into the dual-feasible
/// set when alpha = 1). `grad_j = sum_i w_i x~_ij r_i`. Returned relative to P(0).
pub(crate) fn relative_gap(
    r: &[f64],
    y: &[f64],
    w: &[f64],
    grad: &[f64],
    pen_value: f64,
    lambda: f64,
    alpha: f64,
    pf: &[f64],
    usable: &[bool],
    null_obj: f64,
) -> f64 {
    let rss: f64 = r.iter().zip(w).map(|(r, w)| w * r * r).sum();
    let ry: f64 = r.iter().zip(y).zip(w).map(|((r, y), w)| w * r * y).sum();
    let primal = 0.5 * rss + pen_value;
    let s = dual_scale(grad, lambda, alpha, pf, usable);
    let dual = s * ry - 0.5 * s * s * rss - conj_penalty(grad, s, lambda, alpha, pf, usable);
    (primal - dual).max(0.0) / null_obj
}

/// The largest s <= 1 with |s * grad_j| <= lambda * pf_j for every penalized j (lasso only;
/// with a ridge part every s is feasible and 1 is used).
pub(crate) fn dual_scale(grad: &[f64], lambda: f64, alpha: f64, pf: &[f64], usable: &[bool]) -> f64 {
    if alpha < 1.0 {
        return 1.0;
    }
    let mut s = 1.0f64;
    for j in 0..grad.len() {
        if usable[j] && pf[j] > 0.0 && grad[j].abs() > 0.0 {
            s = s.min(lambda * pf[j] / grad[j].abs());
        }
    }
    s
}
