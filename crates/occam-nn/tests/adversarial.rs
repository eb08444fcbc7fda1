//! Adversarial examples and training: FGSM on a logistic model equals its closed form; PGD
//! stays in its ball and the input range and raises the loss past FGSM's; robust accuracy is
//! at most the clean one and falls with the radius; PGD training makes a network more
//! robust than plain training on the same data; PGD on exported weights matches torchattacks
//! (fixtures/torchattacks, made by gen_torchattacks.py); the refusals.

// the closed forms index rows and columns
#![allow(clippy::needless_range_loop)]

mod common;

use common::{rand_mat, randn};
use occam_core::rng::Rng;
use occam_core::Task;
use occam_nn::adversarial::{perturb, robust_accuracy, Adversarial, Attack, Bounds, Norm};
use occam_nn::{ActKind, Batch, Data, Features, Loss, Mat, MlpSpec, Net, TrainConfig, Trainer};

fn mean_loss(net: &mut Net<f64>, loss: Loss, x: &Mat<f64>, y: &[f64]) -> f64 {
    let mut g = Mat::default();
    let out = net.forward_eval(Batch::Dense(x));
    loss.value_grad(out, y, &mut g)
}

#[test]
fn fgsm_on_a_logistic_model_is_the_closed_form() {
    // no hidden layer: z = x w + b, BCE; d loss / dx_j = (sigmoid(z) - y) w_j
    let mut net: Net<f64> = Net::new(&MlpSpec::new(5, vec![], 1), 2);
    let x = rand_mat(12, 5, 3);
    let y: Vec<f64> = (0..12).map(|i| (i % 2) as f64).collect();
    let b = Bounds::uniform(5, -0.6, 0.6);
    let a = Attack::fgsm(0.2, Norm::Linf);
    let adv = perturb(&mut net, Loss::BceLogits, &x, &y, &a, &b, &mut Rng::new(0));
    let w = net.dense()[0].weight.value.clone();
    let bias = net.dense()[0].bias.value[0];
    for i in 0..12 {
        let z: f64 = x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + bias;
        let r = 1.0 / (1.0 + (-z).exp()) - y[i];
        for j in 0..5 {
            let want = (x.row(i)[j] + 0.2 * (r * w[j]).signum()).clamp(-0.6, 0.6);
            assert!((adv.row(i)[j] - want).abs() < 1e-12, "row {i} col {j}");
        }
    }
    // L2: the step of length eps along the gradient, when the range does not bind
    let a = Attack::fgsm(0.3, Norm::L2);
    let wide = Bounds::uniform(5, -10.0, 10.0);
    let adv = perturb(
        &mut net,
        Loss::BceLogits,
        &x,
        &y,
        &a,
        &wide,
        &mut Rng::new(0),
    );
    let wn = w.iter().map(|v| v * v).sum::<f64>().sqrt();
    for i in 0..12 {
        let z: f64 = x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + bias;
        let s = (1.0 / (1.0 + (-z).exp()) - y[i]).signum();
        for j in 0..5 {
            let want = x.row(i)[j] + 0.3 * s * w[j] / wn;
            assert!((adv.row(i)[j] - want).abs() < 1e-12);
        }
    }
}

