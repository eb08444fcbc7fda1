//! DP-SGD: per-example gradient norms and clipped sums against a loop over single examples
//! (after a whole backward pass and after the input-gradients-only pass of the DP step),
//! for every layer kind DP-SGD takes (dense on dense and sparse rows, layer norm, convolution
//! with pooling, LSTM, GRU); the Poisson sampler; the whole training loop against plain
//! full-batch training when there is no noise and no clipping; the privacy record against
//! the accountant; the refusals.

mod common;

use common::{rand_mat, randn};
use occam_core::rng::Rng;
use occam_nn::dp::{self, DpConfig, DpNoise};
use occam_nn::layer::PoolKind;
use occam_nn::net::ConvBlock;
use occam_nn::{
    ActKind, Batch, CellKind, Csr, Data, Features, Loss, Mat, MlpSpec, Net, RecurrentSpec,
    TrainConfig, Trainer,
};

/// Every parameter gradient of `net`, concatenated.
fn grads(net: &Net<f64>) -> Vec<f64> {
    net.params()
        .iter()
        .flat_map(|p| p.grad.iter().copied())
        .collect()
}

fn row_of(x: &Mat<f64>, i: usize) -> Mat<f64> {
    Mat::from_vec(1, x.cols, x.row(i).to_vec())
}

