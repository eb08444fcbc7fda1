//! Last-layer Laplace: equal to laplace-torch's on the same weights (fixtures/laplace, made by
//! gen_laplace.py), the GGN equal to the loss's Hessian in the last layer by finite
//! differences (exact there: the outputs are linear in it), and the evidence optimum a
//! maximum.

mod common;
use common::{fixture_net, floats};

use occam_core::Task;
use occam_nn::laplace::diag::{predict_diag, DiagLaplace};
use occam_nn::laplace::kron::KronLaplace;
use occam_nn::laplace::{probit, LastLayerLaplace, Likelihood};
use occam_nn::{Data, Features, Layer, Mat, MlpSpec, Net};
use serde_json::Value;

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-300)
}

/// Largest difference relative to the largest reference value.
fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * scale,
            "{what}[{i}]: {g} vs laplace-torch {w}"
        );
    }
}

/// A fixture case: its JSON, its network (weights loaded), training data and test rows.
type Case = (Value, Net<f64>, Data<f64>, Features<f64>);

/// The fixture's cases.
fn fixture_cases() -> Vec<Case> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/laplace/laplace_fixtures.json"
    ))
    .unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    cases
        .iter()
        .map(|c| {
            let (net, data, xte) = case_parts(c);
            (c.clone(), net, data, xte)
        })
        .collect()
}

fn case_parts(c: &Value) -> (Net<f64>, Data<f64>, Features<f64>) {
    let (spec, net) = fixture_net(c);
    let p = spec.n_in;
    let xtr = floats(&c["x_train"]);
    let n = xtr.len() / p;
    let regression = c["likelihood"] == "regression";
    let data = Data {
        x: Features::Dense(Mat::from_vec(n, p, xtr)),
        y: floats(&c["y_train"]),
        task: if regression {
            Task::Regression
        } else {
            Task::Multiclass
        },
        outputs: spec.n_out,
        y_scale: None,
    };
    let xte = floats(&c["x_test"]);
    let xte = Features::Dense(Mat::from_vec(xte.len() / p, p, xte));
    (net, data, xte)
}

#[test]
fn last_layer_laplace_equals_laplace_torch_on_the_same_weights() {
    for (c, mut net, data, xte) in fixture_cases() {
        let name = c["name"].as_str().unwrap();
        let regression = c["likelihood"] == "regression";
        let la = LastLayerLaplace::fit(&mut net, &data).unwrap();
        assert_eq!(la.n_data, data.rows());
        for s in c["settings"].as_array().unwrap() {
            let (delta, sigma) = (
                s["prior_precision"].as_f64().unwrap(),
                s["sigma_noise"].as_f64().unwrap(),
            );
            let want = s["log_marglik"].as_f64().unwrap();
            let got = la.log_marginal_likelihood(delta, sigma);
            assert!(
                rel(got, want) < 1e-9,
                "{name} delta {delta}: log marglik {got} vs laplace-torch {want}"
            );
            let post = la.posterior(delta, sigma).unwrap();
            assert!(rel(post.log_marglik, want) < 1e-9);
            let (f_mu, f_var) = post.predict(&mut net, &xte).unwrap();
            check_predictive(name, s, &f_mu, &f_var, regression);
        }
        // the evidence optimum: laplace-torch's log marginal likelihood maximized by L-BFGS
        let h = la.optimize(None);
        let opt = (&[h.prior_precision][..], h.sigma_noise, h.log_marglik);
        check_optimum(name, &c["optimum"], opt);
    }
}

/// The GLM predictive's mean, variance and (classes) probit probabilities against one of
/// laplace-torch's settings `s`.
fn check_predictive(name: &str, s: &Value, f_mu: &Mat<f64>, f_var: &Mat<f64>, regression: bool) {
    close(
        &format!("{name} f_mu"),
        &f_mu.data,
        &floats(&s["f_mu"]),
        1e-10,
    );
    close(
        &format!("{name} f_var"),
        &f_var.data,
        &floats(&s["f_var"]),
        1e-8,
    );
    if !regression {
        let pr = probit(Likelihood::Categorical, f_mu, f_var);
        close(
            &format!("{name} probit"),
            &pr.data,
            &floats(&s["probit"]),
            1e-9,
        );
    }
}

