//! What the test binaries share: seeded normal draws and the central difference check (h =
//! 1e-6, 1e-6 relative: max abs error over the tensor divided by its max abs gradient); the
//! networks of the reference fixtures (Captum, laplace-torch), whose JSON holds a spec and
//! its tensors.
#![allow(dead_code)] // each test binary uses its own subset

use occam_core::rng::Rng;
use occam_nn::mat::Mat;
use occam_nn::tensors::{load_net_tensors, Named};
use occam_nn::{MlpSpec, Net};
use serde_json::Value;

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

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_f64().unwrap())
        .collect()
}

/// The network of a fixture case: `spec` built, then `tensors` (name -> shape, data, in the
/// file layout) loaded into it.
pub fn fixture_net(c: &Value) -> (MlpSpec, Net<f64>) {
    let spec: MlpSpec = serde_json::from_value(c["spec"].clone()).unwrap();
    let mut net: Net<f64> = Net::new(&spec, 0);
    let tensors: Vec<Named<f64>> = c["tensors"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| Named {
            name: k.clone(),
            shape: t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect(),
            data: floats(&t["data"]),
        })
        .collect();
    load_net_tensors(&mut net, &tensors).unwrap();
    (spec, net)
}

/// A linear regression: `n` rows of `p` uniform features (`rand_mat(n, p, seed)`), targets
/// `x w` with `w = randn(p, seed + 1)` plus `noise` times `randn(n, seed + 2)`.
pub fn linear_data(n: usize, p: usize, noise: f64, seed: u64) -> occam_nn::Data<f64> {
    let x = rand_mat(n, p, seed);
    let w = randn(p, seed + 1);
    let e = randn(n, seed + 2);
    let y = (0..n)
        .map(|i| x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + noise * e[i])
        .collect();
    occam_nn::Data {
        x: occam_nn::Features::Dense(x),
        y,
        task: occam_core::Task::Regression,
        outputs: 1,
        y_scale: None,
    }
}

/// MSE training by plain SGD (no momentum) at `lr`, keeping the last weights.
pub fn sgd_mse(epochs: usize, batch: usize, lr: f64) -> occam_nn::TrainConfig {
    let mut c = occam_nn::TrainConfig::new(occam_nn::Loss::Mse);
    c.epochs = epochs;
    c.batch_size = batch;
    c.lr = lr;
    c.optimizer = occam_nn::OptimizerKind::Sgd {
        momentum: 0.0,
        nesterov: false,
    };
    c.restore_best = false;
    c
}

/// Every parameter value of `net`, concatenated in parameter order.
pub fn values(net: &Net<f64>) -> Vec<f64> {
    net.params()
        .iter()
        .flat_map(|p| p.value.iter().copied())
        .collect()
}
