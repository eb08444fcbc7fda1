//! Coordinate descent at one lambda for the single-response families (gaussian, binomial,
//! poisson): a proximal-Newton (IRLS) outer loop around cyclic coordinate descent with
//! active-set cycling, as in Friedman, Hastie & Tibshirani (2010).

use crate::anderson;
use crate::config::Family;
use crate::design::{Design, Work};
use crate::family::gaussian::GapTerms;
use crate::family::{self, binomial, gaussian};
use crate::path::{Solver, BIG};
use occam_core::penalty::{soft_threshold, ElasticNet};

/// Most IRLS (outer) iterations at one lambda.
const MAX_OUTER: usize = 100;
/// Gaussian with dense X and fewer features than this uses covariance updates (as glmnet).
const COVARIANCE_MAX_P: usize = 500;
/// ... and so does a tall design (n >= TALL * p) with up to this many features (the Gram
/// matrix is p x p).
const TALL_MAX_P: usize = 4096;
const TALL: usize = 2;

/// Covariance updates (Friedman et al. 2010, sec. 2.2): the gradient g_j = sum_i w_i x~_ij r_i
/// is kept for every feature and moved by the Gram column of the updated coordinate, so an
/// update costs O(p) instead of O(n); the Gram columns of a working set are computed once, in
/// one block (`Single::prefetch_gram`).
struct Covariance {
    g: Vec<f64>,
    /// The gradient at beta = 0 (X'W(y - ybar)): with it the quadratic objective is
    /// -1/2 sum_j beta_j (g0_j + g_j) up to a constant, with no residual at hand.
    g0: Vec<f64>,
    gram: Vec<Option<Vec<f64>>>,
    /// sum_i w_i (y_i - b0)^2, with which the residual sums follow from g, g0 and beta.
    yy: f64,
    /// The pass count of the last Newton step (see `Single::newton_step`).
    newton_after: usize,
}

impl Covariance {
    fn set_gram(&mut self, j: usize, mut col: Vec<f64>, usable: &[bool]) {
        for (v, &u) in col.iter_mut().zip(usable) {
            if !u {
                *v = 0.0;
            }
        }
        self.gram[j] = Some(col);
    }
}

/// The last iterates of coordinate descent, for Anderson acceleration: the coefficients on
/// the working set, then the intercept.
#[derive(Default)]
struct History {
    x: Vec<Vec<f64>>,
    len: usize,
}

pub(crate) struct Single<'a> {
    pub d: &'a Design<'a>,
    pub fam: Family,
    pub y: &'a [f64],
    pub w: &'a [f64],
    pub alpha: f64,
    pub pf: &'a [f64],
    pub intercept: bool,
    pub beta: Vec<f64>,
    pub b0: f64,
    wk: Work,
    xv: Vec<f64>,
    xv_ok: Vec<bool>,
    /// Absolute convergence threshold: tol times the null deviance.
    pub thr: f64,
    pub max_passes: usize,
    pub passes: usize,
    pub null_dev: f64,
    cov: Option<Covariance>,
    hist: History,
    stale: Option<Stale>,
    /// The linear predictor as of the last rebuild, while the coefficients have not moved.
    eta: Option<Vec<f64>>,
}

/// Exact |gradients| at an earlier residual `r0`; with the column norms they bound the
/// gradients at any later residual r: |g_j(r)| <= |g_j(r0)| + norm_j ||r - r0||.
struct Stale {
    g: Vec<f64>,
    r0: Vec<f64>,
}