/// Per-example norms and the clipped sum at `clip`, batched (`dp`) and by a loop over
/// single examples, compared to 1e-6 relative.
fn check_against_loop(what: &str, net: &Net<f64>, x: Batch<f64>, y: &[f64], loss: Loss) {
    let b = x.rows();
    let yw = y.len() / b;
    // the loop: each example alone, as a batch of one
    let mut singles = Vec::new();
    for i in 0..b {
        let mut n1 = net.clone();
        let xi = match x {
            Batch::Dense(m) => Features::Dense(row_of(m, i)),
            Batch::Sparse(s) => Features::Sparse(Csr::from_dense(&row_of(&s.to_dense(), i))),
        };
        let mut g = Mat::default();
        let out = n1.forward_train(xi.as_batch(), &mut Rng::new(0));
        loss.value_grad(out, &y[i * yw..(i + 1) * yw], &mut g);
        n1.backward(xi.as_batch(), &g);
        singles.push(grads(&n1));
    }
    let loop_norms: Vec<f64> = singles
        .iter()
        .map(|g| g.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    // a threshold that clips some rows and leaves others
    let mut sorted = loop_norms.clone();
    sorted.sort_by(f64::total_cmp);
    let clip = 0.5 * (sorted[b / 2 - 1] + sorted[b / 2]);
    let mut want = vec![0.0; singles[0].len()];
    for (g, n) in singles.iter().zip(&loop_norms) {
        let c = (clip / (n + 1e-6)).min(1.0);
        want.iter_mut().zip(g).for_each(|(w, v)| *w += c * v);
    }
    // batched, after a whole backward pass and after the input-gradients-only pass that
    // DP-SGD's step runs
    for inputs_only in [false, true] {
        let mut net = net.clone();
        let mut g = Mat::default();
        let out = net.forward_train(x, &mut Rng::new(0));
        loss.value_grad(out, y, &mut g);
        g.data.iter_mut().for_each(|v| *v *= b as f64);
        if inputs_only {
            net.backward_inputs(x, &g);
        } else {
            net.backward(x, &g);
        }
        let norms = dp::clip_per_sample(&mut net, x, &g, clip);
        for (i, (a, w)) in norms.iter().zip(&loop_norms).enumerate() {
            assert!(
                (a - w).abs() <= 1e-6 * w.max(1e-12),
                "{what} ({inputs_only}): row {i}: norm {a} vs loop {w}"
            );
        }
        let got = grads(&net);
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = got
            .iter()
            .zip(&want)
            .fold(0.0f64, |m, (a, w)| m.max((a - w).abs()));
        assert!(
            err <= 1e-6 * scale,
            "{what} ({inputs_only}): clipped sum off by {err} (scale {scale})"
        );
    }
    assert!(
        loop_norms.iter().any(|&n| n > clip) && loop_norms.iter().any(|&n| n < clip),
        "{what}: the threshold clips some rows and not others"
    );
}

#[test]
fn per_example_norms_and_clipped_sums_equal_a_loop_over_single_examples() {
    // dense layers with layer norm and dropout off, softmax CE
    let mut spec = MlpSpec::new(7, vec![6, 5], 3);
    spec.activation = ActKind::Tanh;
    spec.layer_norm = true;
    let net: Net<f64> = Net::new(&spec, 3);
    let x = rand_mat(9, 7, 4);
    let y: Vec<f64> = (0..9).map(|i| (i % 3) as f64).collect();
    check_against_loop(
        "mlp + layer norm",
        &net,
        Batch::Dense(&x),
        &y,
        Loss::SoftmaxCe,
    );

    // sparse rows into the first dense layer, MSE with two outputs
    let mut xs = rand_mat(8, 10, 5);
    for (k, v) in xs.data.iter_mut().enumerate() {
        if k % 3 != 0 {
            *v = 0.0;
        }
    }
    let csr = Csr::from_dense(&xs);
    let net: Net<f64> = Net::new(&MlpSpec::new(10, vec![4], 2), 6);
    check_against_loop(
        "sparse mlp",
        &net,
        Batch::Sparse(&csr),
        &randn(16, 7),
        Loss::Mse,
    );

    // a CNN: conv -> relu -> max pool -> conv (stride 2) -> avg pool -> dense, BCE
    let mut spec = MlpSpec::new(2 * 8 * 8, vec![5], 1);
    spec.image = Some((2, 8, 8));
    spec.conv = vec![
        ConvBlock {
            filters: 3,
            kernel: 3,
            pool: 2,
            pool_kind: PoolKind::Max,
            stride: 1,
        },
        ConvBlock {
            filters: 4,
            kernel: 3,
            pool: 2,
            pool_kind: PoolKind::Avg,
            stride: 2,
        },
    ];
    let net: Net<f64> = Net::new(&spec, 8);
    let x = rand_mat(7, 128, 9);
    let y: Vec<f64> = (0..7).map(|i| (i % 2) as f64).collect();
    check_against_loop("cnn", &net, Batch::Dense(&x), &y, Loss::BceLogits);

    // LSTM and GRU over windows of 5 steps x 3 features, Poisson NLL
    for cell in [CellKind::Lstm, CellKind::Gru] {
        let mut spec = MlpSpec::new(15, vec![4], 1);
        spec.recurrent = Some(RecurrentSpec {
            cell,
            hidden: 6,
            steps: 5,
            features: 3,
            recurrent_dropout: 0.0,
        });
        let net: Net<f64> = Net::new(&spec, 10);
        let x = rand_mat(8, 15, 11);
        let y: Vec<f64> = (0..8).map(|i| (i % 4) as f64).collect();
        check_against_loop(cell.name(), &net, Batch::Dense(&x), &y, Loss::PoissonNll);
    }
}

#[test]
fn poisson_sampling_takes_each_row_at_the_rate_and_repeats_with_the_seed() {
    let (n, q) = (20_000, 0.01);
    let mut counts = vec![0u32; n];
    let mut rng = Rng::new(5);
    let mut out = Vec::new();
    let steps = 400;
    let mut sizes = Vec::new();
    for _ in 0..steps {
        dp::poisson_sample(n, q, &mut rng, &mut out);
        assert!(
            out.windows(2).all(|w| w[0] < w[1]),
            "rows in order, no repeats"
        );
        sizes.push(out.len() as f64);
        out.iter().for_each(|&i| counts[i] += 1);
    }
    let mean = sizes.iter().sum::<f64>() / steps as f64;
    // expected 200 per step, sd of the mean ~0.7
    assert!((mean - 200.0).abs() < 4.0, "mean batch {mean}");
    let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (steps - 1) as f64;
    assert!(
        (var / 198.0 - 1.0).abs() < 0.25,
        "batch size variance {var} (binomial 198)"
    );
    // every part of the range is drawn alike: first and last quarter
    let quarter = |r: std::ops::Range<usize>| r.map(|i| counts[i] as f64).sum::<f64>();
    let (a, b) = (quarter(0..n / 4), quarter(3 * n / 4..n));
    assert!((a / b - 1.0).abs() < 0.05, "quarters {a} vs {b}");
    let mut again = Vec::new();
    let (mut r1, mut r2) = (Rng::new(9), Rng::new(9));
    dp::poisson_sample(n, q, &mut r1, &mut out);
    dp::poisson_sample(n, q, &mut r2, &mut again);
    assert_eq!(out, again);
    dp::poisson_sample(10, 1.0, &mut r1, &mut out);
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    dp::poisson_sample(10, 0.0, &mut r1, &mut out);
    assert!(out.is_empty());
}

fn regression_data(n: usize, p: usize, seed: u64) -> Data<f64> {
    common::linear_data(n, p, 0.1, seed)
}

fn config(epochs: usize, batch: usize, dp: Option<DpConfig>) -> TrainConfig {
    let mut c = common::sgd_mse(epochs, batch, 0.05);
    c.seed = 3;
    c.dp = dp;
    c
}

fn train(spec: &MlpSpec, cfg: TrainConfig, data: &Data<f64>) -> Trainer<f64> {
    let mut t = Trainer::new(Net::new(spec, 1), cfg).unwrap();
    t.fit(data, None, &mut |_| Ok(())).unwrap();
    t
}

fn weights(t: &Trainer<f64>) -> Vec<f64> {
    common::values(&t.net)
}

#[test]
fn without_noise_or_clipping_dp_sgd_is_full_batch_gradient_descent() {
    let data = regression_data(40, 5, 20);
    let spec = MlpSpec::new(5, vec![6], 1);
    // batch = all rows: sample rate 1, every row in every step, expected batch = n
    let free = DpConfig {
        max_grad_norm: 1e9,
        noise: DpNoise::Multiplier(0.0),
        delta: 1e-5,
        accountant: Default::default(),
    };
    let dp = train(&spec, config(15, 40, Some(free)), &data);
    let plain = train(&spec, config(15, 40, None), &data);
    let (a, b) = (weights(&dp), weights(&plain));
    let err = a
        .iter()
        .zip(&b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        err < 1e-10,
        "DP-SGD without noise or clipping vs plain: {err}"
    );
    let p = dp.privacy().unwrap();
    assert_eq!((p.steps, p.sample_rate), (15, 1.0));
    assert!(p.epsilon.is_infinite(), "no noise, no guarantee");
    assert!(plain.privacy().is_none());
}

#[test]
fn dp_sgd_records_the_accountants_epsilon_meets_a_target_and_repeats_with_the_seed() {
    let data = regression_data(200, 4, 30);
    let spec = MlpSpec::new(4, vec![5], 1);
    let dp = |noise| DpConfig {
        max_grad_norm: 0.5,
        noise,
        delta: 1e-5,
        accountant: Default::default(),
    };
    let a = train(
        &spec,
        config(6, 20, Some(dp(DpNoise::Multiplier(1.1)))),
        &data,
    );
    let b = train(
        &spec,
        config(6, 20, Some(dp(DpNoise::Multiplier(1.1)))),
        &data,
    );
    assert_eq!(weights(&a), weights(&b), "same seed, same bits");
    let p = a.privacy().unwrap();
    assert_eq!((p.steps, p.rows), (60, 200));
    assert!((p.sample_rate - 0.1).abs() < 1e-15);
    let want = occam_nn::privacy::epsilon(1.1, 0.1, 60, 1e-5)
        .unwrap()
        .epsilon;
    assert_eq!(p.epsilon, want);
    assert!(p.epsilon.is_finite() && p.epsilon > 0.0);
    // the noise is there: without it the weights differ
    let c = train(
        &spec,
        config(6, 20, Some(dp(DpNoise::Multiplier(0.0)))),
        &data,
    );
    assert_ne!(weights(&a), weights(&c));
    // a target epsilon: the noise found spends at most it, and not much less
    let t = train(&spec, config(6, 20, Some(dp(DpNoise::Epsilon(2.0)))), &data);
    let p = t.privacy().unwrap();
    assert_eq!(p.target_epsilon, Some(2.0));
    assert!(p.epsilon <= 2.0 && p.epsilon > 1.95, "spent {}", p.epsilon);
    // and training still fits something: the loss went down
    let h = &t.history;
    assert!(h.last().unwrap().train_loss < h[0].train_loss * 1.5);
}

#[test]
fn dp_sgd_refuses_batch_norm_dropconnect_variational_the_evidence_and_bad_values() {
    let ok = DpConfig {
        max_grad_norm: 1.0,
        noise: DpNoise::Multiplier(1.0),
        delta: 1e-5,
        accountant: Default::default(),
    };
    let cfg = config(1, 8, Some(ok));
    let err = |spec: &MlpSpec, cfg: TrainConfig| match Trainer::new(Net::<f64>::new(spec, 0), cfg) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let mut s = MlpSpec::new(3, vec![4], 1);
    s.batch_norm = true;
    assert!(err(&s, cfg.clone()).contains("layer_norm"));
    let mut s = MlpSpec::new(3, vec![4], 1);
    s.drop_connect = 0.3;
    assert!(err(&s, cfg.clone()).contains("DropConnect"));
    let mut s = MlpSpec::new(3, vec![4], 1);
    s.variational = Some(occam_nn::layer::VdKind::Sparse);
    assert!(err(&s, cfg.clone()).contains("variational"));
    let s = MlpSpec::new(3, vec![4], 1);
    let mut c = cfg.clone();
    c.evidence = Some(occam_nn::trainer::Evidence {
        every: 1,
        burn_in: 1,
        kron: false,
    });
    assert!(err(&s, c).contains("l2_evidence"));
    for (bad, name) in [
        (
            DpConfig {
                max_grad_norm: 0.0,
                ..ok
            },
            "dp_max_grad_norm",
        ),
        (DpConfig { delta: 1.0, ..ok }, "dp_delta"),
        (
            DpConfig {
                noise: DpNoise::Multiplier(-1.0),
                ..ok
            },
            "dp_noise_multiplier",
        ),
        (
            DpConfig {
                noise: DpNoise::Epsilon(f64::NAN),
                ..ok
            },
            "dp_epsilon",
        ),
    ] {
        assert!(err(&s, config(1, 8, Some(bad))).contains(name), "{name}");
    }
}
