//! Variational dropout (sparse, per layer, per unit): the local reparameterization's
//! gradients (weights, bias, the noise parameter, the input) and the KL's gradient match
//! finite differences in f64 at fixed noise; the noise has the mean and variance that weight
//! noise `w ~ N(theta, sigma2)` gives the pre-activation; the KL terms are the published
//! approximations; training removes irrelevant inputs' weights as exact zeros and the removed
//! weights are zero in every evaluation pass, before and after pruning.

mod common;
use common::{check, dot, rand_mat};

use occam_core::rng::Rng;
use occam_core::Task;
use occam_nn::layer::{Conv2d, ConvShape, Dense, Variational, VdKind};
use occam_nn::mat::{Batch, Csr, Mat};
use occam_nn::tensors::{load_net_tensors, net_tensors};
use occam_nn::{Data, Features, Loss, MlpSpec, Net, TrainConfig, Trainer};

fn layer(kind: VdKind, n_in: usize, n_out: usize) -> Dense<f64> {
    let mut d = Dense::<f64>::new(0, n_in, n_out, &mut Rng::new(3));
    let mut v = Variational::new(kind, 0, n_in, n_out);
    // noise parameters away from their initial values so every term is exercised
    let mut r = Rng::new(4);
    for p in v.param.value.iter_mut() {
        *p = match kind {
            VdKind::Sparse => -3.0 + r.normal(),
            _ => -1.0 - 0.5 * r.uniform(),
        };
    }
    d.vd = Some(v);
    d
}

#[test]
fn local_reparameterization_gradients_match_finite_differences() {
    let (b, n_in, n_out) = (6, 5, 4);
    let mut x = rand_mat(b, n_in, 1);
    x.data[3] = 0.0;
    let xs = Csr::from_dense(&x);
    let gy = rand_mat(b, n_out, 2);
    for kind in [VdKind::Sparse, VdKind::Layer, VdKind::Unit] {
        for sparse in [false, true] {
            let tag = format!("{} sparse input={sparse}", kind.name());
            let run = |d: &mut Dense<f64>| {
                let bt = if sparse {
                    Batch::Sparse(&xs)
                } else {
                    Batch::Dense(&x)
                };
                d.forward_train(bt, &mut Rng::new(9)); // the same noise every call
                dot(&d.out, &gy)
            };
            let mut d = layer(kind, n_in, n_out);
            run(&mut d);
            let bt = if sparse {
                Batch::Sparse(&xs)
            } else {
                Batch::Dense(&x)
            };
            d.backward(bt, &gy, !sparse);
            let vd = d.vd.as_ref().unwrap();
            let (gw, gb, gv) = (
                d.weight.grad.clone(),
                d.bias.grad.clone(),
                vd.param.grad.clone(),
            );
            let (w0, b0, v0) = (
                d.weight.value.clone(),
                d.bias.value.clone(),
                vd.param.value.clone(),
            );
            let mut dd = d.clone();
            check(&format!("{tag} weight"), &w0, &gw, &mut |w| {
                dd.weight.value = w.to_vec();
                run(&mut dd)
            });
            let mut dd = d.clone();
            check(&format!("{tag} bias"), &b0, &gb, &mut |v| {
                dd.bias.value = v.to_vec();
                run(&mut dd)
            });
            let mut dd = d.clone();
            check(&format!("{tag} noise parameter"), &v0, &gv, &mut |v| {
                dd.vd.as_mut().unwrap().param.value = v.to_vec();
                run(&mut dd)
            });
            if !sparse {
                let gx = d.grad_in.data.clone();
                let mut dd = d.clone();
                check(&format!("{tag} input"), &x.data, &gx, &mut |v| {
                    let xm = Mat::from_vec(b, n_in, v.to_vec());
                    dd.forward_train(Batch::Dense(&xm), &mut Rng::new(9));
                    dot(&dd.out, &gy)
                });
            }
        }
    }
}

