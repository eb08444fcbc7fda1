//! Gaussian family: identity link, squared-error deviance, and the certified duality gap of
//! the elastic net.

use crate::family::binomial::conj_penalty;

/// What a duality gap needs besides the data: the loss gradient per feature
/// (`grad_j = sum_i w_i x~_ij r_i`), the penalty and the null objective it is relative to.
pub(crate) struct GapTerms<'a> {
    /// |gradient| per feature (only the size enters the gap).
    pub grad: &'a [f64],
    pub pen_value: f64,
    pub lambda: f64,
    pub alpha: f64,
    pub pf: &'a [f64],
    pub usable: &'a [bool],
    pub null_obj: f64,
}

/// Relative duality gap of the elastic net on the standardized problem:
/// P(b) = 1/2 sum w r^2 + pen(b), dual point theta = s * r (s rescales r into the dual-feasible
/// set when alpha = 1). Returned relative to the null objective. Only two sums of the
/// residual r enter: `rss` = sum w r^2 and `ry` = sum w r y.
pub(crate) fn relative_gap(rss: f64, ry: f64, g: &GapTerms) -> f64 {
    let primal = 0.5 * rss + g.pen_value;
    let s = dual_scale(g);
    let dual = s * ry - 0.5 * s * s * rss - conj_penalty(g, s);
    (primal - dual).max(0.0) / g.null_obj
}

/// The largest s <= 1 with |s * grad_j| <= lambda * pf_j for every penalized j (lasso only;
/// with a ridge part every s is feasible and 1 is used).
pub(crate) fn dual_scale(g: &GapTerms) -> f64 {
    if g.alpha < 1.0 {
        return 1.0;
    }
    let mut s = 1.0f64;
    for (j, gj) in g.grad.iter().enumerate() {
        if g.usable[j] && g.pf[j] > 0.0 && gj.abs() > 0.0 {
            s = s.min(g.lambda * g.pf[j] / gj.abs());
        }
    }
    s
}
