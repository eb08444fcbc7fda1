//! Cholesky factorization and solves for the small dense systems of the Newton steps on an
//! active set (row-major k x k, lower triangle); the inner products run through the
//! dispatched dot kernel, so a factorization of k = 1,000 takes tens of milliseconds.

use crate::kernels::dot;

/// Columns per block of the blocked factorization.
const NB: usize = 64;

/// Overwrites the lower triangle of the symmetric k x k matrix `m` (row-major) with its
/// Cholesky factor L (M = L L'; the upper triangle is used as scratch); false when M is not
/// numerically positive definite: a pivot at most 1e-12 times its original diagonal entry.
/// Blocked and right-looking: each block column is factored in place, and the trailing
/// matrix is updated by one matrix product (which does most of the k^3 / 3 work at full
/// speed).
pub(crate) fn factor(m: &mut [f64], k: usize) -> bool {
    assert!(m.len() >= k * k);
    let diag: Vec<f64> = (0..k).map(|j| m[j * k + j]).collect();
    let mut kb = 0;
    while kb < k {
        let e = (kb + NB).min(k);
        // The diagonal block, then the panel below it, against the columns kb..j only (the
        // earlier columns were applied by the trailing updates).
        for j in kb..e {
            let rj = j * k;
            let d = m[rj + j] - dot(&m[rj + kb..rj + j], &m[rj + kb..rj + j]);
            if d <= 1e-12 * diag[j].abs().max(f64::MIN_POSITIVE) || !d.is_finite() {
                return false;
            }
            let d = d.sqrt();
            m[rj + j] = d;
            for i in j + 1..k {
                let ri = i * k;
                let s = dot(&m[ri + kb..ri + j], &m[rj + kb..rj + j]);
                m[ri + j] = (m[ri + j] - s) / d;
            }
        }
        if e < k {
            let r = k - e;
            let base = m.as_mut_ptr();
            // SAFETY: dst is the trailing block rows e..k, columns e..k (row stride k); lhs
            // is the panel rows e..k, columns kb..e, and rhs its transpose: disjoint from
            // dst, all inside the k * k values asserted above.
            unsafe {
                gemm::gemm(
                    r,
                    r,
                    e - kb,
                    base.add(e * k + e),
                    1,
                    k as isize,
                    true,
                    base.add(e * k + kb) as *const f64,
                    1,
                    k as isize,
                    base.add(e * k + kb) as *const f64,
                    k as isize,
                    1,
                    1.0,
                    -1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }
        kb = e;
    }
    true
}

/// Row i of a packed lower triangle (rows stored one after another, row i holding columns
/// 0..=i) starts here.
#[inline]
pub(crate) fn packed_row(i: usize) -> usize {
    i * (i + 1) / 2
}

/// The packed lower triangle (see `packed_row`) of the factor `factor` left in the row-major
/// k x k `m`.
pub(crate) fn pack(m: &[f64], k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(packed_row(k));
    for i in 0..k {
        out.extend_from_slice(&m[i * k..i * k + i + 1]);
    }
    out
}

/// Grows the packed factor L of a k x k matrix M to that of [[M, a], [a', c]] (one more
/// row and column): the new row solves L y = a, its pivot is sqrt(c - y'y). False (and `l`
/// unchanged) when the pivot is at most 1e-12 times c, as `factor` refuses it.
pub(crate) fn append_packed(l: &mut Vec<f64>, k: usize, a: &[f64], c: f64) -> bool {
    debug_assert_eq!(l.len(), packed_row(k));
    let mut y = a[..k].to_vec();
    for i in 0..k {
        let r = packed_row(i);
        y[i] = (y[i] - dot(&l[r..r + i], &y[..i])) / l[r + i];
    }
    let d = c - dot(&y, &y);
    if d <= 1e-12 * c.abs().max(f64::MIN_POSITIVE) || !d.is_finite() {
        return false;
    }
    l.extend_from_slice(&y);
    l.push(d.sqrt());
    true
}

/// Solves L L' x = b in place with a packed factor (see `append_packed`).
pub(crate) fn solve_packed(l: &[f64], b: &mut [f64], k: usize) {
    for i in 0..k {
        let r = packed_row(i);
        b[i] = (b[i] - dot(&l[r..r + i], &b[..i])) / l[r + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for q in i + 1..k {
            s -= l[packed_row(q) + i] * b[q];
        }
        b[i] = s / l[packed_row(i) + i];
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn solves_an_spd_system_and_refuses_a_singular_one() {
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
        assert!(factor(&mut f, k));
        solve_packed(&pack(&f, k), &mut rhs, k);
        for i in 0..k {
            assert!((rhs[i] - x[i]).abs() < 1e-12, "{rhs:?}");
        }
        // B'B alone has rank 3 < 4.
        for i in 0..k {
            m[i * k + i] -= 1.0;
        }
        assert!(!factor(&mut m, k));
    }

    /// B'B (k x k, row-major) for a pseudo-random r x k matrix B with entries in [-0.5, 0.5).
    pub(crate) fn random_gram(k: usize, r: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        let b: Vec<f64> = (0..r * k)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect();
        let mut m = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                m[i * k + j] = (0..r).map(|t| b[t * k + i] * b[t * k + j]).sum::<f64>();
            }
        }
        m
    }

    #[test]
    fn a_dense_system_over_several_blocks() {
        // M = B'B / r + I with a dense pseudo-random B, so every trailing update matters.
        let (k, r) = (3 * NB + 17, 300);
        let mut m: Vec<f64> = random_gram(k, r, 7).iter().map(|v| v / r as f64).collect();
        for i in 0..k {
            m[i * k + i] += 1.0;
        }
        let x: Vec<f64> = (0..k).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut rhs: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| m[i * k + j] * x[j]).sum())
            .collect();
        let mut f = m.clone();
        assert!(factor(&mut f, k));
        // L L' reproduces M (lower triangle).
        for i in 0..k {
            for j in 0..=i {
                let v: f64 = (0..=j).map(|q| f[i * k + q] * f[j * k + q]).sum();
                assert!((v - m[i * k + j]).abs() < 1e-12, "({i}, {j})");
            }
        }
        solve_packed(&pack(&f, k), &mut rhs, k);
        for i in 0..k {
            assert!((rhs[i] - x[i]).abs() < 1e-10);
        }
    }

    #[test]
    fn refuses_a_rank_deficient_matrix_past_the_first_block() {
        // B'B with B of r = NB rows and k = 2 NB + 5 columns has rank r: the pivots of the
        // columns past r are rounding noise, the first of them at the start of the second
        // block, where the entry it is compared with has already been reduced.
        let (k, r) = (2 * NB + 5, NB);
        let mut m = random_gram(k, r, 11);
        for i in 0..k {
            // A positive shift far below 1e-12 of the diagonal (about r / 12): such pivots
            // are still refused.
            m[i * k + i] += 1e-13;
        }
        assert!(!factor(&mut m, k));
    }

    #[test]
    fn appending_rows_gives_the_factor_of_the_grown_matrix() {
        // Factor the leading 40 x 40 block, append the other 30 rows one by one: the packed
        // factor equals the factor of the whole matrix, and solves with it.
        let (k, r) = (70, 90);
        let mut m: Vec<f64> = random_gram(k, r, 5).iter().map(|v| v / r as f64).collect();
        for i in 0..k {
            m[i * k + i] += 0.1;
        }
        let k0 = 40;
        let mut lead: Vec<f64> = (0..k0 * k0).map(|t| m[(t / k0) * k + t % k0]).collect();
        assert!(factor(&mut lead, k0));
        let mut l = pack(&lead, k0);
        for j in k0..k {
            let a: Vec<f64> = (0..j).map(|i| m[j * k + i]).collect();
            assert!(append_packed(&mut l, j, &a, m[j * k + j]));
        }
        let mut full = m.clone();
        assert!(factor(&mut full, k));
        let want = pack(&full, k);
        for (a, b) in l.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        let x: Vec<f64> = (0..k).map(|i| (i as f64 * 0.71).cos()).collect();
        let mut rhs: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| m[i * k + j] * x[j]).sum())
            .collect();
        solve_packed(&l, &mut rhs, k);
        for i in 0..k {
            assert!((rhs[i] - x[i]).abs() < 1e-9, "{i}");
        }
        // A row that makes the matrix singular (a copy of row 0) is refused.
        let a: Vec<f64> = (0..k).map(|i| m[i]).collect();
        let before = l.clone();
        assert!(!append_packed(&mut l, k, &a, m[0]));
        assert_eq!(l, before);
    }
}
