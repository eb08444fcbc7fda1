//! The accelerations of `Single`'s coordinate descent: Anderson extrapolation of the
//! working-set iterates (Bertrand & Massias; skglm), kept only when it lowers the quadratic
//! model's objective, and the sign-preserving Newton step on the active set (Cholesky on the
//! covariance form's Gram block or on `Local`'s Hessian) once coordinate descent has run as
//! long as the factorization would take.

use super::*;
use crate::factor::KeptFactor;

impl Single<'_> {
    /// Records the iterate; every DEPTH passes, tries an Anderson extrapolation. In
    /// covariance form, once coordinate descent has run for longer than a direct solve on the
    /// active set would take, takes a Newton step there instead (see `newton_step`).
    pub(super) fn accelerate(&mut self, lambda: f64, ws: &[usize]) {
        let state = match (&self.local, &self.cov) {
            (Some(l), _) if self.use_local => Some((l.newton_after, l.len())),
            (_, Some(c)) => Some((c.newton_after, self.d.p)),
            _ => None,
        };
        if let Some((after, len)) = state {
            // A Cholesky factorization of the k x k active block costs k^3 / 3 multiply-adds in
            // matrix products (about FACTOR_SPEED times as fast as the update loop), in
            // covariance mode less what the kept factor already covers; a pass over the active
            // set costs k * len. (Counting the kept factor in `Local`'s form too brought its
            // Newton steps earlier in each lambda, where they stopped at a sign change and
            // broke off coordinate descent: more passes on the p >> n designs, no time saved.)
            // The cost is at least DEPTH passes: the block is formed only from then on, not
            // at every pass.
            if self.passes >= after + anderson::DEPTH {
                let (k, r) = if self.use_local {
                    let active = ws.iter().filter(|&&j| self.beta[j] != 0.0).count();
                    (active + usize::from(self.intercept), 0)
                } else {
                    let (slots, l2s) = self.newton_block(lambda, ws);
                    (slots.len(), self.reusable(&slots, &l2s))
                };
                let cost =
                    (k * k * k - r * r * r) / (3 * FACTOR_SPEED * len * k).max(1) + anderson::DEPTH;
                if self.passes >= after + cost && self.newton_step(lambda, ws) {
                    self.hist.len = 0;
                    return;
                }
            }
        }
        self.record(ws);
        if self.hist.len == anderson::DEPTH + 1 {
            self.extrapolate(lambda, ws);
            self.hist.len = 0;
        }
    }

    /// Newton step on the active set A of the quadratic model, with the signs held: the
    /// model's minimiser there solves (H_AA + diag(l2)) b_A = ... by Cholesky, and the step
    /// moves towards it up to the first coefficient that would change sign (which stops at
    /// zero), so the model objective cannot rise. On an equicorrelated design coordinate
    /// descent needs thousands of passes where this needs one factorization.
    /// False when no step could be computed (a singular block).
    fn newton_step(&mut self, lambda: f64, ws: &[usize]) -> bool {
        let a: Vec<usize> = ws
            .iter()
            .copied()
            .filter(|&j| self.beta[j] != 0.0)
            .collect();
        let target = if self.use_local {
            self.local_newton(lambda, &a)
        } else {
            self.cov_newton(lambda, &a)
        };
        let passes = self.passes;
        match (&mut self.local, &mut self.cov) {
            (Some(l), _) if self.use_local => l.newton_after = passes,
            (_, Some(c)) => c.newton_after = passes,
            _ => {}
        }
        match target {
            Some((coords, target)) => {
                self.move_towards(&coords, &target);
                true
            }
            None => false,
        }
    }

    /// Gaussian covariance mode: (G_AA + diag(l2)) b_A = g0_A - l1 sign(b_A) (the model is
    /// expanded at beta = 0). Returns the coordinates and their targets.
    fn cov_newton(&mut self, lambda: f64, a: &[usize]) -> Option<(Vec<usize>, Vec<f64>)> {
        let c = self.cov.as_mut()?;
        if a.is_empty() || a.iter().any(|&j| c.gram[j].is_none()) {
            return None;
        }
        let mut l2s = Vec::with_capacity(a.len());
        let mut rhs = Vec::with_capacity(a.len());
        for &j in a {
            let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
            l2s.push(l2);
            rhs.push(c.g0[j] - l1 * self.beta[j].signum());
        }
        let gram = &c.gram;
        let entry = |i: usize, j: usize| gram[j].as_ref().expect("checked above")[i];
        if !KeptFactor::solve(&mut c.factor, self.d.p, a, &l2s, entry, &mut rhs) {
            return None;
        }
        Some((a.to_vec(), rhs))
    }

    /// Covariance-form IRLS: the step d from the current coefficients, (H_AA + diag(l2)) d =
    /// g_A - l1 sign(b_A) - l2 b_A, with the intercept in A (unpenalized). The factor is
    /// reused while H, A and lambda stay, so repeated steps cost two triangular solves.
    fn local_newton(&mut self, lambda: f64, a: &[usize]) -> Option<(Vec<usize>, Vec<f64>)> {
        let l = self.local.as_mut()?;
        let mut coords = a.to_vec();
        let mut slots = Vec::with_capacity(a.len() + 1);
        let mut l2s = Vec::with_capacity(a.len() + 1);
        let mut rhs = Vec::with_capacity(a.len() + 1);
        for &j in a {
            let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
            let q = l.slot(j);
            let b = self.beta[j];
            slots.push(q);
            l2s.push(l2);
            rhs.push(l.g[q] - l1 * b.signum() - l2 * b);
        }
        if self.intercept {
            let q = l.intercept_slot();
            coords.push(INTERCEPT);
            slots.push(q);
            l2s.push(0.0);
            rhs.push(l.g[q]);
        }
        // Without a ridge part, more slots than observations make the block singular.
        let singular = slots.len() > self.d.n && l2s.iter().all(|&v| v == 0.0);
        if slots.is_empty() || singular || !l.solve_block(&slots, &l2s, &mut rhs) {
            return None;
        }
        for (t, &c) in rhs.iter_mut().zip(&coords) {
            *t += if c == INTERCEPT {
                self.b0
            } else {
                self.beta[c]
            };
        }
        Some((coords, rhs))
    }

    /// Moves the coordinates (features, or INTERCEPT) towards `target` up to the first
    /// feature whose sign would change; that one stops at zero.
    fn move_towards(&mut self, coords: &[usize], target: &[f64]) {
        let crosses = |b: f64, t: f64| t * b < 0.0;
        let mut t = 1.0f64;
        for (&j, &bn) in coords.iter().zip(target) {
            if j != INTERCEPT && crosses(self.beta[j], bn) {
                let b = self.beta[j];
                t = t.min(b / (b - bn));
            }
        }
        if t <= 0.0 {
            return;
        }
        for (&j, &bn) in coords.iter().zip(target) {
            if j == INTERCEPT {
                let d0 = t * (bn - self.b0);
                if d0 != 0.0 {
                    self.shift_b0(d0);
                }
                continue;
            }
            let b = self.beta[j];
            let mut new = b + t * (bn - b);
            if crosses(b, bn) && b / (b - bn) <= t {
                new = 0.0;
            }
            let del = new - b;
            if del != 0.0 {
                self.beta[j] = new;
                self.shift_state(j, del);
            }
        }
    }

    /// A Newton step at the start of an inner solve when the kept factor covers the current
    /// active set (it then costs two triangular solves, or a few preconditioned conjugate
    /// gradient iterations for moved ridge terms).
    pub(super) fn newton_if_factored(&mut self, lambda: f64, ws: &[usize]) {
        if !(self.use_local && self.local.is_some()) && self.cov.is_none() {
            return;
        }
        let (slots, l2s) = self.newton_block(lambda, ws);
        if !slots.is_empty() && self.reusable(&slots, &l2s) == slots.len() {
            self.newton_step(lambda, ws);
        }
    }

    /// The block of a Newton step on the active set: its slots (`Local`'s, with the
    /// intercept's, or features in covariance mode) and their ridge terms.
    fn newton_block(&self, lambda: f64, ws: &[usize]) -> (Vec<usize>, Vec<f64>) {
        let mut slots = Vec::new();
        let mut l2s = Vec::new();
        let local = self.local.as_ref().filter(|_| self.use_local);
        for &j in ws.iter().filter(|&&j| self.beta[j] != 0.0) {
            slots.push(local.map_or(j, |l| l.slot(j)));
            l2s.push(penalty_parts(lambda, self.alpha, self.pf[j]).1);
        }
        if let Some(l) = local.filter(|_| self.intercept) {
            slots.push(l.intercept_slot());
            l2s.push(0.0);
        }
        (slots, l2s)
    }

    /// How many slots of the block the kept factor covers.
    fn reusable(&self, slots: &[usize], l2s: &[f64]) -> usize {
        match (&self.local, &self.cov) {
            (Some(l), _) if self.use_local => l.reusable(slots, l2s),
            (_, Some(c)) => KeptFactor::reusable(&c.factor, self.d.p, slots, l2s),
            _ => 0,
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
        if let Some(l) = self.local.as_ref().filter(|_| self.use_local) {
            return l.smooth_value(&self.beta, self.b0) + pen;
        }
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
        let saved: Vec<f64> = match (&self.local, &self.cov) {
            (Some(l), _) if self.use_local => l.g.clone(),
            (_, Some(cv)) => cv.g.clone(),
            _ => self.wk.rho.clone(),
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
            self.shift_b0(d0);
        }
        let after = self.model_objective(lambda, ws);
        if after < before {
            return;
        }
        for (k, &j) in ws.iter().enumerate() {
            self.beta[j] = old_beta[k];
        }
        self.b0 = old_b0;
        match (&mut self.local, &mut self.cov) {
            (Some(l), _) if self.use_local => l.g.copy_from_slice(&saved),
            (_, Some(cv)) => cv.g.copy_from_slice(&saved),
            _ => {
                self.wk.rho.copy_from_slice(&saved);
                self.wk.c = saved_c;
                self.wk.sum_rho = saved_sum;
            }
        }
    }
}
