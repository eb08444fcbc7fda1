//! The gradient methods of `occam explain` on networks: integrated gradients, gradient x
//! input and SmoothGrad of an MLP or CNN model on raw feature rows, and integrated gradients
//! of a forecaster's forecasts over the windows of a series (occam-nn's `attribution` in
//! f64, in the output's units).

use super::{
    abs_importance, column_means, Baseline, ExplainOptions, Explanation, GradientInfo, Method,
};
use crate::error::{Error, Result};
use crate::forecast::ForecasterModel;
use occam_core::rng::Rng;
use occam_core::series;
use occam_core::table::RawTable;
use occam_core::{Matrix, Task};
use occam_nn::attribution::{self as attr, IgConfig};
use occam_nn::Mat;

/// The raw rows of `x` as a dense row-major matrix in f64.
fn raw_rows(x: &Matrix) -> Mat<f64> {
    let (n, p) = (x.nrows(), x.ncols());
    let mut m = Mat::zeros(n, p);
    for j in 0..p {
        x.for_each_in_col(j, |i, v| m.data[i * p + j] = v);
    }
    m
}

/// Integrated gradients, gradient x input or SmoothGrad of a network on the raw rows `x`,
/// filled into `out`. The network runs in f64 on standardized inputs; the attributions are
/// of the raw inputs (IG does not depend on the scaling; gradient x input multiplies each
/// raw value by the gradient with respect to it), in the output's units: the target's for
/// regression, the logit for classes, the log rate for counts.
pub(super) fn gradient_explanation(
    m: &crate::mlp::MlpModel,
    x: &Matrix,
    opts: &ExplainOptions,
    out: &mut Explanation,
) -> Result<()> {
    let (n, p) = (x.nrows(), x.ncols());
    let sparse_in = m.meta.preprocess.sparse;
    if n == 0 {
        return Err(Error::param_err("data", "no rows to explain"));
    }
    let mut net: occam_nn::Net<f64> =
        attr::cast(&m.net).map_err(|e| Error::param_err("run", e.to_string()))?;
    if p <= WIDE && !sparse_in {
        return rows_explanation(m, &mut net, x, opts, out, 0, None);
    }
    if sparse_in && (opts.background.is_some() || opts.baseline == Baseline::Mean) {
        return Err(Error::param_err(
            "baseline",
            "a model on sparse rows (a vocabulary) is explained from the zero row (the empty \
             document): its attributions then live on the entries present",
        ));
    }
    // Wide rows (a vocabulary): rows in chunks, SmoothGrad's noise from all rows' ranges,
    // and for sparse input (a zero baseline leaves absent terms at exactly zero) only the
    // columns present in some row are kept.
    let keep: Vec<usize> = if sparse_in {
        (0..p)
            .filter(|&j| {
                let mut any = false;
                x.for_each_in_col(j, |_, v| any |= v != 0.0);
                any
            })
            .collect()
    } else {
        (0..p).collect()
    };
    chunked(
        m,
        &mut net,
        x,
        opts,
        out,
        ((1usize << 22) / p).clamp(1, n),
        keep,
    )
}

/// [`gradient_explanation`] of wide or sparse rows, `chunk` rows at a time, keeping the
/// columns `keep`.
fn chunked(
    m: &crate::mlp::MlpModel,
    net: &mut occam_nn::Net<f64>,
    x: &Matrix,
    opts: &ExplainOptions,
    out: &mut Explanation,
    chunk: usize,
    keep: Vec<usize>,
) -> Result<()> {
    let n = x.nrows();
    let ranges = noise_sd(x, opts.noise);
    let mut attributions = Vec::with_capacity(n);
    let (mut steps_sum, mut steps_max, mut worst, mut over) = (0.0, 0usize, 0.0f64, 0usize);
    let mut bases = Vec::new();
    let mut first: Option<Explanation> = None;
    for start in (0..n).step_by(chunk) {
        let rows: Vec<usize> = (start..(start + chunk).min(n)).collect();
        let mut part = out.clone();
        rows_explanation(
            m,
            net,
            &x.select_rows(&rows),
            opts,
            &mut part,
            start,
            Some(&ranges),
        )?;
        let a = part.attributions.take().unwrap_or_default();
        attributions.extend(
            a.into_iter()
                .map(|r| keep.iter().map(|&j| r[j]).collect::<Vec<_>>()),
        );
        let g = part.gradient.as_ref().expect("a gradient method");
        if let Some((mean, most)) = g.steps {
            steps_sum += mean * rows.len() as f64;
            steps_max = steps_max.max(most);
        }
        over += g.rows_over_tol;
        worst = worst.max(part.completeness_error.unwrap_or(0.0));
        bases.push(part.base_value);
        first.get_or_insert(part);
    }
    let mut done = first.expect("at least one row");
    done.feature_names = keep.iter().map(|&j| out.feature_names[j].clone()).collect();
    done.importance = abs_importance(&done.feature_names, &attributions);
    done.rows_shown = opts
        .rows
        .iter()
        .filter(|&&i| i < n)
        .map(|&i| (i, attributions[i].clone()))
        .collect();
    done.inputs_shown = Vec::new();
    done.grid = None;
    done.completeness_error = done.completeness_error.map(|_| worst);
    done.base_value = if bases.windows(2).all(|w| w[0] == w[1]) {
        bases[0]
    } else {
        None
    };
    if let Some(g) = done.gradient.as_mut() {
        g.baseline_values = keep.iter().map(|&j| g.baseline_values[j]).collect();
        if g.steps.is_some() {
            g.steps = Some((steps_sum / n as f64, steps_max));
        }
        g.rows_over_tol = over;
    }
    done.attributions = Some(attributions);
    done.n = n;
    *out = done;
    Ok(())
}

