//! Stage 2 for `occam train`: merge the TOML config under the flags, apply defaults, validate,
//! and build the library configs (`MlpSpec`, `TrainConfig`); and turn a `Dataset` into the
//! engine's f32 rows with training-split standardization.

use crate::flags_nn::TrainOptions;
use crate::UserError;
use anyhow::{Context, Result};
use occam_core::{Dataset, Matrix, Standardizer, Task};
use occam_nn::model::Preprocess;
use occam_nn::optim::schedule::Schedule;
use occam_nn::regularize::{L1Mode, LayerPenalty, LayerSelect, PenaltyPolicy};
use occam_nn::{ActKind, Csr, Data, Features, Loss, Mat, MlpSpec, OptimizerKind, TrainConfig};
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

fn frac(param: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(bad(param, format!("{v} is not in [0, 1)")))
    }
}

/// The architecture for `n_in` inputs and `n_out` outputs.
pub fn spec(o: &TrainOptions, n_in: usize, n_out: usize) -> Result<MlpSpec> {
    let hidden: Vec<usize> = o
        .hidden
        .clone()
        .unwrap_or_else(|| vec![64, 32])
        .into_iter()
        .filter(|&h| h > 0)
        .collect();
    let mut s = MlpSpec::new(n_in, hidden, n_out);
    if let Some(a) = &o.activation {
        s.activation = ActKind::parse(a).ok_or_else(|| {
            bad(
                "--activation",
                format!("'{a}' is not relu, gelu, tanh or sigmoid"),
            )
        })?;
    }
    if o.model.as_deref() == Some("cnn") {
        s.image = Some(image_shape(o.image.as_deref(), n_in)?);
        s.conv = conv_blocks(o.conv.as_deref().unwrap_or("16:3:2,32:3:2"))?;
        if o.hidden.is_none() {
            s.hidden = vec![64];
        }
        // Each block must leave at least one pixel.
        let (_, mut h, mut w) = s.image.expect("set above");
        for b in &s.conv {
            if b.kernel > h + 2 * (b.kernel / 2) || b.kernel > w + 2 * (b.kernel / 2) {
                return Err(bad(
                    "--conv",
                    format!(
                        "kernel {} is larger than the {h}x{w} image it sees",
                        b.kernel
                    ),
                ));
            }
            let pad = b.kernel / 2;
            (h, w) = (
                (h + 2 * pad - b.kernel) / b.stride + 1,
                (w + 2 * pad - b.kernel) / b.stride + 1,
            );
            (h, w) = (h / b.pool.max(1), w / b.pool.max(1));
            if h == 0 || w == 0 {
                return Err(bad("--conv", "the pooling shrinks the image to nothing"));
            }
        }
    }
    s.dropout = frac("--dropout", o.dropout.unwrap_or(0.0))?;
    s.drop_connect = frac("--dropconnect", o.dropconnect.unwrap_or(0.0))?;
    s.spatial_dropout = frac("--spatial-dropout", o.spatial_dropout.unwrap_or(0.0))?;
    if s.spatial_dropout > 0.0 && s.conv.is_empty() {
        return Err(bad("--spatial-dropout", "needs convolutions (--model cnn)"));
    }
    s.batch_norm = o.batch_norm.unwrap_or(false);
    s.layer_norm = o.layer_norm.unwrap_or(false);
    Ok(s)
}

/// C,H,W from `--image`, or a square single-channel image when the width is a square.
fn image_shape(arg: Option<&str>, n_in: usize) -> Result<(usize, usize, usize)> {
    let dims: Vec<usize> = match arg {
        Some(a) => a
            .split(',')
            .map(|t| t.trim().parse::<usize>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad("--image", format!("'{a}' is not C,H,W")))?,
        None => {
            let s = (n_in as f64).sqrt().round() as usize;
            if s * s != n_in {
                return Err(bad(
                    "--image",
                    format!("{n_in} features are not a square image; give --image C,H,W"),
                ));
            }
            vec![1, s, s]
        }
    };
    if dims.len() != 3 || dims.iter().product::<usize>() != n_in || dims.contains(&0) {
        return Err(bad(
            "--image",
            format!("{dims:?} does not describe rows of {n_in} values"),
        ));
    }
    Ok((dims[0], dims[1], dims[2]))
}

/// FILTERS:KERNEL[:POOL],... (pool default 2).
fn conv_blocks(spec: &str) -> Result<Vec<occam_nn::net::ConvBlock>> {
    const FORM: &str = "FILTERS:KERNEL[:POOL[:STRIDE]] (POOL: N, maxN or avgN)";
    spec.split(',')
        .map(|b| {
            let parts: Vec<&str> = b.split(':').map(str::trim).collect();
            let num = |t: &str| t.parse::<usize>().ok();
            let wrong = || bad("--conv", format!("'{b}' is not {FORM}"));
            if !(2..=4).contains(&parts.len()) {
                return Err(wrong());
            }
            let (f, k) = (
                num(parts[0]).ok_or_else(wrong)?,
                num(parts[1]).ok_or_else(wrong)?,
            );
            let (pool_kind, pool) = match parts.get(2) {
                None => (occam_nn::layer::PoolKind::Max, 2),
                Some(t) => {
                    let (kind, n) = if let Some(n) = t.strip_prefix("avg") {
                        (occam_nn::layer::PoolKind::Avg, n)
                    } else {
                        (
                            occam_nn::layer::PoolKind::Max,
                            t.strip_prefix("max").unwrap_or(t),
                        )
                    };
                    (kind, num(n).ok_or_else(wrong)?.max(1))
                }
            };
            let stride = match parts.get(3) {
                None => 1,
                Some(t) => num(t).ok_or_else(wrong)?,
            };
            if f == 0 || k == 0 || stride == 0 {
                return Err(bad(
                    "--conv",
                    format!("'{b}': filters, kernel and stride must be >= 1"),
                ));
            }
            Ok(occam_nn::net::ConvBlock {
                filters: f,
                kernel: k,
                pool,
                pool_kind,
                stride,
            })
        })
        .collect()
}