/// An evidence optimum (deltas, sigma, log marginal likelihood) against laplace-torch's
/// log marginal likelihood maximized by L-BFGS (`opt`): the hyperparameters to 1e-4, the
/// value at least L-BFGS's and equal to 1e-8.
fn check_optimum(name: &str, opt: &Value, (deltas, sigma, lml): (&[f64], f64, f64)) {
    let want: Vec<f64> = match &opt["prior_precision"] {
        Value::Array(_) => floats(&opt["prior_precision"]),
        v => vec![v.as_f64().unwrap()],
    };
    assert_eq!(deltas.len(), want.len(), "{name}");
    for (g, w) in deltas.iter().zip(&want) {
        assert!(rel(*g, *w) < 1e-4, "{name}: delta {g} vs {w}");
    }
    let s_want = opt["sigma_noise"].as_f64().unwrap();
    assert!(
        rel(sigma, s_want) < 1e-4,
        "{name}: sigma {sigma} vs {s_want}"
    );
    let l_want = opt["log_marglik"].as_f64().unwrap();
    assert!(
        lml >= l_want - 1e-9 * l_want.abs() && rel(lml, l_want) < 1e-8,
        "{name}: optimum {lml} vs L-BFGS's {l_want}"
    );
}

/// An all-parameter Laplace against laplace-torch's numbers in `fx` (a case's "diag" or
/// "kron"): the log marginal likelihood of `sp` (the diagonal, or the Kronecker factors'
/// spectrum) at a shared and at a per-tensor prior precision, the GLM predictive that
/// `predict(delta, sigma)` gives (means, variances, probit probabilities), and the maxima
/// over the prior precision(s) and noise.
fn check_all_parameters(
    what: &str,
    fx: &Value,
    sp: &DiagLaplace,
    regression: bool,
    mut predict: impl FnMut(f64, f64) -> (Mat<f64>, Mat<f64>),
) {
    let layerwise = floats(&fx["layerwise"]);
    assert_eq!(layerwise.len(), sp.groups.len());
    for s in fx["settings"].as_array().unwrap() {
        let (delta, sigma) = (
            s["prior_precision"].as_f64().unwrap(),
            s["sigma_noise"].as_f64().unwrap(),
        );
        for (d, key) in [
            (vec![delta], "log_marglik"),
            (layerwise.clone(), "log_marglik_layerwise"),
        ] {
            let want = s[key].as_f64().unwrap();
            let got = sp.log_marginal_likelihood(&d, sigma);
            assert!(
                rel(got, want) < 1e-9,
                "{what} {key}: {got} vs laplace-torch {want}"
            );
        }
        let (f_mu, f_var) = predict(delta, sigma);
        check_predictive(what, s, &f_mu, &f_var, regression);
    }
    for (key, per_group) in [("optimum", false), ("optimum_layerwise", true)] {
        let h = sp.optimize(per_group);
        assert!(h.iterations < 10_000, "{what} {key}: no convergence");
        let opt = (&h.prior_precision[..], h.sigma_noise, h.log_marglik);
        check_optimum(&format!("{what} {key}"), &fx[key], opt);
    }
}

/// All parameters, diagonal GGN, against laplace-torch ([`check_all_parameters`]).
#[test]
fn diagonal_laplace_over_all_parameters_equals_laplace_torch() {
    for (c, mut net, data, xte) in fixture_cases() {
        let name = c["name"].as_str().unwrap();
        let la = DiagLaplace::fit(&mut net, &data).unwrap();
        assert_eq!(la.theta.len(), net.n_params());
        let regression = c["likelihood"] == "regression";
        check_all_parameters(
            &format!("{name} diag"),
            &c["diag"],
            &la,
            regression,
            |d, s| {
                let var = la.posterior_variance(&[d], s);
                predict_diag(&mut net, &xte, &var).unwrap()
            },
        );
    }
}