#[test]
fn pgd_stays_in_its_ball_and_range_and_beats_fgsm() {
    let mut spec = MlpSpec::new(6, vec![16, 8], 3);
    spec.activation = ActKind::Tanh;
    let mut net: Net<f64> = Net::new(&spec, 4);
    let x = rand_mat(64, 6, 5);
    let y: Vec<f64> = (0..64).map(|i| (i % 3) as f64).collect();
    let b = Bounds::of(&x);
    let clean = mean_loss(&mut net, Loss::SoftmaxCe, &x, &y);
    for norm in [Norm::Linf, Norm::L2] {
        let eps = 0.15;
        let f = perturb(
            &mut net,
            Loss::SoftmaxCe,
            &x,
            &y,
            &Attack::fgsm(eps, norm),
            &b,
            &mut Rng::new(1),
        );
        let p = perturb(
            &mut net,
            Loss::SoftmaxCe,
            &x,
            &y,
            &Attack::pgd(eps, norm, 20),
            &b,
            &mut Rng::new(1),
        );
        for adv in [&f, &p] {
            for i in 0..x.rows {
                let d: Vec<f64> = adv
                    .row(i)
                    .iter()
                    .zip(x.row(i))
                    .map(|(a, c)| a - c)
                    .collect();
                let size = match norm {
                    Norm::Linf => d.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                    Norm::L2 => d.iter().map(|v| v * v).sum::<f64>().sqrt(),
                };
                assert!(size <= eps + 1e-12, "{norm:?} row {i}: {size}");
                for (j, v) in adv.row(i).iter().enumerate() {
                    assert!(*v >= b.lo[j] - 1e-15 && *v <= b.hi[j] + 1e-15);
                }
            }
        }
        let lf = mean_loss(&mut net, Loss::SoftmaxCe, &f, &y);
        let lp = mean_loss(&mut net, Loss::SoftmaxCe, &p, &y);
        // on a nearly linear loss FGSM's step is already the best one: PGD at least matches
        assert!(
            lf > clean && lp > lf - 1e-3 * lf,
            "{norm:?}: clean {clean}, fgsm {lf}, pgd {lp}"
        );
        // the same seed gives the same rows
        let again = perturb(
            &mut net,
            Loss::SoftmaxCe,
            &x,
            &y,
            &Attack::pgd(eps, norm, 20),
            &b,
            &mut Rng::new(1),
        );
        assert_eq!(again.data, p.data);
    }
}

/// Two classes (Tsipras et al. 2019's example): feature 0 is the label's sign, right on 90%
/// of the rows, with noise sd 0.1 (robust: a perturbation of 0.5 does not flip it); features
/// 1..20 have means +-0.3 and sd 1 (together predictive, each flipped by 0.5).
fn blobs(n: usize, seed: u64) -> Data<f64> {
    let z = randn(n * 21, seed);
    let mut rng = Rng::new(seed);
    let mut x = Mat::zeros(n, 21);
    let mut y = Vec::new();
    for i in 0..n {
        let c = (i % 2) as f64;
        let s = 2.0 * c - 1.0;
        let right = if rng.uniform() < 0.9 { 1.0 } else { -1.0 };
        x.data[i * 21] = s * right + 0.1 * z[i * 21];
        for j in 1..21 {
            x.data[i * 21 + j] = 0.3 * s + z[i * 21 + j];
        }
        y.push(c);
    }
    Data {
        x: Features::Dense(x),
        y,
        task: Task::Binary,
        outputs: 1,
        y_scale: None,
    }
}

/// An MLP 21-32-1 trained 15 epochs on `train` (Adam 1e-2, BCE), with `adv` if given.
fn fit_blobs(train: &Data<f64>, adv: Option<Adversarial>) -> Trainer<f64> {
    let mut c = TrainConfig::new(Loss::BceLogits);
    c.epochs = 15;
    c.lr = 1e-2;
    c.seed = 2;
    c.adversarial = adv;
    let mut t = Trainer::new(Net::new(&MlpSpec::new(21, vec![32], 1), 3), c).unwrap();
    t.fit(train, None, &mut |_| Ok(())).unwrap();
    t
}

fn dense(d: &Data<f64>) -> &Mat<f64> {
    match &d.x {
        Features::Dense(m) => m,
        Features::Sparse(_) => unreachable!(),
    }
}

