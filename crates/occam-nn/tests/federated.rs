//! Federated training: the client splits (IID sizes, Dirichlet label skew that grows as alpha
//! shrinks), FedAvg with one full-batch step per client equal to centralized full-batch
//! gradient descent, FedProx's proximal term holding the clients near the global weights,
//! bit-identical repeats, the refusals.

mod common;

use occam_nn::federated::{self, ClientSplit, FedConfig};
use occam_nn::{Data, MlpSpec, Net, TrainConfig, Trainer};

#[test]
fn client_splits_cover_the_rows_once_and_skew_the_labels_as_alpha_shrinks() {
    let labels: Vec<usize> = (0..5000).map(|i| i % 10).collect();
    let iid = federated::split_rows(&labels, 7, ClientSplit::Iid, 1);
    let sizes: Vec<usize> = iid.iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|&s| s == 715 || s == 710), "{sizes:?}");
    for parts in [
        iid.clone(),
        federated::split_rows(&labels, 7, ClientSplit::Dirichlet(0.1), 1),
    ] {
        let mut all: Vec<usize> = parts.concat();
        all.sort_unstable();
        assert_eq!(
            all,
            (0..5000).collect::<Vec<_>>(),
            "every row in one client"
        );
    }
    // the classes that hold 90% of a client's rows, averaged over the clients with rows
    let spread = |alpha: f64| {
        let parts = federated::split_rows(&labels, 10, ClientSplit::Dirichlet(alpha), 3);
        let mut total = 0.0;
        let mut clients = 0.0;
        for p in parts.iter().filter(|p| !p.is_empty()) {
            let mut counts = [0usize; 10];
            p.iter().for_each(|&i| counts[labels[i]] += 1);
            counts.sort_unstable_by(|a, b| b.cmp(a));
            let (mut acc, mut k) = (0, 0);
            while (acc as f64) < 0.9 * p.len() as f64 {
                acc += counts[k];
                k += 1;
            }
            total += k as f64;
            clients += 1.0;
        }
        total / clients
    };
    let (skewed, mild, flat) = (spread(0.1), spread(1.0), spread(1000.0));
    assert!(
        skewed < 3.5 && skewed < mild && mild < flat && flat >= 8.5,
        "{skewed} {mild} {flat}"
    );
    assert_eq!(
        federated::split_rows(&labels, 10, ClientSplit::Dirichlet(0.3), 9),
        federated::split_rows(&labels, 10, ClientSplit::Dirichlet(0.3), 9)
    );
}

fn regression(n: usize, seed: u64) -> Data<f64> {
    common::linear_data(n, 4, 0.0, seed)
}

fn sgd(epochs: usize, batch: usize) -> TrainConfig {
    common::sgd_mse(epochs, batch, 0.1)
}

use common::values as weights;

/// The global weights after federated training of a network of `spec` (seed 1) with SGD in
/// batches of 8.
fn fit_weights(spec: &MlpSpec, fed: &FedConfig, data: &Data<f64>) -> Vec<f64> {
    let f = federated::fit(
        Net::new(spec, 1),
        &sgd(1, 8),
        fed,
        data,
        None,
        &mut |_, _| Ok(()),
    )
    .unwrap();
    weights(&f.trainer.net)
}

/// IID clients that all finish their local epochs.
fn iid(clients: usize, rounds: usize, local_epochs: usize, mu: f64) -> FedConfig {
    FedConfig {
        clients,
        rounds,
        local_epochs,
        mu,
        split: ClientSplit::Iid,
        stragglers: 0.0,
        drop_stragglers: false,
        sample_rate: 1.0,
        processes: false,
    }
}