/// All parameters, Kronecker-factored GGN, against laplace-torch ([`check_all_parameters`]).
#[test]
fn kronecker_factored_laplace_over_all_parameters_equals_laplace_torch() {
    for (c, mut net, data, xte) in fixture_cases() {
        let name = c["name"].as_str().unwrap();
        let la = KronLaplace::fit(&mut net, &data).unwrap();
        assert_eq!(la.spectrum.theta.len(), net.n_params());
        assert_eq!(la.spectrum.h.len(), net.n_params());
        let regression = c["likelihood"] == "regression";
        check_all_parameters(
            &format!("{name} kron"),
            &c["kron"],
            &la.spectrum,
            regression,
            |d, s| la.posterior(d, s).unwrap().predict(&mut net, &xte).unwrap(),
        );
    }
}

/// On one row the Kronecker factors are exact: diag(B) diag(A)^T is the weight's GGN
/// diagonal and diag(B) the bias's, as the (separately checked) diagonal Laplace has them;
/// the spectrum's eigenvalues are the products of the factors' and not negative.
#[test]
fn on_one_row_the_kronecker_factors_are_the_exact_ggn() {
    for (task, c) in [
        (Task::Regression, 2),
        (Task::Binary, 1),
        (Task::Multiclass, 3),
    ] {
        let (mut net, mut data) = small_net(task, c, 11);
        let w = data.y_width();
        let Features::Dense(x) = &data.x else {
            unreachable!()
        };
        data.x = Features::Dense(Mat::from_vec(1, 4, x.row(3).to_vec()));
        data.y = data.y[3 * w..4 * w].to_vec();
        let kr = KronLaplace::fit(&mut net, &data).unwrap();
        let dg = DiagLaplace::fit(&mut net, &data).unwrap();
        assert!((kr.spectrum.loss - dg.loss).abs() < 1e-12 * dg.loss.abs().max(1.0));
        let scale = dg.h.iter().fold(0.0f64, |m, v| m.max(*v));
        assert!(scale > 0.0);
        let diag_of = |vals: &[f64], vecs: &[f64], m: usize| -> Vec<f64> {
            (0..m)
                .map(|i| (0..m).map(|k| vecs[i * m + k].powi(2) * vals[k]).sum())
                .collect()
        };
        let mut at = 0;
        for f in &kr.factors {
            let da = diag_of(&f.a_values, &f.a_vectors, f.n_in);
            let db = diag_of(&f.b_values, &f.b_vectors, f.n_out);
            for (i, ai) in da.iter().enumerate() {
                for (o, bo) in db.iter().enumerate() {
                    let (got, want) = (ai * bo, dg.h[at + i * f.n_out + o]);
                    assert!(
                        (got - want).abs() < 1e-10 * scale,
                        "{task:?} weight: {got} vs {want}"
                    );
                }
            }
            at += f.n_in * f.n_out;
            for (o, bo) in db.iter().enumerate() {
                let (got, want) = (*bo, dg.h[at + o]);
                assert!(
                    (got - want).abs() < 1e-10 * scale,
                    "{task:?} bias: {got} vs {want}"
                );
            }
            at += f.n_out;
        }
        assert_eq!(at, net.n_params());
        assert!(kr.spectrum.h.iter().all(|v| *v >= 0.0));
    }
}

/// The eigenvalues alone (the evidence's spectrum) equal the decomposed factors', group by
/// group, with more rows than inputs and with fewer (there from the rows' Gram matrix).
#[test]
fn the_spectrum_alone_equals_the_decomposed_factors() {
    for (task, c, rows) in [
        (Task::Regression, 2, 40),
        (Task::Multiclass, 3, 40),
        (Task::Regression, 1, 3),
        (Task::Binary, 1, 2),
    ] {
        let (mut net, mut data) = small_net(task, c, 13);
        let w = data.y_width();
        let Features::Dense(x) = &data.x else {
            unreachable!()
        };
        data.x = Features::Dense(Mat::from_vec(rows, 4, x.data[..rows * 4].to_vec()));
        data.y.truncate(rows * w);
        let full = KronLaplace::fit(&mut net, &data).unwrap().spectrum;
        let alone = KronLaplace::fit_spectrum(&mut net, &data).unwrap();
        assert_eq!(full.groups, alone.groups);
        assert_eq!(full.theta, alone.theta);
        assert!((full.loss - alone.loss).abs() < 1e-12 * full.loss.abs().max(1.0));
        let scale = full.h.iter().fold(0.0f64, |m, v| m.max(*v));
        for (_, start, len) in &full.groups {
            let sorted = |h: &[f64]| {
                let mut v = h[*start..start + len].to_vec();
                v.sort_by(f64::total_cmp);
                v
            };
            for (a, b) in sorted(&full.h).iter().zip(sorted(&alone.h)) {
                assert!(
                    (a - b).abs() < 1e-10 * scale,
                    "{task:?} rows {rows}: {a} vs {b}"
                );
            }
        }
        let d = [0.7];
        let (l1, l2) = (
            full.log_marginal_likelihood(&d, 0.5),
            alone.log_marginal_likelihood(&d, 0.5),
        );
        assert!((l1 - l2).abs() < 1e-9 * l1.abs(), "{l1} vs {l2}");
    }
}