/// Rows wider than this are explained in chunks of rows.
const WIDE: usize = 4096;

/// SmoothGrad's noise sd per column: `noise` times the column's range over the rows of `x`
/// (a sparse column's absent entries count as zeros).
fn noise_sd(x: &Matrix, noise: f64) -> Vec<f64> {
    let n = x.nrows();
    (0..x.ncols())
        .map(|j| {
            let (mut lo, mut hi, mut seen) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
            x.for_each_in_col(j, |_, v| {
                lo = lo.min(v);
                hi = hi.max(v);
                seen += 1;
            });
            if seen < n {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            if seen == 0 {
                0.0
            } else {
                noise * (hi - lo)
            }
        })
        .collect()
}

/// [`gradient_explanation`] of the rows of `x` by `net` (the model's network in f64), which
/// are the rows `offset..` of the data explained (SmoothGrad's noise streams follow the
/// global row; `ranges`: its noise sd per column when given, else from these rows).
fn rows_explanation(
    m: &crate::mlp::MlpModel,
    net: &mut occam_nn::Net<f64>,
    x: &Matrix,
    opts: &ExplainOptions,
    out: &mut Explanation,
    offset: usize,
    ranges: Option<&[f64]>,
) -> Result<()> {
    let meta = &m.meta;
    let pre = &meta.preprocess;
    let spec = &meta.spec;
    let (n, p) = (x.nrows(), x.ncols());
    let raw = raw_rows(x);
    let (mu, sc): (Vec<f64>, Vec<f64>) = match (&pre.mean, &pre.scale) {
        (Some(mu), Some(sc)) => (
            mu.clone(),
            sc.iter().map(|&v| if v > 0.0 { v } else { 1.0 }).collect(),
        ),
        _ => (vec![0.0; p], vec![1.0; p]),
    };
    let to_engine = |row: &[f64], z: &mut [f64]| {
        for j in 0..p {
            z[j] = (row[j] - mu[j]) / sc[j];
        }
    };
    let mut z = Mat::zeros(n, p);
    for i in 0..n {
        to_engine(raw.row(i), z.row_mut(i));
    }
    // the output explained per row
    let classes = &m.preprocess.classes;
    let (targets, output) = if meta.task == Task::Multiclass {
        match &opts.class {
            Some(c) => {
                let k = classes.iter().position(|l| l == c).ok_or_else(|| {
                    Error::param_err(
                        "class",
                        format!("'{c}' is not one of the classes {}", classes.join(", ")),
                    )
                })?;
                (vec![k; n], format!("logit of {c}"))
            }
            None => {
                let mut t = Vec::with_capacity(n);
                for (_, part) in row_chunks(&z) {
                    let o = net.forward_eval(occam_nn::Batch::Dense(&part));
                    t.extend((0..part.rows).map(|i| occam_nn::mat::argmax(o.row(i))));
                }
                (t, "logit of the predicted class".to_string())
            }
        }
    } else {
        if opts.class.is_some() {
            return Err(Error::param_err(
                "class",
                "applies to multiclass models only",
            ));
        }
        let what = match meta.task {
            Task::Binary => "logit",
            Task::Counts => "log rate",
            _ => "output",
        };
        (vec![0; n], what.to_string())
    };
    let (y_mean, y_sd) = pre.y_scale.unwrap_or((0.0, 1.0));
    let image_like = !spec.conv.is_empty() || spec.recurrent.is_some();
    let (baseline, baseline_name) = match (&opts.background, opts.baseline) {
        (Some(b), _) => {
            if b.len() != p {
                return Err(Error::param_err(
                    "background",
                    format!("{} columns, the model has {p}", b.len()),
                ));
            }
            (b.clone(), "background means")
        }
        (None, Baseline::Zero) => (vec![0.0; p], "zeros"),
        (None, Baseline::Auto) if image_like || pre.mean.is_none() => (vec![0.0; p], "zeros"),
        (None, _) => match &pre.mean {
            Some(mu) => (mu.clone(), "training means"),
            None => (column_means(x), "data means"),
        },
    };
    let mut info = GradientInfo {
        output,
        baseline: baseline_name.into(),
        baseline_values: baseline.clone(),
        quadrature: None,
        tol: None,
        steps: None,
        rows_over_tol: 0,
        noise: None,
    };
    let mut attributions = vec![vec![0.0; p]; n];
    match opts.method {
        Method::Ig => {
            let cfg = ig_config(opts)?;
            let mut zb = vec![0.0; p];
            to_engine(&baseline, &mut zb);
            let r = attr::integrated_gradients(net, &z, &zb, &targets, &cfg);
            for (i, row) in attributions.iter_mut().enumerate() {
                for (j, a) in row.iter_mut().enumerate() {
                    *a = r.attributions[i * p + j] * y_sd;
                }
            }
            let worst = r.error.iter().fold(0.0f64, |a, b| a.max(*b));
            out.completeness_error = Some(worst);
            if targets.iter().all(|&t| t == targets[0]) {
                out.base_value = Some(y_mean + y_sd * r.f_baseline[0]);
            }
            let done = ig_info(net, opts, &r);
            info.quadrature = done.quadrature;
            info.tol = done.tol;
            info.steps = done.steps;
            info.rows_over_tol = done.rows_over_tol;
        }
        Method::GradXInput => {
            let g = gradients_in_chunks(net, &z, &targets);
            for (i, row) in attributions.iter_mut().enumerate() {
                for (j, a) in row.iter_mut().enumerate() {
                    *a = raw.data[i * p + j] * g[i * p + j] / sc[j] * y_sd;
                }
            }
        }
        Method::SmoothGrad => {
            if opts.samples == 0 {
                return Err(Error::param_err("samples", "must be at least 1"));
            }
            if !(opts.noise >= 0.0 && opts.noise.is_finite()) {
                return Err(Error::param_err(
                    "noise",
                    format!("{} is not >= 0", opts.noise),
                ));
            }
            let sd: Vec<f64> = match ranges {
                Some(r) => r.to_vec(),
                None => noise_sd(x, opts.noise),
            };
            let s = opts.samples;
            let per = (1024 / s).max(1);
            for start in (0..n).step_by(per) {
                let rows: Vec<usize> = (start..(start + per).min(n)).collect();
                let mut zn = Mat::zeros(rows.len() * s, p);
                let mut tg = Vec::with_capacity(rows.len() * s);
                let mut noisy = vec![0.0; p];
                for (c, &i) in rows.iter().enumerate() {
                    let mut rng = Rng::stream(opts.seed, 0x5340 << 32 | (offset + i) as u64);
                    for k in 0..s {
                        for j in 0..p {
                            noisy[j] = raw.data[i * p + j] + sd[j] * rng.normal();
                        }
                        to_engine(&noisy, zn.row_mut(c * s + k));
                        tg.push(targets[i]);
                    }
                }
                let g = gradients_in_chunks(net, &zn, &tg);
                for (c, &i) in rows.iter().enumerate() {
                    for j in 0..p {
                        let mean = (0..s).map(|k| g[(c * s + k) * p + j]).sum::<f64>() / s as f64;
                        attributions[i][j] = raw.data[i * p + j] * mean / sc[j] * y_sd;
                    }
                }
            }
            info.noise = Some((s, opts.noise));
        }
        _ => unreachable!("a gradient method"),
    }
    out.importance = abs_importance(&out.feature_names, &attributions);
    out.rows_shown = opts
        .rows
        .iter()
        .filter(|&&i| i >= offset && i < offset + n)
        .map(|&i| (i, attributions[i - offset].clone()))
        .collect();
    out.grid = if !spec.conv.is_empty() {
        spec.image
    } else {
        spec.recurrent.map(|r| (1, r.steps, r.features))
    };
    if out.grid.is_some() {
        out.inputs_shown = out
            .rows_shown
            .iter()
            .map(|(i, _)| (*i, raw.row(*i - offset).to_vec()))
            .collect();
    }
    out.attributions = Some(attributions);
    out.gradient = Some(info);
    Ok(())
}

/// The rows of `z` in batches of 1024, each with its first row's index.
fn row_chunks(z: &Mat<f64>) -> impl Iterator<Item = (usize, Mat<f64>)> + '_ {
    let (n, p) = (z.rows, z.cols);
    (0..n).step_by(1024).map(move |start| {
        let end = (start + 1024).min(n);
        let part = Mat::from_vec(end - start, p, z.data[start * p..end * p].to_vec());
        (start, part)
    })
}

