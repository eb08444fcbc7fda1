//! The forecasting estimator: [`Forecaster`] (an LSTM or GRU over sliding windows of a time
//! series, split by time, with the dense head and training settings of an [`Mlp`]) -> `fit`
//! on a table -> [`ForecasterModel`] (the network, the windowing and the training scaling) ->
//! forecasts of the steps after the end of a series / save / load. [`ForecastData`] keeps the
//! series, its windows and their train / validation / test parts for scoring.

use crate::error::{Error, Result};
use crate::mlp::{mc_sums, train_network, Callback, Mlp, Trained};
use crate::results::{
    Errors, ForecastComparison, ForecastResult, ForecastScores, IntervalCheck, PartScores,
    SeriesInfo, WindowInfo,
};
use crate::run::{RunFolder, RunKind};
use occam_core::series::{self, Gaps, Scaling, Series, WindowSpec, Windows};
use occam_core::table::RawTable;
use occam_core::Task;
use occam_nn::mat::Mat;
use occam_nn::model::save_weights;
use occam_nn::tensors::{decode, load_net_tensors};
use occam_nn::{Batch, CellKind, Data, Features, MlpSpec, Net, RecurrentSpec, TrainConfig};
use serde::{Deserialize, Serialize};

/// The format string of `forecast.json`.
pub const FORECAST_FORMAT: &str = "occam-forecast-1";

/// A recurrent forecaster.
///
/// | field | default | range | meaning |
/// |---|---|---|---|
/// | `time_column` | (required) | | time stamps on a regular grid (gaps become missing) |
/// | `target` | last column | | the series forecast |
/// | `covariates` | none | | other columns read at each step |
/// | `cell` | LSTM | | LSTM or GRU |
/// | `units` | 32 | >= 1 | hidden units of the recurrent layer |
/// | `recurrent_dropout` | 0 | [0, 1) | variational dropout on the hidden state |
/// | `window` | the season | >= 1 | steps each window sees |
/// | `horizon` | 1 | 1..=season | steps forecast |
/// | `season` | from the step (24 h, 7 d, 52 w, 12 months) | >= 1 | for seasonal naive |
/// | `relative` | true | | scale each window by its last value |
/// | `gaps` | None | | missing values: None is an error; drop or interpolate |
/// | `val_fraction`, `test_fraction` | 0.1, 0.2 | (0, 1) | split by time |
/// | `network` | no hidden layer | | dense head, penalties and training (an [`Mlp`]) |
#[derive(Clone, Debug, PartialEq)]
pub struct Forecaster {
    /// The time column.
    pub time_column: String,
    /// The target; `None`: the last column.
    pub target: Option<String>,
    /// Covariate columns.
    pub covariates: Vec<String>,
    /// LSTM or GRU.
    pub cell: CellKind,
    /// Hidden units.
    pub units: usize,
    /// Recurrent dropout.
    pub recurrent_dropout: f64,
    /// Steps per window; `None`: the season.
    pub window: Option<usize>,
    /// Steps forecast.
    pub horizon: usize,
    /// The season in steps; `None`: the usual one for the step.
    pub season: Option<usize>,
    /// Windows relative to their last value.
    pub relative: bool,
    /// How missing values are treated; `None`: they are an error.
    pub gaps: Option<Gaps>,
    /// Share of the series (by time) for validation.
    pub val_fraction: f64,
    /// Share of the series (the end) for testing.
    pub test_fraction: f64,
    /// The dense head and the training settings.
    pub network: Mlp,
}

impl Forecaster {
    /// A forecaster of the series with time stamps in `time_column`, with the defaults.
    pub fn new(time_column: &str) -> Forecaster {
        Forecaster {
            time_column: time_column.into(),
            target: None,
            covariates: Vec::new(),
            cell: CellKind::Lstm,
            units: 32,
            recurrent_dropout: 0.0,
            window: None,
            horizon: 1,
            season: None,
            relative: true,
            gaps: None,
            val_fraction: 0.1,
            test_fraction: 0.2,
            network: Mlp {
                hidden: Some(Vec::new()),
                ..Mlp::default()
            },
        }
    }