/// Networks the Kronecker factors do not cover are refused with the parameter.
#[test]
fn kron_refuses_networks_with_other_layers() {
    let mut spec = MlpSpec::new(4, vec![6], 1);
    spec.batch_norm = true;
    let mut bn: Net<f64> = Net::new(&spec, 2);
    let (_, data) = small_net(Task::Regression, 1, 2);
    let e = KronLaplace::fit(&mut bn, &data).unwrap_err().to_string();
    assert!(e.contains("laplace_hessian") && e.contains("dense"), "{e}");
}

/// The batched diagonal (dense networks: sum_i (a_i^2)(g_i^2)^T) equals the row-by-row
/// one; a network with batch norm goes row by row and still has a positive diagonal.
#[test]
fn the_batched_diagonal_ggn_equals_the_row_by_row_one() {
    for (task, c) in [
        (Task::Regression, 2),
        (Task::Binary, 1),
        (Task::Multiclass, 3),
    ] {
        let (mut net, data) = small_net(task, c, 5);
        let a = DiagLaplace::fit(&mut net, &data).unwrap();
        let b = DiagLaplace::fit_per_row(&mut net, &data).unwrap();
        assert!((a.loss - b.loss).abs() < 1e-12 * b.loss.abs().max(1.0));
        let scale = b.h.iter().fold(0.0f64, |m, v| m.max(*v));
        for (i, (x, y)) in a.h.iter().zip(&b.h).enumerate() {
            assert!((x - y).abs() < 1e-12 * scale, "{task:?} h[{i}]: {x} vs {y}");
        }
    }
    let mut spec = MlpSpec::new(4, vec![6], 1);
    spec.batch_norm = true;
    let mut bn: Net<f64> = Net::new(&spec, 2);
    let (_, data) = small_net(Task::Regression, 1, 2);
    let la = DiagLaplace::fit(&mut bn, &data).unwrap();
    assert_eq!(la.h.len(), bn.n_params());
    assert!(la.h.iter().all(|v| v.is_finite() && *v >= 0.0));
    assert!(la.h.iter().filter(|v| **v > 0.0).count() > la.h.len() / 2);
}

fn small_net(task: Task, n_out: usize, seed: u64) -> (Net<f64>, Data<f64>) {
    let mut spec = MlpSpec::new(4, vec![6, 5], n_out);
    spec.activation = occam_nn::ActKind::Tanh;
    let net: Net<f64> = Net::new(&spec, seed);
    let n = 40;
    let mut rng = occam_core::rng::Rng::new(seed);
    let x: Vec<f64> = (0..n * 4).map(|_| rng.normal()).collect();
    let y: Vec<f64> = (0..n)
        .flat_map(|i| -> Vec<f64> {
            match task {
                Task::Regression => (0..n_out).map(|k| x[i * 4 + k].sin()).collect(),
                Task::Binary => vec![(x[i * 4] > 0.0) as u8 as f64],
                _ => vec![(i % n_out) as f64],
            }
        })
        .collect();
    let data = Data {
        x: Features::Dense(Mat::from_vec(n, 4, x)),
        y,
        task,
        outputs: n_out,
        y_scale: None,
    };
    (net, data)
}