/// Input gradients of `targets` at the rows of `z`, in batches of 1024 rows.
fn gradients_in_chunks(net: &mut occam_nn::Net<f64>, z: &Mat<f64>, targets: &[usize]) -> Vec<f64> {
    let mut g = Vec::with_capacity(z.rows * z.cols);
    for (start, part) in row_chunks(z) {
        g.extend(attr::input_gradients(
            net,
            &part,
            &targets[start..start + part.rows],
        ));
    }
    g
}

/// Integrated gradients of a forecaster's forecast `opts.horizon_step` steps after each
/// window of the series in `t` (every window the model reads, oldest first), against the
/// flat window (every input at the window's center: its last value for a relative model,
/// the training mean otherwise; covariates at their training means). Attributions are in
/// the series' units, a column per input (`COLUMN@t-K`); the report draws each chosen
/// window as a steps x inputs heat map.
pub fn explain_forecast(
    m: &ForecasterModel,
    t: &RawTable,
    opts: &ExplainOptions,
) -> Result<Explanation> {
    if opts.method != Method::Ig {
        return Err(Error::param_err(
            "method",
            format!(
                "a forecaster is explained by integrated gradients (ig), not {}",
                opts.method.name()
            ),
        ));
    }
    if opts.background.is_some() || opts.baseline != Baseline::Auto {
        return Err(Error::param_err(
            "baseline",
            "a forecaster's baseline is the flat window at each window's center",
        ));
    }
    if opts.class.is_some() {
        return Err(Error::param_err("class", "applies to classifiers only"));
    }
    let meta = &m.meta;
    let h = opts.horizon_step;
    if h == 0 || h > meta.windows.horizon {
        return Err(Error::param_err(
            "horizon_step",
            format!("{h} is not in 1..={}", meta.windows.horizon),
        ));
    }
    let cfg = ig_config(opts)?;
    let s = m.series_of(t)?;
    let wins = series::every_window(&s, &meta.windows, &meta.scaling)
        .map_err(|e| Error::param_err("data", format!("{}: {e}", t.path.display())))?;
    if wins.is_empty() {
        return Err(Error::param_err(
            "data",
            format!("{}: no complete window to explain", t.path.display()),
        ));
    }
    let names = m.input_names();
    let (n, p) = (wins.len(), names.len());
    let mut z = Mat::zeros(n, p);
    for (i, (_, x, _)) in wins.iter().enumerate() {
        z.row_mut(i).copy_from_slice(x);
    }
    let mut net: occam_nn::Net<f64> =
        attr::cast(&m.net).map_err(|e| Error::param_err("run", e.to_string()))?;
    let r = attr::integrated_gradients(&mut net, &z, &vec![0.0; p], &vec![h - 1; n], &cfg);
    let scale = meta.scaling.scale;
    let attributions: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            r.attributions[i * p..(i + 1) * p]
                .iter()
                .map(|a| a * scale)
                .collect()
        })
        .collect();
    let rows_shown: Vec<(usize, Vec<f64>)> = opts
        .rows
        .iter()
        .filter(|&&i| i < n)
        .map(|&i| (i, attributions[i].clone()))
        .collect();
    let inputs_shown = rows_shown
        .iter()
        .map(|(i, _)| (*i, wins[*i].1.clone()))
        .collect();
    let mut info = ig_info(&net, opts, &r);
    info.output = format!(
        "the forecast {h} step(s) after the window ({})",
        meta.target
    );
    info.baseline = "the flat window at its center".into();
    info.baseline_values = vec![0.0; p];
    let features = p / meta.windows.window.max(1);
    let mut e = Explanation::blank(names.clone(), n, opts);
    e.importance = abs_importance(&names, &attributions);
    e.attributions = Some(attributions);
    e.rows_shown = rows_shown;
    e.base_value = (!meta.windows.relative).then(|| meta.scaling.mean + scale * r.f_baseline[0]);
    e.completeness_error = Some(r.error.iter().fold(0.0f64, |a, b| a.max(*b)));
    e.group_corr = None;
    e.gradient = Some(info);
    e.grid = Some((1, meta.windows.window, features));
    e.inputs_shown = inputs_shown;
    Ok(e)
}

