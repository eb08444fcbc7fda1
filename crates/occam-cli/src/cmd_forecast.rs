//! `occam train DATA --model lstm|gru --time-column C --target COL --out RUN_DIR`: a recurrent
//! network over sliding windows of a time series (occam-core `series`), split by time
//! (train, then validation, then the last `--test-fraction` of the series as test), against
//! the seasonal-naive (same step one season earlier) and last-value baselines, scored at
//! step `--horizon` on the same windows.
//!
//! Writes forecasts.csv (every validation and test window: time, actual, forecast and both
//! baselines), metrics.csv (per epoch), summary.json, config.toml, model.safetensors and
//! report.html.

use crate::cmd_train::epoch_line;
use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, nn_setup, output, UserError};
use anyhow::{Context, Result};
use occam::forecast::ForecastData;
use occam_nn::{CellKind, Trainer};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// `occam predict RUN_DIR DATA` for a forecasting run: the series of DATA (same columns),
/// its last window, and the forecasts of the `horizon` steps after its end.
pub fn predict(model: &mut occam::ForecasterModel, data: &str, out: Option<&Path>) -> Result<()> {
    let src = load::resolve(data)?;
    let t = src.table()?;
    let f = model.forecast(&t)?;
    let mut csv = String::from("time,steps_ahead,forecast\n");
    for step in &f {
        let _ = writeln!(csv, "{},{},{}", step.time, step.steps_ahead, step.value);
    }
    match out {
        Some(p) => {
            output::write_atomic(p, csv.as_bytes())?;
            eprintln!(
                "forecast of {} steps after the end of {} written to {}",
                f.len(),
                src.path.display(),
                p.display()
            );
        }
        None => print!("{csv}"),
    }
    Ok(())
}

pub fn run(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    nn_setup::in_pool(|| run_in_pool(a, o))
}

/// The facade's forecaster from the options, and the series prepared for it.
fn prepare(a: &TrainArgs, o: &TrainOptions, cell: CellKind) -> Result<ForecastData> {
    let src = load::resolve(&a.input.data)?;
    let t = src.table()?;
    let time_col = o.time_column.as_ref().ok_or_else(|| {
        UserError(format!(
            "--model {} needs --time-column COL (the columns are: {})",
            cell.name(),
            t.headers.join(", ")
        ))
    })?;
    let est = o.forecaster(time_col)?;
    est.prepare(&t).map_err(|e| match e {
        // The facade names its field (`gaps`); the CLI names its flag.
        occam::Error::MissingInSeries {
            path,
            target,
            missing,
            inserted,
            first,
        } => UserError(format!(
            "{}: '{target}' has {missing} missing values ({inserted} of them missing time \
             stamps), the first {first}; choose --missing drop (leave out the windows that \
             touch one) or --missing interpolate (fill inputs linearly, with an observed flag)",
            path.display()
        ))
        .into(),
        other => other.into(),
    })
}

/// Calls `F` after every epoch (the CLI's log lines and metrics.csv).
struct EpochHook<F>(F);

impl<F> occam::Callback for EpochHook<F>
where
    F: FnMut(&occam_nn::EpochLog, &Trainer<f32>) -> std::result::Result<(), String>,
{
    fn on_epoch(
        &mut self,
        log: &occam_nn::EpochLog,
        trainer: &Trainer<f32>,
    ) -> std::result::Result<(), String> {
        (self.0)(log, trainer)
    }
}

fn run_in_pool(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    let cell = o.cell();
    output::refuse_resume(a.resume, &format!("--model {}", cell.name()))?;
    output::check_new_run(&a.run.out, occam::RunKind::Forecast, a.run.force)?;
    let p = prepare(a, o, cell)?;
    let out = &a.run.out;
    let mut run = output::new_run(out, occam::RunKind::Forecast, a.run.force)?;
    let config = json!({
        "data": a.input.data, "options": o,
        "resolved": { "season": p.meta.season, "window": p.meta.windows.window, "horizon": p.meta.windows.horizon,
            "relative": p.meta.windows.relative, "gaps": p.meta.windows.gaps,
            "val_fraction": p.meta.windows.val_fraction, "test_fraction": p.meta.windows.test_fraction,
            "architecture": p.meta.spec, "training": p.cfg },
    });
    run.write(
        "config.toml",
        toml::to_string_pretty(&crate::cmd_train::without_nulls(config.clone()))
            .context("cannot write the resolved config as TOML")?
            .as_bytes(),
    )?;
    let s = &p.series;
    println!(
        "occam train --model {}: '{}', {} steps of {} s ({} missing, {} of them missing time stamps); \
         windows of {} steps, horizon {}, season {}: {} train / {} validation / {} test \
         ({} left out for a missing input, {} for a missing target)",
        cell.name(),
        p.meta.target,
        s.len(),
        s.step,
        s.missing(),
        s.inserted,
        p.meta.windows.window,
        p.meta.windows.horizon,
        p.meta.season,
        p.rows[0].len(),
        p.rows[1].len(),
        p.rows[2].len(),
        p.win.dropped_inputs,
        p.win.dropped_targets
    );
    let epochs = p.cfg.epochs;
    let (model, trained) = p.train(
        &p.meta.spec,
        &p.cfg,
        &mut EpochHook(|log: &occam_nn::EpochLog, trainer: &Trainer<f32>| {
            output::write_atomic(
                &out.join("metrics.csv"),
                occam::results::epochs_csv(&trainer.history).as_bytes(),
            )
            .map_err(|e| format!("{e:#}"))?;
            if log.epoch.is_multiple_of(10) || log.epoch == epochs {
                println!("{}", epoch_line(log, epochs));
            }
            Ok(())
        }),
    )?;
    let mut trained = trained;
    model.save(&mut run)?;
    run.write(
        "metrics.csv",
        occam::results::epochs_csv(&trained.trainer.history).as_bytes(),
    )?;
    let mut baseline = if o.baseline.unwrap_or(false) {
        Some(p.train_unregularized()?)
    } else {
        None
    };
    let (summary, csv) = p.result(&mut trained, baseline.as_mut());
    run.write("forecasts.csv", csv.as_bytes())?;
    run.write_json("summary.json", &summary)?;
    print!("{summary}");
    crate::cmd_report::finish_run(out, a.run.no_report)
}