fn default_loss(task: Task) -> Loss {
    match task {
        Task::Regression => Loss::Mse,
        Task::Binary => Loss::BceLogits,
        Task::Multiclass => Loss::SoftmaxCe,
        Task::Counts => Loss::PoissonNll,
    }
}

/// The training config (validated by the library when the trainer is built).
pub fn train_config(o: &TrainOptions, task: Task) -> Result<TrainConfig> {
    let loss = match o.loss.as_deref() {
        None | Some("default") => default_loss(task),
        Some(s) if s.starts_with("huber") => {
            if task != Task::Regression {
                return Err(bad("--loss", "huber applies to regression targets"));
            }
            let delta = match s.strip_prefix("huber:") {
                Some(d) => d
                    .parse::<f64>()
                    .ok()
                    .filter(|d| *d > 0.0)
                    .ok_or_else(|| bad("--loss", format!("'{d}' is not a positive delta")))?,
                None => 1.0,
            };
            Loss::Huber { delta }
        }
        Some(s) => {
            return Err(bad(
                "--loss",
                format!("'{s}' is not 'default' or 'huber[:DELTA]' (the loss follows the task)"),
            ))
        }
    };
    let mut c = TrainConfig::new(loss);
    let opt = o.optimizer.as_deref().unwrap_or("adam");
    c.optimizer = match opt {
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
    c.lr = o.lr.unwrap_or(if opt == "sgd" { 1e-2 } else { 1e-3 });
    c.epochs = o.epochs.unwrap_or(100);
    c.batch_size = o.batch_size.unwrap_or(32);
    c.patience = o.patience;
    c.min_delta = o.min_delta.unwrap_or(0.0);
    c.restore_best = !o.no_restore_best.unwrap_or(false);
    c.clip_norm = o.clip_norm;
    c.clip_value = o.clip_value;
    c.seed = o.seed.unwrap_or(0);
    c.schedule = schedule(o.schedule.as_deref().unwrap_or("constant"))?;
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
    c.penalty = PenaltyPolicy {
        default,
        layers,
        overrides,
        penalize_bias: o.penalize_bias.unwrap_or(false),
        l1_mode,
        recurrent_l2: o.recurrent_l2.unwrap_or(0.0),
    };
    Ok(c)
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

/// Standardization statistics from the training rows (dense input only).
pub fn preprocess(train: &Dataset, standardize: bool) -> Preprocess {
    let sparse = train.x.is_sparse();
    let (mean, scale) = if standardize && !sparse {
        let s = Standardizer::fit(&train.x, None);
        (Some(s.mean), Some(s.scale))
    } else {
        (None, None)
    };
    let y_scale = (train.task == Task::Regression).then(|| {
        let n = train.y.len() as f64;
        let m = train.y.iter().sum::<f64>() / n;
        let sd = (train.y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
        (m, if sd > 0.0 { sd } else { 1.0 })
    });
    Preprocess {
        mean,
        scale,
        y_scale,
        sparse,
    }
}

/// Rows of `x` (dense: standardized as `pre` says) in the engine's f32 layout.
pub fn features(x: &Matrix, pre: &Preprocess) -> Features<f32> {
    match x {
        Matrix::Dense(d) => {
            let (n, p) = (d.nrows, d.ncols);
            let mut m = Mat::zeros(n, p);
            for j in 0..p {
                let (mu, sc) = match (&pre.mean, &pre.scale) {
                    (Some(mu), Some(sc)) => (mu[j], sc[j]),
                    _ => (0.0, 1.0),
                };
                for (i, &v) in d.col(j).iter().enumerate() {
                    m.data[i * p + j] = ((v - mu) / sc) as f32;
                }
            }
            Features::Dense(m)
        }
        Matrix::Sparse(s) => {
            let mut counts = vec![0usize; s.nrows + 1];
            for &r in &s.indices {
                counts[r as usize + 1] += 1;
            }
            for i in 0..s.nrows {
                counts[i + 1] += counts[i];
            }
            let mut next = counts.clone();
            let nnz = s.indices.len();
            let (mut idx, mut val) = (vec![0u32; nnz], vec![0f32; nnz]);
            for j in 0..s.ncols {
                for k in s.indptr[j]..s.indptr[j + 1] {
                    let r = s.indices[k] as usize;
                    idx[next[r]] = j as u32;
                    val[next[r]] = s.values[k] as f32;
                    next[r] += 1;
                }
            }
            Features::Sparse(Csr {
                rows: s.nrows,
                cols: s.ncols,
                indptr: counts,
                indices: idx,
                values: val,
            })
        }
    }
}

/// Network outputs for a data set: one per class for multiclass, else one.
pub fn n_outputs(d: &Dataset) -> usize {
    if d.task == Task::Multiclass {
        d.classes.len()
    } else {
        1
    }
}

/// The engine's view of a data set (targets scaled for regression).
pub fn engine_data(d: &Dataset, pre: &Preprocess) -> Data<f32> {
    let outputs = n_outputs(d);
    let y = match pre.y_scale {
        Some((m, s)) => d.y.iter().map(|v| ((v - m) / s) as f32).collect(),
        None => d.y.iter().map(|&v| v as f32).collect(),
    };
    Data {
        x: features(&d.x, pre),
        y,
        task: d.task,
        outputs,
        y_scale: pre.y_scale,
    }
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