    /// Reads the series, checks the settings against it and builds the windows and parts.
    pub fn prepare(&self, t: &RawTable) -> Result<ForecastData> {
        let ti = t.column_index(&self.time_column, "time_column")?;
        let target = match &self.target {
            Some(n) => n.clone(),
            None => t.headers.last().cloned().unwrap_or_default(),
        };
        let yi = t.column_index(&target, "target")?;
        let covs = self
            .covariates
            .iter()
            .map(|c| t.column_index(c, "covariates"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let s = series::read_series(t, ti, yi, &covs)?;
        let gaps = match self.gaps {
            Some(g) => g,
            None => match s.values.iter().position(|v| v.is_none()) {
                None => Gaps::Drop,
                Some(i) => {
                    let first = match (0..t.nrows())
                        .position(|r| t.columns[ti].text(r).trim() == s.labels[i])
                    {
                        Some(row) if !s.labels[i].is_empty() => {
                            format!("at {} (line {})", s.labels[i], t.lines[row])
                        }
                        _ => format!("at {} (a missing time stamp)", s.label(i)),
                    };
                    return Err(Error::MissingInSeries {
                        path: t.path.clone(),
                        target,
                        missing: s.missing(),
                        inserted: s.inserted,
                        first,
                    });
                }
            },
        };
        let season = match self.season {
            Some(0) => return Err(Error::param_err("season", "must be at least 1")),
            Some(k) => k,
            None => series::default_season(s.step).ok_or_else(|| {
                Error::param_err(
                    "season",
                    format!(
                        "the series' step is {} s, which has no usual season; give one",
                        s.step
                    ),
                )
            })?,
        };
        let horizon = self.horizon;
        if horizon == 0 || horizon > season {
            return Err(Error::param_err(
                "horizon",
                format!("{horizon} must be between 1 and the season ({season} steps)"),
            ));
        }
        for (name, v) in [
            ("val_fraction", self.val_fraction),
            ("test_fraction", self.test_fraction),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(Error::param_err(
                    name,
                    format!("{v} is not in (0, 1): a forecast needs a validation and a test part"),
                ));
            }
        }
        if !(0.0..1.0).contains(&self.recurrent_dropout) {
            return Err(Error::param_err(
                "recurrent_dropout",
                format!("{} is not in [0, 1)", self.recurrent_dropout),
            ));
        }
        if self.window == Some(0) {
            return Err(Error::param_err("window", "must be at least 1"));
        }
        if self.units == 0 {
            return Err(Error::param_err("units", "must be at least 1"));
        }
        let spec_w = WindowSpec {
            window: self.window.unwrap_or(season),
            horizon,
            relative: self.relative,
            gaps,
            val_fraction: self.val_fraction,
            test_fraction: self.test_fraction,
        };
        // What windows() refuses is a window (or fractions) too long for the series.
        let win = series::windows(&s, &spec_w)
            .map_err(|e| Error::param_err("window", format!("{}: {e}", t.path.display())))?;
        let width = spec_w.window * win.features;
        let mut rows: [Vec<usize>; 3] = Default::default();
        for (k, p) in win.parts.iter().enumerate() {
            rows[*p as usize].push(k);
        }
        for (k, name) in ["training", "validation", "test"].iter().enumerate() {
            if rows[k].is_empty() {
                return Err(Error::param_err(
                    "window",
                    format!(
                        "{}: no complete {name} window; use a shorter window or other fractions",
                        t.path.display()
                    ),
                ));
            }
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
        let mut net = self.network.spec(width, horizon)?;
        net.recurrent = Some(RecurrentSpec {
            cell: self.cell,
            hidden: self.units.max(1),
            steps: spec_w.window,
            features: win.features,
            recurrent_dropout: self.recurrent_dropout,
        });
        let mut cfg = self.network.train_config(Task::Regression)?;
        cfg.batch_size = cfg.batch_size.min(rows[0].len());
        Ok(ForecastData {
            meta: ForecastModel {
                format: FORECAST_FORMAT.into(),
                spec: net,
                time_column: self.time_column.clone(),
                target,
                covariates: s.covariate_names.clone(),
                step_seconds: s.step,
                season,
                windows: spec_w,
                scaling: win.scaling.clone(),
            },
            series: s,
            win,
            parts,
            rows,
            cfg,
        })
    }

    /// Prepares the windows and trains on them (validation for early stopping).
    pub fn fit(&self, t: &RawTable) -> Result<(ForecasterModel, ForecastData)> {
        let data = self.prepare(t)?;
        let model = data.train(&data.meta.spec, &data.cfg, &mut ())?.0;
        Ok((model, data))
    }
}

/// What `occam predict` needs to forecast past the end of a series: forecast.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastModel {
    /// Always [`FORECAST_FORMAT`].
    pub format: String,
    /// The network (recurrent layer and dense head).
    pub spec: MlpSpec,
    /// The time column.
    pub time_column: String,
    /// The target column.
    pub target: String,
    /// The covariate columns.
    pub covariates: Vec<String>,
    /// Seconds between steps.
    pub step_seconds: i64,
    /// The season in steps.
    pub season: usize,
    /// The windowing.
    pub windows: WindowSpec,
    /// The training scaling.
    pub scaling: Scaling,
}

/// A series prepared for a forecaster: its windows and their parts.
pub struct ForecastData {
    /// What the model will save (architecture, windowing, scaling).
    pub meta: ForecastModel,
    /// The series on its regular grid.
    pub series: Series,
    /// Every window.
    pub win: Windows,
    /// The engine's rows of the training, validation and test windows.
    pub parts: [Data<f32>; 3],
    /// Window indices of each part, in time order.
    pub rows: [Vec<usize>; 3],
    /// The training settings.
    pub cfg: TrainConfig,
}

impl ForecastData {
    /// Trains a network of `spec` with `cfg` on the training windows, validating on the
    /// validation windows.
    pub fn train(
        &self,
        spec: &MlpSpec,
        cfg: &TrainConfig,
        cb: &mut dyn Callback,
    ) -> Result<(ForecasterModel, Trained)> {
        let t = train_network(spec, cfg, &self.parts[0], Some(&self.parts[1]), None, cb)?;
        let meta = ForecastModel {
            spec: spec.clone(),
            ..self.meta.clone()
        };
        let net = t.trainer.net.clone();
        Ok((ForecasterModel { meta, net }, t))
    }

