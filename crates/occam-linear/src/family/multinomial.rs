//! Multinomial family: softmax over K classes, solved class by class with a Newton quadratic
//! approximation (glmnet's "ungrouped"), or feature by feature with a group-lasso block update
//! under Böhning's bound on the Hessian (glmnet's "grouped").

use crate::design::{Design, Work};
use crate::path::Solver;
use crate::point::penalty_parts;
use occam_core::penalty::soft_threshold;

const P_MIN: f64 = 1e-9;

pub(crate) struct Multi<'a> {
    d: &'a Design<'a>,
    /// Class index of each row.
    y: Vec<usize>,
    w: &'a [f64],
    k: usize,
    alpha: f64,
    pf: &'a [f64],
    intercept: bool,
    grouped: bool,
    /// beta[c][j]
    beta: Vec<Vec<f64>>,
    b0: Vec<f64>,
    /// eta[c][i] and probabilities prob[c][i]
    eta: Vec<Vec<f64>>,
    prob: Vec<Vec<f64>>,
    thr: f64,
    max_passes: usize,
    passes: usize,
    null_dev: f64,
}

impl<'a> Multi<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        d: &'a Design<'a>,
        y: &[f64],
        w: &'a [f64],
        k: usize,
        alpha: f64,
        pf: &'a [f64],
        intercept: bool,
        grouped: bool,
        tol: f64,
        max_passes: usize,
    ) -> Multi<'a> {
        let y: Vec<usize> = y.iter().map(|&v| v as usize).collect();
        let mut freq = vec![0.0; k];
        for (i, &c) in y.iter().enumerate() {
            freq[c] += w[i];
        }
        let b0: Vec<f64> = if intercept {
            let logs: Vec<f64> = freq.iter().map(|f: &f64| f.max(P_MIN).ln()).collect();
            let m = logs.iter().sum::<f64>() / k as f64;
            logs.iter().map(|l| l - m).collect()
        } else {
            vec![0.0; k]
        };
        let null_dev = -2.0
            * y.iter()
                .enumerate()
                .map(|(i, &c)| w[i] * freq[c].max(P_MIN).ln())
                .sum::<f64>();
        let n = d.n;
        let mut m = Multi {
            d,
            y,
            w,
            k,
            alpha,
            pf,
            intercept,
            grouped,
            beta: vec![vec![0.0; d.p]; k],
            eta: (0..k).map(|c| vec![b0[c]; n]).collect(),
            b0,
            prob: vec![vec![0.0; n]; k],
            thr: tol * null_dev,
            max_passes,
            passes: 0,
            null_dev,
        };
        m.softmax();
        m
    }

    fn softmax(&mut self) {
        for i in 0..self.d.n {
            let mx = (0..self.k)
                .map(|c| self.eta[c][i])
                .fold(f64::NEG_INFINITY, f64::max);
            let mut s = 0.0;
            for c in 0..self.k {
                let e = (self.eta[c][i] - mx).exp();
                self.prob[c][i] = e;
                s += e;
            }
            for c in 0..self.k {
                self.prob[c][i] /= s;
            }
        }
    }

    fn class_residual(&self, c: usize) -> Vec<f64> {
        (0..self.d.n)
            .map(|i| self.w[i] * (f64::from(self.y[i] == c) - self.prob[c][i]))
            .collect()
    }

    /// Ungrouped: a Newton step for class c over `ws`, coordinate descent to convergence.
    fn class_step(&mut self, c: usize, lambda: f64, ws: &[usize], thr: f64) -> (f64, bool) {
        let n = self.d.n;
        let rho = self.class_residual(c);
        let v: Vec<f64> = (0..n)
            .map(|i| {
                let p = self.prob[c][i].clamp(P_MIN, 1.0 - P_MIN);
                self.w[i] * p * (1.0 - p)
            })
            .collect();
        let mut wk = Work::new(rho, v);
        let xv: Vec<f64> = ws.iter().map(|&j| self.d.xv(j, &wk.v, wk.vsum)).collect();
        let mut biggest = 0.0f64;
        loop {
            let mut dlx = 0.0f64;
            for (q, &j) in ws.iter().enumerate() {
                if xv[q] <= 0.0 {
                    continue;
                }
                let g = self.d.grad(j, &wk);
                let bj = self.beta[c][j];
                let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
                let bn = soft_threshold(g + xv[q] * bj, l1) / (xv[q] + l2);
                if bn != bj {
                    let del = bn - bj;
                    self.beta[c][j] = bn;
                    self.d.update(j, del, &mut wk);
                    dlx = dlx.max(xv[q] * del * del);
                }
            }
            if self.intercept && wk.vsum > 0.0 {
                let d0 = wk.sum() / wk.vsum;
                self.b0[c] += d0;
                self.d.shift_intercept(d0, &mut wk);
                dlx = dlx.max(wk.vsum * d0 * d0);
            }
            self.passes += 1;
            biggest = biggest.max(dlx);
            if dlx < thr {
                break;
            }
            if self.passes >= self.max_passes {
                return (biggest, false);
            }
        }
        self.eta[c] = self.d.linear_predictor(self.b0[c], &self.beta[c]);
        self.softmax();
        (biggest, true)
    }

    /// Grouped: one block update of feature j across classes (Böhning's bound 1/2 on the
    /// per-row Hessian), exact zeros for the whole group.
    fn group_step(&mut self, j: usize, lambda: f64) -> f64 {
        let bound = 0.5 * self.d.xv(j, self.w, 1.0).max(0.0);
        if bound <= 0.0 {
            return 0.0;
        }
        let g: Vec<f64> = (0..self.k)
            .map(|c| self.d.dot_col(j, &self.class_residual(c)))
            .collect();
        let u: Vec<f64> = (0..self.k)
            .map(|c| self.beta[c][j] + g[c] / bound)
            .collect();
        let (l1, l2) = penalty_parts(lambda, self.alpha, self.pf[j]);
        let norm = u.iter().map(|a| a * a).sum::<f64>().sqrt();
        let shrink = if norm <= l1 / bound {
            0.0
        } else {
            (1.0 - l1 / (bound * norm)) / (1.0 + l2 / bound)
        };
        let mut change = 0.0;
        let mut moved = false;
        for (c, uc) in u.iter().enumerate() {
            let bn = uc * shrink;
            let del = bn - self.beta[c][j];
            if del != 0.0 {
                moved = true;
                change += del * del;
                self.beta[c][j] = bn;
                let mut unit = vec![0.0; self.d.p];
                unit[j] = del;
                let step = self.d.linear_predictor(0.0, &unit);
                for (e, s) in self.eta[c].iter_mut().zip(&step) {
                    *e += s;
                }
            }
        }
        if moved {
            self.softmax();
        }
        bound * change
    }

    fn intercepts_step(&mut self) -> f64 {
        if !self.intercept {
            return 0.0;
        }
        let mut change = 0.0;
        for c in 0..self.k {
            let r: f64 = self.class_residual(c).iter().sum();
            let d0 = r / 0.5; // Böhning's bound with weights summing to 1
            self.b0[c] += d0;
            self.eta[c].iter_mut().for_each(|e| *e += d0);
            change += 0.5 * d0 * d0;
        }
        self.softmax();
        change
    }

    fn solve_thr(&mut self, lambda: f64, ws: &[usize], thr: f64) -> bool {
        if self.grouped {
            loop {
                let mut dlx = self.intercepts_step();
                for &j in ws {
                    dlx = dlx.max(self.group_step(j, lambda));
                }
                self.passes += 1;
                if dlx < thr {
                    self.recentre(ws);
                    return true;
                }
                if self.passes >= self.max_passes {
                    return false;
                }
            }
        }
        // Block (class by class) Newton converges linearly; the pass limit bounds it.
        while self.passes < self.max_passes {
            let mut change = 0.0f64;
            for c in 0..self.k {
                let (ch, ok) = self.class_step(c, lambda, ws, thr);
                if !ok {
                    return false;
                }
                change = change.max(ch);
            }
            self.recentre(ws);
            if change < thr {
                return true;
            }
        }
        false
    }

    /// Moves along the directions the likelihood cannot see: intercepts to sum zero, and each
    /// feature's coefficients across classes shifted by the constant that minimises their
    /// penalty ([`best_shift`]), as glmnet does after every sweep over the classes. The
    /// probabilities are unchanged; class-wise descent alone would crawl along these valleys.
    fn recentre(&mut self, ws: &[usize]) {
        let m = self.b0.iter().sum::<f64>() / self.k as f64;
        self.b0.iter_mut().for_each(|b| *b -= m);
        let mut moved = false;
        for &j in ws {
            let a: Vec<f64> = (0..self.k).map(|c| self.beta[c][j]).collect();
            if a.iter().all(|&v| v == 0.0) {
                continue;
            }
            let shift = if self.pf[j] == 0.0 || self.grouped {
                a.iter().sum::<f64>() / self.k as f64
            } else {
                best_shift(self.alpha, &a)
            };
            if shift != 0.0 {
                moved = true;
                for c in 0..self.k {
                    self.beta[c][j] -= shift;
                }
            }
        }
        for c in 0..self.k {
            if moved {
                self.eta[c] = self.d.linear_predictor(self.b0[c], &self.beta[c]);
            } else {
                self.eta[c].iter_mut().for_each(|e| *e -= m);
            }
        }
        self.softmax();
    }

    fn gradients(&self) -> Vec<Vec<f64>> {
        (0..self.k)
            .map(|c| {
                let r = self.class_residual(c);
                (0..self.d.p)
                    .map(|j| {
                        if self.d.usable[j] {
                            self.d.dot_col(j, &r)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

impl Solver for Multi<'_> {
    fn solve(&mut self, lambda: f64, ws: &[usize]) -> bool {
        self.solve_thr(lambda, ws, self.thr)
    }

    fn tighten(&mut self, lambda: f64, ws: &[usize], factor: f64) -> bool {
        self.solve_thr(lambda, ws, self.thr * factor)
    }

    fn scores(&self) -> Vec<f64> {
        let g = self.gradients();
        (0..self.d.p)
            .map(|j| {
                if self.grouped {
                    g.iter().map(|gc| gc[j] * gc[j]).sum::<f64>().sqrt()
                } else {
                    g.iter().map(|gc| gc[j].abs()).fold(0.0, f64::max)
                }
            })
            .collect()
    }

    fn deviance(&self) -> f64 {
        -2.0 * (0..self.d.n)
            .map(|i| self.w[i] * self.prob[self.y[i]][i].max(1e-300).ln())
            .sum::<f64>()
    }

    fn null_deviance(&self) -> f64 {
        self.null_dev
    }

    fn nonzero(&self) -> Vec<usize> {
        (0..self.d.p)
            .filter(|&j| self.beta.iter().any(|b| b[j] != 0.0))
            .collect()
    }

    fn coefs(&self) -> (Vec<f64>, Vec<Vec<f64>>) {
        (self.b0.clone(), self.beta.clone())
    }

    fn relative_gap(&self, _lambda: f64, _scores: &[f64]) -> Option<f64> {
        None
    }

    fn passes(&self) -> usize {
        self.passes
    }

    fn reset_passes(&mut self) {
        self.passes = 0;
    }
}

/// The constant c minimising sum_k ((1 - alpha)/2 (a_k - c)^2 + alpha |a_k - c|): the mean for
/// ridge, the median for the lasso (the midpoint of the two middle values when K is even, the
/// choice glmnet makes in a flat stretch), and in between the root of the piecewise-linear
/// derivative.
pub(crate) fn best_shift(alpha: f64, a: &[f64]) -> f64 {
    let k = a.len();
    let mean = a.iter().sum::<f64>() / k as f64;
    if alpha == 0.0 || k == 2 {
        return mean;
    }
    let mut s = a.to_vec();
    s.sort_by(f64::total_cmp);
    if s[0] == s[k - 1] {
        return s[0];
    }
    let median = if k % 2 == 1 {
        s[k / 2]
    } else {
        0.5 * (s[k / 2 - 1] + s[k / 2])
    };
    if alpha == 1.0 {
        return median;
    }
    let h = |c: f64| {
        a.iter()
            .map(|&v| 0.5 * (1.0 - alpha) * (v - c).powi(2) + alpha * (v - c).abs())
            .sum::<f64>()
    };
    // Stationary point inside each stretch between sorted values (m of them below c).
    let mut best = (h(median), median);
    for m in 0..=k {
        let c = mean - alpha * (2.0 * m as f64 - k as f64) / ((1.0 - alpha) * k as f64);
        let lo = if m == 0 { f64::NEG_INFINITY } else { s[m - 1] };
        let hi = if m == k { f64::INFINITY } else { s[m] };
        if c > lo && c < hi {
            best = (h(c), c);
            break;
        }
    }
    for &c in &s {
        let v = h(c);
        if v < best.0 {
            best = (v, c);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::best_shift;

    #[test]
    fn best_shift_minimises_the_penalty() {
        let a = [0.0, 0.0, 0.3, -0.2, 1.0, 0.0, 0.0, 0.5, 0.0, 0.1];
        assert_eq!(best_shift(1.0, &a), 0.0);
        assert!((best_shift(0.0, &a) - 0.17).abs() < 1e-12);
        for alpha in [0.05, 0.5, 0.9] {
            let c = best_shift(alpha, &a);
            let h = |c: f64| {
                a.iter()
                    .map(|&v| 0.5 * (1.0 - alpha) * (v - c).powi(2) + alpha * (v - c).abs())
                    .sum::<f64>()
            };
            for t in -1000..=1000 {
                let u = t as f64 * 1e-3;
                assert!(h(c) <= h(u) + 1e-12, "alpha {alpha}: {c} beaten by {u}");
            }
        }
        // even K with a flat median stretch: glmnet's midpoint
        assert_eq!(best_shift(1.0, &[0.0, 0.0, 1.0, 1.0]), 0.5);
    }
}
