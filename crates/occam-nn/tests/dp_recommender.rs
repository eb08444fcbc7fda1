//! DP-SGD for embedding tables (the recommender's matrix factorization): each row's
//! gradient norm and the clipped sum of an embedding lookup (ids repeated in a batch) equal a
//! loop over single rows; DP training of the recommender records the accountant's privacy,
//! meets a target epsilon, learns (validation RMSE under the global mean's), repeats with the
//! seed, and refuses the MLP head.

mod common;

use occam_core::rng::Rng;
use occam_nn::dp::{DpConfig, DpNoise, PrivacyUnit};
use occam_nn::layer::Embedding;
use occam_nn::privacy::Accountant;
use occam_nn::recommender::{rmse, RecConfig, Recommender};
use occam_nn::Mat;

#[test]
fn embedding_norms_and_clipped_sums_equal_a_loop_over_single_rows() {
    let (rows, dim) = (6, 3);
    let weight: Vec<f64> = common::randn(rows * dim, 1);
    let ids = [2usize, 5, 2, 0, 5, 2, 1];
    let gy = common::rand_mat(ids.len(), dim, 2);
    let mut e = Embedding::new(rows, dim, weight.clone());
    e.forward(&ids);
    let mut sq = vec![0.0; ids.len()];
    e.add_sample_sq_norms(&gy, &mut sq);
    // the loop: each row alone through backward
    let mut want_norms = Vec::new();
    let mut singles = Vec::new();
    for (n, &id) in ids.iter().enumerate() {
        let mut one = Embedding::new(rows, dim, weight.clone());
        one.forward(&[id]);
        one.backward(&[id], &Mat::from_vec(1, dim, gy.row(n).to_vec()));
        let mut dense = vec![0.0; rows * dim];
        for (k, &i) in one.touched.iter().enumerate() {
            dense[i * dim..(i + 1) * dim].copy_from_slice(&one.grad[k * dim..(k + 1) * dim]);
        }
        want_norms.push(dense.iter().map(|v| v * v).sum::<f64>().sqrt());
        singles.push(dense);
    }
    for (a, w) in sq.iter().map(|s| s.sqrt()).zip(&want_norms) {
        assert!((a - w).abs() <= 1e-12 * w.max(1e-12), "{a} vs {w}");
    }
    let mut sorted = want_norms.clone();
    sorted.sort_by(f64::total_cmp);
    let clip = sorted[3];
    let mut want = vec![0.0; rows * dim];
    let mut scaled = gy.clone();
    for (n, (g, norm)) in singles.iter().zip(&want_norms).enumerate() {
        let c = (clip / (norm + 1e-6)).min(1.0);
        want.iter_mut().zip(g).for_each(|(w, v)| *w += c * v);
        scaled.row_mut(n).iter_mut().for_each(|v| *v *= c);
    }
    e.backward(&ids, &scaled);
    // without noise, densified: the clipped sum
    e.densify_with_noise(0.0, 1.0, &mut Rng::new(0));
    assert_eq!(e.touched, (0..rows).collect::<Vec<_>>());
    let err = e
        .grad
        .iter()
        .zip(&want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(err < 1e-12, "clipped sum off by {err}");
    assert!(want_norms.iter().any(|&n| n > clip) && want_norms.iter().any(|&n| n < clip));
}

/// Ratings of a rank-2 preference model with noise: 60 users x 40 items, 1,800 ratings.
fn ratings(seed: u64) -> Vec<(usize, usize, f64)> {
    let mut rng = Rng::new(seed);
    let u: Vec<[f64; 2]> = (0..60).map(|_| [rng.normal(), rng.normal()]).collect();
    let v: Vec<[f64; 2]> = (0..40).map(|_| [rng.normal(), rng.normal()]).collect();
    (0..1800)
        .map(|_| {
            let (a, b) = (rng.below(60), rng.below(40));
            let r = 3.0 + u[a][0] * v[b][0] + u[a][1] * v[b][1] + 0.3 * rng.normal();
            (a, b, r)
        })
        .collect()
}

fn dp_cfg(noise: DpNoise) -> RecConfig {
    RecConfig {
        factors: 4,
        epochs: 30,
        batch_size: 100,
        lr: 0.05,
        early_stopping: false,
        dp: Some(DpConfig {
            max_grad_norm: 3.0,
            noise,
            delta: 1e-5,
            accountant: Accountant::Rdp,
        }),
        ..RecConfig::default()
    }
}

#[test]
fn dp_training_of_the_recommender_meets_its_epsilon_and_learns() {
    let all = ratings(3);
    let (train, val) = all.split_at(1500);
    let mu = train.iter().map(|r| r.2).sum::<f64>() / train.len() as f64;
    let cfg = dp_cfg(DpNoise::Epsilon(8.0));
    let fit = |cfg: &RecConfig| {
        let mut m = Recommender::new(60, 40, mu, cfg);
        let h = m.fit(train, val, cfg).unwrap();
        (m, h)
    };
    let (m, h) = fit(&cfg);
    let p = m.privacy(&cfg, h.len()).unwrap();
    assert_eq!(p.unit, PrivacyUnit::Row);
    assert_eq!((p.rows, p.steps), (1500, 30 * 15));
    assert!(p.epsilon <= 8.0 && p.epsilon > 7.99, "{p:?}");
    let mean_only = rmse(&vec![mu; val.len()], val);
    let dp_rmse = h.last().unwrap().val_rmse;
    assert!(
        dp_rmse < 0.9 * mean_only,
        "DP recommender {dp_rmse} vs the global mean {mean_only}"
    );
    let (m2, _) = fit(&cfg);
    assert_eq!(m.users.weight, m2.users.weight, "same seed, same bits");
    // the MLP head is refused under DP
    let mut with_mlp = cfg.clone();
    with_mlp.mlp = vec![8];
    let e = Recommender::new(60, 40, mu, &with_mlp)
        .fit(train, val, &with_mlp)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("hidden"), "{e}");
}
