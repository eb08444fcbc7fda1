//! Attributions of every network kind: input gradients in evaluation mode agree with finite
//! differences (f64), and integrated gradients are complete (each row's attributions sum to
//! f(x) - f(baseline)) within 1e-3 relative at the default settings, over many rows.

mod common;
use common::{fixture_net, floats};

use occam_core::rng::Rng;
use occam_nn::attribution::{
    input_gradients, integrated_gradients, outputs_at, IgConfig, Quadrature,
};
use occam_nn::layer::{ActKind, CellKind, PoolKind};
use occam_nn::mat::{Batch, Mat};
use occam_nn::net::ConvBlock;
use occam_nn::{MlpSpec, Net, Real, RecurrentSpec};

fn rand_mat<R: Real>(rows: usize, cols: usize, seed: u64) -> Mat<R> {
    let mut r = Rng::new(seed);
    Mat::from_vec(
        rows,
        cols,
        (0..rows * cols).map(|_| R::of(r.normal())).collect(),
    )
}

fn conv(filters: usize, pool: usize, kind: PoolKind, stride: usize) -> ConvBlock {
    ConvBlock {
        filters,
        kernel: 3,
        pool,
        pool_kind: kind,
        stride,
    }
}

/// One spec per network kind the engine builds.
fn specs() -> Vec<(&'static str, MlpSpec)> {
    let mut out = Vec::new();
    out.push(("mlp relu", MlpSpec::new(8, vec![16, 8], 1)));
    let mut s = MlpSpec::new(8, vec![12, 6], 3);
    s.activation = ActKind::Gelu;
    s.layer_norm = true;
    s.dropout = 0.3;
    s.drop_connect = 0.2;
    out.push(("mlp gelu layernorm dropout dropconnect, 3 classes", s));
    let mut s = MlpSpec::new(8, vec![10], 1);
    s.activation = ActKind::Tanh;
    s.batch_norm = true;
    out.push(("mlp tanh batchnorm", s));
    let mut s = MlpSpec::new(8, vec![10], 2);
    s.activation = ActKind::Sigmoid;
    out.push(("mlp sigmoid", s));
    let mut s = MlpSpec::new(64, vec![8], 3);
    s.image = Some((1, 8, 8));
    s.conv = vec![conv(4, 2, PoolKind::Max, 1), conv(3, 1, PoolKind::Max, 1)];
    out.push(("cnn maxpool", s));
    let mut s = MlpSpec::new(2 * 36, vec![6], 2);
    s.image = Some((2, 6, 6));
    s.conv = vec![conv(3, 2, PoolKind::Avg, 2)];
    s.batch_norm = true;
    s.spatial_dropout = 0.2;
    out.push(("cnn batchnorm2d avgpool stride 2 spatial dropout", s));
    for (name, cell) in [("lstm", CellKind::Lstm), ("gru", CellKind::Gru)] {
        let mut s = MlpSpec::new(6 * 3, vec![5], 1);
        s.recurrent = Some(RecurrentSpec {
            cell,
            hidden: 7,
            steps: 6,
            features: 3,
            recurrent_dropout: 0.25,
        });
        s.dropout = 0.1;
        out.push((name, s));
    }
    out
}

/// A network of `spec` after a few training passes (batch norm's running statistics, and
/// dropout masks left behind, which evaluation mode must ignore).
fn net<R: Real>(spec: &MlpSpec, seed: u64) -> Net<R> {
    let mut net = Net::new(spec, seed);
    let mut rng = Rng::new(seed + 1);
    for k in 0..3 {
        let x: Mat<R> = rand_mat(16, spec.n_in, seed * 10 + k);
        net.forward_train(Batch::Dense(&x), &mut rng);
    }
    net
}

fn targets(n: usize, n_out: usize) -> Vec<usize> {
    (0..n).map(|i| i % n_out).collect()
}

#[test]
fn input_gradients_match_finite_differences_in_evaluation_mode_for_every_kind() {
    let h = 1e-6;
    for (name, spec) in specs() {
        let mut net: Net<f64> = net(&spec, 3);
        let (n, p) = (4, spec.n_in);
        let x: Mat<f64> = rand_mat(n, p, 11);
        let t = targets(n, spec.n_out);
        let g = input_gradients(&mut net, &x, &t);
        let mut numeric = vec![0.0; n * p];
        for k in 0..n * p {
            let mut up = x.clone();
            up.data[k] += h;
            let mut down = x.clone();
            down.data[k] -= h;
            let (fu, fd) = (
                outputs_at(&mut net, &up, &t),
                outputs_at(&mut net, &down, &t),
            );
            numeric[k] = (fu[k / p] - fd[k / p]) / (2.0 * h);
        }
        let scale = numeric.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 1e-6, "{name}: all-zero gradient checks nothing");
        let err = g
            .iter()
            .zip(&numeric)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            err / scale < 1e-6,
            "{name}: relative error {:e}",
            err / scale
        );
        // evaluation mode is deterministic: the same gradient twice
        assert_eq!(g, input_gradients(&mut net, &x, &t), "{name}");
    }
}