/// The integrated-gradients settings of `opts`, refusing what cannot run.
fn ig_config(opts: &ExplainOptions) -> Result<IgConfig> {
    if opts.steps == 0 {
        return Err(Error::param_err("steps", "must be at least 1"));
    }
    if let Some(t) = opts.tol {
        if !(t > 0.0 && t.is_finite()) {
            return Err(Error::param_err("tol", format!("{t} is not > 0")));
        }
    }
    Ok(IgConfig {
        steps: opts.steps,
        quadrature: opts.quadrature,
        tol: opts.tol,
        ..IgConfig::default()
    })
}

/// How integrated gradients ran (the output and baseline are the caller's to fill).
fn ig_info(net: &occam_nn::Net<f64>, opts: &ExplainOptions, r: &attr::IgResult) -> GradientInfo {
    let n = r.steps.len().max(1);
    GradientInfo {
        output: String::new(),
        baseline: String::new(),
        baseline_values: Vec::new(),
        quadrature: Some(match opts.tol {
            Some(_) if attr::piecewise_linear(net) => {
                "the path's kinks located (exact: a piecewise-linear network)".into()
            }
            Some(_) => "adaptive gausslegendre panels".into(),
            None => opts.quadrature.name().into(),
        }),
        tol: opts.tol,
        steps: Some((
            r.steps.iter().sum::<usize>() as f64 / n as f64,
            r.steps.iter().copied().max().unwrap_or(0),
        )),
        rows_over_tol: match opts.tol {
            Some(t) => r.error.iter().filter(|&&e| e > t).count(),
            None => 0,
        },
        noise: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CsvOptions, Mlp};

    /// Chunks of rows give the rows' attributions as one pass does, to rounding (SmoothGrad's
    /// noise follows the global row and all rows' ranges).
    #[test]
    fn chunks_of_rows_explain_as_one_pass() {
        let d = crate::estimator::read_csv(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../datasets/diabetes_regression.csv"
            ),
            &CsvOptions::default(),
        )
        .unwrap();
        let Matrix::Dense(dx) = &d.x else {
            panic!("dense")
        };
        let (mut ptr, mut cols, mut vals) = (vec![0usize], Vec::new(), Vec::new());
        for i in 0..dx.nrows {
            for j in 0..dx.ncols {
                if (i + j) % 3 != 0 {
                    cols.push(j as u32);
                    vals.push(dx.get(i, j));
                }
            }
            ptr.push(cols.len());
        }
        let mut sparse = d.clone();
        sparse.x = Matrix::Sparse(occam_core::CscMatrix::from_rows(
            dx.nrows, dx.ncols, &ptr, &cols, &vals,
        ));
        let model = Mlp {
            hidden: Some(vec![8]),
            epochs: 3,
            ..Mlp::default()
        }
        .fit(&sparse)
        .unwrap();
        assert!(model.meta.preprocess.sparse);
        let x = sparse.x.select_rows(&(0..50).collect::<Vec<_>>());
        for method in [Method::Ig, Method::SmoothGrad, Method::GradXInput] {
            let opts = ExplainOptions {
                method,
                rows: vec![3, 20],
                ..ExplainOptions::default()
            };
            let run = |chunk: usize| {
                let mut e = Explanation::blank(model.preprocess.feature_names.clone(), 50, &opts);
                let mut net = attr::cast(&model.net).unwrap();
                chunked(
                    &model,
                    &mut net,
                    &x,
                    &opts,
                    &mut e,
                    chunk,
                    (0..10).collect(),
                )
                .unwrap();
                e
            };
            // equal up to the GEMM's blocking, which follows the batch's rows
            let (one, many) = (run(50), run(7));
            let (a, b) = (one.attributions.unwrap(), many.attributions.unwrap());
            for (r, q) in a.iter().zip(&b) {
                for (u, v) in r.iter().zip(q) {
                    assert!((u - v).abs() <= 1e-12 * (1.0 + u.abs()), "{method:?}");
                }
            }
            assert_eq!(one.rows_shown.len(), 2);
            assert_eq!(
                one.rows_shown.iter().map(|r| r.0).collect::<Vec<_>>(),
                vec![3, 20]
            );
            assert_eq!(one.importance.len(), many.importance.len());
        }
    }
}