#[test]
fn convolution_gradients_match_finite_differences() {
    let shape = ConvShape {
        c_in: 2,
        h: 5,
        w: 4,
        c_out: 3,
        k: 3,
        stride: 1,
        pad: 1,
    };
    let b = 2;
    let x = rand_mat(b, 2 * 5 * 4, 31);
    let gy = rand_mat(b, 3 * 5 * 4, 32);
    let mut c = Conv2d::<f64>::new(0, shape, &mut Rng::new(33));
    let mut v = Variational::new(VdKind::Sparse, 0, 3, 18);
    let mut r = Rng::new(34);
    v.param
        .value
        .iter_mut()
        .for_each(|p| *p = -3.0 + r.normal());
    c.vd = Some(v);
    let run = |c: &mut Conv2d<f64>, x: &Mat<f64>| {
        c.forward_train(x, &mut Rng::new(9));
        dot(&c.out, &gy)
    };
    run(&mut c, &x);
    c.backward(&gy, true);
    let vd = c.vd.as_ref().unwrap();
    let (gw, gb, gv, gx) = (
        c.weight.grad.clone(),
        c.bias.grad.clone(),
        vd.param.grad.clone(),
        c.grad_in.data.clone(),
    );
    let (w0, b0, v0) = (
        c.weight.value.clone(),
        c.bias.value.clone(),
        vd.param.value.clone(),
    );
    let mut cc = c.clone();
    check("conv weight", &w0, &gw, &mut |w| {
        cc.weight.value = w.to_vec();
        run(&mut cc, &x)
    });
    let mut cc = c.clone();
    check("conv bias", &b0, &gb, &mut |v| {
        cc.bias.value = v.to_vec();
        run(&mut cc, &x)
    });
    let mut cc = c.clone();
    check("conv log sigma2", &v0, &gv, &mut |v| {
        cc.vd.as_mut().unwrap().param.value = v.to_vec();
        run(&mut cc, &x)
    });
    let mut cc = c.clone();
    check("conv input", &x.data, &gx, &mut |v| {
        run(&mut cc, &Mat::from_vec(b, x.cols, v.to_vec()))
    });
    // evaluation: the kernel without the removed taps, and no noise
    let vd = c.vd.as_mut().unwrap();
    vd.param.value.iter_mut().step_by(2).for_each(|p| *p = 5.0);
    c.forward_eval(&x);
    let eval = c.out.clone();
    let mut pruned = c.clone();
    let vd = pruned.vd.take().unwrap();
    vd.prune(&mut pruned.weight.value);
    assert!(pruned.weight.zeros() >= 20);
    pruned.forward(&x);
    assert_eq!(pruned.out.data, eval.data);
}

#[test]
fn kl_gradients_match_finite_differences_and_the_published_approximations() {
    for kind in [VdKind::Sparse, VdKind::Layer, VdKind::Unit] {
        let mut d = layer(kind, 5, 3);
        let theta = d.weight.value.clone();
        let v0 = d.vd.as_ref().unwrap().param.value.clone();
        d.weight.grad.iter_mut().for_each(|g| *g = 0.0);
        let vd = d.vd.as_mut().unwrap();
        vd.param.grad.iter_mut().for_each(|g| *g = 0.0);
        vd.add_kl_grad(&theta, &mut d.weight.grad, 1.0);
        let gv = vd.param.grad.clone();
        let gw = d.weight.grad.clone();
        let mut vv = vd.clone();
        check(&format!("{} KL / noise", kind.name()), &v0, &gv, &mut |v| {
            vv.param.value = v.to_vec();
            vv.kl(&theta)
        });
        if kind == VdKind::Sparse {
            let vv = vd.clone();
            check("sparse KL / theta", &theta, &gw, &mut |t| vv.kl(t));
        } else {
            assert!(gw.iter().all(|g| *g == 0.0), "Kingma's KL is free of theta");
        }
    }
    // Molchanov et al.: -KL ~ k1 sigmoid(k2 + k3 la) - 0.5 log(1 + 1/alpha) - k1, which is
    // decreasing in alpha and 0 in the limit alpha -> infinity (a weight that is pure noise
    // costs nothing); one weight with theta = 1 has log alpha = log sigma2.
    let one = |ls: f64| {
        let mut v = Variational::<f64>::new(VdKind::Sparse, 0, 1, 1);
        v.param.value[0] = ls;
        v.kl(&[1.0])
    };
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let published = |la: f64| {
        -(0.63576 * sig(1.87320 + 1.48695 * la) - 0.5 * (1.0 + (-la).exp()).ln() - 0.63576)
    };
    for la in [-8.0, -2.0, 0.0, 1.5, 3.0, 9.0] {
        assert!((one(la) - published(la)).abs() < 1e-7, "log alpha {la}");
    }
    assert!(one(-5.0) > one(0.0) && one(0.0) > one(5.0));
    assert!(one(10.5) < 1e-4 && one(30.0) == one(10.5), "clipped at 10");
    // Kingma et al.: -KL = 0.5 log alpha + c1 alpha + c2 alpha^2 + c3 alpha^3 (+ const),
    // per weight, so a per-layer rate over 5 x 3 weights costs 15 times one weight's.
    let mut v = Variational::<f64>::new(VdKind::Layer, 0, 5, 3);
    v.param.value[0] = (0.25f64).ln();
    let a = 0.25f64;
    let expect = -(0.5 * a.ln() + 1.16145124 * a - 1.50204118 * a * a + 0.58629921 * a * a * a);
    assert!((v.kl(&[1.0; 15]) - 15.0 * expect).abs() < 1e-9);
    assert!(
        (v.rates()[0] - 0.2).abs() < 1e-12,
        "p = alpha / (1 + alpha)"
    );
}

