//! Proposing the next trial (grid, random, or a Tree-structured Parzen Estimator as in
//! Bergstra et al. 2011 and Optuna's default sampler), recording trials, and choosing among
//! them (best mean, or the one-standard-error rule).
//!
//! TPE, univariate as Optuna's default: after `TPE_STARTUP` random trials, the completed
//! trials are split into the best `min(ceil(0.1 n), 25)` ("good") and the rest ("bad", pruned
//! trials among them); per dimension a Parzen estimator is fitted to each group (Gaussian
//! kernels in log space for log dimensions, each kernel as wide as the larger gap to its
//! neighbours and clipped to [range / min(100, 1 + m), range], plus a prior kernel over the
//! whole range; categorical dimensions use counts plus one), `TPE_CANDIDATES` points are drawn
//! from the good estimator, and the one with the largest l(x) / g(x) is proposed. Kernels are
//! not renormalised for truncation at the bounds (a small bias near the edges).

use crate::space::{Dim, Params, Space};
use occam_core::rng::Rng;

pub const TPE_STARTUP: usize = 10;
pub const TPE_CANDIDATES: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Grid,
    Random,
    Tpe,
}

/// Whether a larger value of the CV metric `metric` is better (accuracy, precision, recall,
/// f1, roc_auc, r2) rather than smaller (losses and errors).
pub fn higher_is_better(metric: &str) -> bool {
    matches!(
        metric,
        "accuracy" | "precision" | "recall" | "f1" | "roc_auc" | "r2"
    )
}

/// One evaluated configuration.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trial {
    pub index: usize,
    pub params: Params,
    #[serde(deserialize_with = "occam_core::nan::vec")]
    pub fold_scores: Vec<f64>,
    /// Mean and standard error of the fold scores (NaN when pruned; `null` in JSON).
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub mean: f64,
    #[serde(deserialize_with = "occam_core::nan::f64")]
    pub se: f64,
    /// Mean number of input features with a non-zero first-layer row (sparsity).
    pub features_kept: f64,
    pub pruned: bool,
    pub seconds: f64,
    /// Validation loss per fold per epoch (for the median pruning rule).
    pub epoch_losses: Vec<Vec<f64>>,
}

/// Mean and standard error (sample sd / sqrt(k)).
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let k = v.len() as f64;
    let m = v.iter().sum::<f64>() / k;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (k - 1.0);
    (m, (var / k).sqrt())
}

/// The next configuration to try, or None when a grid is exhausted.
pub fn propose(
    method: Method,
    space: &Space,
    trials: &[Trial],
    index: usize,
    seed: u64,
    higher_is_better: bool,
) -> Option<Params> {
    let mut rng = Rng::stream(seed, 0x7E5 + index as u64);
    match method {
        Method::Grid => space.grid_point(index),
        Method::Random => Some(space.sample(&mut rng)),
        Method::Tpe => Some(tpe(space, trials, &mut rng, higher_is_better)),
    }
}

fn loss_of(t: &Trial, higher: bool) -> f64 {
    if t.pruned || !t.mean.is_finite() {
        f64::INFINITY
    } else if higher {
        -t.mean
    } else {
        t.mean
    }
}

/// Value in the space the Parzen estimators work in (log for log dimensions).
fn to_work(d: &Dim, v: f64) -> f64 {
    match d {
        Dim::LogUniform { .. } => v.ln(),
        _ => v,
    }
}

fn bounds(d: &Dim) -> (f64, f64) {
    match d {
        Dim::LogUniform { lo, hi } => (lo.ln(), hi.ln()),
        Dim::Uniform { lo, hi } => (*lo, *hi),
        Dim::Int { lo, hi } => (*lo as f64 - 0.5, *hi as f64 + 0.5),
        Dim::Choice(_) => (0.0, 1.0),
    }
}

/// Gaussian mixture over [lo, hi]: (means, sigmas), equal weights, prior kernel included.
fn parzen(samples: &[f64], lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let mut mus: Vec<f64> = samples.to_vec();
    mus.push(0.5 * (lo + hi));
    let prior = mus.len() - 1;
    let mut order: Vec<usize> = (0..mus.len()).collect();
    order.sort_by(|&a, &b| mus[a].total_cmp(&mus[b]));
    let range = hi - lo;
    let min_sigma = range / (100f64.min(1.0 + samples.len() as f64));
    let mut sig = vec![range; mus.len()];
    for (r, &i) in order.iter().enumerate() {
        if i == prior {
            continue;
        }
        let left = if r == 0 {
            mus[i] - lo
        } else {
            mus[i] - mus[order[r - 1]]
        };
        let right = if r + 1 == order.len() {
            hi - mus[i]
        } else {
            mus[order[r + 1]] - mus[i]
        };
        sig[i] = left.max(right).clamp(min_sigma, range);
    }
    (mus, sig)
}

