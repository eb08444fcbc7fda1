//! What the finite-difference test binaries share: seeded normal draws and the central
//! difference check (h = 1e-6, 1e-6 relative: max abs error over the tensor divided by its
//! max abs gradient).
#![allow(dead_code)] // each test binary uses its own subset

use occam_core::rng::Rng;
use occam_nn::mat::Mat;

pub const H: f64 = 1e-6;
pub const TOL: f64 = 1e-6;

pub fn randn(n: usize, seed: u64) -> Vec<f64> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.normal()).collect()
}

pub fn rand_mat(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    Mat::from_vec(rows, cols, randn(rows * cols, seed))
}

/// Compares `analytic` with central differences of `f` around `theta`.
pub fn check(what: &str, theta: &[f64], analytic: &[f64], f: &mut dyn FnMut(&[f64]) -> f64) {
    assert_eq!(theta.len(), analytic.len(), "{what}: length");
    let mut th = theta.to_vec();
    let mut numeric = Vec::with_capacity(th.len());
    for i in 0..th.len() {
        let v = th[i];
        th[i] = v + H;
        let up = f(&th);
        th[i] = v - H;
        let down = f(&th);
        th[i] = v;
        numeric.push((up - down) / (2.0 * H));
    }
    let scale = numeric.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(
        scale > 1e-8,
        "{what}: the gradient is all zero, nothing is checked"
    );
    let err = analytic
        .iter()
        .zip(&numeric)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        err / scale <= TOL,
        "{what}: relative error {:.3e}",
        err / scale
    );
}

/// <gy, out> : a scalar whose gradient with respect to out is gy.
pub fn dot(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    a.data.iter().zip(&b.data).map(|(x, y)| x * y).sum()
}
