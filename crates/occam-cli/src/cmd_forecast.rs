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
use occam_core::series::{self, Gaps, Series, WindowSpec, Windows};
use occam_core::table::RawTable;
use occam_core::{DataError, Task};
use occam_nn::mat::Mat;
use occam_nn::model::save_weights;
use occam_nn::{
    CellKind, Data, Event, Features, MlpSpec, Net, RecurrentSpec, TrainConfig, Trainer,
};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// What `occam predict` needs to forecast past the end of a series: forecast.json.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForecastModel {
    pub format: String,
    pub spec: MlpSpec,
    pub time_column: String,
    pub target: String,
    pub covariates: Vec<String>,
    pub step_seconds: i64,
    pub season: usize,
    pub windows: WindowSpec,
    pub scaling: series::Scaling,
}

pub const FORECAST_FORMAT: &str = "occam-forecast-1";

/// `occam predict RUN_DIR DATA` for a forecasting run: the series of DATA (same columns),
/// its last window, and the forecasts of the `horizon` steps after its end.
pub fn predict(dir: &Path, data: &str, out: Option<&Path>) -> Result<()> {
    let fj = dir.join("forecast.json");
    let m: ForecastModel = serde_json::from_str(
        &std::fs::read_to_string(&fj).with_context(|| format!("cannot read {}", fj.display()))?,
    )
    .with_context(|| format!("{}: not a forecast description", fj.display()))?;
    if m.format != FORECAST_FORMAT {
        anyhow::bail!(UserError(format!(
            "{}: format '{}', this occam reads '{FORECAST_FORMAT}'",
            fj.display(),
            m.format
        )));
    }
    let src = load::resolve(data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
    let ti = t.column_index(&m.time_column, "the model's time column")?;
    let yi = t.column_index(&m.target, "the model's target")?;
    let covs = m
        .covariates
        .iter()
        .map(|c| t.column_index(c, "a model covariate"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let s = series::read_series(&t, ti, yi, &covs)?;
    if s.step != m.step_seconds {
        anyhow::bail!(UserError(format!(
            "{}: the series' step is {} s, the model was trained on steps of {} s",
            src.path.display(),
            s.step,
            m.step_seconds
        )));
    }
    let (x, center) = series::last_window(&s, &m.windows, &m.scaling)
        .map_err(|e| UserError(format!("{}: {e}", src.path.display())))?;
    let wp = dir.join("model.safetensors");
    let bytes = std::fs::read(&wp).map_err(|e| UserError(format!("{}: {e}", wp.display())))?;
    let mut net: Net<f32> = Net::new(&m.spec, 0);
    occam_nn::tensors::load_net_tensors(&mut net, &occam_nn::tensors::decode(&bytes)?)
        .with_context(|| wp.display().to_string())?;
    let xm = Mat::from_vec(1, x.len(), x.iter().map(|&v| v as f32).collect());
    let y = net.forward_eval(occam_nn::Batch::Dense(&xm));
    let last = *s.times.last().expect("a series has steps");
    let mut csv = String::from("time,steps_ahead,forecast\n");
    for (h, &v) in y.data.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{},{},{}",
            series::iso(last + (h as i64 + 1) * s.step),
            h + 1,
            center + m.scaling.scale * v as f64
        );
    }
    match out {
        Some(p) => {
            output::write_atomic(p, csv.as_bytes())?;
            eprintln!(
                "forecast of {} steps after {} written to {}",
                y.data.len(),
                s.label(s.len() - 1),
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

/// Everything a forecasting run needs.
struct Prepared {
    series: Series,
    target: String,
    season: usize,
    spec_w: WindowSpec,
    win: Windows,
    parts: [Data<f32>; 3],
    /// Window indices of each part, in time order.
    rows: [Vec<usize>; 3],
    net: MlpSpec,
    cfg: TrainConfig,
}

fn gaps(o: &TrainOptions, s: &Series, t: &RawTable, ti: usize, target: &str) -> Result<Gaps> {
    match o.missing.as_deref().unwrap_or("error") {
        "drop" => Ok(Gaps::Drop),
        "interpolate" => Ok(Gaps::Interpolate),
        "error" => {
            if let Some(i) = s.values.iter().position(|v| v.is_none()) {
                let at = match t.columns[ti].iter().position(|c| c.trim() == s.labels[i]) {
                    Some(row) if !s.labels[i].is_empty() => {
                        format!("at {} (line {})", s.labels[i], t.lines[row])
                    }
                    _ => format!("at {} (a missing time stamp)", s.label(i)),
                };
                anyhow::bail!(UserError(format!(
                    "{}: '{target}' has {} missing values ({} of them missing time stamps), \
                     the first {at}; choose --missing drop (leave out the windows that touch \
                     one) or --missing interpolate (fill inputs linearly, with an observed flag)",
                    t.path.display(),
                    s.missing(),
                    s.inserted
                )));
            }
            Ok(Gaps::Drop)
        }
        m => Err(DataError::param(
            "--missing",
            format!("'{m}' is not error, drop or interpolate (for --model lstm/gru)"),
        )
        .into()),
    }
}

fn prepare(a: &TrainArgs, o: &TrainOptions, cell: CellKind) -> Result<Prepared> {
    let src = load::resolve(&a.data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
    let time_col = o.time_column.as_ref().ok_or_else(|| {
        UserError(format!(
            "--model {} needs --time-column COL (the columns are: {})",
            cell.name(),
            t.headers.join(", ")
        ))
    })?;
    let ti = t.column_index(time_col, "--time-column")?;
    let target = o
        .target
        .clone()
        .unwrap_or_else(|| t.headers.last().cloned().unwrap_or_default());
    let yi = t.column_index(&target, "--target")?;
    let covs = o
        .features
        .iter()
        .flatten()
        .map(|c| t.column_index(c, "--features"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let s = series::read_series(&t, ti, yi, &covs)?;
    let g = gaps(o, &s, &t, ti, &target)?;
    let season = match o.season {
        Some(0) => anyhow::bail!(DataError::param("--season", "must be at least 1")),
        Some(k) => k,
        None => series::default_season(s.step).ok_or_else(|| {
            DataError::param(
                "--season",
                format!(
                    "the series' step is {} s, which has no usual season; give --season STEPS",
                    s.step
                ),
            )
        })?,
    };
    let horizon = o.horizon.unwrap_or(1);
    if horizon == 0 || horizon > season {
        anyhow::bail!(DataError::param(
            "--horizon",
            format!("{horizon} must be between 1 and the season ({season} steps)")
        ));
    }
    let frac = |name: &str, v: f64| -> Result<f64> {
        if (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err(DataError::param(name, format!("{v} is not in [0, 1)")).into())
        }
    };
    let spec_w = WindowSpec {
        window: o.window.unwrap_or(season),
        horizon,
        relative: o.relative.unwrap_or(true),
        gaps: g,
        val_fraction: frac("--val-fraction", o.val_fraction.unwrap_or(0.1))?,
        test_fraction: frac("--test-fraction", o.test_fraction.unwrap_or(0.2))?,
    };
    if spec_w.val_fraction == 0.0 || spec_w.test_fraction == 0.0 {
        anyhow::bail!(DataError::param(
            "--val-fraction/--test-fraction",
            "a forecast needs both a validation and a test part (> 0)"
        ));
    }
    let win = series::windows(&s, &spec_w)
        .map_err(|e| UserError(format!("{}: {e}", t.path.display())))?;
    let width = spec_w.window * win.features;
    let mut rows: [Vec<usize>; 3] = Default::default();
    for (k, p) in win.parts.iter().enumerate() {
        rows[*p as usize].push(k);
    }
    let data = |idx: &[usize]| -> Data<f32> {
        let mut x = Vec::with_capacity(idx.len() * width);
        let mut y = Vec::with_capacity(idx.len() * horizon);
        for &k in idx {
            x.extend(win.x[k * width..(k + 1) * width].iter().map(|&v| v as f32));
            y.extend(
                win.y[k * horizon..(k + 1) * horizon]
                    .iter()
                    .map(|&v| v as f32),
            );
        }
        Data {
            x: Features::Dense(Mat::from_vec(idx.len(), width, x)),
            y,
            task: Task::Regression,
            outputs: horizon,
            // Per-epoch metrics in the series' units (the centers cancel in the errors).
            y_scale: Some((0.0, win.scale)),
        }
    };
    let parts = [data(&rows[0]), data(&rows[1]), data(&rows[2])];
    for (k, name) in ["training", "validation", "test"].iter().enumerate() {
        if rows[k].is_empty() {
            anyhow::bail!(UserError(format!(
                "{}: no complete {name} window; lower --window or change the fractions",
                t.path.display()
            )));
        }
    }
    let mut o2 = o.clone();
    o2.hidden.get_or_insert_with(Vec::new);
    let mut net = nn_setup::spec(&o2, width, horizon)?;
    let rd = o.recurrent_dropout.unwrap_or(0.0);
    if !(0.0..1.0).contains(&rd) {
        anyhow::bail!(DataError::param(
            "--recurrent-dropout",
            format!("{rd} is not in [0, 1)")
        ));
    }
    net.recurrent = Some(RecurrentSpec {
        cell,
        hidden: o.units.unwrap_or(32).max(1),
        steps: spec_w.window,
        features: win.features,
        recurrent_dropout: rd,
    });
    let mut cfg = nn_setup::train_config(o, Task::Regression)?;
    cfg.validate()?;
    cfg.batch_size = cfg.batch_size.min(rows[0].len());
    Ok(Prepared {
        series: s,
        target,
        season,
        spec_w,
        win,
        parts,
        rows,
        net,
        cfg,
    })
}

/// Root mean square and mean absolute error of paired values.
fn errors(pairs: &[(f64, f64)]) -> Value {
    let n = pairs.len().max(1) as f64;
    let mse = pairs.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n;
    let mae = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    json!({ "rmse": mse.sqrt(), "mae": mae, "n": pairs.len() })
}

/// Forecasts on the original scale, `[window][horizon]`, for the windows of `part`.
fn forecasts(tr: &mut Trainer<f32>, p: &Prepared, part: usize) -> Vec<f64> {
    let out = tr.outputs(&p.parts[part]);
    let h = p.spec_w.horizon;
    p.rows[part]
        .iter()
        .zip(out.data.chunks(h))
        .flat_map(|(&k, row)| {
            row.iter()
                .map(move |&v| p.win.center[k] + p.win.scale * v as f64)
        })
        .collect()
}

/// Scores of one part at the horizon, on the windows whose seasonal-naive value is observed:
/// (model, seasonal naive, last value) errors, the CSV rows, and the model's error per step.
fn score(
    tr: &mut Trainer<f32>,
    p: &Prepared,
    part: usize,
    csv: &mut String,
) -> (Value, Value, Value, Vec<f64>, usize) {
    let (h, s) = (p.spec_w.horizon, &p.series);
    let f = forecasts(tr, p, part);
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
        let Some(naive) = series::seasonal_naive(s, i, p.season) else {
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

fn train(
    p: &Prepared,
    spec: &MlpSpec,
    cfg: &TrainConfig,
    mut on_epoch: impl FnMut(&occam_nn::EpochLog, &Trainer<f32>) -> std::result::Result<(), String>,
) -> Result<(Trainer<f32>, occam_nn::Outcome, f64)> {
    let mut tr = Trainer::new(Net::new(spec, cfg.seed), cfg.clone())?;
    let t0 = Instant::now();
    let outcome = tr.fit(&p.parts[0], Some(&p.parts[1]), &mut |ev| match ev {
        Event::Step { .. } => Ok(()),
        Event::Epoch { log, trainer } => on_epoch(log, trainer),
    })?;
    Ok((tr, outcome, t0.elapsed().as_secs_f64()))
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
        "resolved": { "season": p.season, "window": p.spec_w.window, "horizon": p.spec_w.horizon,
            "relative": p.spec_w.relative, "gaps": p.spec_w.gaps,
            "val_fraction": p.spec_w.val_fraction, "test_fraction": p.spec_w.test_fraction,
            "architecture": p.net, "training": p.cfg },
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
        p.target,
        s.len(),
        s.step,
        s.missing(),
        s.inserted,
        p.spec_w.window,
        p.spec_w.horizon,
        p.season,
        p.rows[0].len(),
        p.rows[1].len(),
        p.rows[2].len(),
        p.win.dropped_inputs,
        p.win.dropped_targets
    );
    let epochs = p.cfg.epochs;
    let (mut tr, outcome, secs) = train(&p, &p.net, &p.cfg, |log, trainer| {
        output::write_atomic(
            &out.join("metrics.csv"),
            metrics_csv(&trainer.history).as_bytes(),
        )
        .map_err(|e| format!("{e:#}"))?;
        if log.epoch % 10 == 0 || log.epoch == epochs {
            println!("{}", epoch_line(log, epochs));
        }
        Ok(())
    })?;
    run.write("model.safetensors", &save_weights(&tr.net)?)?;
    let model = ForecastModel {
        format: FORECAST_FORMAT.into(),
        spec: p.net.clone(),
        time_column: o.time_column.clone().unwrap_or_default(),
        target: p.target.clone(),
        covariates: s.covariate_names.clone(),
        step_seconds: s.step,
        season: p.season,
        windows: p.spec_w,
        scaling: p.win.scaling.clone(),
    };
    run.write_json("forecast.json", &model)?;
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
        let f = forecasts(&mut tr, &p, 0);
        let h = p.spec_w.horizon;
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
    summary.insert("target".into(), json!(p.target));
    summary.insert(
        "series".into(),
        json!({ "steps": s.len(), "step_seconds": s.step, "missing": s.missing(),
                "missing_time_stamps": s.inserted, "gaps": p.spec_w.gaps,
                "first": s.label(0), "last": s.label(s.len() - 1),
                "validation_starts": s.label(p.win.val_start), "test_starts": s.label(p.win.test_start) }),
    );
    summary.insert(
        "windows".into(),
        json!({ "window": p.spec_w.window, "horizon": p.spec_w.horizon, "season": p.season,
                "relative": p.spec_w.relative, "features_per_step": p.win.features,
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
        let (bspec, bcfg) = crate::cmd_train::unregularized(&p.net, &p.cfg);
        let mut bspec = bspec;
        if let Some(r) = bspec.recurrent.as_mut() {
            r.recurrent_dropout = 0.0;
        }
        let (mut bt, bo, _) = train(&p, &bspec, &bcfg, |_, _| Ok(()))?;
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
            p.spec_w.horizon,
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
