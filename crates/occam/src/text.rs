//! A text model: the tf-idf n-gram vocabulary fitted on the training texts
//! (`occam_core::text::Vectorizer`) in front of a cross-validated elastic-net path
//! ([`LinearModel`]). It predicts raw texts and saves to / loads from a run folder.

use crate::error::{Error, Result};
use crate::linear::{Linear, LinearCv, LinearModel, Rule};
use crate::mlp::MlpModel;
use crate::predict::Predictions;
use crate::results::TextResult;
use crate::run::{RunFolder, RunKind};
use occam_core::table::RawTable;
use occam_core::text::TextConfig;
use occam_core::text::Vectorizer;
use occam_core::{Dataset, Matrix, Task};
use occam_linear::predict::coef_at;
use occam_linear::{CvFit, Family, Measure};
use serde::{Deserialize, Serialize};

/// The format string of `text.json`.
pub const TEXT_FORMAT: &str = "occam-text-1";

#[derive(Serialize, Deserialize)]
struct TextMeta {
    format: String,
    text_column: String,
    vectorizer: Vectorizer,
}

/// A fitted text model.
#[derive(Clone, Debug)]
pub struct TextModel {
    /// The column holding the texts.
    pub text_column: String,
    /// The vocabulary and its document frequencies.
    pub vectorizer: Vectorizer,
    /// The linear model on the document-term rows (its features are the terms).
    pub linear: LinearModel,
}

impl TextModel {
    /// Predictions for the texts in the model's text column of `t` (other columns ignored).
    pub fn predict_table(&self, t: &RawTable) -> Result<Predictions> {
        self.linear
            .predict(&rows(t, &self.text_column, &self.vectorizer)?)
    }

    /// Saves `text.json` (the text column, the vocabulary) and the linear model.
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        self.linear.save(run)?;
        save_vocabulary(run, &self.text_column, &self.vectorizer)
    }

    /// Loads a model saved by [`TextModel::save`], verifying its files.
    pub fn load(run: &RunFolder) -> Result<TextModel> {
        if run.kind() != RunKind::Text {
            return Err(Error::model(
                run.dir(),
                format!("holds a {} run, not a text model", run.kind().name()),
            ));
        }
        let linear = LinearModel::load(run)?;
        let (text_column, vectorizer) = load_vocabulary(run, &linear.preprocess.feature_names)?;
        Ok(TextModel {
            text_column,
            vectorizer,
            linear,
        })
    }
}

/// The document-term rows of the texts in column `column` of `t`.
fn rows(t: &RawTable, column: &str, vectorizer: &Vectorizer) -> Result<Matrix> {
    let j = t.column_index(column, "text_column")?;
    let owned: Vec<std::borrow::Cow<str>> = t.columns[j].texts().collect();
    let texts: Vec<&str> = owned.iter().map(|s| s.as_ref()).collect();
    Ok(Matrix::Sparse(vectorizer.transform(&texts)))
}

/// Writes `text.json`: the text column and the vocabulary a model's features come from.
pub fn save_vocabulary(
    run: &mut RunFolder,
    text_column: &str,
    vectorizer: &Vectorizer,
) -> Result<()> {
    run.write_json(
        "text.json",
        &TextMeta {
            format: TEXT_FORMAT.into(),
            text_column: text_column.to_string(),
            vectorizer: vectorizer.clone(),
        },
    )
}

/// Reads `text.json`, checking its format, its idf weights and that its terms are `features`.
fn load_vocabulary(run: &RunFolder, features: &[String]) -> Result<(String, Vectorizer)> {
    let jp = run.path("text.json");
    let meta: TextMeta = run.read_json("text.json")?;
    if meta.format != TEXT_FORMAT {
        return Err(Error::model(
            &jp,
            format!("format '{}' is not {TEXT_FORMAT}", meta.format),
        ));
    }
    let v = &meta.vectorizer;
    if v.idf.len() != v.terms.len() || v.idf.iter().any(|w| !w.is_finite()) {
        return Err(Error::model(&jp, "the idf weights do not match the terms"));
    }
    if !v.terms.windows(2).all(|w| w[0] < w[1]) {
        return Err(Error::model(&jp, "the terms are not sorted and distinct"));
    }
    if v.terms != features {
        return Err(Error::model(
            &jp,
            "the vocabulary is not the model's features",
        ));
    }
    Ok((meta.text_column, meta.vectorizer.reindex()))
}

