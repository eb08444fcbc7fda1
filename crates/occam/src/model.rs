//! Any saved model: [`Model::load`] opens a run folder and loads the model its manifest's
//! run kind names (linear path or CV, network, text, recommender, forecaster), and
//! [`Model::predict`] predicts the rows of a data file with it, through the model's own
//! preprocessing. This is what `occam predict` and a binding's `load(path)` stand on.

use crate::bayes::BayesModel;
use crate::data::{Format, Source};
use crate::error::{Error, Result};
use crate::forecast::ForecasterModel;
use crate::linear::LinearModel;
use crate::mlp::MlpModel;
use crate::predict::Predictions;
use crate::preprocess::{HandleUnknown, Preprocessor};
use crate::recommender::RecommenderModel;
use crate::run::{RunFolder, RunKind, MANIFEST};
use crate::text::{TextModel, TextNetworkModel};
use occam_core::table::{Cell, RawTable};
use occam_core::{libsvm, Matrix, Task};
use occam_nn::model::{load as load_net, ModelMeta};
use std::path::Path;

/// A model loaded from a run folder.
pub enum Model {
    /// A linear path (its lambda chosen by CV, or to be set).
    Linear(LinearModel),
    /// An MLP or CNN (a train or tune run).
    Network(Box<MlpModel>),
    /// The text model's elastic-net head.
    Text(TextModel),
    /// A network on a text column.
    TextNetwork(Box<TextNetworkModel>),
    /// A recommender.
    Recommender(Box<RecommenderModel>),
    /// A forecaster (it forecasts the steps after a series: [`ForecasterModel::forecast`]).
    Forecaster(Box<ForecasterModel>),
    /// Bayesian ridge or ARD (it predicts a mean and a standard deviation).
    Bayes(Box<BayesModel>),
}

impl Model {
    /// The model of the run folder `dir`. A network folder from before the manifest is
    /// read as it is (numeric columns by name, nothing verified).
    pub fn load(dir: &Path) -> Result<Model> {
        if !dir.join(MANIFEST).exists() {
            if dir.join("forecast.json").exists() {
                return Err(Error::Run {
                    path: dir.to_path_buf(),
                    detail: "a forecasting run from before the manifest cannot be loaded; \
                             train it again"
                        .into(),
                });
            }
            return legacy_network(dir).map(|m| Model::Network(Box::new(m)));
        }
        let run = RunFolder::open(dir)?;
        Ok(match run.kind() {
            RunKind::LinearCv | RunKind::LinearPath => Model::Linear(LinearModel::load(&run)?),
            RunKind::Text => Model::Text(TextModel::load(&run)?),
            RunKind::Recommender => Model::Recommender(Box::new(RecommenderModel::load(&run)?)),
            RunKind::Forecast => Model::Forecaster(Box::new(ForecasterModel::load(&run)?)),
            RunKind::Bayes => Model::Bayes(Box::new(BayesModel::load(&run)?)),
            RunKind::Mlp if TextNetworkModel::is_text(&run) => {
                Model::TextNetwork(Box::new(TextNetworkModel::load(&run)?))
            }
            RunKind::Mlp | RunKind::Tune => Model::Network(Box::new(MlpModel::load(&run)?)),
            kind => {
                return Err(Error::Run {
                    path: dir.to_path_buf(),
                    detail: format!(
                        "holds a {} run, which has no model to predict with (train, tune, \
                         linear cv|path|bayes, text, recommender and forecasting runs have \
                         one)",
                        kind.name()
                    ),
                })
            }
        })
    }

    /// The feature matrix of `src` through the model's preprocessing, with the target when
    /// `src` has it: for the models on feature columns (linear, bayes, network) and text
    /// networks (their document-term rows, from a CSV's text column).
    pub fn features(
        &self,
        src: &Source,
        unknown: HandleUnknown,
    ) -> Result<(Matrix, Option<Vec<f64>>)> {
        let pre = match self {
            Model::Linear(m) => &m.preprocess,
            Model::Bayes(m) => &m.preprocess,
            Model::Network(m) => &m.preprocess,
            Model::TextNetwork(m) => {
                let why = format!(
                    "a text network reads CSV rows with its text column '{}'",
                    m.text_column
                );
                let t = csv_only(src, &why)?;
                let truth = truth_of(&t, &m.network.preprocess);
                return Ok((m.term_rows(&t)?, truth));
            }
            _ => {
                return Err(Error::param_err(
                    "run",
                    "this model reads raw columns (text, ids, a series), not feature columns",
                ))
            }
        };
        features(src, pre, unknown)
    }

