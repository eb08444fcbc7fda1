//! Coordinate descent at one lambda for the single-response families (gaussian, binomial,
//! poisson): a proximal-Newton (IRLS) outer loop around cyclic coordinate descent with
//! active-set cycling, as in Friedman, Hastie & Tibshirani (2010).

use crate::anderson;
use crate::config::Family;
use crate::design::{Design, Work};
use crate::family::gaussian::GapTerms;
use crate::family::{self, binomial, gaussian};
use crate::local::{self, Local};
use crate::path::{Solver, BIG};
use occam_core::penalty::{soft_threshold, ElasticNet};

mod accel;

/// Most IRLS (outer) iterations at one lambda.
const MAX_OUTER: usize = 100;
/// Inexact IRLS: the inner threshold as a fraction of the last outer change.
const INNER_FRACTION: f64 = 1e-3;
/// Dense X without covariance updates runs each (IRLS) step on the working set's Gram block
/// (`local.rs`) while the working set has fewer than LOCAL_MAX * n features: a pass then
/// costs |S| per update instead of about 2n, and the Newton step on the active set is at
/// hand. (With 2, the ever-active features of a p >> n path passed 2n near its end and each
/// lambda fell back to hundreds of plain passes: N100_p20000_rho0.5 lasso took 0.36 s at
/// gap 1e-6, 0.12 s with 4.)
const LOCAL_MAX: usize = 4;
/// See `solve_thr`: the convergence threshold of a step with a kept Hessian, relative.
const STALE_FINAL: f64 = 1e-2;
/// Covariance mode fetches Gram columns in batches of at least this many (see
/// `prefetch_gram`).
const GRAM_BATCH: usize = 32;
/// How many times faster the blocked Cholesky factorization runs per multiply-add than a
/// coordinate-descent pass.
const FACTOR_SPEED: usize = 8;
/// The intercept among the coordinates of a Newton step.
const INTERCEPT: usize = usize::MAX;
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
    /// The factor of the last Newton step's Gram block (the Gram matrix never changes).
    factor: Option<crate::factor::KeptFactor>,
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
    /// Covariance-form IRLS on the working set (binomial, poisson; see `local.rs`), kept
    /// across steps and lambdas for its Hessian.
    local: Option<Local>,
    /// The current inner solve runs on `local`.
    use_local: bool,
    /// The next IRLS step must compute a fresh Hessian.
    refresh: bool,
}

/// Exact |gradients| at earlier residuals; with the column norms they bound the gradients at
/// any later residual r: |g_j(r)| <= |g_j(r_k)| + norm_j ||r - r_k||, r_k the residual at
/// which g_j was last computed. Each screening computes exactly only the features this bound
/// cannot clear, at the current residual, which becomes their reference: features near their
/// limit are then bounded from a recent residual, the others from an older one, instead of
/// every feature from the last full computation.
struct Stale {
    g: Vec<f64>,
    /// The reference residual of each feature.
    at: Vec<usize>,
    /// The reference residuals (None once no feature uses it) and how many features use each.
    refs: Vec<Option<Vec<f64>>>,
    uses: Vec<usize>,
}

