//! `occam train DATA --model lstm|gru --time-column C --target COL --out RUN_DIR`: a recurrent
//! network over sliding windows of a time series (occam-core `series.rs`), split by time
//! (train, then validation, then the last `--test-fraction` of the series as test), against
//! the seasonal-naive (same step one season earlier) and last-value baselines, scored at
//! step `--horizon` on the same windows.
//!
//! Writes forecasts.csv (every validation and test window: time, actual, forecast and both
//! baselines), metrics.csv (per epoch), summary.json, config.toml, model.safetensors and
//! report.html.

use crate::cmd_train::{epoch_line, metrics_csv};
use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, nn_setup, output, UserError};
use anyhow::{Context, Result};
use occam::forecast::ForecastData;
use occam_core::series::{self, Gaps};
use occam_core::table::RawTable;
use occam_core::DataError;
use occam_nn::{CellKind, Trainer};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::Path;

/// `occam predict RUN_DIR DATA` for a forecasting run: the series of DATA (same columns),
/// its last window, and the forecasts of the `horizon` steps after its end.
pub fn predict(dir: &Path, data: &str, out: Option<&Path>) -> Result<()> {
    let run = occam::RunFolder::open(dir)?;
    let mut model = occam::ForecasterModel::load(&run)?;
    let src = load::resolve(data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
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

/// `--missing` for a series: `error` (the default) leaves the forecaster's `gaps` unset, so
/// missing values are an error; `drop` and `interpolate` are the two policies.
fn gaps(o: &TrainOptions) -> Result<Option<Gaps>> {
    match o.missing.as_deref().unwrap_or("error") {
        "error" => Ok(None),
        "drop" => Ok(Some(Gaps::Drop)),
        "interpolate" => Ok(Some(Gaps::Interpolate)),
        m => Err(DataError::param(
            "--missing",
            format!("'{m}' is not error, drop or interpolate (for --model lstm/gru)"),
        )
        .into()),
    }
}

/// The facade's forecaster from the options, and the series prepared for it.
fn prepare(a: &TrainArgs, o: &TrainOptions, cell: CellKind) -> Result<ForecastData> {
    let src = load::resolve(&a.data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
    let time_col = o.time_column.as_ref().ok_or_else(|| {
        UserError(format!(
            "--model {} needs --time-column COL (the columns are: {})",
            cell.name(),
            t.headers.join(", ")
        ))
    })?;
    let mut est = occam::Forecaster::new(time_col);
    est.target = o.target.clone();
    est.covariates = o.features.clone().unwrap_or_default();
    est.cell = cell;
    est.units = o.units.unwrap_or(32);
    est.recurrent_dropout = o.recurrent_dropout.unwrap_or(0.0);
    est.window = o.window;
    est.horizon = o.horizon.unwrap_or(1);
    est.season = o.season;
    est.relative = o.relative.unwrap_or(true);
    est.val_fraction = o.val_fraction.unwrap_or(0.1);
    est.test_fraction = o.test_fraction.unwrap_or(0.2);
    let mut o2 = o.clone();
    o2.hidden.get_or_insert_with(Vec::new);
    est.network = nn_setup::estimator(&o2)?;
    est.gaps = gaps(o)?;
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

/// Root mean square and mean absolute error of paired values.
fn errors(pairs: &[(f64, f64)]) -> Value {
    let n = pairs.len().max(1) as f64;
    let mse = pairs.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n;
    let mae = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    json!({ "rmse": mse.sqrt(), "mae": mae, "n": pairs.len() })
}

/// Scores of one part at the horizon, on the windows whose seasonal-naive value is observed:
/// (model, seasonal naive, last value) errors, the CSV rows, and the model's error per step.
fn score(
    tr: &mut Trainer<f32>,
    p: &ForecastData,
    part: usize,
    csv: &mut String,
) -> (Value, Value, Value, Vec<f64>, usize) {
    let (h, s) = (p.meta.windows.horizon, &p.series);
    let f = p.forecasts(&mut tr.net, part);
    let (mut m, mut sn, mut lv) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_step = vec![(0.0, 0usize); h];
    let mut unscored = 0;
    let name = ["train", "validation", "test"][part];
    for (r, &k) in p.rows[part].iter().enumerate() {
        let t = p.win.origins[k];
        for j in 0..h {
            let actual = s.values[t + 1 + j].expect("windows have observed targets");
            let e = f[r * h + j] - actual;
            per_step[j].0 += e * e;
            per_step[j].1 += 1;
        }
        let i = t + h;
        let actual = s.values[i].expect("windows have observed targets");
        let Some(naive) = series::seasonal_naive(s, i, p.meta.season) else {
            unscored += 1;
            continue;
        };
        let last = s.values[t].unwrap_or(p.win.center[k]);
        let fc = f[r * h + h - 1];
        m.push((fc, actual));
        sn.push((naive, actual));
        lv.push((last, actual));
        let _ = writeln!(
            csv,
            "{},{name},{},{actual},{fc},{naive},{last}",
            s.label(i),
            s.label(t)
        );
    }
    let per_step = per_step
        .iter()
        .map(|(sum, n)| (sum / (*n).max(1) as f64).sqrt())
        .collect();
    (errors(&m), errors(&sn), errors(&lv), per_step, unscored)
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
    let cell = match o.model.as_deref() {
        Some("gru") => CellKind::Gru,
        _ => CellKind::Lstm,
    };
    output::refuse_resume(a.resume, &format!("--model {}", cell.name()))?;
    output::check_new_run(&a.out, occam::RunKind::Forecast, a.force)?;
    let p = prepare(a, o, cell)?;
    let out = &a.out;
    let mut run = output::new_run(out, occam::RunKind::Forecast, a.force)?;
    let config = json!({
        "data": a.data, "options": o,
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
                metrics_csv(&trainer.history).as_bytes(),
            )
            .map_err(|e| format!("{e:#}"))?;
            if log.epoch.is_multiple_of(10) || log.epoch == epochs {
                println!("{}", epoch_line(log, epochs));
            }
            Ok(())
        }),
    )?;
    let (mut tr, outcome, secs) = (trained.trainer, trained.outcome, trained.seconds);
    model.save(&mut run)?;
    let mut csv = String::from("time,part,origin,actual,forecast,seasonal_naive,last_value\n");
    let mut summary = Map::new();
    let mut parts = Map::new();
    for (part, name) in [(1, "validation"), (2, "test")] {
        let (m, sn, lv, per_step, unscored) = score(&mut tr, &p, part, &mut csv);
        parts.insert(
            name.into(),
            json!({ "model": m, "seasonal_naive": sn, "last_value": lv,
                    "rmse_per_step": per_step, "windows": p.rows[part].len(),
                    "unscored_no_seasonal_value": unscored }),
        );
    }
    let test = &parts["test"];
    let beats = test["model"]["rmse"].as_f64() < test["seasonal_naive"]["rmse"].as_f64();
    let train_rmse = {
        let f = p.forecasts(&mut tr.net, 0);
        let h = p.meta.windows.horizon;
        let pairs: Vec<(f64, f64)> = p.rows[0]
            .iter()
            .enumerate()
            .map(|(r, &k)| {
                let i = p.win.origins[k] + h;
                (f[r * h + h - 1], s.values[i].expect("observed target"))
            })
            .collect();
        errors(&pairs)
    };
    summary.insert("model".into(), json!(cell.name()));
    summary.insert("target".into(), json!(p.meta.target));
    summary.insert(
        "series".into(),
        json!({ "steps": s.len(), "step_seconds": s.step, "missing": s.missing(),
                "missing_time_stamps": s.inserted, "gaps": p.meta.windows.gaps,
                "first": s.label(0), "last": s.label(s.len() - 1),
                "validation_starts": s.label(p.win.val_start), "test_starts": s.label(p.win.test_start) }),
    );
    summary.insert(
        "windows".into(),
        json!({ "window": p.meta.windows.window, "horizon": p.meta.windows.horizon, "season": p.meta.season,
                "relative": p.meta.windows.relative, "features_per_step": p.win.features,
                "train": p.rows[0].len(), "validation": p.rows[1].len(), "test": p.rows[2].len(),
                "left_out_missing_input": p.win.dropped_inputs,
                "left_out_missing_target": p.win.dropped_targets }),
    );
    summary.insert("train_model".into(), train_rmse);
    summary.insert("scores".into(), Value::Object(parts.clone()));
    summary.insert("beats_seasonal_naive".into(), json!(beats));
    summary.insert("epochs_run".into(), json!(outcome.epochs_run));
    summary.insert("best_epoch".into(), json!(outcome.best_epoch));
    summary.insert("stopped_early".into(), json!(outcome.stopped_early));
    summary.insert("fit_seconds".into(), json!(secs));
    summary.insert("n_params".into(), json!(tr.net.n_params()));
    summary.insert("penalty".into(), json!(tr.reg.value(&tr.net).penalty));
    if o.baseline.unwrap_or(false) {
        let (bspec, bcfg) = crate::cmd_train::unregularized(&p.meta.spec, &p.cfg);
        let mut bspec = bspec;
        if let Some(r) = bspec.recurrent.as_mut() {
            r.recurrent_dropout = 0.0;
        }
        let (_, b) = p.train(&bspec, &bcfg, &mut ())?;
        let (mut bt, bo) = (b.trainer, b.outcome);
        let (bm, ..) = score(&mut bt, &p, 2, &mut String::new());
        summary.insert(
            "comparison".into(),
            json!({ "held_out": "test", "regularized": test["model"], "baseline": bm,
                    "baseline_epochs": bo.epochs_run }),
        );
    }
    run.write("forecasts.csv", csv.as_bytes())?;
    run.write_json("summary.json", &Value::Object(summary.clone()))?;
    println!(
        "trained {} epochs (best {}), {secs:.2} s",
        outcome.epochs_run,
        outcome.best_epoch.map_or("-".into(), |b| b.to_string())
    );
    for name in ["validation", "test"] {
        let v = &parts[name];
        println!(
            "{name} RMSE at step {}: {} {:.4}, seasonal naive {:.4}, last value {:.4} ({} windows)",
            p.meta.windows.horizon,
            cell.name(),
            v["model"]["rmse"].as_f64().unwrap_or(f64::NAN),
            v["seasonal_naive"]["rmse"].as_f64().unwrap_or(f64::NAN),
            v["last_value"]["rmse"].as_f64().unwrap_or(f64::NAN),
            v["model"]["n"]
        );
    }
    if let Some(c) = summary.get("comparison") {
        println!(
            "baseline vs regularized on test: regularized RMSE {:.4}, unregularized {:.4}",
            c["regularized"]["rmse"].as_f64().unwrap_or(f64::NAN),
            c["baseline"]["rmse"].as_f64().unwrap_or(f64::NAN)
        );
    }
    crate::cmd_report::finish_run(out, a.no_report)
}

/// True when `dir` holds a forecasting run.
pub fn is_run(dir: &Path) -> bool {
    dir.join("forecasts.csv").exists() && dir.join("summary.json").exists()
}
