//! A Cholesky factor kept across the Newton steps of the point solver (`Local`'s Hessian
//! blocks and the covariance mode's Gram blocks): (M_FF + diag(l2)) = L L' over the slots F
//! in the factor's own order, L packed (see `cholesky::packed_row`). A block over other
//! slots A reuses the longest leading part of F that is in A with the same ridge terms (a
//! leading block's factor is the leading part of L) and appends the rest row by row, so
//! that the lasso, whose block does not depend on lambda, factors only what changed as
//! features enter along the path. The elastic net's ridge terms move with lambda: while the
//! kept ones are within a factor NEAR of those asked for, the kept factor preconditions
//! conjugate gradients on the new block (its eigenvalues then lie in [1/NEAR, NEAR], so a
//! few iterations solve it) instead of a new factorization at every lambda. The owner drops
//! the factor when M itself changes.

use crate::cholesky;
use crate::kernels::dot;

/// Kept ridge terms within this factor of those asked for precondition instead of being
/// factored again (see the module docs).
const NEAR: f64 = 1.5;
/// Conjugate gradients stop at this residual relative to the right-hand side, or give up
/// (and factor afresh) after MAX_CG iterations.
const CG_TOL: f64 = 1e-14;
const MAX_CG: usize = 30;

/// Whether a kept ridge term `have` can stand for `want`: equal, or both positive and within
/// a factor NEAR.
fn near(have: f64, want: f64) -> bool {
    have == want || (have > 0.0 && want > 0.0 && have <= NEAR * want && want <= NEAR * have)
}

pub(crate) struct KeptFactor {
    slots: Vec<usize>,
    l2: Vec<f64>,
    l: Vec<f64>,
}

impl KeptFactor {
    /// Solves (M_AA + diag(l2)) x = rhs over the slots A in place (rhs in A's order), with
    /// the factor in `kept` where it covers A; `entry(a, b)` is M's entry at slots a, b and
    /// every slot is below `size`. False (and no factor kept) when the block is singular.
    pub fn solve(
        kept: &mut Option<KeptFactor>,
        size: usize,
        slots: &[usize],
        l2: &[f64],
        entry: impl Fn(usize, usize) -> f64,
        rhs: &mut [f64],
    ) -> bool {
        let k = slots.len();
        let (want, keep) = Self::kept_prefix(kept, size, slots, l2);
        if keep == 0 {
            let mut l = vec![0.0; k * k];
            for (r, &a) in slots.iter().enumerate() {
                for (q, &b) in slots.iter().enumerate().take(r + 1) {
                    l[r * k + q] = entry(a, b);
                }
                l[r * k + r] += l2[r];
            }
            if !cholesky::factor(&mut l, k) {
                *kept = None;
                return false;
            }
            *kept = Some(KeptFactor {
                slots: slots.to_vec(),
                l2: l2.to_vec(),
                l: cholesky::pack(&l, k),
            });
        } else {
            let f = kept.as_mut().expect("keep > 0: a factor is kept");
            f.slots.truncate(keep);
            f.l2.truncate(keep);
            f.l.truncate(cholesky::packed_row(keep));
            let mut have = vec![false; size];
            f.slots.iter().for_each(|&q| have[q] = true);
            for (&q, &v) in slots.iter().zip(l2) {
                if have[q] {
                    continue;
                }
                let a: Vec<f64> = f.slots.iter().map(|&r| entry(r, q)).collect();
                if !cholesky::append_packed(&mut f.l, f.slots.len(), &a, entry(q, q) + v) {
                    *kept = None;
                    return false;
                }
                f.slots.push(q);
                f.l2.push(v);
            }
        }
        let f = kept.as_ref().expect("set above");
        // rhs in A's order -> the factor's order, solve, and back.
        let mut at = vec![usize::MAX; size];
        f.slots.iter().enumerate().for_each(|(i, &q)| at[q] = i);
        let mut b = vec![0.0; k];
        for (&q, &v) in slots.iter().zip(rhs.iter()) {
            b[at[q]] = v;
        }
        let exact = f.slots.iter().zip(&f.l2).all(|(&q, &v)| v == want[q]);
        let x = if exact {
            cholesky::solve_packed(&f.l, &mut b, k);
            Some(b)
        } else {
            let ridge: Vec<f64> = f.slots.iter().map(|&q| want[q]).collect();
            f.preconditioned(&ridge, &entry, &b)
        };
        let Some(x) = x else {
            // Conjugate gradients did not converge: factor the block as asked.
            *kept = None;
            return Self::solve(kept, size, slots, l2, entry, rhs);
        };
        for (&q, v) in slots.iter().zip(rhs.iter_mut()) {
            *v = x[at[q]];
        }
        true
    }