#[test]
fn the_noise_has_the_moments_of_gaussian_weights() {
    // y = x theta + b + sqrt(x^2 sigma2) eps has mean x theta + b and variance x^2 sigma2:
    // checked over 40,000 draws of one row, within 5 standard errors.
    let (n_in, n_out) = (4, 3);
    let mut d = layer(VdKind::Unit, n_in, n_out);
    let x = Mat::from_vec(1, n_in, vec![0.5, -1.0, 2.0, 0.3]);
    d.forward_eval(Batch::Dense(&x));
    let mean = d.out.data.clone();
    let vd = d.vd.as_ref().unwrap();
    let la = vd.log_alpha(&d.weight.value);
    let var: Vec<f64> = (0..n_out)
        .map(|j| {
            (0..n_in)
                .map(|i| {
                    let t = d.weight.value[i * n_out + j];
                    x.data[i] * x.data[i] * la[i * n_out + j].exp() * t * t
                })
                .sum()
        })
        .collect();
    let mut rng = Rng::new(7);
    let n = 40_000;
    let (mut s1, mut s2) = (vec![0.0; n_out], vec![0.0; n_out]);
    for _ in 0..n {
        d.forward_train(Batch::Dense(&x), &mut rng);
        for j in 0..n_out {
            let e = d.out.data[j] - mean[j];
            s1[j] += e;
            s2[j] += e * e;
        }
    }
    for j in 0..n_out {
        let (m, v) = (s1[j] / n as f64, s2[j] / n as f64);
        assert!(m.abs() < 5.0 * (var[j] / n as f64).sqrt(), "unit {j}: mean");
        // the variance of a sample variance of normals is 2 var^2 / n
        let se = var[j] * (2.0 / n as f64).sqrt();
        assert!((v - var[j]).abs() < 5.0 * se, "unit {j}: {v} vs {}", var[j]);
    }
}

/// y = x_0 - 2 x_1 + x_2 + noise over 12 standard normal features.
fn regression(n: usize, seed: u64) -> Data<f64> {
    let p = 12;
    let mut r = Rng::new(seed);
    let x: Vec<f64> = (0..n * p).map(|_| r.normal()).collect();
    let y = (0..n)
        .map(|i| x[i * p] - 2.0 * x[i * p + 1] + x[i * p + 2] + 0.1 * r.normal())
        .collect();
    Data {
        x: Features::Dense(Mat::from_vec(n, p, x)),
        y,
        task: Task::Regression,
        outputs: 1,
        y_scale: None,
    }
}

