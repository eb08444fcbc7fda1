//! A text model: the tf-idf n-gram vocabulary fitted on the training texts
//! (`occam_core::text::Vectorizer`) in front of a cross-validated elastic-net path
//! ([`LinearModel`]). It predicts raw texts and saves to / loads from a run folder.

use crate::error::{Error, Result};
use crate::linear::LinearModel;
use crate::predict::Predictions;
use crate::run::{RunFolder, RunKind};
use occam_core::table::RawTable;
use occam_core::text::Vectorizer;
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
        let j = t.column_index(&self.text_column, "text_column")?;
        let texts: Vec<&str> = t.columns[j].iter().map(String::as_str).collect();
        let x = occam_core::Matrix::Sparse(self.vectorizer.transform(&texts));
        self.linear.predict(&x)
    }

    /// Saves `text.json` (the text column, the vocabulary) and the linear model.
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        self.linear.save(run)?;
        run.write_json(
            "text.json",
            &TextMeta {
                format: TEXT_FORMAT.into(),
                text_column: self.text_column.clone(),
                vectorizer: self.vectorizer.clone(),
            },
        )
    }

    /// Loads a model saved by [`TextModel::save`], verifying its files.
    pub fn load(run: &RunFolder) -> Result<TextModel> {
        if run.kind() != RunKind::Text {
            return Err(Error::model(
                run.dir(),
                format!("holds a {} run, not a text model", run.kind().name()),
            ));
        }
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
        let linear = LinearModel::load(run)?;
        if linear.preprocess.feature_names != meta.vectorizer.terms {
            return Err(Error::model(
                &jp,
                "the vocabulary is not the linear model's features",
            ));
        }
        Ok(TextModel {
            text_column: meta.text_column,
            vectorizer: meta.vectorizer.reindex(),
            linear,
        })
    }
}