    /// Predicts every row of `src` (CSV by column name; libsvm by position for the models
    /// on numeric features), with the true target when `src` has the model's. `unknown`
    /// says what an unseen category becomes.
    pub fn predict(
        &mut self,
        src: &Source,
        unknown: HandleUnknown,
    ) -> Result<(Predictions, Option<Vec<f64>>)> {
        match self {
            Model::Linear(m) => {
                if m.lambda.is_none() {
                    return Err(Error::param_err(
                        "lambda",
                        "the path was fitted without cross-validation: set the lambda to \
                         predict with",
                    ));
                }
                let (x, truth) = features(src, &m.preprocess, unknown)?;
                Ok((m.predict(&x)?, truth))
            }
            Model::Network(m) => {
                let (x, truth) = features(src, &m.preprocess, unknown)?;
                Ok((m.predict(&x)?, truth))
            }
            Model::Bayes(m) => {
                let (x, truth) = features(src, &m.preprocess, unknown)?;
                Ok((m.predict(&x)?, truth))
            }
            Model::Text(m) => {
                let why = format!(
                    "a text model predicts CSV rows with its text column '{}'",
                    m.text_column
                );
                let t = csv_only(src, &why)?;
                let truth = truth_of(&t, &m.linear.preprocess);
                Ok((m.predict_table(&t)?, truth))
            }
            Model::TextNetwork(m) => {
                let why = format!(
                    "a text network predicts CSV rows with its text column '{}'",
                    m.text_column
                );
                let t = csv_only(src, &why)?;
                let truth = truth_of(&t, &m.network.preprocess);
                Ok((m.predict_table(&t)?, truth))
            }
            Model::Recommender(m) => {
                let t = csv_only(
                    src,
                    "a recommender predicts CSV rows with its user and item columns",
                )?;
                let values = m.predict_table(&t, unknown)?;
                let truth = t.headers.iter().position(|h| *h == m.target).and_then(|j| {
                    (0..t.nrows())
                        .map(|i| match t.columns[j].cell(i) {
                            Cell::Number(v) => Some(v),
                            _ => None,
                        })
                        .collect()
                });
                let pred = Predictions {
                    task: Task::Regression,
                    classes: Vec::new(),
                    target: m.target.clone(),
                    rows: values.into_iter().map(|v| vec![v]).collect(),
                    std: None,
                };
                Ok((pred, truth))
            }
            Model::Forecaster(_) => Err(Error::param_err(
                "data",
                "a forecaster forecasts the steps after a series, not one value per row",
            )),
        }
    }
}

/// A network run folder from before the manifest: its files read as they are.
fn legacy_network(dir: &Path) -> Result<MlpModel> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read(&p).map_err(|e| Error::Run {
            path: p.clone(),
            detail: format!(
                "cannot read the model ({e}); a model is a run folder written by `occam train` \
                 or `occam linear cv|path --out`"
            ),
        })
    };
    let mj = dir.join("model.json");
    let meta = ModelMeta::from_json(&String::from_utf8_lossy(&read("model.json")?))
        .map_err(|e| Error::model(&mj, e.to_string()))?;
    let net = load_net(&meta, &read("model.safetensors")?)
        .map_err(|e| Error::model(dir.join("model.safetensors"), e.to_string()))?;
    let preprocess = Preprocessor {
        columns: Vec::new(),
        feature_names: meta.feature_names.clone(),
        target: meta.target_name.clone(),
        task: meta.task,
        classes: meta.classes.clone(),
    };
    Ok(MlpModel::from_parts(meta, net, preprocess))
}

/// The model's features (and the target, when the data has it) from the data source.
fn features(
    src: &Source,
    pre: &Preprocessor,
    unknown: HandleUnknown,
) -> Result<(Matrix, Option<Vec<f64>>)> {
    match src.format {
        Format::Csv | Format::Parquet => {
            let t = src.table()?;
            let f = pre.transform_table(&t, unknown)?;
            Ok((f.x, f.y))
        }
        Format::Libsvm => {
            let d = libsvm::read_libsvm(&src.bytes, &src.path, None)?;
            let truth = (d.task == pre.task).then_some(d.y);
            Ok((pre.transform_matrix(d.x, &src.path)?, truth))
        }
        Format::Idx => Err(Error::param_err(
            "data",
            format!("{}: idx input cannot be predicted on", src.path.display()),
        )),
    }
}

/// The source as a table (CSV or Parquet), for the models that read only tables (`what`
/// says why).
fn csv_only(src: &Source, what: &str) -> Result<RawTable> {
    if !src.format.is_table() {
        return Err(Error::param_err(
            "data",
            format!("{}: {what}", src.path.display()),
        ));
    }
    src.table()
}

/// The target column of `t`, when it has the model's, as the model's target values.
fn truth_of(t: &RawTable, pre: &Preprocessor) -> Option<Vec<f64>> {
    t.headers
        .iter()
        .position(|h| *h == pre.target)
        .and_then(|j| pre.target_values(&t.columns[j]))
}