#[test]
fn sparse_variational_dropout_removes_the_irrelevant_inputs_as_exact_zeros() {
    let (train, test) = (regression(400, 1), regression(200, 2));
    let mut spec = MlpSpec::new(12, vec![], 1);
    spec.variational = Some(VdKind::Sparse);
    let net: Net<f64> = Net::new(&spec, 5);
    let mut cfg = TrainConfig::new(Loss::Mse);
    cfg.epochs = 1000;
    cfg.lr = 0.01;
    cfg.schedule = occam_nn::optim::schedule::Schedule::Cosine { min_lr: 0.0 };
    cfg.batch_size = 50;
    cfg.kl_warmup = 50;
    cfg.restore_best = false;
    let mut tr = Trainer::new(net, cfg).unwrap();
    let mut logged = Vec::new();
    tr.fit(&train, None, &mut |e| {
        if let occam_nn::trainer::Event::Epoch { log, .. } = e {
            logged.push((log.zeros[0].0, log.penalty));
        }
        Ok(())
    })
    .unwrap();
    let w = tr.net.dense()[0].weight.value.clone();
    // the three relevant inputs keep their weights, the nine others are exactly zero
    for (j, &v) in w.iter().enumerate() {
        if j < 3 {
            let want = [1.0, -2.0, 1.0][j];
            assert!((v - want).abs() < 0.05, "input {j}: {v}");
        } else {
            assert_eq!(v, 0.0, "input {j} kept {v}");
        }
    }
    let (zeros, penalty) = *logged.last().unwrap();
    assert_eq!(zeros, 9, "the epoch log counts the removed weights");
    assert!(penalty > 0.0, "the KL per row is logged as the penalty");
    assert!(logged[0].0 < 9, "nothing is removed after the first epoch");
    let (mse, _) = tr.evaluate(&test);
    assert!(mse < 0.02, "test mse {mse}");
}

#[test]
fn removed_weights_are_zero_in_evaluation_before_pruning_and_survive_a_save() {
    let mut spec = MlpSpec::new(6, vec![8], 2);
    spec.variational = Some(VdKind::Sparse);
    let mut net: Net<f32> = Net::new(&spec, 2);
    // make about half of the first layer's weights removable
    if let occam_nn::layer::Layer::Dense(d) = &mut net.layers[0] {
        let vd = d.vd.as_mut().unwrap();
        for (k, v) in vd.param.value.iter_mut().enumerate() {
            *v = if k % 2 == 0 { 4.0 } else { -12.0 };
        }
    }
    let x = Mat::from_vec(3, 6, (0..18).map(|v| v as f32 * 0.1 - 0.7).collect());
    let before = net.forward_eval(Batch::Dense(&x)).clone();
    let d0 = &net.dense()[0];
    let removed = (0..d0.weight.len())
        .filter(|&k| d0.vd.as_ref().unwrap().removed(&d0.weight.value, k))
        .count();
    assert!(removed >= 20, "{removed} removable weights");
    net.prune_variational();
    assert_eq!(net.dense()[0].weight.zeros(), removed);
    let after = net.forward_eval(Batch::Dense(&x)).clone();
    assert_eq!(
        before.data, after.data,
        "pruning does not change predictions"
    );
    let saved = net_tensors(&net);
    assert!(saved
        .iter()
        .any(|t| t.name == "layers.0.log_sigma2" && t.shape == [8, 6]));
    let mut back: Net<f32> = Net::new(&spec, 99);
    load_net_tensors(&mut back, &saved).unwrap();
    assert_eq!(back.forward_eval(Batch::Dense(&x)).data, after.data);
}

#[test]
fn learned_rates_stay_below_one_half_and_evidence_is_refused() {
    let train = regression(200, 3);
    let mut spec = MlpSpec::new(12, vec![6], 1);
    spec.variational = Some(VdKind::Unit);
    let mut cfg = TrainConfig::new(Loss::Mse);
    cfg.epochs = 30;
    let mut tr = Trainer::new(Net::<f64>::new(&spec, 1), cfg.clone()).unwrap();
    tr.fit(&train, None, &mut |_| Ok(())).unwrap();
    let rates = tr.net.dense()[0].vd.as_ref().unwrap().rates();
    assert_eq!(rates.len(), 12);
    assert!(rates.iter().all(|p| *p > 0.0 && *p <= 0.5 + 1e-12));
    // the irrelevant inputs' rates grow past the relevant ones'
    let relevant = rates[..3].iter().fold(0.0f64, |m, v| m.max(*v));
    let noise = rates[3..].iter().sum::<f64>() / 9.0;
    assert!(
        noise > relevant,
        "irrelevant {noise} vs relevant {relevant}"
    );
    cfg.evidence = Some(occam_nn::trainer::Evidence {
        every: 1,
        burn_in: 0,
        kron: false,
    });
    let err = Trainer::new(Net::<f64>::new(&spec, 1), cfg).err().unwrap();
    assert!(err.to_string().contains("l2_evidence"), "{err}");
}