impl<'a> Single<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        d: &'a Design<'a>,
        fam: Family,
        y: &'a [f64],
        w: &'a [f64],
        alpha: f64,
        pf: &'a [f64],
        intercept: bool,
        tol: f64,
        max_passes: usize,
    ) -> Single<'a> {
        let b0 = family::null_intercept(fam, y, w, intercept);
        // The null model is the intercept-only model (no intercept: eta = 0), as glmnet.
        let eta = vec![b0; y.len()];
        let null_dev = family::deviance(fam, y, w, &eta);
        let (rho, v) = family::working(fam, y, w, &eta);
        let wk = Work::new(rho, v);
        let cov = (fam == Family::Gaussian
            && (d.p < COVARIANCE_MAX_P || (d.p <= TALL_MAX_P && d.n >= TALL * d.p))
            && d.dense_col(0).is_some())
        .then(|| {
            let g: Vec<f64> = (0..d.p)
                .map(|j| if d.usable[j] { d.grad(j, &wk) } else { 0.0 })
                .collect();
            Covariance {
                g0: g.clone(),
                g,
                gram: vec![None; d.p],
                yy: y.iter().zip(w).map(|(y, w)| w * (y - b0) * (y - b0)).sum(),
                newton_after: 0,
            }
        });
        Single {
            d,
            fam,
            y,
            w,
            alpha,
            pf,
            intercept,
            beta: vec![0.0; d.p],
            b0,
            wk,
            xv: vec![0.0; d.p],
            xv_ok: vec![false; d.p],
            thr: tol * null_dev.max(f64::MIN_POSITIVE),
            max_passes,
            passes: 0,
            null_dev,
            cov,
            hist: History::default(),
            stale: None,
            eta: None,
        }
    }

    fn xv(&mut self, j: usize) -> f64 {
        if !self.xv_ok[j] {
            self.xv[j] = self.d.xv(j, &self.wk.v, self.wk.vsum);
            self.xv_ok[j] = true;
        }
        self.xv[j]
    }

    /// One coordinate update; returns the weighted squared change.
    #[inline]
    fn coord(&mut self, j: usize, lambda: f64) -> f64 {
        let xvj = self.xv(j);
        if xvj <= 0.0 {
            return 0.0;
        }
        let g = match &self.cov {
            Some(c) => c.g[j],
            None => self.d.grad(j, &self.wk),
        };
        let bj = self.beta[j];
        let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
        let bn = soft_threshold(g + xvj * bj, l1) / (xvj + l2);
        if bn == bj {
            return 0.0;
        }
        let del = bn - bj;
        self.beta[j] = bn;
        self.shift_state(j, del);
        xvj * del * del
    }

    /// Moves the residual (or, in covariance mode, the gradient) for a change `del` of
    /// coefficient j.
    fn shift_state(&mut self, j: usize, del: f64) {
        match &mut self.cov {
            Some(c) => {
                if c.gram[j].is_none() {
                    let mut col = vec![0.0; self.d.p];
                    self.d.gram_cols(&[j], self.w, &mut col);
                    c.set_gram(j, col, &self.d.usable);
                }
                let col = c.gram[j].as_ref().expect("just computed");
                for (gk, ck) in c.g.iter_mut().zip(col.iter()) {
                    *gk -= del * ck;
                }
            }
            None => self.d.update(j, del, &mut self.wk),
        }
    }

    fn intercept_step(&mut self) -> f64 {
        // Covariance mode is gaussian on centred X and y: the intercept stays at its start.
        if !self.intercept || self.wk.vsum <= 0.0 || self.cov.is_some() {
            return 0.0;
        }
        let d0 = self.wk.sum() / self.wk.vsum;
        if d0 == 0.0 {
            return 0.0;
        }
        self.b0 += d0;
        self.d.shift_intercept(d0, &mut self.wk);
        self.wk.vsum * d0 * d0
    }

    /// Covariance mode: the Gram columns of the working set that are missing, in one blocked
    /// product (glmnet computes each when its feature first moves; most of the working set
    /// does move, and one product reads X once instead of once per column).
    fn prefetch_gram(&mut self, ws: &[usize]) {
        let Some(c) = &mut self.cov else {
            return;
        };
        let missing: Vec<usize> = ws
            .iter()
            .copied()
            .filter(|&j| c.gram[j].is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let p = self.d.p;
        let mut block = vec![0.0; p * missing.len()];
        self.d.gram_cols(&missing, self.w, &mut block);
        for (s, &j) in missing.iter().enumerate() {
            c.set_gram(j, block[s * p..(s + 1) * p].to_vec(), &self.d.usable);
        }
    }

    /// Coordinate descent on the current quadratic model over `ws` until converged.
    fn cd(&mut self, lambda: f64, ws: &[usize], thr: f64) -> bool {
        self.prefetch_gram(ws);
        self.eta = None;
        // The history holds iterates on the whole working set, across the alternation of
        // full passes and active-set cycling, so that it survives changes of the active set.
        self.hist.len = 0;
        let mut active: Vec<usize> = Vec::new();
        loop {
            let mut dlx = 0.0f64;
            for &j in ws {
                dlx = dlx.max(self.coord(j, lambda));
            }
            dlx = dlx.max(self.intercept_step());
            self.passes += 1;
            if dlx < thr {
                return true;
            }
            if self.passes >= self.max_passes {
                return false;
            }
            self.accelerate(lambda, ws);
            active.clear();
            active.extend(ws.iter().copied().filter(|&j| self.beta[j] != 0.0));
            loop {
                let mut dlx = 0.0f64;
                for &j in &active {
                    dlx = dlx.max(self.coord(j, lambda));
                }
                dlx = dlx.max(self.intercept_step());
                self.passes += 1;
                if dlx < thr {
                    break;
                }
                if self.passes >= self.max_passes {
                    return false;
                }
                self.accelerate(lambda, ws);
            }
        }
    }

    /// Records the iterate; every DEPTH passes, tries an Anderson extrapolation. In
    /// covariance mode, once coordinate descent has run for longer than a direct solve on the
    /// active set would take, takes a Newton step there instead (see `newton_step`).
    fn accelerate(&mut self, lambda: f64, ws: &[usize]) {
        if let Some(c) = &self.cov {
            let k = ws.iter().filter(|&&j| self.beta[j] != 0.0).count();
            // A Cholesky factorization costs k^3 / 3, a pass about k p.
            let cost = (k * k) / (3 * self.d.p).max(1) + anderson::DEPTH;
            if self.passes >= c.newton_after + cost {
                self.newton_step(lambda, ws);
                let passes = self.passes;
                if let Some(c) = &mut self.cov {
                    c.newton_after = passes;
                }
                self.hist.len = 0;
                return;
            }
        }
        self.record(ws);
        if self.hist.len == anderson::DEPTH + 1 {
            self.extrapolate(lambda, ws);
            self.hist.len = 0;
        }
    }

    /// Covariance mode: the minimiser of the quadratic model on the active set A with the
    /// signs held, (G_AA + diag(l2)) b_A = g0_A - l1 sign(b_A), by Cholesky; the step moves
    /// towards it up to the first coefficient that would change sign (which stops at zero),
    /// so the objective cannot rise. On an equicorrelated design coordinate descent needs
    /// thousands of passes where this needs one factorization.
    fn newton_step(&mut self, lambda: f64, ws: &[usize]) {
        let Some(c) = &self.cov else {
            return;
        };
        let a: Vec<usize> = ws
            .iter()
            .copied()
            .filter(|&j| self.beta[j] != 0.0)
            .collect();
        let k = a.len();
        if k == 0 {
            return;
        }
        let mut m = vec![0.0; k * k];
        let mut rhs = vec![0.0; k];
        for (r, &j) in a.iter().enumerate() {
            let Some(col) = &c.gram[j] else {
                return;
            };
            for (q, &i) in a.iter().enumerate() {
                m[q * k + r] = col[i];
            }
            let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
            m[r * k + r] += l2;
            rhs[r] = c.g0[j] - l1 * self.beta[j].signum();
        }
        if !cholesky_solve(&mut m, &mut rhs, k) {
            return;
        }
        // Step length: the first sign change along b -> b_N.
        let mut t = 1.0f64;
        for (r, &j) in a.iter().enumerate() {
            let b = self.beta[j];
            if rhs[r] * b < 0.0 {
                t = t.min(b / (b - rhs[r]));
            }
        }
        if t <= 0.0 {
            return;
        }
        for (r, &j) in a.iter().enumerate() {
            let b = self.beta[j];
            let mut bn = b + t * (rhs[r] - b);
            if rhs[r] * b < 0.0 && b / (b - rhs[r]) <= t {
                bn = 0.0;
            }
            let del = bn - b;
            if del != 0.0 {
                self.beta[j] = bn;
                self.shift_state(j, del);
            }
        }
    }

    /// Stores the current iterate (coefficients on `ws`, then the intercept) into the history.
    fn record(&mut self, ws: &[usize]) {
        let h = &mut self.hist;
        if h.x.len() <= h.len {
            h.x.push(Vec::new());
        }
        let x = &mut h.x[h.len];
        x.clear();
        x.extend(ws.iter().map(|&j| self.beta[j]));
        x.push(self.b0);
        h.len += 1;
    }

    /// Objective of the current quadratic model on `ws` (up to a constant that does not
    /// depend on the coefficients): 1/2 sum_i r_i^2 / v_i + penalty, r the weighted residual;
    /// in covariance mode -1/2 sum_j beta_j (g0_j + g_j) + penalty.
    fn model_objective(&self, lambda: f64, ws: &[usize]) -> f64 {
        let pen: f64 = ws
            .iter()
            .map(|&j| {
                let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
                let b = self.beta[j];
                l1 * b.abs() + 0.5 * l2 * b * b
            })
            .sum();
        match &self.cov {
            Some(c) => {
                let q: f64 = ws.iter().map(|&j| self.beta[j] * (c.g0[j] + c.g[j])).sum();
                -0.5 * q + pen
            }
            None => {
                let (rho, v, cc) = (&self.wk.rho, &self.wk.v, self.wk.c);
                let mut q = 0.0;
                for (r, &vi) in rho.iter().zip(v) {
                    if vi > 0.0 {
                        let ri = r + vi * cc;
                        q += ri * ri / vi;
                    }
                }
                0.5 * q + pen
            }
        }
    }

    /// Anderson extrapolation from the recorded iterates; kept only when it lowers the
    /// objective of the quadratic model. The residual (or gradient) is moved to the
    /// extrapolated point by the same updates a coordinate step makes, not combined from
    /// stored copies: a combination with large weights would amplify their rounding, and the
    /// duality gap is certified from this state.
    fn extrapolate(&mut self, lambda: f64, ws: &[usize]) {
        let h = &self.hist;
        let xs: Vec<&[f64]> = h.x[..h.len].iter().map(|v| v.as_slice()).collect();
        let Some(c) = anderson::weights(&xs) else {
            return;
        };
        let mut x = vec![0.0; ws.len() + 1];
        anderson::combine(&c, &xs, &mut x);
        if x.iter().any(|v| !v.is_finite()) {
            return;
        }
        let before = self.model_objective(lambda, ws);
        let old_beta: Vec<f64> = ws.iter().map(|&j| self.beta[j]).collect();
        let old_b0 = self.b0;
        let saved: Vec<f64> = match &self.cov {
            Some(cv) => cv.g.clone(),
            None => self.wk.rho.clone(),
        };
        let (saved_c, saved_sum) = (self.wk.c, self.wk.sum_rho);
        for (k, &j) in ws.iter().enumerate() {
            let del = x[k] - old_beta[k];
            if del != 0.0 {
                self.beta[j] = x[k];
                self.shift_state(j, del);
            }
        }
        let d0 = x[ws.len()] - old_b0;
        if d0 != 0.0 && self.intercept && self.cov.is_none() {
            self.b0 += d0;
            self.d.shift_intercept(d0, &mut self.wk);
        }
        let after = self.model_objective(lambda, ws);
        if after < before {
            return;
        }
        for (k, &j) in ws.iter().enumerate() {
            self.beta[j] = old_beta[k];
        }
        self.b0 = old_b0;
        match &mut self.cov {
            Some(cv) => cv.g.copy_from_slice(&saved),
            None => {
                self.wk.rho.copy_from_slice(&saved);
                self.wk.c = saved_c;
                self.wk.sum_rho = saved_sum;
            }
        }
    }

    fn rebuild(&mut self) {
        let eta = self.d.linear_predictor(self.b0, &self.beta);
        let (rho, v) = family::working(self.fam, self.y, self.w, &eta);
        self.wk = Work::new(rho, v);
        self.xv_ok.iter_mut().for_each(|f| *f = false);
        self.eta = Some(eta);
    }

    /// The linear predictor: kept from the last rebuild while the coefficients have not
    /// moved since, else computed.
    fn current_eta(&self) -> std::borrow::Cow<'_, [f64]> {
        match &self.eta {
            Some(eta) => std::borrow::Cow::Borrowed(eta),
            None => std::borrow::Cow::Owned(self.d.linear_predictor(self.b0, &self.beta)),
        }
    }

    /// Gaussian: (sum w r^2, sum w r y) for the residual r = y - eta, from the state the
    /// solver keeps (O(n) from the working residual, O(nnz) in covariance mode) instead of
    /// a product with X. Covariance mode: with c0 = g at beta = 0 and g = c0 - G beta,
    /// r'Wr = y'Wy - beta'(c0 + g) and r'Wy = y'Wy - beta'c0 (y centred by b0; the intercept
    /// term vanishes because X~ is centred, or b0 = 0 without an intercept).
    fn residual_sums(&self) -> (f64, f64) {
        match &self.cov {
            Some(c) => {
                let (mut bg, mut bc) = (0.0, 0.0);
                for (j, &b) in self.beta.iter().enumerate() {
                    if b != 0.0 {
                        bg += b * (c.g0[j] + c.g[j]);
                        bc += b * c.g0[j];
                    }
                }
                (c.yy - bg, c.yy - bc)
            }
            None => {
                // Gaussian working residual: rho = w (y - eta), v = w, so r = rho / w + c.
                let (mut rss, mut ry) = (0.0, 0.0);
                for i in 0..self.y.len() {
                    let w = self.w[i];
                    if w > 0.0 {
                        let r = self.wk.rho[i] / w + self.wk.c;
                        rss += w * r * r;
                        ry += w * r * self.y[i];
                    }
                }
                (rss, ry)
            }
        }
    }

    fn solve_thr(&mut self, lambda: f64, ws: &[usize], thr: f64) -> bool {
        if self.fam == Family::Gaussian {
            return self.cd(lambda, ws, thr);
        }
        for _ in 0..MAX_OUTER {
            self.rebuild();
            let old: Vec<f64> = ws.iter().map(|&j| self.beta[j]).collect();
            let old_b0 = self.b0;
            if !self.cd(lambda, ws, thr) {
                return false;
            }
            let mut change = self.wk.vsum * (self.b0 - old_b0).powi(2);
            for (k, &j) in ws.iter().enumerate() {
                change = change.max(self.xv[j] * (self.beta[j] - old[k]).powi(2));
            }
            if change < thr {
                self.rebuild();
                return true;
            }
        }
        false
    }

    /// The penalty value of the current coefficients.
    fn pen_value(&self, lambda: f64) -> f64 {
        ElasticNet {
            lambda,
            alpha: self.alpha,
        }
        .total(&self.beta, Some(self.pf))
    }

    fn gradient(&self) -> Vec<f64> {
        if let Some(c) = &self.cov {
            return c.g.clone();
        }
        let cols: Vec<usize> = (0..self.d.p).filter(|&j| self.d.usable[j]).collect();
        let mut g = vec![0.0; cols.len()];
        self.d.grads(&cols, &self.wk, &mut g);
        let mut out = vec![0.0; self.d.p];
        for (&j, gj) in cols.iter().zip(g) {
            out[j] = gj;
        }
        out
    }
}