    /// The model's forecasts for the windows of `part` (0 train, 1 validation, 2 test) on the
    /// series' scale, `[window][horizon]` flattened.
    pub fn forecasts(&self, net: &mut Net<f32>, part: usize) -> Vec<f64> {
        let h = self.meta.windows.horizon;
        let out = occam_nn::data::outputs(net, &self.parts[part].x, &mut Default::default());
        self.rows[part]
            .iter()
            .zip(out.data.chunks(h))
            .flat_map(|(&k, row)| {
                row.iter()
                    .map(move |&v| self.win.center[k] + self.win.scale * v as f64)
            })
            .collect()
    }
}

impl ForecastData {
    /// Trains the same network without any regularization (no penalty, dropout, recurrent
    /// dropout or early stopping) on the same windows.
    pub fn train_unregularized(&self) -> Result<Trained> {
        let (mut spec, cfg) = crate::mlp::unregularized(&self.meta.spec, &self.cfg);
        if let Some(r) = spec.recurrent.as_mut() {
            r.recurrent_dropout = 0.0;
        }
        Ok(self.train(&spec, &cfg, &mut ())?.1)
    }

    /// Scores `net` on `part` (1 validation, 2 test) at the horizon, on the windows whose
    /// seasonal-naive value is observed, against seasonal naive and the last value; appends
    /// each scored window to `csv` (time, part, origin, actual, forecast, seasonal_naive,
    /// last_value).
    pub fn score(&self, net: &mut Net<f32>, part: usize, csv: &mut String) -> PartScores {
        use std::fmt::Write as _;
        let (h, s) = (self.meta.windows.horizon, &self.series);
        let f = self.forecasts(net, part);
        let (mut m, mut sn, mut lv) = (Vec::new(), Vec::new(), Vec::new());
        let mut per_step = vec![(0.0, 0usize); h];
        let mut unscored = 0;
        let name = ["train", "validation", "test"][part];
        for (r, &k) in self.rows[part].iter().enumerate() {
            let t = self.win.origins[k];
            let observed = |i: usize| s.values[i].unwrap_or(f64::NAN);
            for (j, acc) in per_step.iter_mut().enumerate() {
                let e = f[r * h + j] - observed(t + 1 + j);
                acc.0 += e * e;
                acc.1 += 1;
            }
            let i = t + h;
            let actual = observed(i);
            let Some(naive) = series::seasonal_naive(s, i, self.meta.season) else {
                unscored += 1;
                continue;
            };
            let last = s.values[t].unwrap_or(self.win.center[k]);
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
        PartScores {
            model: Errors::of(&m),
            seasonal_naive: Errors::of(&sn),
            last_value: Errors::of(&lv),
            rmse_per_step: per_step
                .iter()
                .map(|(sum, n)| (sum / (*n).max(1) as f64).sqrt())
                .collect(),
            windows: self.rows[part].len(),
            unscored_no_seasonal_value: unscored,
        }
    }

    /// The result of a trained forecaster (and of the unregularized one, when given), with
    /// forecasts.csv: every scored validation and test window.
    pub fn result(
        &self,
        trained: &mut Trained,
        baseline: Option<&mut Trained>,
    ) -> (ForecastResult, String) {
        let mut csv = String::from("time,part,origin,actual,forecast,seasonal_naive,last_value\n");
        let net = &mut trained.trainer.net;
        let scores = ForecastScores {
            validation: self.score(net, 1, &mut csv),
            test: self.score(net, 2, &mut csv),
        };
        let (s, w, h) = (&self.series, &self.meta.windows, self.meta.windows.horizon);
        let f = self.forecasts(net, 0);
        let pairs: Vec<(f64, f64)> = self.rows[0]
            .iter()
            .enumerate()
            .map(|(r, &k)| {
                let i = self.win.origins[k] + h;
                (f[r * h + h - 1], s.values[i].unwrap_or(f64::NAN))
            })
            .collect();
        let comparison = baseline.map(|b| ForecastComparison {
            held_out: "test".into(),
            regularized: scores.test.model.clone(),
            baseline: self.score(&mut b.trainer.net, 2, &mut String::new()).model,
            baseline_epochs: b.outcome.epochs_run,
        });
        let tr = &trained.trainer;
        let result = ForecastResult {
            model: self
                .meta
                .spec
                .recurrent
                .as_ref()
                .map_or("lstm", |r| r.cell.name())
                .into(),
            target: self.meta.target.clone(),
            series: SeriesInfo {
                steps: s.len(),
                step_seconds: s.step,
                missing: s.missing(),
                missing_time_stamps: s.inserted,
                gaps: w.gaps,
                first: s.label(0),
                last: s.label(s.len() - 1),
                validation_starts: s.label(self.win.val_start),
                test_starts: s.label(self.win.test_start),
            },
            windows: WindowInfo {
                window: w.window,
                horizon: h,
                season: self.meta.season,
                relative: w.relative,
                features_per_step: self.win.features,
                train: self.rows[0].len(),
                validation: self.rows[1].len(),
                test: self.rows[2].len(),
                left_out_missing_input: self.win.dropped_inputs,
                left_out_missing_target: self.win.dropped_targets,
            },
            train_model: Errors::of(&pairs),
            beats_seasonal_naive: scores.test.model.rmse < scores.test.seasonal_naive.rmse,
            scores,
            epochs_run: trained.outcome.epochs_run,
            best_epoch: trained.outcome.best_epoch,
            stopped_early: trained.outcome.stopped_early,
            fit_seconds: trained.seconds,
            n_params: tr.net.n_params(),
            penalty: tr.reg.value(&tr.net).penalty,
            comparison,
            uncertainty: None,
        };
        let noise = result.scores.validation.model.rmse;
        let uncertainty = self.mc_interval(&mut trained.trainer.net, noise);
        (
            ForecastResult {
                uncertainty,
                ..result
            },
            csv,
        )
    }

    /// MC dropout on the test windows at the horizon (None for a network without dropout,
    /// recurrent or variational dropout, or without test windows): 100 passes seeded 0, the
    /// mean forecast and an sd from the passes' spread plus the observation noise `noise`
    /// (the validation RMSE at the horizon, as [`crate::MlpModel::predict_mc`] takes the
    /// validation residuals'), checked against the observed values.
    pub fn mc_interval(&self, net: &mut Net<f32>, noise: f64) -> Option<IntervalCheck> {
        const PASSES: usize = 100;
        if !net.has_dropout() || self.rows[2].is_empty() {
            return None;
        }
        let h = self.meta.windows.horizon;
        let (sum, sq) = mc_sums(net, &self.parts[2].x, PASSES, 0, 512, |out| {
            Mat::from_vec(
                out.rows,
                out.cols,
                out.data.iter().map(|&v| v as f64).collect(),
            )
        });
        let t = PASSES as f64;
        let noise = if noise.is_finite() { noise } else { 0.0 };
        let (mut mean, mut sd, mut observed) = (Vec::new(), Vec::new(), Vec::new());
        for (r, &k) in self.rows[2].iter().enumerate() {
            let Some(y) = self.series.values[self.win.origins[k] + h] else {
                continue;
            };
            let m = sum[r * h + h - 1] / t;
            let var = (sq[r * h + h - 1] - t * m * m).max(0.0) / (t - 1.0);
            let s = self.win.scale * var.sqrt();
            mean.push(self.win.center[k] + self.win.scale * m);
            sd.push((s * s + noise * noise).sqrt());
            observed.push(y);
        }
        (!mean.is_empty()).then(|| IntervalCheck::of(&mean, &sd, &observed))
    }
}

/// One forecast step after the end of a series.
#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    /// The step's time stamp (ISO 8601).
    pub time: String,
    /// Steps after the series' last one (1 = the next).
    pub steps_ahead: usize,
    /// The forecast value.
    pub value: f64,
}

/// A trained forecaster.
pub struct ForecasterModel {
    /// Architecture, columns, windowing and scaling (forecast.json).
    pub meta: ForecastModel,
    /// The network.
    pub net: Net<f32>,
}

impl ForecasterModel {
    /// The forecasts of the `horizon` steps after the end of the series in `t` (same columns
    /// as in training, same step).
    pub fn forecast(&mut self, t: &RawTable) -> Result<Vec<Forecast>> {
        let s = self.series_of(t)?;
        let m = &self.meta;
        let (x, center) = series::last_window(&s, &m.windows, &m.scaling)
            .map_err(|e| Error::param_err("data", format!("{}: {e}", t.path.display())))?;
        let xm = Mat::from_vec(1, x.len(), x.iter().map(|&v| v as f32).collect());
        let y = self.net.forward_eval(Batch::Dense(&xm));
        let last = *s.times.last().expect("a series has steps");
        Ok(y.data
            .iter()
            .enumerate()
            .map(|(h, &v)| Forecast {
                time: series::iso(last + (h as i64 + 1) * s.step),
                steps_ahead: h + 1,
                value: center + m.scaling.scale * v as f64,
            })
            .collect())
    }