#[test]
fn pgd_training_is_more_robust_than_plain_training_and_robust_accuracy_falls_with_eps() {
    let (train, test) = (blobs(600, 10), blobs(400, 11));
    let fit = |adv: Option<Adversarial>| fit_blobs(&train, adv);
    let eps = 0.5;
    let mut plain = fit(None);
    let mut robust = fit(Some(Adversarial {
        attack: Attack::pgd(eps, Norm::Linf, 7),
        weight: 1.0,
        trades: None,
    }));
    let b = Bounds::of(dense(&train));
    let a = Attack::pgd(eps, Norm::Linf, 20);
    let (x, y) = (dense(&test), &test.y);
    let (pc, pr) = robust_accuracy(&mut plain.net, Loss::BceLogits, x, y, &a, 2, &b, 0).unwrap();
    let (rc, rr) = robust_accuracy(&mut robust.net, Loss::BceLogits, x, y, &a, 2, &b, 0).unwrap();
    assert!(pr <= pc && rr <= rc);
    assert!(pc > 0.8 && rc > 0.75, "clean {pc} / {rc}");
    assert!(
        rr > pr + 0.3,
        "robust accuracy: adversarial training {rr} vs plain {pr}"
    );
    // a smaller radius leaves more rows robust, a tiny one all the right ones
    let small = Attack::pgd(0.1, Norm::Linf, 20);
    let (_, pr_small) =
        robust_accuracy(&mut plain.net, Loss::BceLogits, x, y, &small, 2, &b, 0).unwrap();
    assert!(pr_small > pr, "{pr_small} vs {pr}");
    let tiny = Attack::pgd(1e-9, Norm::Linf, 5);
    let (c, r) = robust_accuracy(&mut plain.net, Loss::BceLogits, x, y, &tiny, 1, &b, 0).unwrap();
    assert_eq!(c, r);
    // an even mix of clean and FGSM rows also trains and reports a finite loss
    let mixed = fit(Some(Adversarial {
        attack: Attack::fgsm(eps, Norm::L2),
        weight: 0.5,
        trades: None,
    }));
    assert!(mixed.history.iter().all(|h| h.train_loss.is_finite()));
    assert!(mixed.history.last().unwrap().train_loss < mixed.history[0].train_loss);
    // regression has no accuracy
    let e = robust_accuracy(&mut plain.net, Loss::Mse, x, y, &a, 1, &b, 0).unwrap_err();
    assert!(e.to_string().contains("robust_eval"));
}

#[test]
fn adversarial_training_refuses_bad_values_dp_and_sparse_rows() {
    let ok = Adversarial {
        attack: Attack::pgd(0.1, Norm::Linf, 5),
        weight: 1.0,
        trades: None,
    };
    let mut c = TrainConfig::new(Loss::BceLogits);
    let spec = MlpSpec::new(21, vec![4], 1);
    for (bad, name) in [
        (Adversarial { weight: 0.0, ..ok }, "adv_weight"),
        (
            Adversarial {
                attack: Attack::pgd(-1.0, Norm::L2, 5),
                ..ok
            },
            "adv_epsilon",
        ),
    ] {
        c.adversarial = Some(bad);
        let e = Trainer::new(Net::<f64>::new(&spec, 0), c.clone())
            .err()
            .unwrap();
        assert!(e.to_string().contains(name), "{e}");
    }
    c.adversarial = Some(ok);
    c.dp = Some(occam_nn::dp::DpConfig {
        max_grad_norm: 1.0,
        noise: occam_nn::dp::DpNoise::Multiplier(1.0),
        delta: 1e-5,
        accountant: Default::default(),
    });
    let e = Trainer::new(Net::<f64>::new(&spec, 0), c.clone())
        .err()
        .unwrap();
    assert!(e.to_string().contains("DP-SGD"), "{e}");
    c.dp = None;
    let d = blobs(20, 1);
    let sparse = Data {
        x: Features::Sparse(occam_nn::Csr::from_dense(dense(&d))),
        ..d
    };
    let mut t = Trainer::new(Net::<f64>::new(&spec, 0), c).unwrap();
    let e = t.fit(&sparse, None, &mut |_| Ok(())).err().unwrap();
    assert!(e.to_string().contains("sparse"), "{e}");
}

