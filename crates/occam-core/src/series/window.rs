//! Sliding windows over a [`Series`]: each window's inputs (the last `window` steps of the
//! target and covariates, standardized on the training part, relative to the window's last
//! value when asked), its targets 1..=horizon steps ahead, and the part of the series
//! (train, validation, test) its target falls in.

use super::{interpolate, Series};

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

/// Every window of `s` that a model with `spec` and training scaling `sc` reads: (index of
/// its last step, its inputs scaled as in training, its center), in time order. Windows
/// with a missing input are left out when the model drops them (`Gaps::Drop`), and so are
/// windows with no observed value.
pub fn every_window(
    s: &Series,
    spec: &WindowSpec,
    sc: &Scaling,
) -> std::result::Result<Vec<(usize, Vec<f64>, f64)>, String> {
    let (n, w) = (s.len(), spec.window);
    if w == 0 || n < w {
        return Err(format!(
            "the series has {n} steps, fewer than one window ({w})"
        ));
    }
    if sc.covariates.len() != s.covariates.len() {
        return Err("the covariate columns differ from the training run's".into());
    }
    let interp = spec.gaps == Gaps::Interpolate;
    let values = fill(&s.values, interp);
    let covs = standardized_covariates(s, &sc.covariates, interp);
    let mut out = Vec::new();
    for t in w - 1..n {
        let steps = t + 1 - w..=t;
        if !interp && steps.clone().any(|i| !s.complete(i)) {
            continue;
        }
        if interp && s.values[steps.clone()].iter().all(|v| v.is_none()) {
            continue;
        }
        let center = if spec.relative { values[t] } else { sc.mean };
        let mut x = Vec::with_capacity(w);
        window_inputs(s, &values, &covs, interp, steps, center, sc.scale, &mut x);
        out.push((t, x, center));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::table;
    use super::super::{read_series, seasonal_naive};
    use super::*;

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
}
