//! Stage 2 for `occam train`: merge the TOML config under the flags and parse the flag values
//! into the facade's `occam::Mlp` (its `spec` / `train_config` apply the defaults and check
//! the ranges); the engine's f32 rows and the training-split standardization come from
//! `occam::mlp`.

use crate::flags_nn::TrainOptions;
use crate::UserError;
use anyhow::{Context, Result};
use occam_core::Dataset;
use occam_nn::model::Preprocess;
use occam_nn::optim::schedule::Schedule;
use occam_nn::regularize::{L1Mode, LayerPenalty, LayerSelect, PenaltyPolicy};
use occam_nn::{ActKind, Loss, OptimizerKind};
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

/// The facade's network estimator from the options: flag values parsed here, ranges checked
/// by `occam::Mlp::spec` / `train_config`.
pub fn estimator(o: &TrainOptions) -> Result<occam::Mlp> {
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
        m.activation = ActKind::parse(a).ok_or_else(|| {
            bad(
                "--activation",
                format!("'{a}' is not relu, gelu, tanh or sigmoid"),
            )
        })?;
    }
    if o.model.as_deref() == Some("cnn") {
        m.image = o.image.as_deref().map(image_shape).transpose()?;
        m.conv = o
            .conv
            .as_deref()
            .unwrap_or("16:3:2,32:3:2")
            .split(',')
            .map(occam::mlp::parse_conv_block)
            .collect::<occam::Result<_>>()?;
    }
    train_options(o, &mut m)?;
    Ok(m)
}

/// C,H,W from `--image`.
fn image_shape(a: &str) -> Result<(usize, usize, usize)> {
    let dims: Vec<usize> = a
        .split(',')
        .map(|t| t.trim().parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad("--image", format!("'{a}' is not C,H,W")))?;
    match dims[..] {
        [c, h, w] => Ok((c, h, w)),
        _ => Err(bad("--image", format!("'{a}' is not C,H,W"))),
    }
}

/// The training options of `o` into the estimator `m`.
fn train_options(o: &TrainOptions, m: &mut occam::Mlp) -> Result<()> {
    m.loss = match o.loss.as_deref() {
        None | Some("default") => None,
        Some(s) if s.starts_with("huber") => {
            let delta = match s.strip_prefix("huber:") {
                Some(d) => d
                    .parse::<f64>()
                    .ok()
                    .filter(|d| *d > 0.0)
                    .ok_or_else(|| bad("--loss", format!("'{d}' is not a positive delta")))?,
                None => 1.0,
            };
            Some(Loss::Huber { delta })
        }
        Some(s) => {
            return Err(bad(
                "--loss",
                format!("'{s}' is not 'default' or 'huber[:DELTA]' (the loss follows the task)"),
            ))
        }
    };
    let opt = o.optimizer.as_deref().unwrap_or("adam");
    m.optimizer = match opt {
        "adam" => OptimizerKind::adam(),
        "adamw" => OptimizerKind::AdamW {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        },
        "sgd" => OptimizerKind::Sgd {
            momentum: o.momentum.unwrap_or(0.9),
            nesterov: o.nesterov.unwrap_or(false),
        },
        s => {
            return Err(bad(
                "--optimizer",
                format!("'{s}' is not adam, adamw or sgd"),
            ))
        }
    };
    if o.momentum.is_some() && opt != "sgd" {
        return Err(bad("--momentum", "applies to --optimizer sgd only"));
    }
    m.lr = o.lr;
    m.epochs = o.epochs.unwrap_or(100);
    m.batch_size = o.batch_size.unwrap_or(32);
    m.patience = o.patience;
    m.min_delta = o.min_delta.unwrap_or(0.0);
    m.restore_best = !o.no_restore_best.unwrap_or(false);
    m.clip_norm = o.clip_norm;
    m.clip_value = o.clip_value;
    m.seed = o.seed.unwrap_or(0);
    m.schedule = schedule(o.schedule.as_deref().unwrap_or("constant"))?;
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
    let weight_decay = o
        .weight_decay
        .unwrap_or(if opt == "adamw" { 0.01 } else { 0.0 });
    let default = LayerPenalty {
        l1: o.l1.unwrap_or(0.0),
        l2: o.l2.unwrap_or(0.0),
        elastic_net: en,
        weight_decay,
        group_inputs: o.group_lasso.unwrap_or(0.0),
        group_neurons: o.group_lasso_neurons.unwrap_or(0.0),
    };
    let layers = match o.penalty_layers.as_deref().unwrap_or("all") {
        "all" => LayerSelect::All,
        "first" => LayerSelect::First,
        s => LayerSelect::List(
            s.split(',')
                .map(|t| t.trim().parse::<usize>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| {
                    bad(
                        "--penalty-layers",
                        format!("'{s}' is not all, first or a list like 0,2"),
                    )
                })?,
        ),
    };
    let overrides = o
        .layer_penalty
        .iter()
        .flatten()
        .map(|e| {
            (
                e.layer,
                LayerPenalty {
                    l1: e.l1,
                    l2: e.l2,
                    elastic_net: e.elastic_net,
                    weight_decay: e.weight_decay,
                    group_inputs: e.group_lasso,
                    group_neurons: e.group_lasso_neurons,
                },
            )
        })
        .collect();
    let l1_mode = match o.l1_mode.as_deref().unwrap_or("prox") {
        "prox" => L1Mode::Prox,
        "prox-uniform" => L1Mode::ProxUniform,
        "subgradient" => L1Mode::Subgradient,
        s => {
            return Err(bad(
                "--l1-mode",
                format!("'{s}' is not prox, prox-uniform or subgradient"),
            ))
        }
    };
    m.penalty = PenaltyPolicy {
        default,
        layers,
        overrides,
        penalize_bias: o.penalize_bias.unwrap_or(false),
        l1_mode,
        recurrent_l2: o.recurrent_l2.unwrap_or(0.0),
    };
    Ok(())
}

fn schedule(s: &str) -> Result<Schedule> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |i: usize, d: f64| -> Result<f64> {
        parts.get(i).map_or(Ok(d), |t| {
            t.parse::<f64>()
                .map_err(|_| bad("--schedule", format!("'{t}' in '{s}' is not a number")))
        })
    };
    Ok(match parts[0] {
        "constant" => Schedule::Constant,
        "step" => Schedule::Step {
            every: num(1, 30.0)? as usize,
            gamma: num(2, 0.1)?,
        },
        "cosine" => Schedule::Cosine { min_lr: num(1, 0.0)? },
        "plateau" => Schedule::Plateau {
            factor: num(1, 0.1)?,
            patience: num(2, 10.0)? as usize,
            min_lr: 0.0,
        },
        _ => {
            return Err(bad(
                "--schedule",
                format!("'{s}' is not constant, step:EVERY:GAMMA, cosine[:MIN_LR] or plateau[:FACTOR:PATIENCE]"),
            ))
        }
    })
}

pub use occam::mlp::{engine_data, n_outputs};

/// Standardization statistics from the training rows (dense input only).
pub fn preprocess(train: &Dataset, standardize: bool) -> Preprocess {
    occam::mlp::scaling(train, standardize)
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
