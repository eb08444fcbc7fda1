//! Dense symmetric eigendecomposition for the Laplace approximations' posterior precisions
//! (hundreds to a few thousand parameters): Householder reduction to tridiagonal form, then
//! implicit symmetric QR steps with the Wilkinson shift (Golub & Van Loan, Matrix
//! Computations, 4th ed., algorithms 8.3.1 and 8.3.2), O(m^3) in all. (occam-linear's cyclic
//! Jacobi, used by the Bayesian linear models, is more accurate for the tiniest eigenvalues
//! but needs about ten O(m^3) sweeps.)

/// Eigenvalues (ascending) and eigenvectors of the symmetric m x m matrix `a` (row-major,
/// both triangles read and averaged): `(values, vectors)`, `vectors` row-major m x m with
/// column k the unit eigenvector of `values[k]`.
pub fn sym_eigen(a: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), m * m, "sym_eigen: a is not m x m");
    let mut a = symmetrized(a, m);
    // qt holds Q transposed: row k is column k of Q, so rotations touch contiguous rows
    let mut qt = vec![0.0; m * m];
    (0..m).for_each(|i| qt[i * m + i] = 1.0);
    let (mut d, mut e) = tridiagonalize(&mut a, Some(&mut qt), m);
    tridiagonal_qr(&mut d, &mut e, Some(&mut qt), m);
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| d[i].total_cmp(&d[j]));
    let values = order.iter().map(|&k| d[k]).collect();
    let mut vectors = vec![0.0; m * m];
    for (k, &src) in order.iter().enumerate() {
        for i in 0..m {
            vectors[i * m + k] = qt[src * m + i];
        }
    }
    (values, vectors)
}

/// The eigenvalues (ascending) of the symmetric m x m matrix `a` (row-major, both triangles
/// read and averaged), without the eigenvectors: 4/3 m^3 flops for the reduction, O(m^2) after.
pub fn sym_eigenvalues(a: &[f64], m: usize) -> Vec<f64> {
    assert_eq!(a.len(), m * m, "sym_eigenvalues: a is not m x m");
    let mut a = symmetrized(a, m);
    let (mut d, mut e) = tridiagonalize(&mut a, None, m);
    tridiagonal_qr(&mut d, &mut e, None, m);
    d.sort_by(f64::total_cmp);
    d
}

/// The inverse of the symmetric positive definite m x m matrix `a` (row-major) by its
/// Cholesky factor L: A^-1 = L^-T L^-1. `None` when `a` is not positive definite.
pub fn spd_inverse(a: &[f64], m: usize) -> Option<Vec<f64>> {
    assert_eq!(a.len(), m * m, "spd_inverse: a is not m x m");
    let a = symmetrized(a, m);
    // L, row-major lower triangle
    let mut l = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let v = a[i * m + j] - dot(&l[i * m..i * m + j], &l[j * m..j * m + j]);
            if i == j {
                if v <= 0.0 || !v.is_finite() {
                    return None;
                }
                l[i * m + i] = v.sqrt();
            } else {
                l[i * m + j] = v / l[j * m + j];
            }
        }
    }
    // W = L^-1 (lower), row by row: W[i] = (e_i - sum_{k<i} L[i,k] W[k]) / L[i,i]
    let mut w = vec![0.0; m * m];
    for i in 0..m {
        let (done, rest) = w.split_at_mut(i * m);
        let row = &mut rest[..m];
        row[i] = 1.0;
        for k in 0..i {
            let lik = l[i * m + k];
            if lik != 0.0 {
                let wk = &done[k * m..k * m + k + 1];
                row[..=k]
                    .iter_mut()
                    .zip(wk)
                    .for_each(|(r, x)| *r -= lik * x);
            }
        }
        let d = l[i * m + i];
        row[..=i].iter_mut().for_each(|r| *r /= d);
    }
    // A^-1 = W^T W: sum over rows k of W of the outer product of W[k] with itself
    let mut inv = vec![0.0; m * m];
    for k in 0..m {
        let wk = &w[k * m..k * m + k + 1];
        for (i, &wi) in wk.iter().enumerate() {
            if wi != 0.0 {
                let row = &mut inv[i * m..i * m + k + 1];
                row.iter_mut().zip(wk).for_each(|(r, x)| *r += wi * x);
            }
        }
    }
    for i in 0..m {
        for j in i + 1..m {
            inv[i * m + j] = inv[j * m + i];
        }
    }
    Some(inv)
}

/// A dot product in four independent sums (so the compiler can vectorize it).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

fn symmetrized(a: &[f64], m: usize) -> Vec<f64> {
    let mut a = a.to_vec();
    for i in 0..m {
        for j in i + 1..m {
            let v = 0.5 * (a[i * m + j] + a[j * m + i]);
            a[i * m + j] = v;
            a[j * m + i] = v;
        }
    }
    a
}