/// A network on document-term rows (`occam train --model text --text-head mlp`): the
/// vocabulary in front of an [`MlpModel`] whose input features are the terms.
pub struct TextNetworkModel {
    /// The column holding the texts.
    pub text_column: String,
    /// The vocabulary and its document frequencies.
    pub vectorizer: Vectorizer,
    /// The network.
    pub network: MlpModel,
}

impl TextNetworkModel {
    /// Whether the network run folder `run` holds a vocabulary (a text network).
    pub fn is_text(run: &RunFolder) -> bool {
        run.manifest().files.contains_key("text.json")
    }

    /// The document-term rows of the texts in the model's text column of `t` (the
    /// network's feature matrix: a column per vocabulary term).
    pub fn term_rows(&self, t: &RawTable) -> Result<Matrix> {
        rows(t, &self.text_column, &self.vectorizer)
    }

    /// Predictions for the texts in the model's text column of `t`.
    pub fn predict_table(&mut self, t: &RawTable) -> Result<Predictions> {
        let x = rows(t, &self.text_column, &self.vectorizer)?;
        self.network.predict(&x)
    }

    /// Loads the network and its vocabulary, verifying both.
    pub fn load(run: &RunFolder) -> Result<TextNetworkModel> {
        let network = MlpModel::load(run)?;
        let (text_column, vectorizer) = load_vocabulary(run, &network.meta.feature_names)?;
        Ok(TextNetworkModel {
            text_column,
            vectorizer,
            network,
        })
    }
}

/// A text classifier: a tf-idf (or count) n-gram vocabulary in front of a cross-validated
/// elastic-net path, predicting at lambda.min.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `text_column` | `text` | the column holding the texts |
/// | `target` | the last other column | the class column |
/// | `vectorizer` | 1-grams, min df 2, 50,000 terms, tf-idf | how texts become rows |
/// | `alpha` | 0.5 | elastic-net mixing (1 = lasso) |
/// | `folds` | 10 | CV folds (misclassification error) |
/// | `seed` | 0 | the folds |
#[derive(Clone, Debug)]
pub struct Text {
    /// The column holding the texts.
    pub text_column: String,
    /// The class column; `None`: the last column that is not the text.
    pub target: Option<String>,
    /// n-grams, document-frequency floor, vocabulary size, tf-idf.
    pub vectorizer: TextConfig,
    /// Elastic-net mixing.
    pub alpha: f64,
    /// CV folds.
    pub folds: usize,
    /// The seed of the folds.
    pub seed: u64,
}

impl Default for Text {
    fn default() -> Self {
        Text {
            text_column: "text".into(),
            target: None,
            vectorizer: TextConfig::default(),
            alpha: 0.5,
            folds: 10,
            seed: 0,
        }
    }
}

/// A fitted text classifier with its cross-validation and the words it weighs most.
pub struct TextFit {
    /// The model (predicts raw texts).
    pub model: TextModel,
    /// The document-term data set it was fitted on.
    pub data: Dataset,
    /// The cross-validated path.
    pub cv: CvFit,
    /// The result (summary.json).
    pub result: TextResult,
    /// Every term with a non-zero weight at lambda.min, largest first (words.csv).
    pub words: Vec<(String, f64)>,
}

impl TextFit {
    /// words.csv: term, weight.
    pub fn words_csv(&self) -> String {
        let mut csv = String::from("term,weight\n");
        for (t, w) in &self.words {
            csv.push_str(&format!("{},{w}\n", t.replace(',', " ")));
        }
        csv
    }
}