#[test]
fn pgd_on_exported_weights_matches_torchattacks_robust_accuracy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torchattacks/torchattacks_fixtures.json"
    ))
    .unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    let n = fx["rows"].as_u64().unwrap() as usize;
    let x = Mat::from_vec(n, 64, common::floats(&fx["x"]));
    let y = common::floats(&fx["y"]);
    let b = Bounds::uniform(64, 0.0, 1.0);
    for c in fx["cases"].as_array().unwrap() {
        let (_, mut net) = common::fixture_net(c);
        for a in c["attacks"].as_array().unwrap() {
            let eps = a["eps"].as_f64().unwrap();
            let steps = a["steps"].as_u64().unwrap() as usize;
            let attack = Attack {
                random_start: false,
                ..Attack::pgd(eps, Norm::Linf, steps)
            };
            let (clean, robust) =
                robust_accuracy(&mut net, Loss::SoftmaxCe, &x, &y, &attack, 1, &b, 0).unwrap();
            let (want_c, want_r) = (
                a["clean_accuracy"].as_f64().unwrap(),
                a["robust_accuracy"].as_f64().unwrap(),
            );
            let name = c["name"].as_str().unwrap();
            assert!(
                (clean - want_c).abs() < 1e-12,
                "{name} eps {eps}: clean {clean} vs {want_c}"
            );
            assert!(
                (robust - want_r).abs() <= 0.01,
                "{name} eps {eps}: robust {robust} vs torchattacks {want_r}"
            );
            assert!(
                want_r < want_c,
                "{name} eps {eps}: the attack breaks some rows"
            );
            // row by row: the same rows survive (float ties may flip a handful)
            let adv = perturb(
                &mut net,
                Loss::SoftmaxCe,
                &x,
                &y,
                &attack,
                &b,
                &mut Rng::new(0),
            );
            let out = net.forward_eval(Batch::Dense(&adv)).clone();
            let clean_out = net.forward_eval(Batch::Dense(&x)).clone();
            let argmax = |m: &Mat<f64>, i: usize| occam_nn::mat::argmax(m.row(i));
            let agree = (0..n)
                .filter(|&i| {
                    let ok =
                        argmax(&clean_out, i) == y[i] as usize && argmax(&out, i) == y[i] as usize;
                    ok == (a["robust"][i].as_u64() == Some(1))
                })
                .count();
            assert!(
                agree as f64 >= 0.99 * n as f64,
                "{name} eps {eps}: {agree} of {n} rows agree"
            );
        }
    }
}

#[test]
fn trades_kl_gradients_match_finite_differences_and_trades_training_is_robust() {
    use occam_nn::adversarial::kl_rows;
    for k in [1usize, 4] {
        let zp = Mat::from_vec(3, k, randn(3 * k, 40 + k as u64));
        let zq = Mat::from_vec(3, k, randn(3 * k, 50 + k as u64));
        let (mut gp, mut gq) = (Mat::default(), Mat::default());
        let kl = kl_rows(&zp, &zq, Some(&mut gp), &mut gq, 1.0);
        assert!(kl > 0.0);
        let f = |a: &Mat<f64>, b: &Mat<f64>| kl_rows(a, b, None, &mut Mat::default(), 1.0);
        let h = 1e-6;
        for j in 0..3 * k {
            let (mut a, mut b) = (zp.clone(), zp.clone());
            a.data[j] += h;
            b.data[j] -= h;
            let fd = (f(&a, &zq) - f(&b, &zq)) / (2.0 * h);
            assert!(
                (fd - gp.data[j]).abs() < 1e-7,
                "k {k} d/dzp[{j}]: {fd} vs {}",
                gp.data[j]
            );
            let (mut a, mut b) = (zq.clone(), zq.clone());
            a.data[j] += h;
            b.data[j] -= h;
            let fd = (f(&zp, &a) - f(&zp, &b)) / (2.0 * h);
            assert!(
                (fd - gq.data[j]).abs() < 1e-7,
                "k {k} d/dzq[{j}]: {fd} vs {}",
                gq.data[j]
            );
        }
        // no divergence from a distribution to itself
        assert!(kl_rows(&zp, &zp, None, &mut gq, 1.0).abs() < 1e-12);
    }
    let (train, test) = (blobs(600, 10), blobs(400, 11));
    let fit = |adv: Option<Adversarial>| fit_blobs(&train, adv);
    let mut plain = fit(None);
    let mut trades = fit(Some(Adversarial {
        attack: Attack::pgd(0.5, Norm::Linf, 7),
        weight: 1.0,
        trades: Some(6.0),
    }));
    assert!(trades.history.iter().all(|h| h.train_loss.is_finite()));
    let b = Bounds::of(dense(&train));
    let a = Attack::pgd(0.5, Norm::Linf, 20);
    let (x, y) = (dense(&test), &test.y);
    let (_, pr) = robust_accuracy(&mut plain.net, Loss::BceLogits, x, y, &a, 2, &b, 0).unwrap();
    let (tc, tr) = robust_accuracy(&mut trades.net, Loss::BceLogits, x, y, &a, 2, &b, 0).unwrap();
    assert!(
        tc > 0.75 && tr > pr + 0.3,
        "TRADES clean {tc}, robust {tr}; plain robust {pr}"
    );
}
