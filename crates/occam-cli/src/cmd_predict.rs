//! `occam predict RUN_DIR DATA`: loads the model of a run folder (`occam::Model`) and
//! predicts one row per input row. The model's preprocessing turns raw CSV rows into its
//! features exactly as in training: columns by name, the training imputation values, the
//! training one-hot levels (`--handle-unknown`); libsvm rows are read by position. Linear runs
//! (`occam linear cv|path --out`) predict at the lambda cross-validation chose, or `--lambda`.
//! A forecasting run (`--model lstm|gru`) instead forecasts the steps after the end of DATA's
//! series (`cmd_forecast::predict`).

use crate::flags_nn::PredictArgs;
use crate::{load, output, UserError};
use anyhow::Result;
use occam::{HandleUnknown, Model};

pub fn run(a: &PredictArgs) -> Result<()> {
    let unknown = HandleUnknown::parse(&a.handle_unknown, "--handle-unknown")?;
    let mut model = Model::load(&a.model)?;
    match (&mut model, a.lambda) {
        (Model::Forecaster(m), _) => {
            return crate::cmd_forecast::predict(m, &a.data, a.out.as_deref())
        }
        (Model::Linear(m), Some(s)) => m.set_lambda(s)?,
        (Model::Linear(m), None) if m.lambda.is_none() => anyhow::bail!(UserError(format!(
            "{} holds a path fitted without cross-validation: give the lambda to predict \
             with, --lambda VALUE",
            a.model.display()
        ))),
        (_, Some(_)) => {
            anyhow::bail!(UserError("--lambda applies to linear models only".into()))
        }
        _ => {}
    }
    let src = load::resolve(&a.data)?;
    let (pred, truth) = match a.mc_samples {
        Some(t) => {
            let not_a_network = || {
                UserError(
                    "--mc-samples applies to networks trained with dropout (occam train, tune)"
                        .into(),
                )
            };
            if !matches!(model, Model::Network(_)) {
                anyhow::bail!(not_a_network());
            }
            let (x, y) = model.features(&src, unknown)?;
            let Model::Network(m) = &mut model else {
                anyhow::bail!(not_a_network());
            };
            (m.predict_mc(&x, t, a.seed)?, y)
        }
        None => model.predict(&src, unknown)?,
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
