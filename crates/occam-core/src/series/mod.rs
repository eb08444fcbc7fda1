//! Time series for forecasting: a CSV's time column read as a regular grid (missing time
//! stamps become explicit missing values, never zeros), sliding windows over it, and the
//! seasonal-naive and last-value baselines a forecast is judged against.
//!
//! Times are read as naive calendar times (no time zone): `YYYY-MM-DD`,
//! `YYYY-MM-DDTHH:MM[:SS]` or the same with a space. The step is the most common difference
//! between consecutive rows; a larger difference that is a multiple of it inserts missing
//! rows (a daylight-saving hour, a week without a measurement), any other is an error.
//!
//! `time.rs` reads the time stamps, `window.rs` cuts the windows a network trains on.

mod time;
mod window;

pub use time::{iso, parse_time};
pub use window::{every_window, last_window, windows, Gaps, Part, Scaling, WindowSpec, Windows};

use crate::error::{DataError, Result};
use crate::table::{Cell, RawTable};

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

fn number(t: &RawTable, col: usize, row: usize) -> Result<Option<f64>> {
    let text = || t.columns[col].text(row).into_owned();
    match t.columns[col].cell(row) {
        Cell::Number(v) => Ok(Some(v)),
        Cell::Missing => Ok(None),
        Cell::NonFinite => Err(DataError::NonFinite {
            path: t.path.clone(),
            line: t.lines[row],
            column: col + 1,
            name: t.headers[col].clone(),
            text: text(),
        }),
        Cell::Text => Err(DataError::NotNumeric {
            path: t.path.clone(),
            line: t.lines[row],
            column: col + 1,
            name: t.headers[col].clone(),
            text: text(),
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
        let text = t.columns[time].text(row);
        let s = parse_time(&text).ok_or_else(|| {
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
                        t.columns[time].text(row - 1).trim()
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
                        t.columns[time].text(row).trim()
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
        s.labels.push(t.columns[time].text(row).trim().to_string());
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

/// The seasonal-naive forecast of step `i` (the value one season earlier), when observed.
pub fn seasonal_naive(s: &Series, i: usize, season: usize) -> Option<f64> {
    i.checked_sub(season).and_then(|j| s.values[j])
}

#[cfg(test)]
pub(crate) mod tests {
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

    pub(super) fn table(rows: &[(&str, &str)]) -> RawTable {
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
