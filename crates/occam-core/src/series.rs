//! Time series for forecasting: a CSV's time column read as a regular grid (missing time
//! stamps become explicit missing values, never zeros), sliding windows over it, and the
//! seasonal-naive and last-value baselines a forecast is judged against.
//!
//! Times are read as naive calendar times (no time zone): `YYYY-MM-DD`,
//! `YYYY-MM-DDTHH:MM[:SS]` or the same with a space. The step is the most common difference
//! between consecutive rows; a larger difference that is a multiple of it inserts missing
//! rows (a daylight-saving hour, a week without a measurement), any other is an error.

use crate::error::{DataError, Result};
use crate::table::{parse_cell, Cell, RawTable};

/// Seconds since 1970-01-01T00:00:00 of a naive date or date-time, or `None`.
pub fn parse_time(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, time) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return None;
    }
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let (y, m, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    if !(1..=12).contains(&m) || day < 1 || day > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, day) * 86_400;
    if let Some(tm) = time {
        let p: Vec<&str> = tm.split(':').collect();
        if !(2..=3).contains(&p.len()) || p.iter().any(|s| s.len() != 2) {
            return None;
        }
        let (h, mi) = (num(p[0])?, num(p[1])?);
        let s = if p.len() == 3 { num(p[2])? } else { 0 };
        if h > 23 || mi > 59 || s > 59 {
            return None;
        }
        secs += h * 3600 + mi * 60 + s;
    }
    Some(secs)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A series on a regular time grid.
#[derive(Clone, Debug)]
pub struct Series {
    /// Seconds since 1970 of every grid point.
    pub times: Vec<i64>,
    /// The time as written in the file; empty for inserted grid points.
    pub labels: Vec<String>,
    pub values: Vec<Option<f64>>,
    /// Extra per-step inputs, `covariates[k][i]`.
    pub covariates: Vec<Vec<Option<f64>>>,
    pub covariate_names: Vec<String>,
    /// Seconds between grid points.
    pub step: i64,
    /// Grid points added for missing time stamps.
    pub inserted: usize,
}

impl Series {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Missing target values (empty cells and inserted time stamps).
    pub fn missing(&self) -> usize {
        self.values.iter().filter(|v| v.is_none()).count()
    }

    /// Whether step `i` has its value and every covariate.
    pub fn complete(&self, i: usize) -> bool {
        self.values[i].is_some() && self.covariates.iter().all(|c| c[i].is_some())
    }