#[test]
fn fedavg_with_one_full_batch_step_per_client_is_full_batch_gradient_descent() {
    let data = regression(120, 4);
    let spec = MlpSpec::new(4, vec![5], 1);
    let fed = iid(4, 6, 1, 0.0);
    // each client's batch holds all its rows: one step per client per round
    let f = federated::fit(
        Net::new(&spec, 2),
        &sgd(1, 1000),
        &fed,
        &data,
        Some(&data),
        &mut |_, _| Ok(()),
    )
    .unwrap();
    let mut central = Trainer::new(Net::new(&spec, 2), sgd(6, 120)).unwrap();
    central.fit(&data, None, &mut |_| Ok(())).unwrap();
    let (a, b) = (weights(&f.trainer.net), weights(&central.net));
    let err = a
        .iter()
        .zip(&b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(err < 1e-12, "FedAvg vs full-batch GD: {err}");
    assert_eq!(f.trainer.history.len(), 6);
    assert_eq!(f.client_rows, vec![30; 4]);
    let h = &f.trainer.history;
    assert!(h.last().unwrap().val_loss.unwrap() < h[0].val_loss.unwrap());
}

#[test]
fn fedprox_holds_the_clients_near_the_global_weights_and_runs_repeat() {
    let data = regression(200, 6);
    let spec = MlpSpec::new(4, vec![5], 1);
    let start = weights(&Net::<f64>::new(&spec, 1));
    let moved = |mu: f64| {
        let fed = iid(5, 1, 5, mu);
        let w = fit_weights(&spec, &fed, &data);
        (
            w.iter()
                .zip(&start)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt(),
            w,
        )
    };
    let ((free, w1), (held, _), (_, w2)) = (moved(0.0), moved(5.0), moved(0.0));
    assert!(
        held < 0.5 * free,
        "FedProx mu 5 moved {held}, FedAvg {free}"
    );
    assert_eq!(w1, w2, "same seed, same bits");
}

#[test]
fn federated_training_refuses_what_it_cannot_do() {
    let data = regression(40, 1);
    let spec = MlpSpec::new(4, vec![3], 1);
    let ok = iid(3, 1, 1, 0.0);
    let run = |fed: FedConfig, cfg: TrainConfig| {
        federated::fit(
            Net::<f64>::new(&spec, 0),
            &cfg,
            &fed,
            &data,
            None,
            &mut |_, _| Ok(()),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    assert!(run(FedConfig { clients: 1, ..ok }, sgd(1, 8)).contains("2 clients"));
    assert!(run(FedConfig { mu: -1.0, ..ok }, sgd(1, 8)).contains("fed_mu"));
    for q in [0.0, 1.5, f64::NAN] {
        let e = run(
            FedConfig {
                sample_rate: q,
                ..ok
            },
            sgd(1, 8),
        );
        assert!(e.contains("fed_sample_rate"), "{q}: {e}");
    }
    assert!(run(
        FedConfig {
            split: ClientSplit::Dirichlet(0.0),
            ..ok
        },
        sgd(1, 8)
    )
    .contains("fed_split"));
    assert!(run(
        FedConfig {
            split: ClientSplit::Dirichlet(0.5),
            ..ok
        },
        sgd(1, 8)
    )
    .contains("classes"));
    let mut c = sgd(1, 8);
    c.patience = Some(2);
    c.federated = Some(ok);
    let e = Trainer::new(Net::<f64>::new(&spec, 0), c)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("federated") && e.contains("patience"), "{e}");
}

#[test]
fn stragglers_do_part_of_their_epochs_and_fedavgs_rule_drops_them() {
    let data = regression(200, 8);
    let spec = MlpSpec::new(4, vec![5], 1);
    let run = |local_epochs: usize, stragglers: f64, drop: bool| {
        let fed = FedConfig {
            stragglers,
            drop_stragglers: drop,
            ..iid(5, 3, local_epochs, 0.0)
        };
        fit_weights(&spec, &fed, &data)
    };
    // one local epoch leaves no partial work: stragglers change nothing
    assert_eq!(run(1, 0.0, false), run(1, 0.9, false));
    assert_eq!(run(1, 0.0, false), run(1, 0.9, true));
    // with several, partial work kept, dropped, or nobody straggling: three different runs
    let (none, kept, dropped) = (run(4, 0.0, false), run(4, 0.6, false), run(4, 0.6, true));
    assert!(none != kept && kept != dropped && none != dropped);
    // nearly everyone dropped every round: the global weights barely move from the start
    let start = weights(&Net::<f64>::new(&spec, 1));
    let moved = |w: &[f64]| {
        w.iter()
            .zip(&start)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
    };
    assert!(moved(&run(4, 0.99, true)) < moved(&none));
    let bad = FedConfig {
        stragglers: 1.0,
        ..iid(3, 1, 2, 0.0)
    };
    let e = federated::fit(
        Net::<f64>::new(&spec, 0),
        &sgd(1, 8),
        &bad,
        &data,
        None,
        &mut |_, _| Ok(()),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("fed_stragglers"), "{e}");
}