fn log_density(x: f64, (mus, sig): &(Vec<f64>, Vec<f64>)) -> f64 {
    let w = 1.0 / mus.len() as f64;
    let p: f64 = mus
        .iter()
        .zip(sig)
        .map(|(m, s)| {
            w * (-0.5 * ((x - m) / s).powi(2)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
        })
        .sum();
    p.max(1e-300).ln()
}

fn draw(est: &(Vec<f64>, Vec<f64>), lo: f64, hi: f64, rng: &mut Rng) -> f64 {
    let k = rng.below(est.0.len());
    for _ in 0..16 {
        let v = est.0[k] + est.1[k] * rng.normal();
        if (lo..=hi).contains(&v) {
            return v;
        }
    }
    est.0[k].clamp(lo, hi)
}

fn tpe(space: &Space, trials: &[Trial], rng: &mut Rng, higher: bool) -> Params {
    let done: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.params.len() == space.dims.len())
        .collect();
    if done
        .iter()
        .filter(|t| !t.pruned && t.mean.is_finite())
        .count()
        < TPE_STARTUP
    {
        return space.sample(rng);
    }
    let mut order: Vec<&Trial> = done.clone();
    order.sort_by(|a, b| {
        loss_of(a, higher)
            .total_cmp(&loss_of(b, higher))
            .then(a.index.cmp(&b.index))
    });
    let n_good = ((0.1 * order.len() as f64).ceil() as usize).clamp(1, 25);
    let (good, bad) = order.split_at(n_good);
    let mut best: Option<(f64, Params)> = None;
    let mut cands: Vec<Params> = vec![Params::new(); TPE_CANDIDATES];
    let mut score = vec![0.0; TPE_CANDIDATES];
    for (name, d) in &space.dims {
        if let Dim::Choice(values) = d {
            let k = values.len() as f64;
            let prob = |group: &[&Trial], v: f64| {
                let c = group
                    .iter()
                    .filter(|t| t.params.get(name) == Some(&v))
                    .count() as f64;
                (c + 1.0) / (group.len() as f64 + k)
            };
            for (c, s) in cands.iter_mut().zip(score.iter_mut()) {
                // draw from the good distribution
                let u = rng.uniform();
                let mut acc = 0.0;
                let mut pick = values[values.len() - 1];
                for &v in values {
                    acc += prob(good, v);
                    if u < acc {
                        pick = v;
                        break;
                    }
                }
                *s += prob(good, pick).ln() - prob(bad, pick).ln();
                c.insert(name.clone(), pick);
            }
            continue;
        }
        let (lo, hi) = bounds(d);
        let vals = |g: &[&Trial]| -> Vec<f64> {
            g.iter()
                .filter_map(|t| t.params.get(name))
                .map(|&v| to_work(d, v))
                .collect()
        };
        let (lg, lb) = (parzen(&vals(good), lo, hi), parzen(&vals(bad), lo, hi));
        for (c, s) in cands.iter_mut().zip(score.iter_mut()) {
            let x = draw(&lg, lo, hi, rng);
            *s += log_density(x, &lg) - log_density(x, &lb);
            let v = match d {
                Dim::LogUniform { .. } => x.exp(),
                Dim::Int { lo, hi } => x.round().clamp(*lo as f64, *hi as f64),
                _ => x,
            };
            c.insert(name.clone(), v);
        }
    }
    for (c, s) in cands.into_iter().zip(score) {
        if best.as_ref().is_none_or(|(b, _)| s > *b) {
            best = Some((s, c));
        }
    }
    best.map(|b| b.1).expect("candidates drawn")
}

/// Index (into `trials`) of the best completed trial.
pub fn best(trials: &[Trial], higher: bool) -> Option<usize> {
    (0..trials.len())
        .filter(|&i| !trials[i].pruned && trials[i].mean.is_finite())
        .min_by(|&a, &b| {
            loss_of(&trials[a], higher)
                .total_cmp(&loss_of(&trials[b], higher))
                .then(a.cmp(&b))
        })
}

/// The one-standard-error rule: among completed trials whose mean is within one SE of the
/// best (the best trial's SE), the most regularized one, meaning the fewest input features
/// kept, then the strongest summed penalty and dropout (l1 + l2 + weight_decay + dropout +
/// dropconnect), then the earliest.
pub fn one_se(trials: &[Trial], higher: bool) -> Option<usize> {
    let b = best(trials, higher)?;
    let limit = loss_of(&trials[b], higher) + trials[b].se;
    let strength = |t: &Trial| -> f64 {
        ["l1", "l2", "weight_decay", "dropout", "dropconnect"]
            .iter()
            .filter_map(|k| t.params.get(*k))
            .sum()
    };
    (0..trials.len())
        .filter(|&i| !trials[i].pruned && loss_of(&trials[i], higher) <= limit + 1e-12)
        .min_by(|&a, &b| {
            let (ta, tb) = (&trials[a], &trials[b]);
            ta.features_kept
                .total_cmp(&tb.features_kept)
                .then(strength(tb).total_cmp(&strength(ta)))
                .then(a.cmp(&b))
        })
}

