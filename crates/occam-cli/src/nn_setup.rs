//! Stage 2 for `occam train`: merge the TOML config under the flags and parse the flag values
//! into the facade's `occam::Mlp` (`occam::parse` reads the text forms; its `spec` /
//! `train_config` apply the defaults and check the ranges); the rayon pool and checkpoints.

use crate::flags_nn::TrainOptions;
use crate::UserError;
use anyhow::{Context, Result};
use occam_nn::regularize::{LayerPenalty, PenaltyPolicy};
use std::path::Path;

fn bad(param: &str, msg: impl std::fmt::Display) -> anyhow::Error {
    occam_core::DataError::param(param, msg.to_string()).into()
}

/// Flags over the TOML file: every option set on the command line replaces the file's.
pub fn merge(cli: &TrainOptions, config: Option<&Path>) -> Result<TrainOptions> {
    let Some(path) = config else {
        return Ok(cli.clone());
    };
    let text = std::fs::read_to_string(path).map_err(|e| occam_core::DataError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let file: TrainOptions = toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                (line, col)
            })
            .unwrap_or((0, 0));
        UserError(format!(
            "{}, line {line}, column {col}: {}",
            path.display(),
            e.message()
        ))
    })?;
    let mut base = serde_json::to_value(&file)?;
    let over = serde_json::to_value(cli)?;
    if let (Some(b), Some(o)) = (base.as_object_mut(), over.as_object()) {
        for (k, v) in o {
            if !v.is_null() {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(serde_json::from_value(base)?)
}

/// The facade's network estimator from the options: the text forms parsed by
/// `occam::parse`, ranges checked by `occam::Mlp::spec` / `train_config`.
pub fn estimator(o: &TrainOptions) -> Result<occam::Mlp> {
    use occam::parse;
    let mut m = occam::Mlp {
        hidden: o.hidden.clone(),
        dropout: o.dropout.unwrap_or(0.0),
        dropconnect: o.dropconnect.unwrap_or(0.0),
        spatial_dropout: o.spatial_dropout.unwrap_or(0.0),
        batch_norm: o.batch_norm.unwrap_or(false),
        layer_norm: o.layer_norm.unwrap_or(false),
        standardize: !o.no_standardize.unwrap_or(false),
        ..occam::Mlp::default()
    };
    if let Some(a) = &o.activation {
        m.activation = parse::activation(a)?;
    }
    if o.model.as_deref() == Some("cnn") {
        m.image = o.image.as_deref().map(parse::image).transpose()?;
        m.conv = parse::conv_blocks(o.conv.as_deref().unwrap_or("16:3:2,32:3:2"))?;
    }
    m.loss = parse::loss(o.loss.as_deref().unwrap_or("default"))?;
    let opt = o.optimizer.as_deref().unwrap_or("adam");
    m.optimizer = parse::optimizer(opt, o.momentum, o.nesterov)?;
    m.lr = o.lr;
    m.epochs = o.epochs.unwrap_or(100);
    m.batch_size = o.batch_size.unwrap_or(32);
    m.patience = o.patience;
    m.min_delta = o.min_delta.unwrap_or(0.0);
    m.restore_best = !o.no_restore_best.unwrap_or(false);
    m.clip_norm = o.clip_norm;
    m.clip_value = o.clip_value;
    m.seed = o.seed.unwrap_or(0);
    m.schedule = parse::schedule(o.schedule.as_deref().unwrap_or("constant"))?;
    let en = match &o.elastic_net {
        None => None,
        Some(v) if v.len() == 2 => Some((v[0], v[1])),
        Some(v) => {
            return Err(bad(
                "--elastic-net",
                format!("expected LAMBDA,ALPHA, got {} numbers", v.len()),
            ))
        }
    };
    let default = LayerPenalty {
        l1: o.l1.unwrap_or(0.0),
        l2: o.l2.unwrap_or(0.0),
        elastic_net: en,
        weight_decay: o
            .weight_decay
            .unwrap_or(if opt == "adamw" { 0.01 } else { 0.0 }),
        group_inputs: o.group_lasso.unwrap_or(0.0),
        group_neurons: o.group_lasso_neurons.unwrap_or(0.0),
    };
    let overrides = o
        .layer_penalty
        .iter()
        .flatten()
        .map(|e| {
            let pen = LayerPenalty {
                l1: e.l1,
                l2: e.l2,
                elastic_net: e.elastic_net,
                weight_decay: e.weight_decay,
                group_inputs: e.group_lasso,
                group_neurons: e.group_lasso_neurons,
            };
            (e.layer, pen)
        })
        .collect();
    m.penalty = PenaltyPolicy {
        default,
        layers: parse::penalty_layers(o.penalty_layers.as_deref().unwrap_or("auto"))?,
        overrides,
        penalize_bias: o.penalize_bias.unwrap_or(false),
        l1_mode: parse::l1_mode(o.l1_mode.as_deref().unwrap_or("prox"))?,
        recurrent_l2: o.recurrent_l2.unwrap_or(0.0),
    };
    Ok(m)
}

/// Sets the rayon pool size once per process.
pub fn set_threads(threads: Option<usize>) -> Result<usize> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        return Err(bad("--threads", "must be at least 1"));
    }
    // A second call in the same process (tests) keeps the first pool.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    Ok(rayon::current_num_threads())
}

/// Runs `f` on a thread of the rayon pool, so that the engine's parallel products start on a
/// worker (the other workers pick up their share while still spinning) instead of waking the
/// pool from outside for every product.
pub fn in_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mut out = None;
    rayon::scope(|s| s.spawn(|_| out = Some(f())));
    out.expect("the pool ran the job")
}

pub fn read_checkpoint(path: &Path) -> Result<occam_nn::TrainState<f32>> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the checkpoint {} (nothing to resume?)",
            path.display()
        )
    })?;
    occam_nn::TrainState::decode(&bytes)
        .with_context(|| format!("{} is not a usable checkpoint", path.display()))
}