    /// A printable time of grid point `i` (the file's text, or ISO for inserted points).
    pub fn label(&self, i: usize) -> String {
        if self.labels[i].is_empty() {
            iso(self.times[i])
        } else {
            self.labels[i].clone()
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of seconds since 1970.
pub fn iso(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil_from_days (Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn number(t: &RawTable, col: usize, row: usize) -> Result<Option<f64>> {
    let text = &t.columns[col][row];
    match parse_cell(text) {
        Cell::Number(v) => Ok(Some(v)),
        Cell::Missing => Ok(None),
        Cell::NonFinite => Err(DataError::NonFinite {
            path: t.path.clone(),
            line: t.lines[row],
            column: col + 1,
            name: t.headers[col].clone(),
            text: text.clone(),
        }),
        Cell::Text => Err(DataError::NotNumeric {
            path: t.path.clone(),
            line: t.lines[row],
            column: col + 1,
            name: t.headers[col].clone(),
            text: text.clone(),
            hint: String::new(),
        }),
    }
}

/// Reads the target column `target` and the covariate columns `covs` of `t` on the time grid
/// of column `time`.
pub fn read_series(t: &RawTable, time: usize, target: usize, covs: &[usize]) -> Result<Series> {
    let n = t.nrows();
    let bad = |row: usize, detail: String| DataError::Malformed {
        path: t.path.clone(),
        line: t.lines[row],
        detail: format!("column {} ('{}'): {detail}", time + 1, t.headers[time]),
    };
    let mut secs = Vec::with_capacity(n);
    for row in 0..n {
        let text = &t.columns[time][row];
        let s = parse_time(text).ok_or_else(|| {
            bad(
                row,
                format!("'{text}' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS])"),
            )
        })?;
        if let Some(&prev) = secs.last() {
            if s <= prev {
                return Err(bad(
                    row,
                    format!(
                        "'{text}' is not after the previous row's '{}'; sort the file by time",
                        t.columns[time][row - 1].trim()
                    ),
                ));
            }
        }
        secs.push(s);
    }
    if n < 3 {
        return Err(DataError::Malformed {
            path: t.path.clone(),
            line: t.lines[n - 1],
            detail: "a series needs at least 3 rows".into(),
        });
    }
    // The step: the most common difference (the smallest among ties).
    let mut diffs: Vec<i64> = secs.windows(2).map(|w| w[1] - w[0]).collect();
    diffs.sort_unstable();
    let (mut step, mut best, mut run) = (diffs[0], 0usize, 0usize);
    for i in 0..diffs.len() {
        run = if i > 0 && diffs[i] == diffs[i - 1] {
            run + 1
        } else {
            1
        };
        if run > best {
            (best, step) = (run, diffs[i]);
        }
    }
    let mut s = Series {
        times: Vec::with_capacity(n),
        labels: Vec::with_capacity(n),
        values: Vec::with_capacity(n),
        covariates: vec![Vec::with_capacity(n); covs.len()],
        covariate_names: covs.iter().map(|&c| t.headers[c].clone()).collect(),
        step,
        inserted: 0,
    };
    for row in 0..n {
        if row > 0 {
            let gap = secs[row] - secs[row - 1];
            if gap % step != 0 {
                return Err(bad(
                    row,
                    format!(
                        "'{}' is {gap} s after the previous row, not a multiple of the \
                         series' step of {step} s",
                        t.columns[time][row].trim()
                    ),
                ));
            }
            for k in 1..gap / step {
                s.times.push(secs[row - 1] + k * step);
                s.labels.push(String::new());
                s.values.push(None);
                s.covariates.iter_mut().for_each(|c| c.push(None));
                s.inserted += 1;
            }
        }
        s.times.push(secs[row]);
        s.labels.push(t.columns[time][row].trim().to_string());
        s.values.push(number(t, target, row)?);
        for (k, &c) in covs.iter().enumerate() {
            s.covariates[k].push(number(t, c, row)?);
        }
    }
    Ok(s)
}

/// The usual seasonal period for a step: 24 for hourly, 7 for daily, 52 for weekly data,
/// 12 for monthly; `None` for other steps (give the season explicitly).
pub fn default_season(step: i64) -> Option<usize> {
    match step {
        3600 => Some(24),
        1800 => Some(48),
        900 => Some(96),
        86_400 => Some(7),
        604_800 => Some(52),
        2_419_200..=2_678_400 => Some(12),
        _ => None,
    }
}

/// Linear interpolation of the missing entries between observed neighbours (the nearest
/// observed value before the first or after the last observation). `None` when nothing is
/// observed.
pub fn interpolate(v: &[Option<f64>]) -> Option<Vec<f64>> {
    let obs: Vec<usize> = (0..v.len()).filter(|&i| v[i].is_some()).collect();
    let (&first, &last) = (obs.first()?, obs.last()?);
    let mut out = vec![0.0; v.len()];
    for (i, o) in out.iter_mut().enumerate() {
        *o = match v[i] {
            Some(x) => x,
            None if i < first => v[first]?,
            None if i > last => v[last]?,
            None => {
                let k = obs.partition_point(|&j| j < i);
                let (a, b) = (obs[k - 1], obs[k]);
                let (ya, yb) = (v[a]?, v[b]?);
                ya + (yb - ya) * (i - a) as f64 / (b - a) as f64
            }
        };
    }
    Some(out)
}

/// How missing values inside a window's inputs are treated (targets are never filled: a
/// window whose target is missing is left out of training and scoring).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gaps {
    /// Leave out every window with a missing input.
    Drop,
    /// Fill missing inputs by linear interpolation and add an `observed` (1/0) input per step.
    Interpolate,
}

/// Which part of the series a window's target falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Train,
    Validation,
    Test,
}

/// Sliding windows over a series.
///
/// | field | meaning |
/// |---|---|
/// | `window` | input steps per window (>= 1) |
/// | `horizon` | the network forecasts steps 1..=horizon after the window |
/// | `relative` | inputs and targets relative to the window's last value (level-free; for trending series) |
/// | `gaps` | missing inputs: drop the window or interpolate |
/// | `val_fraction`, `test_fraction` | the last shares of the series, by target time |
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowSpec {
    pub window: usize,
    pub horizon: usize,
    pub relative: bool,
    pub gaps: Gaps,
    pub val_fraction: f64,
    pub test_fraction: f64,
}

/// How the training part scaled the series: values `(v - center) / scale` with center the
/// window's last value (relative) or `mean`; covariates `(v - mean) / sd` per column.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scaling {
    pub scale: f64,
    pub mean: f64,
    pub covariates: Vec<(f64, f64)>,
}

/// Windows as training rows. Scaled values are `(v - center) / scale`.
#[derive(Clone, Debug)]
pub struct Windows {
    /// Inputs per step (the value, `observed` when interpolating, then the covariates).
    pub features: usize,
    /// Index of each window's last input step.
    pub origins: Vec<usize>,
    pub parts: Vec<Part>,
    /// `[windows][window * features]`, step-major.
    pub x: Vec<f64>,
    /// `[windows][horizon]`.
    pub y: Vec<f64>,
    /// Per window: what was subtracted (the last value when relative, else the training mean).
    pub center: Vec<f64>,
    pub scale: f64,
    /// The training part's scaling, to build new windows the same way.
    pub scaling: Scaling,
    /// First grid index of the validation and of the test part.
    pub val_start: usize,
    pub test_start: usize,
    /// Windows left out: a missing input (when dropping), a missing target.
    pub dropped_inputs: usize,
    pub dropped_targets: usize,
}

/// Builds the windows of `s`. Split by time: a window belongs to the part its last target
/// falls in, so no training target lies in the validation or test part.
pub fn windows(s: &Series, spec: &WindowSpec) -> std::result::Result<Windows, String> {
    let (n, w, h) = (s.len(), spec.window, spec.horizon);
    if w == 0 || h == 0 {
        return Err("--window and --horizon must be at least 1".into());
    }
    let test_start = n - (spec.test_fraction * n as f64).round() as usize;
    let val_start = test_start - (spec.val_fraction * n as f64).round() as usize;
    if val_start < w + h + 1 {
        return Err(format!(
            "the training part ({val_start} steps) is shorter than one window plus the horizon \
             ({}); lower --window or the validation/test fractions",
            w + h
        ));
    }
    let interp = spec.gaps == Gaps::Interpolate;
    let values = fill(&s.values, interp);
    // Covariates standardized with the training part's observed values.
    let cov_stats: Vec<(f64, f64)> = s
        .covariates
        .iter()
        .map(|c| {
            let obs: Vec<f64> = c[..val_start].iter().flatten().copied().collect();
            let m = obs.iter().sum::<f64>() / obs.len().max(1) as f64;
            let sd =
                (obs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / obs.len().max(1) as f64).sqrt();
            (m, if sd > 0.0 { sd } else { 1.0 })
        })
        .collect();
    let covs = standardized_covariates(s, &cov_stats, interp);
    let mut out = Windows {
        features: 1 + usize::from(interp) + covs.len(),
        origins: Vec::new(),
        parts: Vec::new(),
        x: Vec::new(),
        y: Vec::new(),
        center: Vec::new(),
        scale: 1.0,
        scaling: Scaling {
            scale: 1.0,
            mean: 0.0,
            covariates: cov_stats,
        },
        val_start,
        test_start,
        dropped_inputs: 0,
        dropped_targets: 0,
    };
    for t in w - 1..n - h {
        if (t + 1..=t + h).any(|i| s.values[i].is_none()) {
            out.dropped_targets += 1;
            continue;
        }
        if !interp && (t + 1 - w..=t).any(|i| !s.complete(i)) {
            out.dropped_inputs += 1;
            continue;
        }
        let last = t + h;
        out.parts.push(if last >= test_start {
            Part::Test
        } else if last >= val_start {
            Part::Validation
        } else {
            Part::Train
        });
        out.origins.push(t);
    }
    let train: Vec<usize> = (0..out.origins.len())
        .filter(|&k| out.parts[k] == Part::Train)
        .collect();
    if train.is_empty() {
        return Err("no complete training window: every one has a missing value".into());
    }
    let mean = if spec.relative {
        0.0
    } else {
        let obs: Vec<f64> = s.values[..val_start].iter().flatten().copied().collect();
        obs.iter().sum::<f64>() / obs.len() as f64
    };
    let center = |t: usize| if spec.relative { values[t] } else { mean };
    // Scale: the spread of the training targets around their centers.
    let d: Vec<f64> = train
        .iter()
        .map(|&k| {
            let t = out.origins[k];
            values[t + h] - center(t)
        })
        .collect();
    let dm = d.iter().sum::<f64>() / d.len() as f64;
    let sd = (d.iter().map(|v| (v - dm).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
    out.scale = if sd > 0.0 { sd } else { 1.0 };
    out.scaling.scale = out.scale;
    out.scaling.mean = mean;
    for &t in &out.origins {
        let c = center(t);
        out.center.push(c);
        window_inputs(
            s,
            &values,
            &covs,
            interp,
            t + 1 - w..=t,
            c,
            out.scale,
            &mut out.x,
        );
        out.y
            .extend((t + 1..=t + h).map(|i| (values[i] - c) / out.scale));
    }
    Ok(out)
}

fn fill(v: &[Option<f64>], interp: bool) -> Vec<f64> {
    if interp {
        interpolate(v).unwrap_or_else(|| vec![0.0; v.len()])
    } else {
        v.iter().map(|x| x.unwrap_or(f64::NAN)).collect()
    }
}

fn standardized_covariates(s: &Series, stats: &[(f64, f64)], interp: bool) -> Vec<Vec<f64>> {
    s.covariates
        .iter()
        .zip(stats)
        .map(|(c, &(m, sd))| fill(c, interp).iter().map(|v| (v - m) / sd).collect())
        .collect()
}

/// Appends the inputs of the steps `steps` (value, [observed flag], covariates per step).
#[allow(clippy::too_many_arguments)]
fn window_inputs(
    s: &Series,
    values: &[f64],
    covs: &[Vec<f64>],
    interp: bool,
    steps: std::ops::RangeInclusive<usize>,
    center: f64,
    scale: f64,
    out: &mut Vec<f64>,
) {
    for i in steps {
        out.push((values[i] - center) / scale);
        if interp {
            out.push(if s.values[i].is_some() { 1.0 } else { 0.0 });
        }
        out.extend(covs.iter().map(|cv| cv[i]));
    }
}

/// The inputs of the window that ends at the series' last step, scaled as in training, and
/// its center (forecasts are `center + scale * output`).
pub fn last_window(
    s: &Series,
    spec: &WindowSpec,
    sc: &Scaling,
) -> std::result::Result<(Vec<f64>, f64), String> {
    let (n, w) = (s.len(), spec.window);
    if n < w {
        return Err(format!(
            "the series has {n} steps, fewer than one window ({w})"
        ));
    }
    if sc.covariates.len() != s.covariates.len() {
        return Err("the covariate columns differ from the training run's".into());
    }
    let interp = spec.gaps == Gaps::Interpolate;
    let t = n - 1;
    if !interp {
        if let Some(i) = (t + 1 - w..=t).find(|&i| !s.complete(i)) {
            return Err(format!(
                "the last window has a missing value at {} (the run left such windows out; \
                 it was trained with --missing drop)",
                s.label(i)
            ));
        }
    } else if s.values[t + 1 - w..=t].iter().all(|v| v.is_none()) {
        return Err("the last window has no observed value".into());
    }
    let values = fill(&s.values, interp);
    let covs = standardized_covariates(s, &sc.covariates, interp);
    let center = if spec.relative { values[t] } else { sc.mean };
    let mut x = Vec::with_capacity(w);
    window_inputs(
        s,
        &values,
        &covs,
        interp,
        t + 1 - w..=t,
        center,
        sc.scale,
        &mut x,
    );
    Ok((x, center))
}

/// The seasonal-naive forecast of step `i` (the value one season earlier), when observed.
pub fn seasonal_naive(s: &Series, i: usize, season: usize) -> Option<f64> {
    i.checked_sub(season).and_then(|j| s.values[j])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print_back() {
        assert_eq!(parse_time("1970-01-01"), Some(0));
        assert_eq!(parse_time("2012-03-11T03:00:00"), Some(1_331_434_800));
        assert_eq!(parse_time("2012-03-11 03:00"), Some(1_331_434_800));
        assert_eq!(iso(1_331_434_800), "2012-03-11T03:00:00");
        assert_eq!(
            iso(parse_time("1958-03-29").unwrap()),
            "1958-03-29T00:00:00"
        );
        assert_eq!(parse_time("2000-02-29"), Some(951_782_400));
        for bad in [
            "2001-02-29",
            "2012-13-01",
            "12/03/2011",
            "2012-03-11T25:00",
            "x",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    fn table(rows: &[(&str, &str)]) -> RawTable {
        let mut text = String::from("t,y\n");
        for (a, b) in rows {
            text.push_str(&format!("{a},{b}\n"));
        }
        RawTable::parse(text.as_bytes(), std::path::Path::new("s.csv")).unwrap()
    }

    #[test]
    fn missing_time_stamps_become_explicit_missing_values() {
        let t = table(&[
            ("2020-01-01", "1"),
            ("2020-01-08", ""),
            ("2020-01-22", "3"),
            ("2020-01-29", "4"),
        ]);
        let s = read_series(&t, 0, 1, &[]).unwrap();
        assert_eq!(s.step, 604_800);
        assert_eq!(s.inserted, 1);
        assert_eq!(s.values, vec![Some(1.0), None, None, Some(3.0), Some(4.0)]);
        assert_eq!(s.missing(), 2);
        assert_eq!(s.label(2), "2020-01-15T00:00:00");
        assert_eq!(
            interpolate(&s.values).unwrap(),
            vec![1.0, 1.0 + 2.0 / 3.0, 1.0 + 4.0 / 3.0, 3.0, 4.0]
        );
    }

    #[test]
    fn windows_split_by_time_and_never_train_on_a_missing_target() {
        let mut rows = Vec::new();
        let days: Vec<String> = (1..=28).map(|d| format!("2021-02-{d:02}")).collect();
        for (k, d) in days.iter().enumerate() {
            let v = if k == 10 {
                String::new()
            } else {
                format!("{}", k * 2)
            };
            rows.push((d.clone(), v));
        }
        let r: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let s = read_series(&table(&r), 0, 1, &[]).unwrap();
        let spec = WindowSpec {
            window: 3,
            horizon: 2,
            relative: true,
            gaps: Gaps::Drop,
            val_fraction: 0.25,
            test_fraction: 0.25,
        };
        let w = windows(&s, &spec).unwrap();
        assert_eq!((w.val_start, w.test_start), (14, 21));
        // Origins 2..=25; step 10 is missing: origins 8, 9 (target) and 10, 11, 12 (input).
        assert_eq!(w.dropped_targets, 2);
        assert_eq!(w.dropped_inputs, 3);
        assert_eq!(w.origins.len(), 24 - 5);
        for (k, &t) in w.origins.iter().enumerate() {
            let part = w.parts[k];
            let last = t + 2;
            assert_eq!(part == Part::Train, last < 14);
            assert_eq!(part == Part::Test, last >= 21);
            // The series rises by 2 a step: relative inputs are -4, -2, 0 and targets 2, 4.
            let x: Vec<f64> = w.x[k * 3..k * 3 + 3].iter().map(|v| v * w.scale).collect();
            assert_eq!(x, vec![-4.0, -2.0, 0.0]);
            assert_eq!(w.y[k * 2] * w.scale, 2.0);
            assert_eq!(w.center[k], 2.0 * t as f64);
        }
        let wi = windows(
            &s,
            &WindowSpec {
                gaps: Gaps::Interpolate,
                ..spec
            },
        )
        .unwrap();
        assert_eq!(
            (wi.dropped_inputs, wi.dropped_targets, wi.features),
            (0, 2, 2)
        );
        assert_eq!(seasonal_naive(&s, 12, 2), None);
        assert_eq!(seasonal_naive(&s, 13, 2), Some(22.0));
    }

    #[test]
    fn unsorted_or_off_grid_times_are_errors_naming_the_line() {
        let t = table(&[
            ("2020-01-01", "1"),
            ("2020-01-08", "2"),
            ("2020-01-03", "3"),
        ]);
        let e = read_series(&t, 0, 1, &[]).unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("sort the file"), "{e}");
        let t = table(&[
            ("2020-01-01", "1"),
            ("2020-01-08", "2"),
            ("2020-01-15", "2"),
            ("2020-01-25", "3"),
        ]);
        let e = read_series(&t, 0, 1, &[]).unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("not a multiple"), "{e}");
        let t = table(&[("2020-01-01", "1"), ("soon", "2"), ("2020-01-15", "2")]);
        let e = read_series(&t, 0, 1, &[]).unwrap_err().to_string();
        assert!(
            e.contains("line 3: column 1 ('t')") && e.contains("'soon'"),
            "{e}"
        );
    }
}
