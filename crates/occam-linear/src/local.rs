//! Covariance-form steps on the working set S, for dense designs without the gaussian
//! covariance mode: every IRLS step of binomial and poisson, and gaussian with p >> n, while
//! |S| < 4n (see `point.rs`).
//!
//! Each step minimises a quadratic model of the penalized objective around the current
//! coefficients b_c (proximal Newton; Lee, Sun & Saunders 2014):
//!   1/2 (b - b_c)' H (b - b_c) - g_c' (b - b_c) + penalty(b),
//! with g_c the gradient of the log-likelihood part and H = [1 X~_F]' V [1 X~_F] (the
//! intercept is slot 0, the features F of slots 1.. include S). Coordinate descent on the
//! model keeps the model gradient g = g_c - H (b - b_c), so an update costs O(|F|) instead of
//! O(n); the Newton step on the active set solves the model with the signs held, by one
//! Cholesky factorization.
//!
//! H is not recomputed at every step: one computed at earlier weights V still defines a
//! model whose minimiser is the exact solution once g_c is the gradient there (any positive
//! definite H has the same fixed point). It is kept while the weights have drifted less than
//! MAX_DRIFT from those it was computed at and F is at most twice S, and within MAX_VALUES;
//! the point solver undoes a step with a kept H that raised the objective (checked at the next
//! step: a final step, under a hundredth of the threshold, is not) and asks for a fresh one,
//! as it does when such steps stop shrinking (a fresh H makes the step glmnet's IRLS step).
//! For gaussian V is fixed, so H is exact and only extended.

use crate::design::{Design, Work};
use crate::factor::KeptFactor;

/// A Hessian is kept while the weights have drifted less than this from those it was
/// computed at (see `Local::drift`).
const MAX_DRIFT: f64 = 0.1;
/// The most values H (m^2) and the weighted column copy (n m) may each hold (1 GiB); the
/// point solver does not use this form beyond it.
pub(crate) const MAX_VALUES: usize = 1 << 27;

/// Columns per block of the lower-triangle product that computes H.
const BLOCK: usize = 128;

pub(crate) struct Local {
    /// The feature of each slot after the intercept (slot 0): the working sets seen since H
    /// was computed, in order of arrival (a superset of the current working set).
    feat: Vec<usize>,
    /// Slot of each feature, usize::MAX when it has none.
    pos: Vec<usize>,
    m: usize,
    /// m x m, column-major.
    h: Vec<f64>,
    /// The model gradient at the current coefficients, by slot.
    pub g: Vec<f64>,
    /// The model gradient and the coefficients at the expansion point.
    gc: Vec<f64>,
    bc: Vec<f64>,
    /// H was computed at weights of an earlier IRLS step.
    pub stale: bool,
    /// The weights H was computed at.
    vh: Vec<f64>,
    vh_sum: f64,
    /// sqrt(vh) [1 X~_feat], column-major n x m: kept so that a feature joining the
    /// working set costs one column block of H.
    buf: Vec<f64>,
    /// The factor of the last Newton step's block (see `KeptFactor`), dropped when H is
    /// computed afresh.
    factor: Option<KeptFactor>,
    /// The pass count of the last Newton step.
    pub newton_after: usize,
}

impl Local {
    /// Sets up the model at the current IRLS state (`wk` fresh from the current
    /// coefficients). H is kept when not `fresh` and the weights drifted little since it was
    /// computed (features new to the working set get their block at those weights), else
    /// computed at the current weights. The gradient is always computed.
    pub fn prepare(
        slot: &mut Option<Local>,
        d: &Design,
        wk: &Work,
        ws: &[usize],
        beta: &[f64],
        b0: f64,
        fresh: bool,
    ) {
        let keep = !fresh
            && slot.as_ref().is_some_and(|l| {
                let m = l.m + ws.iter().filter(|&&j| l.pos[j] == usize::MAX).count();
                l.feat.len() <= 2 * ws.len()
                    && m * m <= MAX_VALUES
                    && m * d.n <= MAX_VALUES
                    && l.drift(&wk.v) <= MAX_DRIFT
            });
        let l = slot.get_or_insert_with(|| Local {
            feat: Vec::new(),
            pos: vec![usize::MAX; d.p],
            m: 1,
            h: Vec::new(),
            g: Vec::new(),
            gc: Vec::new(),
            bc: Vec::new(),
            stale: false,
            vh: Vec::new(),
            vh_sum: 0.0,
            buf: Vec::new(),
            factor: None,
            newton_after: 0,
        });
        if keep {
            l.stale = true;
            let new: Vec<usize> = ws
                .iter()
                .copied()
                .filter(|&j| l.pos[j] == usize::MAX)
                .collect();
            if !new.is_empty() {
                l.extend(d, &new);
            }
        } else {
            l.compute(d, wk, ws);
        }
        let m = l.m;
        l.g.resize(m, 0.0);
        l.g[0] = wk.sum();
        d.grads(&l.feat, wk, &mut l.g[1..]);
        l.gc.clone_from(&l.g);
        l.bc.clear();
        l.bc.push(b0);
        l.bc.extend(l.feat.iter().map(|&j| beta[j]));
    }