impl Text {
    /// The document-term data set of `t` (sparse rows, classes from the target column) and
    /// the vocabulary fitted on all its texts (it uses no label, so CV folds see no target
    /// leak; document frequencies of held-out texts do enter the idf).
    pub fn dataset(&self, t: &RawTable) -> Result<(Dataset, Vectorizer)> {
        let cfg = &self.vectorizer;
        if cfg.ngram == 0 || cfg.ngram > 5 {
            return Err(Error::param_err(
                "ngram",
                format!("{} is not in 1..=5", cfg.ngram),
            ));
        }
        for (param, v) in [("min_df", cfg.min_df), ("max_features", cfg.max_features)] {
            if v == 0 {
                return Err(Error::param_err(param, "must be at least 1"));
            }
        }
        let ti = t.column_index(&self.text_column, "text_column")?;
        let target = match &self.target {
            Some(n) => n.clone(),
            None => t
                .headers
                .iter()
                .rev()
                .find(|h| **h != self.text_column)
                .cloned()
                .ok_or_else(|| {
                    Error::param_err(
                        "target",
                        format!("{}: no target column besides the text", t.path.display()),
                    )
                })?,
        };
        let yi = t.column_index(&target, "target")?;
        let labels: Vec<String> = t.columns[yi]
            .texts()
            .map(|s| s.trim().to_string())
            .collect();
        let mut classes = labels.clone();
        classes.sort();
        classes.dedup();
        if classes.len() < 2 {
            return Err(Error::param_err(
                "target",
                format!("{}: target '{target}' has a single class", t.path.display()),
            ));
        }
        let y: Vec<f64> = labels
            .iter()
            .map(|s| classes.iter().position(|c| c == s).unwrap_or(0) as f64)
            .collect();
        let owned: Vec<std::borrow::Cow<str>> = t.columns[ti].texts().collect();
        let texts: Vec<&str> = owned.iter().map(|s| s.as_ref()).collect();
        let vec = Vectorizer::fit(&texts, cfg);
        let x = vec.transform(&texts);
        let task = if classes.len() == 2 {
            Task::Binary
        } else {
            Task::Multiclass
        };
        let d = Dataset {
            source: t.path.clone(),
            x: Matrix::Sparse(x),
            y,
            feature_names: vec.terms.clone(),
            target_name: target,
            task,
            classes,
            schema: Vec::new(),
            rows_dropped: 0,
        };
        Ok((d, vec))
    }

    /// Fits the vocabulary and the cross-validated path on `t`; `tick` is called after each
    /// path fit (all rows, then each fold).
    pub fn fit_with_progress(&self, t: &RawTable, tick: &(dyn Fn() + Sync)) -> Result<TextFit> {
        let (d, vec) = self.dataset(t)?;
        let family = if d.task == Task::Binary {
            Family::Binomial
        } else {
            Family::Multinomial
        };
        let est = LinearCv {
            path: Linear {
                family: Some(family),
                alpha: self.alpha,
                // tf-idf rows are already on one scale; standardizing would blow up rare
                // words (standardized, rare words got the largest original-scale weights and
                // CV accuracy on sentence polarity fell from 76.5% to 75.8%).
                standardize: false,
                ..Linear::default()
            },
            folds: self.folds,
            foldid: None,
            measure: Measure::Class,
            seed: self.seed,
            rule: Rule::Min,
        };
        let (linear, cv) = est.fit_with_progress(&d, tick)?;
        let (_, beta) = coef_at(&cv.fit, cv.lambda_min);
        let w = &beta[beta.len() - 1]; // binomial: the one column; multinomial: the last class
        let mut order: Vec<usize> = (0..w.len()).filter(|&j| w[j] != 0.0).collect();
        order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
        let words: Vec<(String, f64)> = order
            .iter()
            .map(|&j| (vec.terms[j].clone(), w[j]))
            .collect();
        let top_positive = words
            .iter()
            .filter(|e| e.1 > 0.0)
            .take(20)
            .cloned()
            .collect();
        let top_negative = words
            .iter()
            .rev()
            .filter(|e| e.1 < 0.0)
            .take(20)
            .cloned()
            .collect();
        let result = TextResult {
            model: "text".into(),
            texts: d.nrows(),
            terms: vec.terms.len(),
            vectorizer: self.vectorizer.clone(),
            alpha: self.alpha,
            folds: self.folds,
            cv_accuracy: 1.0 - cv.cvm[cv.index_min],
            cv_se: cv.cvsd[cv.index_min],
            lambda_min: cv.lambda_min,
            lambda_1se: cv.lambda_1se,
            cv_accuracy_1se: 1.0 - cv.cvm[cv.index_1se],
            terms_in_model: cv.fit.df[cv.index_min],
            positive_class: d.classes[d.classes.len() - 1].clone(),
            top_positive,
            top_negative,
        };
        Ok(TextFit {
            model: TextModel {
                text_column: self.text_column.clone(),
                vectorizer: vec,
                linear,
            },
            data: d,
            cv,
            result,
            words,
        })
    }
}
