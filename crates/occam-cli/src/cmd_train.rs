//! `occam train`: an MLP on a data set with the requested penalties, written to a run folder:
//! model.safetensors + model.json, metrics.csv (one row per epoch), summary.json, config.toml
//! (the resolved options) and checkpoint.safetensors (every epoch, for `--resume`).

use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::nn_setup;
use crate::{load, output, UserError};
use anyhow::{Context, Result};
use occam::results::Comparison;
use occam::{Mode, RunFolder, RunKind};
use occam_core::Dataset;
use occam_nn::{EpochLog, TrainConfig, Trainer};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::Path;

/// Everything one training run needs, resolved from flags, config file and data: the
/// options, the threads and the facade's prepared run (split, scaling, spec, settings).
pub struct Prepared {
    pub opts: TrainOptions,
    pub threads: usize,
    pub run: occam::network::Prepared,
}

impl std::ops::Deref for Prepared {
    type Target = occam::network::Prepared;
    fn deref(&self) -> &Self::Target {
        &self.run
    }
}

/// The data set DATA with the reading options of `o`.
pub fn load_dataset(data_arg: &str, o: &TrainOptions, vocab: Option<&Path>) -> Result<Dataset> {
    o.data_options(vocab).load(data_arg).map_err(load::usage)
}

pub fn prepare(data_arg: &str, o: TrainOptions, vocab: Option<&Path>) -> Result<Prepared> {
    let d = if load::is_idx(data_arg) {
        let labels = o
            .labels
            .as_deref()
            .ok_or_else(|| UserError(format!("{data_arg}: idx images need --labels FILE")))?;
        load::idx_dataset(data_arg, labels)?
    } else {
        load_dataset(data_arg, &o, vocab)?
    };
    prepare_dataset(d, o)
}

/// `prepare` for a data set already built (e.g. the document-term matrix of `--model text`).
pub fn prepare_dataset(d: Dataset, o: TrainOptions) -> Result<Prepared> {
    if o.repeats == Some(0) {
        anyhow::bail!(occam_core::DataError::param(
            "--repeats",
            "must be at least 1"
        ));
    }
    let threads = nn_setup::set_threads(o.threads)?;
    let test_files = match (&o.test_images, &o.test_labels) {
        (Some(i), Some(l)) => Some(load::idx_dataset(i, l)?),
        (None, None) => None,
        _ => anyhow::bail!(UserError(
            "--test-images and --test-labels go together".into()
        )),
    };
    let m = o.mlp()?;
    let test_fraction = o.test_fraction.unwrap_or(0.0);
    let run = occam::network::Prepared::new(&m, d, test_fraction, test_files.as_ref()).map_err(
        |e| -> anyhow::Error {
            match e.param() {
                Some("patience") => {
                    UserError("--patience needs a validation split (--val-fraction > 0)".into())
                        .into()
                }
                Some("test_fraction") => {
                    UserError("--test-images replaces --test-fraction; give one of them".into())
                        .into()
                }
                _ => e.into(),
            }
        },
    )?;
    Ok(Prepared {
        opts: o,
        threads,
        run,
    })
}

/// The resolved configuration as recorded in config.toml.
fn resolved(p: &Prepared, data_arg: &str) -> Result<String> {
    let v = json!({
        "data": data_arg,
        "options": p.opts,
        "resolved": {
            "threads": p.threads,
            "task": p.data.task.name(),
            "rows": { "train": p.rows.0, "validation": p.rows.1, "test": p.rows.2 },
            "architecture": p.spec,
            "training": p.cfg,
        }
    });
    toml::to_string_pretty(&without_nulls(v)).context("cannot write the resolved config as TOML")
}

/// TOML has no null: unset options are left out.
pub(crate) fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

pub(crate) fn epoch_line(h: &EpochLog, epochs: usize) -> String {
    let mut s = format!("epoch {}/{epochs}: train {:.4}", h.epoch, h.train_loss);
    if let Some(v) = h.val_loss {
        s.push_str(&format!(", val {v:.4}"));
    }
    s.push_str(&format!(", penalty {:.4}", h.penalty));
    for (k, v) in h
        .val_metrics
        .iter()
        .filter(|(k, _)| k == "accuracy" || k == "r2" || k == "rmse")
    {
        s.push_str(&format!(", {k} {v:.4}"));
    }
    let (z, t) = h.zeros.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if z > 0 {
        s.push_str(&format!(", zeros {z}/{t}"));
    }
    s
}