/// Reduces `a` (symmetric, overwritten) to tridiagonal T = Q^T A Q by Householder
/// reflections, multiplying them into `qt` (Q^T); returns T's diagonal and subdiagonal.
fn tridiagonalize(a: &mut [f64], mut qt: Option<&mut [f64]>, m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; m];
    let mut p = vec![0.0; m];
    for k in 0..m.saturating_sub(2) {
        let lo = k + 1;
        let norm = (lo..m).map(|i| a[i * m + k].powi(2)).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let x0 = a[lo * m + k];
        let alpha = if x0 > 0.0 { -norm } else { norm };
        for i in lo..m {
            v[i] = a[i * m + k];
        }
        v[lo] -= alpha;
        let vn = (lo..m).map(|i| v[i] * v[i]).sum::<f64>().sqrt();
        if vn == 0.0 {
            continue;
        }
        (lo..m).for_each(|i| v[i] /= vn);
        // H = I - 2 v v^T on lo..m: A_sub <- A_sub - 2 (v w^T + w v^T), w = p - (v^T p) v
        for i in lo..m {
            let row = &a[i * m + lo..(i + 1) * m];
            p[i] = dot(row, &v[lo..]);
        }
        let kk: f64 = (lo..m).map(|i| v[i] * p[i]).sum();
        for i in lo..m {
            p[i] -= kk * v[i];
        }
        for i in lo..m {
            let (vi, pi) = (2.0 * v[i], 2.0 * p[i]);
            let row = &mut a[i * m + lo..(i + 1) * m];
            for ((x, pj), vj) in row.iter_mut().zip(&p[lo..]).zip(&v[lo..]) {
                *x -= vi * pj + pi * vj;
            }
        }
        a[lo * m + k] = alpha;
        a[k * m + lo] = alpha;
        for i in lo + 1..m {
            a[i * m + k] = 0.0;
            a[k * m + i] = 0.0;
        }
        // Q <- Q H, i.e. Q^T <- H Q^T: rows lo..m of qt minus 2 v (v^T qt), row by row
        if let Some(qt) = qt.as_deref_mut() {
            let s = &mut p[..];
            s.iter_mut().for_each(|x| *x = 0.0);
            for i in lo..m {
                let row = &qt[i * m..(i + 1) * m];
                s.iter_mut().zip(row).for_each(|(x, q)| *x += v[i] * q);
            }
            for i in lo..m {
                let row = &mut qt[i * m..(i + 1) * m];
                row.iter_mut()
                    .zip(&*s)
                    .for_each(|(q, x)| *q -= 2.0 * v[i] * x);
            }
        }
    }
    let d = (0..m).map(|i| a[i * m + i]).collect();
    let e = (0..m.saturating_sub(1))
        .map(|i| a[(i + 1) * m + i])
        .collect();
    (d, e)
}

