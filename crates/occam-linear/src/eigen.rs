//! Eigendecomposition of small symmetric matrices by cyclic Jacobi rotations (Golub & Van
//! Loan, Matrix Computations, 4th ed., section 8.5): slow for large matrices (O(m^3) per
//! sweep, about ten sweeps) but accurate to the last digits for the eigenvalues of every
//! size, which the evidence updates of the Bayesian linear models need. Also the
//! pseudo-inverse of a symmetric matrix through it (SciPy's `pinvh` rule for the cut-off).

/// Eigenvalues (ascending) and eigenvectors of the symmetric m x m matrix `a` (row-major;
/// only read, both triangles used): `(values, vectors)` with `vectors` row-major m x m,
/// column k the unit eigenvector of `values[k]`.
pub fn sym_eigen(a: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), m * m, "sym_eigen: a is not m x m");
    let mut a: Vec<f64> = a.to_vec();
    // symmetrize (the callers' products are symmetric up to rounding)
    for i in 0..m {
        for j in i + 1..m {
            let v = 0.5 * (a[i * m + j] + a[j * m + i]);
            a[i * m + j] = v;
            a[j * m + i] = v;
        }
    }
    let mut v = vec![0.0; m * m];
    (0..m).for_each(|i| v[i * m + i] = 1.0);
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|i| (i + 1..m).map(move |j| (i, j)))
            .map(|(i, j)| a[i * m + j] * a[i * m + j])
            .sum();
        if off.sqrt() <= 1e-17 * scale || scale == 0.0 {
            break;
        }
        for p in 0..m {
            for q in p + 1..m {
                let apq = a[p * m + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (a[p * m + p], a[q * m + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A <- A J (columns p, q), then J' A (rows p, q), V <- V J
                for k in 0..m {
                    let (akp, akq) = (a[k * m + p], a[k * m + q]);
                    a[k * m + p] = c * akp - s * akq;
                    a[k * m + q] = s * akp + c * akq;
                }
                for k in 0..m {
                    let (apk, aqk) = (a[p * m + k], a[q * m + k]);
                    a[p * m + k] = c * apk - s * aqk;
                    a[q * m + k] = s * apk + c * aqk;
                }
                a[p * m + q] = 0.0;
                a[q * m + p] = 0.0;
                for k in 0..m {
                    let (vkp, vkq) = (v[k * m + p], v[k * m + q]);
                    v[k * m + p] = c * vkp - s * vkq;
                    v[k * m + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| a[x * m + x].total_cmp(&a[y * m + y]));
    let values = order.iter().map(|&k| a[k * m + k]).collect();
    let mut vectors = vec![0.0; m * m];
    for (to, &from) in order.iter().enumerate() {
        for i in 0..m {
            vectors[i * m + to] = v[i * m + from];
        }
    }
    (values, vectors)
}

/// The pseudo-inverse of the symmetric m x m matrix `a` (row-major) from its eigenvalues:
/// those at most m * eps times the largest in magnitude count as zero (SciPy's `pinvh`).
pub fn pinv_sym(a: &[f64], m: usize) -> Vec<f64> {
    let (e, v) = sym_eigen(a, m);
    let big = e.iter().fold(0.0f64, |b, x| b.max(x.abs()));
    let cut = big * m as f64 * f64::EPSILON;
    let inv: Vec<f64> = e
        .iter()
        .map(|&x| if x.abs() > cut { 1.0 / x } else { 0.0 })
        .collect();
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for j in i..m {
            let s: f64 = (0..m).map(|k| v[i * m + k] * inv[k] * v[j * m + k]).sum();
            out[i * m + j] = s;
            out[j * m + i] = s;
        }
    }
    out
}

/// log |det a| of a symmetric matrix (the sum of the logs of its eigenvalues' magnitudes).
pub fn logdet_sym(a: &[f64], m: usize) -> f64 {
    sym_eigen(a, m).0.iter().map(|x| x.abs().ln()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_sym(m: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut r = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let b: Vec<f64> = (0..m * m).map(|_| r()).collect();
        let mut a = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                a[i * m + j] = b[i * m + j] + b[j * m + i];
            }
        }
        a
    }

    #[test]
    fn eigenpairs_reconstruct_the_matrix_and_are_orthonormal() {
        for m in [1, 2, 7, 40] {
            let a = random_sym(m, m as u64);
            let (e, v) = sym_eigen(&a, m);
            assert!(e.windows(2).all(|w| w[0] <= w[1]));
            for i in 0..m {
                for j in 0..m {
                    let r: f64 = (0..m).map(|k| v[i * m + k] * e[k] * v[j * m + k]).sum();
                    assert!((r - a[i * m + j]).abs() < 1e-12, "m {m} A[{i},{j}]");
                    let o: f64 = (0..m).map(|k| v[k * m + i] * v[k * m + j]).sum();
                    assert!((o - f64::from(i == j)).abs() < 1e-12, "m {m} V'V[{i},{j}]");
                }
            }
        }
    }

    #[test]
    fn known_eigenvalues_and_the_pseudo_inverse() {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3
        let (e, _) = sym_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((e[0] - 1.0).abs() < 1e-15 && (e[1] - 3.0).abs() < 1e-15);
        let inv = pinv_sym(&[2.0, 1.0, 1.0, 2.0], 2);
        let want = [2.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0];
        assert!(inv.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15));
        // rank 1: [[1, 1], [1, 1]] / 4 is its pseudo-inverse
        let inv = pinv_sym(&[1.0, 1.0, 1.0, 1.0], 2);
        assert!(inv.iter().all(|a| (a - 0.25).abs() < 1e-15));
        assert!((logdet_sym(&[2.0, 1.0, 1.0, 2.0], 2) - 3f64.ln()).abs() < 1e-15);
    }
}