#[test]
fn integrated_gradients_are_complete_within_1e3_at_the_defaults_for_every_kind() {
    for (name, spec) in specs() {
        let mut net: Net<f64> = net(&spec, 5);
        let n = 200;
        let x: Mat<f64> = rand_mat(n, spec.n_in, 21);
        let base = vec![0.0; spec.n_in];
        let t = targets(n, spec.n_out);
        let r = integrated_gradients(&mut net, &x, &base, &t, &IgConfig::default());
        let p = spec.n_in;
        let mean_d = (0..n)
            .map(|i| (r.f_x[i] - r.f_baseline[i]).abs())
            .sum::<f64>()
            / n as f64;
        assert!(mean_d > 1e-3, "{name}: f(x) = f(baseline) everywhere");
        for i in 0..n {
            let sum: f64 = r.attributions[i * p..(i + 1) * p].iter().sum();
            let d = r.f_x[i] - r.f_baseline[i];
            let rel = (sum - d).abs() / d.abs().max(0.01 * mean_d);
            assert!(rel <= 1e-3, "{name} row {i}: completeness error {rel:e}, steps {}, d {d}, mean d {mean_d}, fx {}", r.steps[i], r.f_x[i]);
            assert!(
                (rel - r.error[i]).abs() < 1e-9,
                "{name}: the reported error"
            );
        }
        let refined = r.steps.iter().filter(|&&s| s > 50).count();
        eprintln!(
            "{name}: max error {:.2e}, {refined} of {n} rows refined, most steps {}",
            r.error.iter().fold(0.0f64, |m, v| m.max(*v)),
            r.steps.iter().max().unwrap()
        );
    }
}

#[test]
fn a_smooth_network_is_complete_at_50_gauss_legendre_steps_without_refinement() {
    let mut spec = MlpSpec::new(5, vec![8, 8], 1);
    spec.activation = ActKind::Tanh;
    let mut net: Net<f64> = Net::new(&spec, 2);
    let x: Mat<f64> = rand_mat(30, 5, 4);
    let cfg = IgConfig {
        tol: None,
        ..IgConfig::default()
    };
    let r = integrated_gradients(&mut net, &x, &[0.0; 5], &vec![0; 30], &cfg);
    assert!(r.steps.iter().all(|&s| s == 50));
    assert!(r.error.iter().all(|&e| e < 1e-10), "{:?}", r.error);
    // the midpoint rule at 50 points is only second order
    let cfg = IgConfig {
        quadrature: Quadrature::RiemannMiddle,
        ..cfg
    };
    let t = integrated_gradients(&mut net, &x, &[0.0; 5], &vec![0; 30], &cfg);
    let worst = t.error.iter().fold(0.0f64, |m, v| m.max(*v));
    assert!(worst > 1e-8 && worst < 1e-2, "{worst:e}");
}

#[test]
fn a_linear_network_gets_weight_times_input_difference() {
    // no hidden layer: f(x) = w'x + b, attributions w_j (x_j - b_j) at any steps
    let spec = MlpSpec::new(4, vec![], 1);
    let mut net: Net<f64> = Net::new(&spec, 9);
    let x: Mat<f64> = rand_mat(3, 4, 1);
    let base = [0.5, -1.0, 0.0, 2.0];
    let cfg = IgConfig {
        steps: 3,
        ..IgConfig::default()
    };
    let r = integrated_gradients(&mut net, &x, &base, &[0, 0, 0], &cfg);
    let w = net.dense()[0].weight.value.clone();
    for i in 0..3 {
        for j in 0..4 {
            let want = w[j] * (x.data[i * 4 + j] - base[j]);
            assert!((r.attributions[i * 4 + j] - want).abs() < 1e-12);
        }
    }
}