/// Diagonalizes the symmetric tridiagonal (d, e) in place by implicit QR steps with the
/// Wilkinson shift, multiplying the Givens rotations into `qt`.
fn tridiagonal_qr(d: &mut [f64], e: &mut [f64], mut qt: Option<&mut [f64]>, m: usize) {
    if m < 2 {
        return;
    }
    let mut hi = m - 1;
    let mut steps = 0usize;
    while hi > 0 {
        for i in 0..hi {
            if e[i].abs() <= f64::EPSILON * (d[i].abs() + d[i + 1].abs()) || e[i].abs() < 1e-300 {
                e[i] = 0.0;
            }
        }
        if e[hi - 1] == 0.0 {
            hi -= 1;
            continue;
        }
        steps += 1;
        if steps > 60 * m {
            // not reached in practice (QR with the Wilkinson shift converges cubically);
            // keep what is there rather than loop forever
            break;
        }
        let mut lo = hi - 1;
        while lo > 0 && e[lo - 1] != 0.0 {
            lo -= 1;
        }
        let dd = 0.5 * (d[hi - 1] - d[hi]);
        let b = e[hi - 1];
        let sign = if dd >= 0.0 { 1.0 } else { -1.0 };
        let mu = d[hi] - b * b / (dd + sign * dd.hypot(b));
        let mut x = d[lo] - mu;
        let mut z = e[lo];
        for k in lo..hi {
            let r = x.hypot(z);
            let (c, s) = if r == 0.0 {
                (1.0, 0.0)
            } else {
                (x / r, -z / r)
            };
            if k > lo {
                e[k - 1] = r;
            }
            let (a0, b0, c0) = (d[k], e[k], d[k + 1]);
            d[k] = a0 * c * c - 2.0 * b0 * c * s + c0 * s * s;
            d[k + 1] = a0 * s * s + 2.0 * b0 * c * s + c0 * c * c;
            e[k] = (a0 - c0) * c * s + b0 * (c * c - s * s);
            if k + 1 < hi {
                z = -s * e[k + 1];
                e[k + 1] *= c;
            }
            x = e[k];
            if let Some(qt) = qt.as_deref_mut() {
                let (top, bottom) = qt.split_at_mut((k + 1) * m);
                let (rk, rk1) = (&mut top[k * m..], &mut bottom[..m]);
                for (a, b) in rk.iter_mut().zip(rk1.iter_mut()) {
                    let (qk, qk1) = (*a, *b);
                    *a = c * qk - s * qk1;
                    *b = s * qk + c * qk1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn check(a: &[f64], m: usize) -> f64 {
        let (w, v) = sym_eigen(a, m);
        let scale = a.iter().fold(1e-300f64, |s, x| s.max(x.abs()));
        let mut worst = 0.0f64;
        for k in 0..m {
            for i in 0..m {
                let av: f64 = (0..m).map(|j| a[i * m + j] * v[j * m + k]).sum();
                worst = worst.max((av - w[k] * v[i * m + k]).abs() / scale);
            }
            for l in 0..m {
                let dot: f64 = (0..m).map(|i| v[i * m + k] * v[i * m + l]).sum();
                let want = if k == l { 1.0 } else { 0.0 };
                worst = worst.max((dot - want).abs());
            }
        }
        assert!(w.windows(2).all(|p| p[0] <= p[1]), "not ascending");
        worst
    }

    fn random_sym(m: usize, seed: u64) -> Vec<f64> {
        let mut rng = Rng::new(seed);
        let mut a = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..=i {
                let x = rng.normal();
                a[i * m + j] = x;
                a[j * m + i] = x;
            }
        }
        a
    }

    #[test]
    fn eigenpairs_of_random_symmetric_matrices_hold_to_rounding() {
        for (m, seed) in [(1, 1), (2, 2), (3, 3), (7, 4), (40, 5), (120, 6)] {
            let a = random_sym(m, seed);
            let err = check(&a, m);
            assert!(err < 1e-12 * m as f64, "m {m}: residual {err}");
        }
    }

    #[test]
    fn a_known_spectrum_with_repeated_and_tiny_eigenvalues_is_recovered() {
        // A = Q diag(lam) Q^T with Q from the eigenvectors of a random matrix
        let m = 30;
        let (_, q) = sym_eigen(&random_sym(m, 9), m);
        let lam: Vec<f64> = (0..m)
            .map(|k| match k % 3 {
                0 => 1e-9,
                1 => 2.0,
                _ => 1e4 + k as f64,
            })
            .collect();
        let mut a = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                a[i * m + j] = (0..m).map(|k| q[i * m + k] * lam[k] * q[j * m + k]).sum();
            }
        }
        let (w, _) = sym_eigen(&a, m);
        let mut want = lam.clone();
        want.sort_by(f64::total_cmp);
        for (g, t) in w.iter().zip(&want) {
            assert!((g - t).abs() < 1e-9 * 1e4, "{g} vs {t}");
        }
        assert!(check(&a, m) < 1e-12 * m as f64);
    }

    #[test]
    fn eigenvalues_alone_and_the_spd_inverse_agree_with_the_full_decomposition() {
        let m = 50;
        let a = random_sym(m, 11);
        let (w, _) = sym_eigen(&a, m);
        let w2 = sym_eigenvalues(&a, m);
        for (x, y) in w.iter().zip(&w2) {
            assert!((x - y).abs() < 1e-12 * 10.0, "{x} vs {y}");
        }
        // A^T A + I is positive definite
        let mut spd = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                spd[i * m + j] = (0..m).map(|k| a[k * m + i] * a[k * m + j]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let inv = spd_inverse(&spd, m).unwrap();
        for i in 0..m {
            for j in 0..m {
                let v: f64 = (0..m).map(|k| inv[i * m + k] * spd[k * m + j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-10, "(A^-1 A)[{i},{j}] = {v}");
            }
        }
        assert!(
            spd_inverse(&a, m).is_none(),
            "an indefinite matrix has no Cholesky factor"
        );
    }

    #[test]
    fn diagonal_zero_and_low_rank_matrices() {
        let m = 5;
        let mut a = vec![0.0; m * m];
        for i in 0..m {
            a[i * m + i] = (m - i) as f64;
        }
        let (w, _) = sym_eigen(&a, m);
        assert_eq!(w, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        let z = vec![0.0; 16];
        assert_eq!(sym_eigen(&z, 4).0, vec![0.0; 4]);
        // rank one: u u^T
        let u = [1.0, -2.0, 0.5, 3.0];
        let r1: Vec<f64> = (0..16).map(|k| u[k / 4] * u[k % 4]).collect();
        let (w, _) = sym_eigen(&r1, 4);
        assert!((w[3] - 14.25).abs() < 1e-12 && w[..3].iter().all(|x| x.abs() < 1e-12));
        assert!(check(&r1, 4) < 1e-12);
    }
}