/// The median stopping rule: at epoch `e` of fold `f`, a trial whose validation loss is worse
/// than the median of the earlier completed trials at the same fold and epoch is pruned
/// (only once `min_trials` trials completed, and from epoch `warmup` on).
pub fn should_prune(
    trials: &[Trial],
    fold: usize,
    epoch: usize,
    loss: f64,
    min_trials: usize,
    warmup: usize,
) -> bool {
    if epoch < warmup {
        return false;
    }
    let mut v: Vec<f64> = trials
        .iter()
        .filter(|t| !t.pruned)
        .filter_map(|t| t.epoch_losses.get(fold).and_then(|l| l.get(epoch)).copied())
        .filter(|x| x.is_finite())
        .collect();
    if v.len() < min_trials {
        return false;
    }
    v.sort_by(f64::total_cmp);
    let med = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        0.5 * (v[v.len() / 2 - 1] + v[v.len() / 2])
    };
    loss > med
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::DimSpec;
    use std::collections::BTreeMap;

    fn space() -> Space {
        let mut m = BTreeMap::new();
        m.insert(
            "l1".to_string(),
            DimSpec {
                log: Some([1e-4, 1.0]),
                ..Default::default()
            },
        );
        m.insert(
            "dropout".to_string(),
            DimSpec {
                range: Some([0.0, 0.5]),
                ..Default::default()
            },
        );
        Space::from_specs(&m).unwrap()
    }

    fn trial(i: usize, p: Params, f: impl Fn(&Params) -> f64) -> Trial {
        let v = f(&p);
        Trial {
            index: i,
            params: p,
            fold_scores: vec![v],
            mean: v,
            se: 0.01,
            features_kept: 1.0,
            pruned: false,
            seconds: 0.0,
            epoch_losses: vec![],
        }
    }

    #[test]
    fn a_pruned_trial_reads_back_from_its_json_line() {
        // A pruned trial's mean and SE are NaN, which JSON writes as null; a resumed search
        // reads its trials.jsonl back, so null must read as NaN.
        let mut t = trial(3, Params::new(), |_| f64::NAN);
        t.se = f64::NAN;
        t.pruned = true;
        let line = serde_json::to_string(&t).unwrap();
        assert!(line.contains("\"mean\":null"), "{line}");
        let back: Trial = serde_json::from_str(&line).unwrap();
        assert!(back.mean.is_nan() && back.se.is_nan() && back.fold_scores[0].is_nan());
        assert_eq!((back.index, back.pruned), (3, true));
    }

    #[test]
    fn tpe_beats_random_search_on_a_smooth_function() {
        // Minimise (log10 l1 + 2)^2 + (dropout - 0.3)^2: optimum at l1 = 0.01, dropout 0.3.
        let f = |p: &Params| (p["l1"].log10() + 2.0).powi(2) + (p["dropout"] - 0.3).powi(2);
        let s = space();
        let run = |m: Method| -> f64 {
            let mut t: Vec<Trial> = Vec::new();
            for i in 0..40 {
                let p = propose(m, &s, &t, i, 11, false).unwrap();
                t.push(trial(i, p, f));
            }
            t[best(&t, false).unwrap()].mean
        };
        let (tpe_best, rnd_best) = (run(Method::Tpe), run(Method::Random));
        assert!(tpe_best < rnd_best, "tpe {tpe_best} random {rnd_best}");
        assert!(tpe_best < 0.02);
    }

    #[test]
    fn grid_enumerates_the_product_and_one_se_prefers_sparser_models() {
        let s = space();
        assert_eq!(s.grid_size(), 16);
        let pts: Vec<Params> = (0..16).map(|i| s.grid_point(i).unwrap()).collect();
        assert!(s.grid_point(16).is_none());
        assert!((pts[0]["l1"] - 1e-4).abs() < 1e-12 && (pts[15]["l1"] - 1.0).abs() < 1e-9);
        let mut t: Vec<Trial> = (0..3).map(|i| trial(i, pts[i].clone(), |_| 0.9)).collect();
        t[0].mean = 0.91;
        t[0].features_kept = 10.0;
        t[1].features_kept = 5.0;
        t[2].features_kept = 3.0;
        t[2].mean = 0.905; // within one SE (0.01) of the best, and sparser
        assert_eq!(best(&t, true), Some(0));
        assert_eq!(one_se(&t, true), Some(2));
    }

    #[test]
    fn median_rule_prunes_a_trial_worse_than_the_median() {
        let mk = |l: f64| Trial {
            index: 0,
            params: Params::new(),
            fold_scores: vec![],
            mean: 0.0,
            se: 0.0,
            features_kept: 0.0,
            pruned: false,
            seconds: 0.0,
            epoch_losses: vec![vec![l; 20]],
        };
        let t = vec![mk(0.5), mk(0.6), mk(0.7)];
        assert!(should_prune(&t, 0, 10, 0.65, 3, 5));
        assert!(!should_prune(&t, 0, 10, 0.55, 3, 5));
        assert!(
            !should_prune(&t, 0, 2, 0.9, 3, 5),
            "warm-up epochs are never pruned"
        );
        assert!(
            !should_prune(&t[..2], 0, 10, 0.9, 3, 5),
            "too few trials to judge"
        );
    }
}