    /// The names of the network's inputs, step-major, oldest step first:
    /// `COLUMN@t-K` (K steps before the window's last step), with `observed@t-K` when the
    /// model interpolates gaps.
    pub fn input_names(&self) -> Vec<String> {
        let m = &self.meta;
        let w = m.windows.window;
        let mut per_step = vec![m.target.clone()];
        if m.windows.gaps == series::Gaps::Interpolate {
            per_step.push("observed".into());
        }
        per_step.extend(m.covariates.iter().cloned());
        (0..w)
            .flat_map(|k| per_step.iter().map(move |f| format!("{f}@t-{}", w - 1 - k)))
            .collect()
    }

    /// The series of `t` (the model's time, target and covariate columns), checked to have
    /// the model's step.
    pub fn series_of(&self, t: &RawTable) -> Result<series::Series> {
        let m = &self.meta;
        let ti = t.column_index(&m.time_column, "the model's time column")?;
        let yi = t.column_index(&m.target, "the model's target")?;
        let covs = m
            .covariates
            .iter()
            .map(|c| t.column_index(c, "a model covariate"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let s = series::read_series(t, ti, yi, &covs)?;
        if s.step != m.step_seconds {
            return Err(Error::param_err(
                "data",
                format!(
                    "{}: the series' step is {} s, the model was trained on steps of {} s",
                    t.path.display(),
                    s.step,
                    m.step_seconds
                ),
            ));
        }
        Ok(s)
    }

    /// Saves forecast.json and model.safetensors into `run`.
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        run.write("model.safetensors", &save_weights(&self.net)?)?;
        run.write_json("forecast.json", &self.meta)
    }

    /// Loads a model saved by [`ForecasterModel::save`], verifying its files.
    pub fn load(run: &RunFolder) -> Result<ForecasterModel> {
        if run.kind() != RunKind::Forecast {
            return Err(Error::model(
                run.dir(),
                format!("holds a {} run, not a forecaster", run.kind().name()),
            ));
        }
        let fj = run.path("forecast.json");
        let meta: ForecastModel = run.read_json("forecast.json")?;
        if meta.format != FORECAST_FORMAT {
            return Err(Error::model(
                &fj,
                format!("format '{}' is not {FORECAST_FORMAT}", meta.format),
            ));
        }
        let rec = meta
            .spec
            .recurrent
            .ok_or_else(|| Error::model(&fj, "the network has no recurrent layer"))?;
        let w = &meta.windows;
        if rec.steps != w.window
            || w.horizon == 0
            || meta.spec.n_out != w.horizon
            || meta.spec.n_in != rec.steps * rec.features
            || !(meta.scaling.scale.is_finite() && meta.scaling.scale > 0.0)
        {
            return Err(Error::model(
                &fj,
                "the windowing, the network's shape and the scaling disagree",
            ));
        }
        let tp = run.path("model.safetensors");
        let tensors = decode::<f32>(&run.read_listed("model.safetensors")?)?;
        if tensors
            .iter()
            .any(|t| t.data.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::model(&tp, "a weight is not finite"));
        }
        let mut net: Net<f32> = Net::new(&meta.spec, 0);
        load_net_tensors(&mut net, &tensors).map_err(|e| Error::model(&tp, e.to_string()))?;
        Ok(ForecasterModel { meta, net })
    }
}
