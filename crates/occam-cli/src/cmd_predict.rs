//! `occam predict RUN_DIR DATA`: loads model.json + model.safetensors, checks that DATA has
//! the model's features (by name for CSV, by count for libsvm), applies the training-time
//! standardization and writes one row of predictions per input row. A forecasting run
//! (`--model lstm|gru`) instead forecasts the steps after the end of DATA's series
//! (`cmd_forecast::predict`).

use crate::flags_nn::PredictArgs;
use crate::load::{self, Format};
use crate::{output, UserError};
use anyhow::{Context, Result};
use occam_core::table::{abbreviate, parse_cell, Cell, RawTable};
use occam_core::{libsvm, DataError, DenseMatrix, Matrix, Task};
use occam_nn::metrics::{predictions, task_metrics};
use occam_nn::model::{load as load_model, ModelMeta};
use occam_nn::{Features, Mat, Net};
use std::fmt::Write as _;

pub fn load_run(dir: &std::path::Path) -> Result<(ModelMeta, Net<f32>)> {
    let mj = dir.join("model.json");
    let text = std::fs::read_to_string(&mj).map_err(|e| {
        UserError(format!(
            "{}: cannot read the model description ({e}); MODEL is a run folder written by `occam train`",
            mj.display()
        ))
    })?;
    let meta = ModelMeta::from_json(&text).with_context(|| mj.display().to_string())?;
    let wp = dir.join("model.safetensors");
    let bytes = std::fs::read(&wp).map_err(|e| UserError(format!("{}: {e}", wp.display())))?;
    let net = load_model(&meta, &bytes).with_context(|| wp.display().to_string())?;
    Ok((meta, net))
}

/// The model's feature columns from a CSV table, by name; other columns are ignored.
fn csv_features(t: &RawTable, meta: &ModelMeta) -> Result<(DenseMatrix, Option<Vec<f64>>)> {
    let missing: Vec<&String> = meta
        .feature_names
        .iter()
        .filter(|n| !t.headers.contains(n))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(DataError::Mismatch {
            detail: format!(
                "{}: the model needs {} features and {} of them are not columns here: {}; the file's columns are: {}",
                t.path.display(),
                meta.feature_names.len(),
                missing.len(),
                abbreviate(&missing.into_iter().cloned().collect::<Vec<_>>(), 8),
                abbreviate(&t.headers, 12)
            ),
        });
    }
    let n = t.nrows();
    let mut cols = Vec::with_capacity(meta.feature_names.len());
    for name in &meta.feature_names {
        let j = t.column_index(name, "a model feature")?;
        let mut col = Vec::with_capacity(n);
        for (i, text) in t.columns[j].iter().enumerate() {
            let (line, column) = (t.lines[i], j + 1);
            match parse_cell(text) {
                Cell::Number(v) => col.push(v),
                Cell::Missing => anyhow::bail!(DataError::MissingValue {
                    path: t.path.clone(),
                    line,
                    column,
                    name: name.clone(),
                }),
                Cell::NonFinite => anyhow::bail!(DataError::NonFinite {
                    path: t.path.clone(),
                    line,
                    column,
                    name: name.clone(),
                    text: text.clone(),
                }),
                Cell::Text => anyhow::bail!(DataError::NotNumeric {
                    path: t.path.clone(),
                    line,
                    column,
                    name: name.clone(),
                    text: text.clone(),
                    hint: String::new(),
                }),
            }
        }
        cols.push(col);
    }
    let truth = t
        .headers
        .iter()
        .position(|h| *h == meta.target_name)
        .and_then(|j| target_values(&t.columns[j], meta));
    Ok((DenseMatrix::from_columns(n, cols), truth))
}

/// The target column as the model's y (class index or value), when every cell parses.
fn target_values(col: &[String], meta: &ModelMeta) -> Option<Vec<f64>> {
    col.iter()
        .map(|s| {
            if meta.task.is_classification() {
                meta.classes
                    .iter()
                    .position(|c| c == s.trim())
                    .map(|i| i as f64)
            } else {
                s.trim().parse::<f64>().ok()
            }
        })
        .collect()
}