/// Captum's integrated gradients (Gauss-Legendre at 50 steps, trapezoid and midpoint at 20) and
/// InputXGradient on the same weights (fixtures/captum, made by gen_captum.py), to 1e-6 of
/// each row's largest attribution (the issue asks 1e-4): the same quadrature on the same
/// network, in f64; what is left is Captum rounding its quadrature weights to float32.
#[test]
fn integrated_gradients_and_input_x_gradient_equal_captums_on_the_same_weights() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/captum/captum_fixtures.json"
    ))
    .unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (spec, mut net) = fixture_net(c);
        let p = spec.n_in;
        let xv = floats(&c["x"]);
        let n = xv.len() / p;
        let x = Mat::from_vec(n, p, xv);
        let base = floats(&c["baseline"]);
        let t: Vec<usize> = c["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let close = |what: &str, got: &[f64], want: &[f64]| {
            let all = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(all > 1e-6, "{name} {what}: nothing to compare");
            for i in 0..n {
                let (g, w) = (&got[i * p..(i + 1) * p], &want[i * p..(i + 1) * p]);
                // a row whose output is flat (every ReLU off) compares absolutely
                let scale = w.iter().fold(1e-3 * all, |m, v| m.max(v.abs()));
                for j in 0..p {
                    assert!(
                        (g[j] - w[j]).abs() <= 1e-6 * scale,
                        "{name} {what} row {i} feature {j}: {} vs captum {}",
                        g[j],
                        w[j]
                    );
                }
            }
        };
        let fxs = outputs_at(&mut net, &x, &t);
        for (a, b) in fxs.iter().zip(floats(&c["f_x"])) {
            assert!((a - b).abs() < 1e-12 * (1.0 + b.abs()), "{name}: f(x)");
        }
        for (method, q) in [
            ("gausslegendre", Quadrature::GaussLegendre),
            ("riemann_trapezoid", Quadrature::RiemannTrapezoid),
            ("riemann_middle", Quadrature::RiemannMiddle),
        ] {
            let want = &c["ig"][method];
            let cfg = IgConfig {
                steps: want["steps"].as_u64().unwrap() as usize,
                quadrature: q,
                tol: None,
                ..IgConfig::default()
            };
            let r = integrated_gradients(&mut net, &x, &base, &t, &cfg);
            close(method, &r.attributions, &floats(&want["attributions"]));
            // captum's convergence delta: sum of attributions - (f(x) - f(b))
            for (i, d) in floats(&want["delta"]).iter().enumerate() {
                let sum: f64 = r.attributions[i * p..(i + 1) * p].iter().sum();
                let ours = sum - (r.f_x[i] - r.f_baseline[i]);
                assert!(
                    (ours - d).abs() < 1e-6 * (1.0 + d.abs()),
                    "{name} {method} delta {ours} vs captum {d}"
                );
            }
        }
        let g = input_gradients(&mut net, &x, &t);
        let ixg: Vec<f64> = g.iter().zip(&x.data).map(|(g, x)| g * x).collect();
        close("input x gradient", &ixg, &floats(&c["input_x_gradient"]));
    }
}

/// On a ReLU network the default rule finds the kinks of the path: each attribution (not
/// only their sum) equals a 40,000-point midpoint rule's to 2e-4 of the row's largest, at
/// a few dozen gradient evaluations.
#[test]
fn the_kink_rule_of_relu_networks_is_exact_feature_by_feature() {
    for (name, spec) in specs().into_iter().take(5) {
        let mut net: Net<f64> = net(&spec, 8);
        if !occam_nn::attribution::piecewise_linear(&net) {
            continue;
        }
        let (n, p) = (6, spec.n_in);
        let x: Mat<f64> = rand_mat(n, p, 31);
        let base = vec![0.1; p];
        let t = targets(n, spec.n_out);
        let exact = integrated_gradients(&mut net, &x, &base, &t, &IgConfig::default());
        let fine = integrated_gradients(
            &mut net,
            &x,
            &base,
            &t,
            &IgConfig {
                steps: 40_000,
                quadrature: Quadrature::RiemannMiddle,
                tol: None,
                ..IgConfig::default()
            },
        );
        for i in 0..n {
            let (a, b) = (
                &exact.attributions[i * p..(i + 1) * p],
                &fine.attributions[i * p..(i + 1) * p],
            );
            let scale = b.iter().fold(1e-9f64, |m, v| m.max(v.abs()));
            for j in 0..p {
                assert!(
                    (a[j] - b[j]).abs() <= 2e-4 * scale,
                    "{name} row {i} feature {j}: {} vs {}",
                    a[j],
                    b[j]
                );
            }
            assert!(exact.error[i] < 1e-9, "{name}: {}", exact.error[i]);
            assert!(
                exact.steps[i] < 400,
                "{name}: {} evaluations",
                exact.steps[i]
            );
        }
    }
}
