//! Binomial family: logit link, binomial deviance, and the certified duality gap of
//! penalized logistic regression.

use crate::family::gaussian::{dual_scale, GapTerms};

/// Probabilities are kept inside [P_MIN, 1 - P_MIN] when forming IRLS weights.
pub(crate) const P_MIN: f64 = 1e-9;

pub(crate) fn mean(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

pub(crate) fn variance(mu: f64) -> f64 {
    let p = mu.clamp(P_MIN, 1.0 - P_MIN);
    p * (1.0 - p)
}

/// -2 log-likelihood of one 0/1 observation.
pub(crate) fn unit_deviance(y: f64, mu: f64) -> f64 {
    let mut d = 0.0;
    if y > 0.0 {
        d -= y * mu.max(1e-300).ln();
    }
    if y < 1.0 {
        d -= (1.0 - y) * (1.0 - mu).max(1e-300).ln();
    }
    2.0 * d
}

fn xlogx(x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else {
        x * x.ln()
    }
}

/// sum_j g*_j(s * grad_j): the conjugate of the elastic-net penalty at the scaled correlations
/// (zero on the feasible set for the lasso).
pub(crate) fn conj_penalty(g: &GapTerms, s: f64) -> f64 {
    if g.alpha >= 1.0 {
        return 0.0;
    }
    (0..g.grad.len())
        .filter(|&j| g.usable[j] && g.pf[j] > 0.0)
        .map(|j| {
            let excess = (s * g.grad[j].abs() - g.lambda * g.alpha * g.pf[j]).max(0.0);
            excess * excess / (2.0 * g.lambda * (1.0 - g.alpha) * g.pf[j])
        })
        .sum()
}

/// Relative duality gap of penalized logistic regression: primal
/// sum w (log(1 + e^eta) - y eta) + pen, dual point p' = y + s (p - y); relative to the
/// objective of the intercept-only model.
pub(crate) fn relative_gap(eta: &[f64], y: &[f64], w: &[f64], g: &GapTerms) -> f64 {
    let mut primal = g.pen_value;
    for i in 0..y.len() {
        let e = eta[i];
        let softplus = if e > 0.0 {
            e + (-e).exp().ln_1p()
        } else {
            e.exp().ln_1p()
        };
        primal += w[i] * (softplus - y[i] * e);
    }
    let s = dual_scale(g);
    let mut dual = -conj_penalty(g, s);
    for i in 0..y.len() {
        let q = y[i] + s * (mean(eta[i]) - y[i]);
        dual -= w[i] * (xlogx(q) + xlogx(1.0 - q));
    }
    (primal - dual).max(0.0) / g.null_obj
}