/// Solves M x = b in place (b becomes x) for a symmetric positive definite k x k matrix M
/// (overwritten by its Cholesky factor); false when M is not numerically positive definite.
fn cholesky_solve(m: &mut [f64], b: &mut [f64], k: usize) -> bool {
    for j in 0..k {
        let mut d = m[j * k + j];
        for q in 0..j {
            d -= m[j * k + q] * m[j * k + q];
        }
        if d <= 1e-12 * m[j * k + j].abs().max(f64::MIN_POSITIVE) || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        m[j * k + j] = d;
        for i in j + 1..k {
            let mut s = m[i * k + j];
            for q in 0..j {
                s -= m[i * k + q] * m[j * k + q];
            }
            m[i * k + j] = s / d;
        }
    }
    // L y = b, then L' x = y (L in the lower triangle, row-major).
    for i in 0..k {
        let mut s = b[i];
        for q in 0..i {
            s -= m[i * k + q] * b[q];
        }
        b[i] = s / m[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for q in i + 1..k {
            s -= m[q * k + i] * b[q];
        }
        b[i] = s / m[i * k + i];
    }
    true
}

/// (l1, l2) parts of the elastic net at one coordinate; penalty factor 0 means unpenalized
/// even at lambda = BIG.
#[inline]
pub(crate) fn penalty_parts(lambda: f64, alpha: f64, pf: f64) -> (f64, f64) {
    if pf == 0.0 {
        (0.0, 0.0)
    } else {
        (lambda * alpha * pf, lambda * (1.0 - alpha) * pf)
    }
}

impl Solver for Single<'_> {
    fn solve(&mut self, lambda: f64, ws: &[usize]) -> bool {
        let thr = self.thr;
        self.solve_thr(lambda, ws, thr)
    }

    fn tighten(&mut self, lambda: f64, ws: &[usize], factor: f64) -> bool {
        let thr = self.thr * factor;
        self.solve_thr(lambda, ws, thr)
    }

    fn scores(&self) -> Vec<f64> {
        self.gradient().iter().map(|g| g.abs()).collect()
    }

    fn screened_scores(&mut self, ws: &[usize], limit: &[f64]) -> (Vec<f64>, Vec<f64>) {
        if self.cov.is_some() {
            let s = self.scores();
            return (s.clone(), s);
        }
        let d = self.d;
        let r: Vec<f64> = self
            .wk
            .rho
            .iter()
            .zip(&self.wk.v)
            .map(|(r, v)| r + v * self.wk.c)
            .collect();
        let fresh = |r: Vec<f64>, s: &mut Self| {
            let g = s.scores();
            s.stale = Some(Stale {
                g: g.clone(),
                r0: r,
            });
            (g.clone(), g)
        };
        let Some(st) = &self.stale else {
            return fresh(r, self);
        };
        let delta = r
            .iter()
            .zip(&st.r0)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        let mut in_ws = vec![false; d.p];
        ws.iter().for_each(|&j| in_ws[j] = true);
        let mut out = vec![0.0; d.p];
        let mut est = vec![0.0; d.p];
        let mut need = Vec::new();
        for j in 0..d.p {
            if !d.usable[j] {
                continue;
            }
            // A margin of 1e-9 covers the rounding of the bound itself.
            let bound = (st.g[j] + d.norm[j] * delta) * (1.0 + 1e-9);
            if !in_ws[j] && bound < limit[j] {
                out[j] = bound;
                est[j] = st.g[j];
            } else {
                need.push(j);
            }
        }
        let exact = need.len().saturating_sub(ws.len());
        // When the bound fails for many features, start again from this residual.
        if exact * 8 > d.p {
            return fresh(r, self);
        }
        let mut g = vec![0.0; need.len()];
        d.grads(&need, &self.wk, &mut g);
        for (&j, gj) in need.iter().zip(&g) {
            out[j] = gj.abs();
            est[j] = out[j];
        }
        (out, est)
    }

    fn deviance(&self) -> f64 {
        if self.fam == Family::Gaussian {
            return self.residual_sums().0;
        }
        family::deviance(self.fam, self.y, self.w, &self.current_eta())
    }

    fn null_deviance(&self) -> f64 {
        self.null_dev
    }

    fn nonzero(&self) -> Vec<usize> {
        (0..self.d.p).filter(|&j| self.beta[j] != 0.0).collect()
    }

    fn coefs(&self) -> (Vec<f64>, Vec<Vec<f64>>) {
        (vec![self.b0], vec![self.beta.clone()])
    }

    fn relative_gap(&self, lambda: f64, scores: &[f64]) -> Option<f64> {
        if lambda >= BIG {
            return None;
        }
        let pen = self.pen_value(lambda);
        let ybar = if self.intercept {
            self.y.iter().zip(self.w).map(|(y, w)| y * w).sum()
        } else {
            0.0
        };
        let null_obj = match self.fam {
            Family::Gaussian => self
                .y
                .iter()
                .zip(self.w)
                .map(|(y, w)| 0.5 * w * (y - ybar).powi(2))
                .sum(),
            _ => 0.5 * self.null_dev,
        };
        let terms = GapTerms {
            grad: scores,
            pen_value: pen,
            lambda,
            alpha: self.alpha,
            pf: self.pf,
            usable: &self.d.usable,
            null_obj,
        };
        match self.fam {
            Family::Gaussian => {
                let (rss, ry) = self.residual_sums();
                Some(gaussian::relative_gap(rss, ry, &terms))
            }
            Family::Binomial => Some(binomial::relative_gap(
                &self.current_eta(),
                self.y,
                self.w,
                &terms,
            )),
            _ => None,
        }
    }

    fn passes(&self) -> usize {
        self.passes
    }

    fn reset_passes(&mut self) {
        self.passes = 0;
        if let Some(c) = &mut self.cov {
            c.newton_after = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cholesky_solve;

    #[test]
    fn cholesky_solves_an_spd_system_and_refuses_a_singular_one() {
        // M = B'B + I for a fixed B, x known.
        let k = 4;
        let b = [
            [1.0, 2.0, 0.5, -1.0],
            [0.0, 1.5, -0.5, 2.0],
            [3.0, -1.0, 1.0, 0.0],
        ];
        let mut m = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                m[i * k + j] = (0..3).map(|r| b[r][i] * b[r][j]).sum::<f64>();
            }
            m[i * k + i] += 1.0;
        }
        let x = [0.3, -1.2, 2.0, 0.7];
        let mut rhs: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| m[i * k + j] * x[j]).sum())
            .collect();
        let mut f = m.clone();
        assert!(cholesky_solve(&mut f, &mut rhs, k));
        for i in 0..k {
            assert!((rhs[i] - x[i]).abs() < 1e-12, "{rhs:?}");
        }
        // B'B alone has rank 3 < 4.
        for i in 0..k {
            m[i * k + i] -= 1.0;
        }
        let mut rhs = vec![1.0; k];
        assert!(!cholesky_solve(&mut m, &mut rhs, k));
    }
}
