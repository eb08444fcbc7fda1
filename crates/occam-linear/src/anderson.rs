//! Anderson acceleration of coordinate descent (Bertrand & Massias 2021, as used by skglm,
//! Bertrand et al. 2022): after every `DEPTH` passes over the active set, the last
//! `DEPTH + 1` iterates x_0..x_K are combined as sum_k c_k x_k (k >= 1), with the weights c
//! (summing to 1) that minimise the norm of sum_k c_k (x_k - x_{k-1}). The point solver
//! accepts the extrapolated point only when it lowers the objective, so the acceleration can
//! never slow convergence by more than the bookkeeping.
//!
//! The solver's state besides the coefficients (the working residual, or the gradient in
//! covariance mode) is affine in the coefficients, so the same weights extrapolate it too and
//! no product with X is needed.

/// Passes between extrapolations (skglm's K).
pub(crate) const DEPTH: usize = 5;

/// Affine weights c_1..c_K for the iterates `xs[1..=K]` (K = xs.len() - 1); None when the
/// differences are (numerically) linearly dependent.
pub(crate) fn weights(xs: &[&[f64]]) -> Option<Vec<f64>> {
    let k = xs.len().checked_sub(1)?;
    if k == 0 {
        return None;
    }
    let diffs: Vec<Vec<f64>> = (0..k)
        .map(|i| xs[i + 1].iter().zip(xs[i]).map(|(a, b)| a - b).collect())
        .collect();
    // Gram matrix of the differences, then solve M z = 1 and normalise z to sum 1.
    let mut m = vec![vec![0.0f64; k + 1]; k];
    for a in 0..k {
        for b in a..k {
            let v: f64 = diffs[a].iter().zip(&diffs[b]).map(|(x, y)| x * y).sum();
            m[a][b] = v;
            m[b][a] = v;
        }
        m[a][k] = 1.0;
    }
    let scale = (0..k).map(|a| m[a][a]).fold(0.0f64, f64::max);
    if scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    // Gaussian elimination with partial pivoting on the augmented matrix.
    for col in 0..k {
        let piv = (col..k).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() <= 1e-13 * scale {
            return None;
        }
        m.swap(col, piv);
        for r in col + 1..k {
            let f = m[r][col] / m[col][col];
            if f != 0.0 {
                let (top, bottom) = m.split_at_mut(r);
                for (a, b) in bottom[0][col..].iter_mut().zip(&top[col][col..]) {
                    *a -= f * b;
                }
            }
        }
    }
    let mut z = vec![0.0f64; k];
    for r in (0..k).rev() {
        let s: f64 = (r + 1..k).map(|c| m[r][c] * z[c]).sum();
        z[r] = (m[r][k] - s) / m[r][r];
    }
    let total: f64 = z.iter().sum();
    if total == 0.0 || !total.is_finite() {
        return None;
    }
    let c: Vec<f64> = z.iter().map(|v| v / total).collect();
    c.iter().all(|v| v.is_finite()).then_some(c)
}

/// sum_k c_k xs[k + 1] into `out` (the weights apply to the last K iterates).
pub(crate) fn combine(c: &[f64], xs: &[&[f64]], out: &mut [f64]) {
    out.iter_mut().for_each(|o| *o = 0.0);
    for (ck, x) in c.iter().zip(&xs[1..]) {
        for (o, v) in out.iter_mut().zip(x.iter()) {
            *o += ck * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_iterates_get_the_closed_form_weights() {
        // K = 1 difference pair: minimise |c d1 + (1 - c) d2| over c.
        let xs = [vec![0.0, 0.0], vec![1.0, 0.0], vec![1.5, 1.0]];
        let views: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
        let c = weights(&views).unwrap();
        let (d1, d2) = ([1.0, 0.0], [0.5, 1.0]);
        let dd = [d2[0] - d1[0], d2[1] - d1[1]];
        let c1 = (d2[0] * dd[0] + d2[1] * dd[1]) / (dd[0] * dd[0] + dd[1] * dd[1]);
        assert!(
            (c[0] - c1).abs() < 1e-14 && (c[1] - (1.0 - c1)).abs() < 1e-14,
            "{c:?}"
        );
    }

    #[test]
    fn extrapolation_beats_the_last_iterate_of_a_slow_linear_iteration() {
        // x <- A x + b with A diagonal, eigenvalues 0.5..0.95: plain iteration gains 5% per
        // step at worst; the affine combination of the residuals gains far more.
        let dim = 10;
        let a: Vec<f64> = (0..dim).map(|i| 0.5 + 0.05 * i as f64).collect();
        let star: Vec<f64> = a.iter().map(|ai| 1.0 / (1.0 - ai)).collect();
        let mut xs = vec![vec![0.0; dim]];
        for _ in 0..DEPTH {
            let x = xs.last().unwrap();
            let next: Vec<f64> = x.iter().zip(&a).map(|(x, ai)| ai * x + 1.0).collect();
            xs.push(next);
        }
        let views: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
        let c = weights(&views).expect("independent differences");
        assert!((c.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let mut out = vec![0.0; dim];
        combine(&c, &views, &mut out);
        let dist = |x: &[f64]| {
            x.iter()
                .zip(&star)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt()
        };
        let (last, extr) = (dist(&xs[DEPTH]), dist(&out));
        // Plain iteration needs about 20 more steps to cut the slowest error by this much.
        assert!(
            extr < 0.35 * last,
            "extrapolated {extr} vs last iterate {last}"
        );
    }

    #[test]
    fn dependent_differences_are_refused() {
        let xs = [
            vec![0.0, 0.0],
            vec![1.0, 1.0],
            vec![2.0, 2.0],
            vec![3.0, 3.0],
        ];
        let views: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
        assert!(weights(&views).is_none());
        let still = [vec![1.0], vec![1.0]];
        let views: Vec<&[f64]> = still.iter().map(|v| v.as_slice()).collect();
        assert!(weights(&views).is_none());
    }
}