    /// Solves (M_FF + diag(ridge)) x = b (the factor's order) by conjugate gradients
    /// preconditioned with this factor (of M_FF + diag(self.l2)); None when they do not
    /// reach CG_TOL within MAX_CG iterations.
    fn preconditioned(
        &self,
        ridge: &[f64],
        entry: &impl Fn(usize, usize) -> f64,
        b: &[f64],
    ) -> Option<Vec<f64>> {
        let k = self.slots.len();
        let times = |v: &[f64], out: &mut [f64]| {
            for (i, &a) in self.slots.iter().enumerate() {
                let mut s = ridge[i] * v[i];
                for (&c, &vj) in self.slots.iter().zip(v) {
                    s += entry(a, c) * vj;
                }
                out[i] = s;
            }
        };
        let bnorm = dot(b, b).sqrt();
        let mut x = b.to_vec();
        cholesky::solve_packed(&self.l, &mut x, k);
        let mut r = vec![0.0; k];
        times(&x, &mut r);
        r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
        let mut z = r.clone();
        cholesky::solve_packed(&self.l, &mut z, k);
        let mut p = z.clone();
        let mut rz = dot(&r, &z);
        let mut q = vec![0.0; k];
        for _ in 0..MAX_CG {
            if dot(&r, &r).sqrt() <= CG_TOL * bnorm {
                return Some(x);
            }
            times(&p, &mut q);
            let pq = dot(&p, &q);
            if pq <= 0.0 || !pq.is_finite() {
                return None;
            }
            let step = rz / pq;
            x.iter_mut().zip(&p).for_each(|(xi, pi)| *xi += step * pi);
            r.iter_mut().zip(&q).for_each(|(ri, qi)| *ri -= step * qi);
            z.copy_from_slice(&r);
            cholesky::solve_packed(&self.l, &mut z, k);
            let rz_new = dot(&r, &z);
            let beta = rz_new / rz;
            rz = rz_new;
            p.iter_mut()
                .zip(&z)
                .for_each(|(pi, zi)| *pi = zi + beta * *pi);
        }
        (dot(&r, &r).sqrt() <= CG_TOL * bnorm).then_some(x)
    }

    /// How many slots of A the next `solve` takes from `kept` without factoring: all of A
    /// when the kept factor is that of A, the kept leading part otherwise, 0 when `solve`
    /// would factor afresh.
    pub fn reusable(kept: &Option<KeptFactor>, size: usize, slots: &[usize], l2: &[f64]) -> usize {
        Self::kept_prefix(kept, size, slots, l2).1
    }

