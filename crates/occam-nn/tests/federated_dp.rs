//! Client-level DP in federated training (DP-FedAvg): without noise and clipping it is
//! FedAvg's average (equal clients); clipping bounds each round's move by the clipping norm;
//! the privacy record is the accountant's over the rounds at the clients' sample rate, with
//! the noise for a target epsilon; client sampling repeats with the seed.

mod common;

use common::values;
use occam_nn::dp::{DpConfig, DpNoise, PrivacyUnit};
use occam_nn::federated::{self, ClientSplit, FedConfig};
use occam_nn::privacy::Accountant;
use occam_nn::{Data, MlpSpec, Net, TrainConfig};

fn fed(clients: usize, rounds: usize, sample_rate: f64) -> FedConfig {
    FedConfig {
        clients,
        rounds,
        local_epochs: 2,
        mu: 0.0,
        split: ClientSplit::Iid,
        stragglers: 0.0,
        drop_stragglers: false,
        sample_rate,
        processes: false,
    }
}

fn dp(clip: f64, noise: DpNoise) -> DpConfig {
    DpConfig {
        max_grad_norm: clip,
        noise,
        delta: 1e-5,
        accountant: Accountant::Rdp,
    }
}

fn run(data: &Data<f64>, f: &FedConfig, dp: Option<DpConfig>) -> federated::Federated<f64> {
    let spec = MlpSpec::new(4, vec![5], 1);
    let mut cfg: TrainConfig = common::sgd_mse(1, 10, 0.05);
    cfg.dp = dp;
    federated::fit(Net::new(&spec, 3), &cfg, f, data, None, &mut |_, _| Ok(())).unwrap()
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn without_noise_or_clipping_it_is_fedavg_and_clipping_bounds_each_round() {
    let data = common::linear_data(120, 4, 0.1, 7);
    // four clients of 30 rows: FedAvg's row weights are equal, as DP-FedAvg's
    let plain = run(&data, &fed(4, 5, 1.0), None);
    let free = run(
        &data,
        &fed(4, 5, 1.0),
        Some(dp(1e9, DpNoise::Multiplier(0.0))),
    );
    let err = distance(&values(&plain.trainer.net), &values(&free.trainer.net));
    assert!(
        err < 1e-12,
        "DP-FedAvg without noise or clipping vs FedAvg: {err}"
    );
    // one round with a small clipping norm moves the global weights by at most that norm
    let start = values(&Net::<f64>::new(&MlpSpec::new(4, vec![5], 1), 3));
    let clip = 0.01;
    let one = run(
        &data,
        &fed(4, 1, 1.0),
        Some(dp(clip, DpNoise::Multiplier(0.0))),
    );
    let moved = distance(&values(&one.trainer.net), &start);
    assert!(
        moved <= clip * (1.0 + 1e-9) && moved > 0.5 * clip,
        "moved {moved} with clipping norm {clip}"
    );
    let p = one.trainer.privacy().unwrap();
    assert!(p.epsilon.is_infinite(), "no noise, no guarantee: {p:?}");
}

#[test]
fn the_privacy_record_is_the_accountants_over_rounds_of_sampled_clients() {
    let data = common::linear_data(200, 4, 0.1, 8);
    let f = fed(10, 20, 0.5);
    for acc in [Accountant::Rdp, Accountant::Pld] {
        let mut d = dp(0.5, DpNoise::Epsilon(4.0));
        d.accountant = acc;
        let out = run(&data, &f, Some(d));
        let p = out.trainer.privacy().unwrap();
        assert_eq!(p.unit, PrivacyUnit::Client);
        assert_eq!((p.rows, p.steps, p.sample_rate), (10, 20, 0.5));
        assert_eq!(p.accountant, acc.name());
        assert!(p.epsilon <= 4.0 && p.epsilon > 3.99, "{p:?}");
        let again = acc
            .epsilon(p.noise_multiplier, 0.5, 20, 1e-5)
            .unwrap()
            .epsilon;
        assert_eq!(again, p.epsilon);
        assert_eq!(out.trainer.history.len(), 20);
    }
}

#[test]
fn client_sampling_repeats_with_the_seed_and_changes_the_run() {
    let data = common::linear_data(150, 4, 0.1, 9);
    let d = Some(dp(1.0, DpNoise::Multiplier(0.8)));
    let a = values(&run(&data, &fed(5, 4, 0.4), d).trainer.net);
    let b = values(&run(&data, &fed(5, 4, 0.4), d).trainer.net);
    let all = values(&run(&data, &fed(5, 4, 1.0), d).trainer.net);
    assert_eq!(a, b, "same seed, same bits");
    assert!(distance(&a, &all) > 1e-6);
    // FedAvg with sampled clients (no DP) also repeats
    let c = values(&run(&data, &fed(5, 4, 0.4), None).trainer.net);
    let e = values(&run(&data, &fed(5, 4, 0.4), None).trainer.net);
    assert_eq!(c, e);
}