pub fn run(a: &PredictArgs) -> Result<()> {
    if a.model.join("forecast.json").exists() {
        return crate::cmd_forecast::predict(&a.model, &a.data, a.out.as_deref());
    }
    let (meta, mut net) = load_run(&a.model)?;
    let src = load::resolve(&a.data)?;
    let (x, truth) = match src.format {
        Format::Csv => {
            let t = RawTable::parse(&src.bytes, &src.path)?;
            let (m, truth) = csv_features(&t, &meta)?;
            (Matrix::Dense(m), truth)
        }
        Format::Libsvm => {
            let d = libsvm::read_libsvm(&src.bytes, &src.path, None)?;
            if d.nfeatures() > meta.spec.n_in {
                anyhow::bail!(DataError::Mismatch {
                    detail: format!(
                        "{}: has feature index {} but the model was trained on {} features",
                        src.path.display(),
                        d.nfeatures(),
                        meta.spec.n_in
                    ),
                });
            }
            let mut x = d.x;
            if let Matrix::Sparse(s) = &mut x {
                s.ncols = meta.spec.n_in;
                s.indptr
                    .resize(meta.spec.n_in + 1, *s.indptr.last().unwrap_or(&0));
            }
            let truth = (d.task == meta.task).then_some(d.y);
            (x, truth)
        }
        Format::Idx => anyhow::bail!(UserError(format!(
            "{}: idx input is not supported by MLP models",
            src.path.display()
        ))),
    };
    let x = if meta.preprocess.sparse {
        x
    } else if let Matrix::Sparse(s) = &x {
        Matrix::Dense(s.to_dense_cols(s.ncols))
    } else {
        x
    };
    let feats = crate::nn_setup::features(&x, &meta.preprocess);
    let n = feats.rows();
    let mut out: Mat<f32> = Mat::zeros(n, meta.spec.n_out);
    let chunk = 1024;
    for s in (0..n).step_by(chunk) {
        let e = (s + chunk).min(n);
        let part = slice_rows(&feats, s, e);
        let o = net.forward_eval(part.as_batch());
        out.data[s * meta.spec.n_out..e * meta.spec.n_out].copy_from_slice(&o.data);
    }
    let p = predictions(meta.task, &out, meta.preprocess.y_scale);
    let mut csv = String::new();
    match meta.task {
        Task::Binary => {
            let _ = writeln!(csv, "prob_{},predicted", meta.classes[1]);
            for i in 0..n {
                let q = p.row(i)[0];
                let _ = writeln!(csv, "{q},{}", meta.classes[usize::from(q >= 0.5)]);
            }
        }
        Task::Multiclass => {
            let head: Vec<String> = meta.classes.iter().map(|c| format!("prob_{c}")).collect();
            let _ = writeln!(csv, "{},predicted", head.join(","));
            for i in 0..n {
                let r = p.row(i);
                let best = (0..r.len()).fold(0, |b, j| if r[j] > r[b] { j } else { b });
                let vals: Vec<String> = r.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(csv, "{},{}", vals.join(","), meta.classes[best]);
            }
        }
        Task::Regression | Task::Counts => {
            let _ = writeln!(csv, "predicted_{}", meta.target_name);
            for i in 0..n {
                let _ = writeln!(csv, "{}", p.row(i)[0]);
            }
        }
    }
    match &a.out {
        Some(path) => {
            output::write_atomic(path, csv.as_bytes())?;
            println!("wrote {} predictions to {}", n, path.display());
        }
        None => print!("{csv}"),
    }
    if let Some(y) = truth {
        let m = task_metrics(meta.task, &p, &y);
        let txt: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        eprintln!("against '{}': {}", meta.target_name, txt.join(", "));
    }
    Ok(())
}

fn slice_rows(f: &Features<f32>, s: usize, e: usize) -> Features<f32> {
    match f {
        Features::Dense(m) => Features::Dense(Mat::from_vec(
            e - s,
            m.cols,
            m.data[s * m.cols..e * m.cols].to_vec(),
        )),
        Features::Sparse(c) => {
            let (a, b) = (c.indptr[s], c.indptr[e]);
            Features::Sparse(occam_nn::Csr {
                rows: e - s,
                cols: c.cols,
                indptr: c.indptr[s..=e].iter().map(|v| v - a).collect(),
                indices: c.indices[a..b].to_vec(),
                values: c.values[a..b].to_vec(),
            })
        }
    }
}
