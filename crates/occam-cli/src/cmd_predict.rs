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
use occam::text::TextNetworkModel;
use occam::{
    HandleUnknown, LinearModel, MlpModel, Predictions, Preprocessor, RawTable, RunFolder, RunKind,
};
use occam_core::{libsvm, Matrix};
use occam_nn::model::{load as load_model, ModelMeta};
use occam_nn::Net;
use std::path::Path;

/// The network of a run folder from before the manifest: its files read as they are.
fn load_legacy_network(dir: &Path) -> Result<(ModelMeta, Net<f32>)> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read(&p).map_err(|e| {
            UserError(format!(
                "{}: cannot read the model ({e}); MODEL is a run folder written by \
                 `occam train` or `occam linear cv|path --out`",
                p.display()
            ))
        })
    };
    let mj = dir.join("model.json");
    let meta = ModelMeta::from_json(&String::from_utf8_lossy(&read("model.json")?))
        .with_context(|| mj.display().to_string())?;
    let net = load_model(&meta, &read("model.safetensors")?)
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

/// DATA as a CSV table, for the models that read only CSV (`what` says why).
fn csv_only(src: &Source, what: &str) -> Result<RawTable> {
    if src.format != Format::Csv {
        anyhow::bail!(UserError(format!("{}: {what}", src.path.display())));
    }
    Ok(RawTable::parse(&src.bytes, &src.path)?)
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
    run: Option<&RunFolder>,
    src: &Source,
    unknown: HandleUnknown,
) -> Result<(Predictions, Option<Vec<f64>>)> {
    if a.lambda.is_some() {
        anyhow::bail!(UserError("--lambda applies to linear models only".into()));
    }
    let mut model = match run {
        Some(r) => MlpModel::load(r)?,
        None => {
            // A run from before the manifest: numeric columns by name, nothing verified.
            let (meta, net) = load_legacy_network(&a.model)?;
            let preprocess = Preprocessor {
                columns: Vec::new(),
                feature_names: meta.feature_names.clone(),
                target: meta.target_name.clone(),
                task: meta.task,
                classes: meta.classes.clone(),
            };
            MlpModel {
                meta,
                net,
                preprocess,
                history: Vec::new(),
                outcome: None,
            }
        }
    };
    let (x, truth) = features(src, &model.preprocess, unknown)?;
    Ok((model.predict(&x)?, truth))
}

/// The target column of `t`, when it has the model's, as the model's target values.
fn truth_of(t: &RawTable, pre: &Preprocessor) -> Option<Vec<f64>> {
    t.headers
        .iter()
        .position(|h| *h == pre.target)
        .and_then(|j| pre.target_values(&t.columns[j]))
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
        Some(RunKind::Text) => {
            let model = occam::TextModel::load(run.as_ref().expect("a manifest"))?;
            let what = format!(
                "a text model predicts CSV rows with its text column '{}'",
                model.text_column
            );
            let t = csv_only(&src, &what)?;
            let truth = truth_of(&t, &model.linear.preprocess);
            (model.predict_table(&t)?, truth)
        }
        Some(RunKind::Recommender) => {
            let model = occam::RecommenderModel::load(run.as_ref().expect("a manifest"))?;
            let t = csv_only(
                &src,
                "a recommender predicts CSV rows with its user and item columns",
            )?;
            let values = model.predict_table(&t, unknown)?;
            let truth = t
                .headers
                .iter()
                .position(|h| *h == model.target)
                .and_then(|j| t.columns[j].iter().map(|c| c.trim().parse().ok()).collect());
            let pred = Predictions {
                task: occam::Task::Regression,
                classes: Vec::new(),
                target: model.target.clone(),
                rows: values.into_iter().map(|v| vec![v]).collect(),
            };
            (pred, truth)
        }
        Some(RunKind::Mlp) if run.as_ref().is_some_and(TextNetworkModel::is_text) => {
            let mut model = TextNetworkModel::load(run.as_ref().expect("a manifest"))?;
            let what = format!(
                "a text network predicts CSV rows with its text column '{}'",
                model.text_column
            );
            let t = csv_only(&src, &what)?;
            let truth = truth_of(&t, &model.network.preprocess);
            (model.predict_table(&t)?, truth)
        }
        Some(RunKind::Mlp | RunKind::Tune) | None => {
            predict_network(a, run.as_ref(), &src, unknown)?
        }
        Some(kind) => anyhow::bail!(UserError(format!(
            "{} holds a {} run, which has no model for `occam predict` (it predicts with \
             train, tune, linear cv|path, text, recommender and forecasting runs)",
            a.model.display(),
            kind.name()
        ))),
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
