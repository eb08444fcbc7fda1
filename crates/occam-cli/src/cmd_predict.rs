//! `occam predict RUN_DIR DATA`: loads the model of a run folder and predicts one row per
//! input row. The model's preprocessing (`occam::Preprocessor`) turns raw CSV rows into its
//! features exactly as in training: columns by name, the training imputation values, the
//! training one-hot levels (`--handle-unknown`); libsvm rows are read by position. Linear runs
//! (`occam linear cv|path --out`) predict at the lambda cross-validation chose, or `--lambda`.
//! A forecasting run (`--model lstm|gru`) instead forecasts the steps after the end of DATA's
//! series (`cmd_forecast::predict`).

use crate::flags_nn::PredictArgs;
use crate::load::{self, Format, Source};
use crate::{output, UserError};
use anyhow::{Context, Result};
use occam::{HandleUnknown, LinearModel, Predictions, Preprocessor, RawTable, RunFolder, RunKind};
use occam_core::{libsvm, Matrix};
use occam_nn::metrics::predictions;
use occam_nn::model::{load as load_model, ModelMeta};
use occam_nn::{Features, Mat, Net};
use std::path::Path;

/// Reads `name` from the run: verified against the manifest when the run has one.
fn read_run_file(dir: &Path, run: Option<&RunFolder>, name: &str) -> Result<Vec<u8>> {
    match run {
        Some(r) => Ok(r.read_listed(name)?),
        None => {
            let p = dir.join(name);
            std::fs::read(&p).map_err(|e| {
                UserError(format!(
                    "{}: cannot read the model ({e}); MODEL is a run folder written by \
                     `occam train` or `occam linear cv|path --out`",
                    p.display()
                ))
                .into()
            })
        }
    }
}

/// The network of a run folder (verified against its manifest when it has one).
pub fn load_run(dir: &Path) -> Result<(ModelMeta, Net<f32>)> {
    let run = manifest_run(dir)?;
    let text = read_run_file(dir, run.as_ref(), "model.json")?;
    let mj = dir.join("model.json");
    let meta = ModelMeta::from_json(&String::from_utf8_lossy(&text))
        .with_context(|| mj.display().to_string())?;
    let bytes = read_run_file(dir, run.as_ref(), "model.safetensors")?;
    let net = load_model(&meta, &bytes)
        .with_context(|| dir.join("model.safetensors").display().to_string())?;
    Ok((meta, net))
}

/// The run folder's manifest, when it has one (runs made before the manifest have none).
fn manifest_run(dir: &Path) -> Result<Option<RunFolder>> {
    if dir.join(occam::run::MANIFEST).exists() {
        Ok(Some(RunFolder::open(dir)?))
    } else {
        Ok(None)
    }
}

/// The model's features (and the target, when DATA has it) from the data source.
fn features(
    src: &Source,
    pre: &Preprocessor,
    unknown: HandleUnknown,
) -> Result<(Matrix, Option<Vec<f64>>)> {
    match src.format {
        Format::Csv => {
            let t = RawTable::parse(&src.bytes, &src.path)?;
            let f = pre.transform_table(&t, unknown)?;
            Ok((f.x, f.y))
        }
        Format::Libsvm => {
            let d = libsvm::read_libsvm(&src.bytes, &src.path, None)?;
            let truth = (d.task == pre.task).then_some(d.y);
            Ok((pre.transform_matrix(d.x, &src.path)?, truth))
        }
        Format::Idx => anyhow::bail!(UserError(format!(
            "{}: idx input is not supported by `occam predict`",
            src.path.display()
        ))),
    }
}

fn predict_linear(
    run: &RunFolder,
    a: &PredictArgs,
    src: &Source,
    unknown: HandleUnknown,
) -> Result<(Predictions, Option<Vec<f64>>)> {
    let mut model = LinearModel::load(run)?;
    if let Some(s) = a.lambda {
        model.set_lambda(s)?;
    } else if model.lambda.is_none() {
        anyhow::bail!(UserError(format!(
            "{} holds a path fitted without cross-validation: give the lambda to predict \
             with, --lambda VALUE",
            run.dir().display()
        )));
    }
    let (x, truth) = features(src, &model.preprocess, unknown)?;
    Ok((model.predict(&x)?, truth))
}

fn predict_network(
    a: &PredictArgs,
    src: &Source,
    unknown: HandleUnknown,
) -> Result<(Predictions, Option<Vec<f64>>)> {
    if a.lambda.is_some() {
        anyhow::bail!(UserError("--lambda applies to linear models only".into()));
    }
    let (meta, mut net) = load_run(&a.model)?;
    let run = manifest_run(&a.model)?;
    let pre = if a.model.join("preprocess.json").exists() {
        let bytes = read_run_file(&a.model, run.as_ref(), "preprocess.json")?;
        let p = a.model.join("preprocess.json");
        let pre: Preprocessor =
            serde_json::from_slice(&bytes).map_err(|e| occam::Error::Model {
                path: p.clone(),
                detail: format!("cannot be read: {e}"),
            })?;
        pre.verify(&p)?;
        if pre.feature_names != meta.feature_names {
            anyhow::bail!(occam::Error::Model {
                path: p,
                detail: "its features are not the network's (model.json)".into(),
            });
        }
        pre
    } else {
        Preprocessor {
            columns: Vec::new(),
            feature_names: meta.feature_names.clone(),
            target: meta.target_name.clone(),
            task: meta.task,
            classes: meta.classes.clone(),
        }
    };
    let (x, truth) = features(src, &pre, unknown)?;
    Ok((network_predictions(&meta, &mut net, &pre, x), truth))
}

/// The network's predictions for the feature matrix `x` (raw scale; standardized here).
pub fn network_predictions(
    meta: &ModelMeta,
    net: &mut Net<f32>,
    pre: &Preprocessor,
    x: Matrix,
) -> Predictions {
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
    let rows = (0..n).map(|i| p.row(i).to_vec()).collect();
    Predictions::new(pre, rows)
}

pub fn run(a: &PredictArgs) -> Result<()> {
    if a.model.join("forecast.json").exists() {
        return crate::cmd_forecast::predict(&a.model, &a.data, a.out.as_deref());
    }
    let unknown = HandleUnknown::parse(&a.handle_unknown, "--handle-unknown")?;
    let src = load::resolve(&a.data)?;
    let run = manifest_run(&a.model)?;
    let (pred, truth) = match run.as_ref().map(RunFolder::kind) {
        Some(RunKind::LinearCv | RunKind::LinearPath) => {
            predict_linear(run.as_ref().expect("a manifest"), a, &src, unknown)?
        }
        _ => predict_network(a, &src, unknown)?,
    };
    let csv = pred.to_csv();
    match &a.out {
        Some(path) => {
            output::write_atomic(path, csv.as_bytes())?;
            println!("wrote {} predictions to {}", pred.len(), path.display());
        }
        None => print!("{csv}"),
    }
    if let Some(y) = truth {
        let m = pred.metrics(&y);
        let txt: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        eprintln!("against '{}': {}", pred.target, txt.join(", "));
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