/// The training loss (0.5 RSS or summed NLL) with the last layer's parameters set to `theta`
/// (laplace-torch's order).
fn loss_at(net: &mut Net<f64>, data: &Data<f64>, theta: &[f64]) -> f64 {
    let mut net2 = net.clone();
    if let Some(Layer::Dense(d)) = net2.layers.last_mut() {
        let (h, c) = (d.n_in, d.n_out);
        for hi in 0..h {
            for ci in 0..c {
                d.weight.value[hi * c + ci] = theta[ci * h + hi];
            }
        }
        for ci in 0..c {
            d.bias.value[ci] = theta[c * h + ci];
        }
    }
    LastLayerLaplace::fit(&mut net2, data).unwrap().loss
}

#[test]
fn the_ggn_is_the_losss_hessian_in_the_last_layer_by_finite_differences() {
    for (task, c) in [
        (Task::Regression, 1),
        (Task::Regression, 2),
        (Task::Binary, 1),
        (Task::Multiclass, 3),
    ] {
        let (mut net, data) = small_net(task, c, 3);
        let la = LastLayerLaplace::fit(&mut net, &data).unwrap();
        let p = la.n_params();
        assert_eq!(p, c * 6);
        let eps = 1e-4;
        let th = la.theta.clone();
        let scale = la.ggn.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..p {
            for j in 0..p {
                let mut at = |di: f64, dj: f64| {
                    let mut t = th.clone();
                    t[i] += di;
                    t[j] += dj;
                    loss_at(&mut net, &data, &t)
                };
                let fd = (at(eps, eps) - at(eps, -eps) - at(-eps, eps) + at(-eps, -eps))
                    / (4.0 * eps * eps);
                let g = la.ggn[i * p + j];
                assert!(
                    (fd - g).abs() < 1e-5 * scale.max(1.0),
                    "{task:?} C={c} H[{i},{j}]: ggn {g} vs finite differences {fd}"
                );
            }
        }
    }
}

#[test]
fn the_evidence_optimum_is_a_maximum_and_the_covariance_inverts_the_precision() {
    for (task, c) in [
        (Task::Regression, 1),
        (Task::Binary, 1),
        (Task::Multiclass, 3),
    ] {
        let (mut net, data) = small_net(task, c, 7);
        let la = LastLayerLaplace::fit(&mut net, &data).unwrap();
        let h = la.optimize(None);
        for fd in [0.99, 1.01] {
            for fs in [0.99, 1.0, 1.01] {
                let s = if task == Task::Regression {
                    h.sigma_noise * fs
                } else {
                    1.0
                };
                let l = la.log_marginal_likelihood(h.prior_precision * fd, s);
                assert!(l < h.log_marglik, "{task:?}: {l} above the optimum");
            }
        }
        // cov (GGN s + delta I) = I
        let post = la.posterior(h.prior_precision, h.sigma_noise).unwrap();
        let p = la.n_params();
        let s = if task == Task::Regression {
            1.0 / (h.sigma_noise * h.sigma_noise)
        } else {
            1.0
        };
        for i in 0..p {
            for j in 0..p {
                let v: f64 = (0..p)
                    .map(|k| {
                        let prec =
                            la.ggn[k * p + j] * s + if k == j { h.prior_precision } else { 0.0 };
                        post.cov[i * p + k] * prec
                    })
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-9, "{task:?} (P^-1 P)[{i},{j}] = {v}");
            }
        }
    }
}

#[test]
fn counts_and_oversized_last_layers_are_refused_with_the_parameter() {
    let (mut net, mut data) = small_net(Task::Regression, 1, 1);
    data.task = Task::Counts;
    let e = LastLayerLaplace::fit(&mut net, &data)
        .unwrap_err()
        .to_string();
    assert!(e.contains("laplace") && e.contains("counts"), "{e}");
    let spec = MlpSpec::new(3, vec![250], 10);
    let mut big: Net<f64> = Net::new(&spec, 0);
    let d = Data {
        x: Features::Dense(Mat::from_vec(1, 3, vec![0.0; 3])),
        y: vec![0.0],
        task: Task::Multiclass,
        outputs: 10,
        y_scale: None,
    };
    let e = LastLayerLaplace::fit(&mut big, &d).unwrap_err().to_string();
    assert!(e.contains("2510 parameters"), "{e}");
}