    /// The ridge term asked for at each slot below `size` (NaN where the slot is not in A),
    /// and how many leading rows of the kept factor `solve` reuses: those in A with a near
    /// ridge term, or 0 when they are under half of A (appending costs about as much per row
    /// as a factorization does, so a blocked factorization in A's order is then cheaper).
    fn kept_prefix(
        kept: &Option<KeptFactor>,
        size: usize,
        slots: &[usize],
        l2: &[f64],
    ) -> (Vec<f64>, usize) {
        let mut want = vec![f64::NAN; size];
        for (&q, &v) in slots.iter().zip(l2) {
            want[q] = v;
        }
        let keep = kept.as_ref().map_or(0, |f| {
            f.slots
                .iter()
                .zip(&f.l2)
                .take_while(|&(&q, &v)| near(v, want[q]))
                .count()
        });
        (want, if 2 * keep < slots.len() { 0 } else { keep })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// M = B'B / r + 0.1 I for a fixed pseudo-random r x size matrix B (symmetric, so either
    /// storage order).
    fn matrix(size: usize) -> Vec<f64> {
        let r = size + 5;
        let mut m = crate::cholesky::tests::random_gram(size, r, 3);
        m.iter_mut().for_each(|v| *v /= r as f64);
        for i in 0..size {
            m[i * size + i] += 0.1;
        }
        m
    }

    /// Checks that `solve` over `slots` returns x with (M_AA + diag(l2)) x = rhs.
    fn check(kept: &mut Option<KeptFactor>, m: &[f64], size: usize, slots: &[usize], l2: &[f64]) {
        let rhs: Vec<f64> = slots.iter().map(|&q| (q as f64 * 0.37).sin()).collect();
        let mut x = rhs.clone();
        assert!(KeptFactor::solve(
            kept,
            size,
            slots,
            l2,
            |a, b| m[b * size + a],
            &mut x
        ));
        for (r, &a) in slots.iter().enumerate() {
            let v: f64 = slots
                .iter()
                .zip(&x)
                .map(|(&b, xb)| m[b * size + a] * xb)
                .sum::<f64>()
                + l2[r] * x[r];
            assert!((v - rhs[r]).abs() < 1e-10, "row {r}: {v} vs {}", rhs[r]);
        }
    }

    #[test]
    fn a_kept_factor_grows_shrinks_and_follows_the_ridge_terms() {
        let size = 30;
        let m = matrix(size);
        let mut kept = None;
        let a: Vec<usize> = (0..20).collect();
        check(&mut kept, &m, size, &a, &[0.0; 20]);
        assert_eq!(KeptFactor::reusable(&kept, size, &a, &[0.0; 20]), 20);
        // Three more slots, asked for in another order: the 20 are kept, 3 appended.
        let mut b: Vec<usize> = vec![25, 3, 27, 1, 29];
        b.extend((0..20).filter(|q| *q != 3 && *q != 1));
        assert_eq!(KeptFactor::reusable(&kept, size, &b, &[0.0; 23]), 20);
        check(&mut kept, &m, size, &b, &[0.0; 23]);
        assert_eq!(KeptFactor::reusable(&kept, size, &b, &[0.0; 23]), 23);
        // Slot 15 leaves: the leading 15 are kept, the rest appended again.
        let c: Vec<usize> = b.iter().copied().filter(|&q| q != 15).collect();
        assert_eq!(KeptFactor::reusable(&kept, size, &c, &[0.0; 22]), 15);
        check(&mut kept, &m, size, &c, &[0.0; 22]);
        // Other ridge terms: nothing is reusable, the block is factored afresh.
        assert_eq!(KeptFactor::reusable(&kept, size, &c, &[0.5; 22]), 0);
        check(&mut kept, &m, size, &c, &[0.5; 22]);
        assert_eq!(KeptFactor::reusable(&kept, size, &c, &[0.5; 22]), 22);
        // Ridge terms within NEAR of the kept ones: the kept factor preconditions conjugate
        // gradients, whose solution is checked as tightly, and stays as it was.
        let ridge: Vec<f64> = (0..22).map(|i| 0.4 + 0.01 * i as f64).collect();
        assert_eq!(KeptFactor::reusable(&kept, size, &c, &ridge), 22);
        check(&mut kept, &m, size, &c, &ridge);
        assert_eq!(KeptFactor::reusable(&kept, size, &c, &[0.5; 22]), 22);
        assert!(kept.as_ref().unwrap().l2.iter().all(|&v| v == 0.5));
        // Past NEAR the block is factored again.
        assert_eq!(KeptFactor::reusable(&kept, size, &c, &[2.0; 22]), 0);
        check(&mut kept, &m, size, &c, &[2.0; 22]);
        // An empty block, with or without a kept factor, solves nothing and does not panic.
        let mut none = None;
        assert!(KeptFactor::solve(
            &mut none,
            size,
            &[],
            &[],
            |_, _| 0.0,
            &mut []
        ));
        assert!(KeptFactor::solve(
            &mut kept,
            size,
            &[],
            &[],
            |_, _| 0.0,
            &mut []
        ));
    }
}
