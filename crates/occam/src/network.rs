//! What a trained network is reported with: its typed result ([`result`]: held-out losses and
//! metrics, exact zeros per layer, the input features it keeps and its strongest inputs) and
//! the comparison against the same network trained without any regularization over several
//! seeds ([`compare_baseline`]).

use crate::error::Result;
use crate::mlp::{train_network, unregularized};
use crate::results::{Comparison, LayerZeros, Metrics, NetworkResult, SeedScores, TopInputs};
use occam_core::Dataset;
use occam_nn::{Data, MlpSpec, Outcome, TrainConfig, Trainer};
use std::collections::BTreeMap;

/// The data a network trains and is scored on, in the engine's form.
pub struct Parts<'a> {
    /// The training rows.
    pub train: &'a Data<f32>,
    /// The validation rows (early stopping, the validation metrics).
    pub val: Option<&'a Data<f32>>,
    /// The held-out test rows.
    pub test: Option<&'a Data<f32>>,
}

/// The result of `trainer`'s network, trained on `data`'s columns as `spec` with `outcome`
/// in `seconds` on `threads` threads.
pub fn result(
    trainer: &mut Trainer<f32>,
    spec: &MlpSpec,
    data: &Dataset,
    parts: &Parts,
    outcome: &Outcome,
    seconds: f64,
    threads: usize,
) -> NetworkResult {
    let mut score = |d: Option<&Data<f32>>| match d {
        Some(d) => {
            let (loss, m) = trainer.evaluate(d);
            (Some(loss), Some(m.into_iter().collect::<Metrics>()))
        }
        None => (None, None),
    };
    let (val_loss, val_metrics) = score(parts.val);
    let (test_loss, test_metrics) = score(parts.test);
    let dense = trainer.net.dense();
    let first = dense[0];
    // Behind convolutions the first dense layer sees feature maps, not input columns.
    let columns = spec.conv.is_empty();
    let kept: Vec<String> = if columns {
        first
            .active_inputs()
            .into_iter()
            .map(|j| data.feature_names[j].clone())
            .collect()
    } else {
        Vec::new()
    };
    NetworkResult {
        val_loss,
        val_metrics,
        test_loss,
        test_metrics,
        top_inputs: (columns && spec.recurrent.is_none())
            .then(|| TopInputs::of(first, &data.feature_names, &data.classes)),
        zeros_per_layer: dense
            .iter()
            .enumerate()
            .map(|(i, d)| LayerZeros {
                layer: i,
                zeros: d.weight.zeros(),
                total: d.weight.len(),
            })
            .collect(),
        input_features_kept: kept,
        n_input_features: first.n_in,
        epochs_run: outcome.epochs_run,
        best_epoch: outcome.best_epoch,
        stopped_early: outcome.stopped_early,
        fit_seconds: seconds,
        penalty: trainer.reg.value(&trainer.net).penalty,
        n_params: trainer.net.n_params(),
        threads,
        comparison: None,
    }
}

/// Trains the network of (`spec`, `cfg`) and the same network without regularization
/// ([`unregularized`]) once per seed, and scores both on `held` (named `held_name`: "test"
/// or "validation"); the loss comes first among each run's metrics.
pub fn compare_baseline(
    spec: &MlpSpec,
    cfg: &TrainConfig,
    parts: &Parts,
    held: (&Data<f32>, &str),
    seeds: &[u64],
) -> Result<Comparison> {
    let (bspec, bcfg) = unregularized(spec, cfg);
    let mut runs: [Vec<Vec<(String, f64)>>; 2] = [vec![], vec![]];
    for &seed in seeds {
        for (k, (s, c)) in [(spec, cfg), (&bspec, &bcfg)].into_iter().enumerate() {
            let mut c = c.clone();
            c.seed = seed;
            let mut t = train_network(s, &c, parts.train, parts.val, None, &mut ())?;
            let (loss, mut m) = t.trainer.evaluate(held.0);
            m.insert(0, ("loss".into(), loss));
            runs[k].push(m);
        }
    }
    let per = |ms: &[Vec<(String, f64)>]| -> BTreeMap<String, SeedScores> {
        ms[0]
            .iter()
            .enumerate()
            .map(|(i, (k, _))| {
                let vals: Vec<f64> = ms.iter().map(|m| m[i].1).collect();
                let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                let scores = SeedScores {
                    mean,
                    per_seed: vals,
                };
                (k.clone(), scores)
            })
            .collect()
    };
    Ok(Comparison {
        held_out: held.1.into(),
        repeats: seeds.len(),
        seeds: seeds.to_vec(),
        regularized: per(&runs[0]),
        baseline: per(&runs[1]),
    })
}
