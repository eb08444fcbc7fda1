//! Variational dropout through the estimator (`Mlp::variational`) on real data: sparse
//! variational dropout on the 8x8 digits removes most weights as exact zeros at a held-out
//! accuracy near the unpenalized network's, the result and the saved model agree on the
//! zeros, the learned rates are named by the input features, MC passes sample the weight
//! noise, and the combinations that cannot work are refused with the parameter named.

mod common;
use common::dataset;
use occam::results::VariationalResult;
use occam::{Dataset, Mlp, MlpModel, Mode, RunFolder, RunKind, Schedule, VdKind};

/// (train, test): a stratified 75/25 split.
fn split(d: &Dataset) -> (Dataset, Dataset) {
    let s = occam_core::split::train_val_test(d.nrows(), Some(&d.y), 0.0, 0.25, 3).unwrap();
    (d.subset(&s.train), d.subset(&s.test))
}

fn accuracy(m: &mut MlpModel, d: &Dataset) -> f64 {
    let p = m.predict(&d.x).unwrap();
    let labels = p.labels();
    (0..d.nrows()).filter(|&i| labels[i] == d.y[i]).count() as f64 / d.nrows() as f64
}

fn digits_net(variational: Option<VdKind>) -> Mlp {
    Mlp {
        hidden: Some(vec![100]),
        epochs: 100,
        batch_size: 64,
        schedule: Schedule::Cosine { min_lr: 0.0 },
        val_fraction: 0.0,
        variational,
        kl_warmup: Some(20),
        seed: 4,
        ..Mlp::default()
    }
}

#[test]
fn sparse_variational_dropout_on_digits_keeps_the_accuracy_with_few_weights() {
    let (train, test) = split(&dataset("digits_8x8.csv", Some("digit")));
    let mut plain = digits_net(None).fit(&train).unwrap();
    let mut sparse = digits_net(Some(VdKind::Sparse)).fit(&train).unwrap();
    let (a0, a1) = (accuracy(&mut plain, &test), accuracy(&mut sparse, &test));
    let r = VariationalResult::of(&sparse.net, Some(&train.feature_names), train.nrows())
        .expect("a variational network");
    let (zeros, total) = r.sparsity();
    let exact: usize = sparse.net.dense().iter().map(|d| d.weight.zeros()).sum();
    println!("digits: unpenalized {a0:.4}, sparse VD {a1:.4} with {zeros} of {total} weights zero");
    assert_eq!(zeros, exact, "the result counts the exact zeros");
    assert!(
        zeros as f64 >= 0.9 * total as f64,
        "{zeros} of {total} zero"
    );
    assert!(a1 >= a0 - 0.02, "sparse VD {a1} vs unpenalized {a0}");
    assert_eq!(r.layers.len(), 2);
    assert!(r
        .layers
        .iter()
        .all(|l| l.counts.iter().sum::<usize>() == l.total - l.zeros));
    // saved and loaded: the same zeros, the same predictions
    let dir = std::env::temp_dir().join(format!("occam-vd-{}", std::process::id()));
    let mut run = RunFolder::create(&dir, RunKind::Mlp, Mode::New).unwrap();
    sparse.save(&mut run).unwrap();
    let mut back = MlpModel::load(&run).unwrap();
    assert_eq!(
        back.predict(&test.x).unwrap(),
        sparse.predict(&test.x).unwrap()
    );
    let back_zeros: usize = back.net.dense().iter().map(|d| d.weight.zeros()).sum();
    assert_eq!(back_zeros, exact);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn learned_rates_are_named_and_mc_passes_sample_the_weight_noise() {
    let d = dataset("diabetes_regression.csv", None);
    let mut m = Mlp {
        hidden: Some(vec![16]),
        epochs: 40,
        variational: Some(VdKind::Unit),
        seed: 2,
        ..Mlp::default()
    }
    .fit(&d)
    .unwrap();
    let r = VariationalResult::of(&m.net, Some(&d.feature_names), d.nrows()).unwrap();
    assert_eq!(r.kind, "unit");
    assert_eq!(r.layers[0].unit_names, d.feature_names);
    assert_eq!(r.layers[0].rates.len(), d.nfeatures());
    assert!(r.layers[0].rates.iter().all(|p| *p > 0.0 && *p <= 0.5));
    assert_eq!(r.layers[1].rates.len(), 16);
    assert!(r.layers[1].unit_names.is_empty());
    let a = m.predict_mc(&d.x, 30, 1).unwrap();
    assert_eq!(a, m.predict_mc(&d.x, 30, 1).unwrap(), "seeded");
    let sd = a.std.clone().unwrap();
    assert!(sd.iter().all(|s| *s > 0.0), "every row has a spread");
    // layer rates: one per dense layer
    let m = Mlp {
        hidden: Some(vec![16]),
        epochs: 10,
        variational: Some(VdKind::Layer),
        ..Mlp::default()
    }
    .fit(&d)
    .unwrap();
    let r = VariationalResult::of(&m.net, None, d.nrows()).unwrap();
    assert!(r
        .layers
        .iter()
        .all(|l| l.rates.len() == 1 && l.unit_names.is_empty()));
}

#[test]
fn combinations_that_cannot_work_are_refused_with_the_parameter() {
    let d = dataset("diabetes_regression.csv", None);
    let base = Mlp {
        hidden: Some(vec![8]),
        epochs: 2,
        variational: Some(VdKind::Sparse),
        ..Mlp::default()
    };
    for (m, param) in [
        (
            Mlp {
                laplace: true,
                ..base.clone()
            },
            "laplace",
        ),
        (
            Mlp {
                dropconnect: 0.2,
                ..base.clone()
            },
            "variational",
        ),
        (
            Mlp {
                l2_evidence: Some(2),
                ..base.clone()
            },
            "l2_evidence",
        ),
    ] {
        let e = m.fit(&d).err().expect("refused");
        assert_eq!(e.param(), Some(param), "{e}");
    }
}