/// At most this many reference residuals are kept; past it, every gradient is computed again.
const MAX_REFS: usize = 32;

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
            && d.is_dense())
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
                factor: None,
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
            local: None,
            use_local: false,
            refresh: false,
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
        let (xvj, g) = match &self.local {
            Some(l) if self.use_local => {
                let q = l.slot(j);
                (l.diag(q), l.g[q])
            }
            _ => {
                let xvj = self.xv(j);
                if xvj <= 0.0 {
                    return 0.0;
                }
                let g = match &self.cov {
                    Some(c) => c.g[j],
                    None => self.d.grad(j, &self.wk),
                };
                (xvj, g)
            }
        };
        if xvj <= 0.0 {
            return 0.0;
        }
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
        if let Some(l) = self.local.as_mut().filter(|_| self.use_local) {
            l.shift(l.slot(j), del);
            return;
        }
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
        if !self.intercept || self.cov.is_some() {
            return 0.0;
        }
        let (g, h) = match &self.local {
            Some(l) if self.use_local => {
                let q = l.intercept_slot();
                (l.g[q], l.diag(q))
            }
            _ => (self.wk.sum(), self.wk.vsum),
        };
        if h <= 0.0 {
            return 0.0;
        }
        let d0 = g / h;
        if d0 == 0.0 {
            return 0.0;
        }
        self.shift_b0(d0);
        h * d0 * d0
    }

    /// Moves the intercept by `d0`, and the residual or the model gradient with it.
    fn shift_b0(&mut self, d0: f64) {
        self.b0 += d0;
        match self.local.as_mut().filter(|_| self.use_local) {
            Some(l) => l.shift(l.intercept_slot(), d0),
            None => self.d.shift_intercept(d0, &mut self.wk),
        }
    }

    /// Covariance mode: the Gram columns of the working set that are missing, in one blocked
    /// product (glmnet computes each when its feature first moves; most of the working set
    /// does move, and one product reads X once instead of once per column).
    fn prefetch_gram(&mut self, ws: &[usize]) {
        let Some(c) = &mut self.cov else {
            return;
        };
        let mut missing: Vec<usize> = ws
            .iter()
            .copied()
            .filter(|&j| c.gram[j].is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        // Each product reads all of X: when few columns are missing, fetch also those of the
        // features nearest to entering (largest |gradient|), up to GRAM_BATCH, instead of one
        // product per feature as the working set grows.
        if missing.len() < GRAM_BATCH {
            let mut next: Vec<usize> = (0..self.d.p)
                .filter(|&j| self.d.usable[j] && c.gram[j].is_none() && !missing.contains(&j))
                .collect();
            next.sort_by(|&a, &b| c.g[b].abs().total_cmp(&c.g[a].abs()).then(a.cmp(&b)));
            next.truncate(GRAM_BATCH - missing.len());
            missing.extend(next);
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
        self.newton_if_factored(lambda, ws);
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
            // Dense X without covariance updates (p >> n): the working set's Gram block
            // (fixed weights, so kept across lambdas and extended as features join) is
            // cheaper per pass than the residual while |S| < LOCAL_MAX * n, and gives the Newton step.
            if !self.local_fits(ws) {
                return self.cd(lambda, ws, thr);
            }
            self.start_local(ws, false);
            let done = self.cd(lambda, ws, thr);
            self.use_local = false;
            self.rebuild();
            return done;
        }
        // Inexact Newton: the inner problem is solved only as far as the outer iteration
        // warrants (a fraction of the last outer change, never looser than the base
        // threshold), and to `thr` once the outer changes are that small.
        let mut inner = self.thr.max(thr);
        // A step taken with a kept Hessian: the objective before it and where it started.
        let mut check: Option<(f64, Vec<f64>, f64)> = None;
        let mut last_change = f64::INFINITY;
        let mut done = false;
        for _ in 0..MAX_OUTER {
            self.rebuild();
            if let Some((before, old, old_b0)) = check.take() {
                let after = self.objective(lambda);
                // (NaN counts as a rise.)
                if after.is_nan() || after > before + 1e-13 * before.abs() {
                    // The kept Hessian overshot: go back, and step with a fresh one.
                    for (&j, &b) in ws.iter().zip(&old) {
                        self.beta[j] = b;
                    }
                    self.b0 = old_b0;
                    self.rebuild();
                    self.refresh = true;
                }
            }
            self.use_local = false;
            let stale = self.local_fits(ws) && self.start_local(ws, self.refresh);
            self.refresh = false;
            let old: Vec<f64> = ws.iter().map(|&j| self.beta[j]).collect();
            let old_b0 = self.b0;
            let before = if stale { self.objective(lambda) } else { 0.0 };
            if !self.cd(lambda, ws, inner) {
                break;
            }
            let mut change = self.xv_b0() * (self.b0 - old_b0).powi(2);
            for (k, &j) in ws.iter().enumerate() {
                change = change.max(self.xv[j] * (self.beta[j] - old[k]).powi(2));
            }
            if stale {
                check = Some((before, old, old_b0));
                // Steps with a kept Hessian that stop shrinking below the threshold (at the
                // rounding of a very small one) hand over to a fresh one, whose step certifies
                // at the threshold itself.
                if change < thr && change >= last_change {
                    self.refresh = true;
                }
            }
            last_change = change;
            // A step with a fresh Hessian is a Newton step, whose remaining error is of the
            // order of its change squared; a kept Hessian converges only linearly, so its
            // steps must get STALE_FINAL times smaller before they certify the same.
            let target = if stale { thr * STALE_FINAL } else { thr };
            if change < target && inner <= target {
                done = true;
                break;
            }
            inner = (change * INNER_FRACTION).min(inner).max(target);
        }
        // The residual, the weights and eta at the final coefficients, for the KKT checks,
        // the gap and the deviance.
        self.use_local = false;
        self.rebuild();
        done
    }

    /// Whether the working set runs in covariance form (dense X without the gaussian
    /// covariance mode, fewer than LOCAL_MAX * n features, within local::MAX_VALUES).
    fn local_fits(&self, ws: &[usize]) -> bool {
        let m = ws.len() + 1;
        self.cov.is_none()
            && self.d.is_dense()
            && !ws.is_empty()
            && ws.len() < LOCAL_MAX * self.d.n
            && m * m <= local::MAX_VALUES
            && m * self.d.n <= local::MAX_VALUES
    }

    /// Switches the inner solve to the covariance form, its model set up at the current
    /// state (a fresh Hessian when `fresh`); returns whether the Hessian is one kept from
    /// earlier weights.
    fn start_local(&mut self, ws: &[usize], fresh: bool) -> bool {
        self.use_local = true;
        Local::prepare(
            &mut self.local,
            self.d,
            &self.wk,
            ws,
            &self.beta,
            self.b0,
            fresh,
        );
        let l = self.local.as_ref().expect("just prepared");
        for &j in ws {
            self.xv[j] = l.diag(l.slot(j));
        }
        l.stale
    }

    /// The curvature of the intercept in the current quadratic model.
    fn xv_b0(&self) -> f64 {
        match &self.local {
            Some(l) if self.use_local => l.diag(l.intercept_slot()),
            _ => self.wk.vsum,
        }
    }

    /// The penalized objective at the current coefficients: half the deviance plus the
    /// penalty (eta from the last rebuild).
    fn objective(&self, lambda: f64) -> f64 {
        0.5 * self.deviance() + self.pen_value(lambda)
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
                at: vec![0; g.len()],
                refs: vec![Some(r)],
                uses: vec![g.len()],
            });
            (g.clone(), g)
        };
        let Some(st) = &self.stale else {
            return fresh(r, self);
        };
        let delta: Vec<f64> = st
            .refs
            .iter()
            .map(|r0| {
                r0.as_ref().map_or(f64::INFINITY, |r0| {
                    r.iter()
                        .zip(r0)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                        .sqrt()
                })
            })
            .collect();
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
            let bound = (st.g[j] + d.norm[j] * delta[st.at[j]]) * (1.0 + 1e-9);
            if !in_ws[j] && bound < limit[j] {
                out[j] = bound;
                est[j] = st.g[j];
            } else {
                need.push(j);
            }
        }
        // When the bound fails for most features, or the references are many, start again
        // from this residual.
        let live = st.refs.iter().filter(|r| r.is_some()).count();
        if need.len() * 2 > d.p || (!need.is_empty() && live >= MAX_REFS) {
            return fresh(r, self);
        }
        let mut g = vec![0.0; need.len()];
        d.grads(&need, &self.wk, &mut g);
        for (&j, gj) in need.iter().zip(&g) {
            out[j] = gj.abs();
            est[j] = out[j];
        }
        if !need.is_empty() {
            let st = self.stale.as_mut().expect("checked above");
            // A slot no feature uses any more, else a new one.
            let k = match st.refs.iter().position(Option::is_none) {
                Some(k) => {
                    st.refs[k] = Some(r);
                    st.uses[k] = need.len();
                    k
                }
                None => {
                    st.refs.push(Some(r));
                    st.uses.push(need.len());
                    st.refs.len() - 1
                }
            };
            for &j in &need {
                let old = st.at[j];
                st.uses[old] -= 1;
                if st.uses[old] == 0 {
                    st.refs[old] = None;
                }
                st.at[j] = k;
                st.g[j] = out[j];
            }
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
        if let Some(l) = &mut self.local {
            l.newton_after = 0;
        }
    }
}