/// The CLI's training callback: a progress bar on a terminal, and the caller's epoch hook
/// (checkpointing, logging).
struct Progress<F> {
    bar: Option<indicatif::ProgressBar>,
    epochs: usize,
    on_epoch: F,
}

impl<F> occam::Callback for Progress<F>
where
    F: FnMut(&EpochLog, &Trainer<f32>) -> std::result::Result<(), String>,
{
    fn on_step(
        &mut self,
        _epoch: usize,
        _step: usize,
        _steps: usize,
        _loss: f64,
    ) -> std::result::Result<(), String> {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        Ok(())
    }

    fn on_epoch(
        &mut self,
        log: &EpochLog,
        trainer: &Trainer<f32>,
    ) -> std::result::Result<(), String> {
        if let Some(b) = &self.bar {
            b.set_message(epoch_line(log, self.epochs));
        }
        (self.on_epoch)(log, trainer)
    }
}

/// Trains one network; `on_epoch` sees every finished epoch (checkpointing, logging).
pub fn fit(
    p: &Prepared,
    cfg: &TrainConfig,
    spec: &occam_nn::MlpSpec,
    resume: Option<occam_nn::TrainState<f32>>,
    on_epoch: impl FnMut(&EpochLog, &Trainer<f32>) -> std::result::Result<(), String>,
    show_progress: bool,
) -> Result<(Trainer<f32>, occam_nn::Outcome, f64)> {
    let done = resume.as_ref().map_or(0, |st| st.meta.history.len());
    let bar = (show_progress && std::io::stderr().is_terminal()).then(|| {
        let steps = p.train.rows().div_ceil(cfg.batch_size.max(1)) as u64;
        let b = indicatif::ProgressBar::new(steps * cfg.epochs as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} steps, eta {eta} {msg}")
                .expect("valid template"),
        );
        b.set_position(steps * done as u64);
        b
    });
    let mut cb = Progress {
        bar,
        epochs: cfg.epochs,
        on_epoch,
    };
    let trained = occam::mlp::train_network(spec, cfg, &p.train, p.val.as_ref(), resume, &mut cb);
    if let Some(b) = &cb.bar {
        b.finish_and_clear();
    }
    let t = trained.map_err(|e| match e {
        occam::Error::Nn(n) => anyhow::Error::from(n),
        other => other.into(),
    })?;
    Ok((t.trainer, t.outcome, t.seconds))
}

pub fn run(a: &TrainArgs) -> Result<()> {
    let o = nn_setup::merge(&a.input.opts, a.input.config.as_deref())?;
    nn_setup::set_threads(o.threads)?;
    match o.model.as_deref().unwrap_or("mlp") {
        "mlp" | "cnn" => nn_setup::in_pool(|| run_in_pool(a, o)),
        "text" => crate::cmd_text::run(a, &o),
        "recommender" => crate::cmd_rec::run(a, &o),
        "lstm" | "gru" => crate::cmd_forecast::run(a, &o),
        m => Err(occam_core::DataError::param(
            "--model",
            format!("'{m}' is not mlp, cnn, lstm, gru, text or recommender"),
        )
        .into()),
    }
}

fn run_in_pool(a: &TrainArgs, o: TrainOptions) -> Result<()> {
    let p = prepare(&a.input.data, o, a.vocab.as_deref())?;
    run_prepared(a, p)
}