    /// H afresh at the current weights, for the working set `ws`.
    fn compute(&mut self, d: &Design, wk: &Work, ws: &[usize]) {
        for &j in &self.feat {
            self.pos[j] = usize::MAX;
        }
        self.feat.clear();
        self.feat.extend_from_slice(ws);
        for (s, &j) in ws.iter().enumerate() {
            self.pos[j] = s + 1;
        }
        let (n, m) = (d.n, ws.len() + 1);
        self.m = m;
        self.vh.clone_from(&wk.v);
        self.vh_sum = wk.vsum;
        let sv: Vec<f64> = wk.v.iter().map(|&v| v.max(0.0).sqrt()).collect();
        self.buf.clear();
        self.buf.extend_from_slice(&sv);
        d.push_weighted_cols(ws, &sv, &mut self.buf);
        self.h.clear();
        self.h.resize(m * m, 0.0);
        // The lower triangle by column blocks (about half a full product), then mirrored.
        let mut c0 = 0;
        while c0 < m {
            let c1 = (c0 + BLOCK).min(m);
            let (a, b) = (&self.buf[c0 * n..], &self.buf[c0 * n..c1 * n]);
            d.cross(a, b, m, &mut self.h[c0 * m + c0..]);
            c0 = c1;
        }
        for q in 0..m {
            for r in q + 1..m {
                self.h[r * m + q] = self.h[q * m + r];
            }
        }
        self.factor = None;
        self.stale = false;
    }

    /// New slots for the features `new`, their block of H at the kept weights.
    fn extend(&mut self, d: &Design, new: &[usize]) {
        let (n, m0) = (d.n, self.m);
        let m = m0 + new.len();
        let sv: Vec<f64> = self.vh.iter().map(|&v| v.max(0.0).sqrt()).collect();
        d.push_weighted_cols(new, &sv, &mut self.buf);
        for (s, &j) in new.iter().enumerate() {
            self.pos[j] = m0 + s;
        }
        self.feat.extend_from_slice(new);
        // H grows in place (a second m x m buffer would double the peak memory of large
        // working sets): the old columns move to their new stride, last first, so that no
        // column is overwritten before it moves; their new rows are set by the mirror below
        // and the new columns, zero after the resize, by the product.
        let h = &mut self.h;
        h.reserve_exact((m * m).saturating_sub(h.len()));
        h.resize(m * m, 0.0);
        for q in (1..m0).rev() {
            h.copy_within(q * m0..(q + 1) * m0, q * m);
        }
        d.cross(&self.buf, &self.buf[m0 * n..], m, &mut h[m0 * m..]);
        for q in m0..m {
            for r in 0..m0 {
                h[r * m + q] = h[q * m + r];
            }
        }
        // Existing slots and their entries of H are unchanged: a factor over them stays valid.
        self.m = m;
    }

    /// How far the weights moved since H was computed: sum_i |v_i - vh_i| / sum_i vh_i. The
    /// kept model's steps contract the distance to the solution by about this factor.
    fn drift(&self, v: &[f64]) -> f64 {
        let s: f64 = v.iter().zip(&self.vh).map(|(a, b)| (a - b).abs()).sum();
        s / self.vh_sum.max(f64::MIN_POSITIVE)
    }

    /// The slot of feature j (in the working set).
    #[inline]
    pub fn slot(&self, j: usize) -> usize {
        self.pos[j]
    }

    pub fn intercept_slot(&self) -> usize {
        0
    }

    #[inline]
    pub fn diag(&self, q: usize) -> f64 {
        self.h[q * self.m + q]
    }

    /// The model gradient after slot q moved by `del`.
    #[inline]
    pub fn shift(&mut self, q: usize, del: f64) {
        let col = &self.h[q * self.m..(q + 1) * self.m];
        for (gk, hk) in self.g.iter_mut().zip(col) {
            *gk -= del * hk;
        }
    }

    /// The smooth part of the model at the coefficients `beta`, `b0`, up to a constant:
    /// with d = b - b_c and g = g_c - H d, 1/2 d'Hd - g_c'd = -1/2 d'(g_c + g).
    pub fn smooth_value(&self, beta: &[f64], b0: f64) -> f64 {
        let b = std::iter::once(b0).chain(self.feat.iter().map(|&j| beta[j]));
        let s: f64 = b
            .zip(&self.bc)
            .zip(self.gc.iter().zip(&self.g))
            .map(|((b, bc), (gc, g))| (b - bc) * (gc + g))
            .sum();
        -0.5 * s
    }

    /// Solves (H_AA + diag(l2)) x = rhs over the slots A in place, with the factor kept
    /// from earlier solves where it covers A; false when the block is singular.
    pub fn solve_block(&mut self, slots: &[usize], l2: &[f64], rhs: &mut [f64]) -> bool {
        let (h, m) = (&self.h, self.m);
        KeptFactor::solve(&mut self.factor, m, slots, l2, |a, b| h[b * m + a], rhs)
    }

    /// How many of these slots the kept factor covers (see `KeptFactor::reusable`).
    pub fn reusable(&self, slots: &[usize], l2: &[f64]) -> usize {
        KeptFactor::reusable(&self.factor, self.m, slots, l2)
    }

    /// Slots in the model.
    pub fn len(&self) -> usize {
        self.m
    }
}
