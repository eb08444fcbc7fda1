//! Warm starts through the facade (`Mlp::init`): training begins at the given weights (its
//! first epoch's loss far below a cold start's when they come from a trained network), the
//! weights set are the weights used, and a wrong count or size is refused naming `weights`
//! (federated runs refuse a warm start, naming `warm_start`).

mod common;
use common::dataset;
use occam::Mlp;

fn weights(m: &occam::MlpModel) -> Vec<Vec<f32>> {
    m.net.params().iter().map(|p| p.value.clone()).collect()
}

#[test]
fn training_begins_at_the_given_weights() {
    let d = dataset("pima_indians_diabetes.csv", None);
    let base = Mlp {
        hidden: Some(vec![8]),
        epochs: 30,
        ..Mlp::default()
    };
    let trained = base.fit(&d).unwrap();
    let one = Mlp {
        epochs: 1,
        ..base.clone()
    };
    let cold = one.fit(&d).unwrap();
    let warm = Mlp {
        init: Some(weights(&trained)),
        ..one.clone()
    }
    .fit(&d)
    .unwrap();
    let first = |m: &occam::MlpModel| m.history[0].train_loss;
    assert!(
        first(&warm) < 0.9 * first(&cold),
        "warm {} vs cold {}",
        first(&warm),
        first(&cold)
    );
    assert_ne!(weights(&warm), weights(&cold));
    // the same init twice: the same bits
    let again = Mlp {
        init: Some(weights(&trained)),
        ..one.clone()
    }
    .fit(&d)
    .unwrap();
    assert_eq!(weights(&warm), weights(&again));
    // wrong count, wrong size
    let mut short = weights(&trained);
    short.pop();
    let mut wrong = weights(&trained);
    wrong[0].push(0.0);
    for bad in [short, wrong] {
        let e = Mlp {
            init: Some(bad),
            ..one.clone()
        }
        .fit(&d)
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("weights"), "{e}");
    }
    let fed = occam_nn::federated::FedConfig {
        clients: 2,
        rounds: 1,
        local_epochs: 1,
        mu: 0.0,
        split: occam_nn::federated::ClientSplit::Iid,
        stragglers: 0.0,
        drop_stragglers: false,
        sample_rate: 1.0,
        processes: false,
    };
    let e = Mlp {
        init: Some(weights(&trained)),
        federated: Some(fed),
        ..one
    }
    .fit(&d)
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("warm_start"), "{e}");
}