/// Trains the network of `p` into the run folder of `a` (inside the rayon pool).
pub fn run_prepared(a: &TrainArgs, p: Prepared) -> Result<()> {
    let config_text = resolved(&p, &a.input.data)?;
    let out = &a.run.out;
    let ckpt = out.join("checkpoint.safetensors");
    let cfg_path = out.join("config.toml");
    let mode = if a.resume {
        Mode::Resume
    } else if a.run.force {
        Mode::Force
    } else {
        Mode::New
    };
    let mut run = RunFolder::create(out, RunKind::Mlp, mode)?;
    let resume = if a.resume {
        let saved = std::fs::read_to_string(&cfg_path)
            .with_context(|| format!("--resume: cannot read {}", cfg_path.display()))?;
        if saved != config_text {
            anyhow::bail!(UserError(format!(
                "--resume: the options differ from the interrupted run recorded in {}; \
                 resume with the same data and options",
                cfg_path.display()
            )));
        }
        Some(nn_setup::read_checkpoint(&ckpt)?)
    } else {
        run.write("config.toml", config_text.as_bytes())?;
        None
    };
    println!(
        "occam train: {} rows x {} features ({}), {} train / {} validation / {} test, {} threads",
        p.data.nrows(),
        p.data.nfeatures(),
        p.data.task.name(),
        p.rows.0,
        p.rows.1,
        p.rows.2,
        p.threads
    );
    let quiet_terminal = std::io::stderr().is_terminal();
    let epochs = p.cfg.epochs;
    let (mut tr, outcome, secs) = fit(
        &p,
        &p.cfg,
        &p.spec,
        resume,
        |log, trainer| {
            let bytes = trainer.state().encode().map_err(|e| e.to_string())?;
            output::write_atomic(&ckpt, &bytes).map_err(|e| format!("{e:#}"))?;
            output::write_atomic(
                &out.join("metrics.csv"),
                occam::results::epochs_csv(&trainer.history).as_bytes(),
            )
            .map_err(|e| format!("{e:#}"))?;
            if !quiet_terminal {
                println!("{}", epoch_line(log, epochs));
            }
            Ok(())
        },
        true,
    )
    .map_err(|e| match e.downcast::<occam_nn::NnError>() {
        Ok(n @ (occam_nn::NnError::NonFinite { .. } | occam_nn::NnError::Diverged { .. })) => {
            let what = match &n {
                occam_nn::NnError::NonFinite { epoch, step, value } => {
                    format!("the training loss became {value} at epoch {epoch}, step {step}")
                }
                occam_nn::NnError::Diverged {
                    epoch,
                    loss,
                    first,
                    factor,
                } => format!(
                    "the training loss reached {loss:.3e} at epoch {epoch}, over {factor:.0e} \
                     times the first epoch's {first:.3e}"
                ),
                other => other.to_string(),
            };
            let keep = if ckpt.exists() {
                format!("the last good checkpoint is {}", ckpt.display())
            } else {
                "no epoch finished, so there is no checkpoint".to_string()
            };
            anyhow::anyhow!(crate::Stopped(format!(
                "{what}; training stopped and no model was written; {keep}. Try a smaller --lr \
                 or --clip-norm"
            )))
        }
        Ok(other) => other.into(),
        Err(e) => e,
    })?;
    let mut model = p.model(tr.net.clone())?;
    let mut summary = occam::network::result(
        &mut tr,
        &p.spec,
        &p.data,
        &p.parts(),
        &outcome,
        secs,
        p.threads,
    );
    if p.opts.baseline.unwrap_or(false) {
        summary.comparison = Some(compare_baseline(&p)?);
    }
    summary.uncertainty = p.uncertainty(&mut model)?;
    summary.robustness = p.robustness(&mut model.net)?;
    model.meta.privacy = summary.privacy.clone();
    // The model, metrics.csv (written after every epoch, now listed in the manifest with its
    // checksum) and summary.json.
    let metrics = occam::results::epochs_csv(&tr.history);
    occam::network::save_run(&mut run, &model, &metrics, Some(&summary))?;
    if !p.test_rows.is_empty() {
        // The held-out rows' predictions as `occam predict` computes them, for the record.
        run.write(
            "test_predictions.csv",
            p.test_predictions_csv(&mut model)?.as_bytes(),
        )?;
    }
    print!("{summary}");
    crate::cmd_report::finish_run(out, a.run.no_report)
}

/// Trains the regularized and the unregularized network over `repeats` seeds and scores both
/// on the held-out rows (test split when there is one, else validation).
fn compare_baseline(p: &Prepared) -> Result<Comparison> {
    let repeats = p.opts.repeats.unwrap_or(1).max(1);
    let held = match (&p.test, &p.val) {
        (Some(t), _) => (t, "test"),
        (None, Some(v)) => (v, "validation"),
        _ => anyhow::bail!(UserError(
            "--baseline needs held-out rows (--test-fraction or --val-fraction)".into()
        )),
    };
    let seeds: Vec<u64> = (0..repeats as u64).map(|r| p.cfg.seed + r).collect();
    Ok(occam::network::compare_baseline(
        &p.spec,
        &p.cfg,
        &p.parts(),
        held,
        &seeds,
    )?)
}
