//! The preprocessing a fitted model carries: which raw columns it reads (by name), how each
//! became feature columns (numbers with their imputation value, categories one-hot encoded
//! with the training levels), and how the target was coded. `transform_table` applies the
//! same steps to new raw rows, so that prediction sees exactly the training features.

use crate::error::{Error, Result};
use occam_core::dataset::ColumnSpec;
use occam_core::table::{abbreviate, parse_cell, Cell, Column, RawTable};
use occam_core::{DataError, Dataset, DenseMatrix, Matrix, Task};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What to do with a category at prediction that training never saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HandleUnknown {
    /// A clear error naming the file, line, column and value (the default).
    #[default]
    Error,
    /// All the column's one-hot features are zero for that row (scikit-learn's `ignore`).
    Zeros,
}

impl HandleUnknown {
    /// Parses `error` or `zeros`; `what` names the parameter in the error.
    pub fn parse(s: &str, what: &str) -> Result<HandleUnknown> {
        match s {
            "error" => Ok(HandleUnknown::Error),
            "zeros" => Ok(HandleUnknown::Zeros),
            _ => Err(Error::param_err(
                what,
                format!("'{s}' is not one of error, zeros"),
            )),
        }
    }
}

/// The raw-data-to-features steps of a fitted model, and the coding of its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// Raw columns in feature order; empty when the model was trained on libsvm or idx data,
    /// whose features are read by position.
    pub columns: Vec<ColumnSpec>,
    /// The feature columns the model sees, in order (`name=level` for one-hot columns).
    pub feature_names: Vec<String>,
    /// The target column.
    pub target: String,
    /// What is predicted.
    pub task: Task,
    /// Class labels (classification), in the order of the model's outputs.
    pub classes: Vec<String>,
}

/// New rows turned into the model's features, with the target when the data had it.
#[derive(Clone, Debug)]
pub struct Transformed {
    /// The features, one column per entry of `feature_names`.
    pub x: Matrix,
    /// The target coded as in training (class index or value), when every cell could be read.
    pub y: Option<Vec<f64>>,
}

/// A cell's text as error messages show it (cut after 60 characters).
pub use occam_core::table::cut;

impl Preprocessor {
    /// The preprocessing that produced the data set `d`.
    pub fn from_dataset(d: &Dataset) -> Preprocessor {
        Preprocessor {
            columns: d.schema.clone(),
            feature_names: d.feature_names.clone(),
            target: d.target_name.clone(),
            task: d.task,
            classes: d.classes.clone(),
        }
    }

    /// The number of feature columns.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Checks that the columns expand to exactly `feature_names` (a saved model that was
    /// edited inconsistently is refused). `path` names the file in the error.
    pub fn verify(&self, path: &Path) -> Result<()> {
        if self.columns.is_empty() {
            return Ok(());
        }
        let mut names = Vec::with_capacity(self.feature_names.len());
        for c in &self.columns {
            match c {
                ColumnSpec::Numeric { name, impute } => {
                    if impute.is_some_and(|v| !v.is_finite()) {
                        return Err(Error::model(
                            path,
                            format!("the imputation value of '{name}' is not finite"),
                        ));
                    }
                    names.push(name.clone());
                }
                ColumnSpec::Categorical { name, levels } => {
                    names.extend(levels.iter().map(|l| format!("{name}={l}")))
                }
            }
        }
        if names != self.feature_names {
            return Err(Error::model(
                path,
                "the raw columns do not expand to the model's feature names",
            ));
        }
        if self.task.is_classification() && self.classes.len() < 2 {
            return Err(Error::model(
                path,
                "a classifier needs at least two classes",
            ));
        }
        Ok(())
    }

    /// The model's features from a raw CSV table, applying the training steps: columns found
    /// by name (others ignored), missing numbers imputed with the training value, categories
    /// one-hot encoded with the training levels (a missing category gives all-zero columns).
    pub fn transform_table(&self, t: &RawTable, unknown: HandleUnknown) -> Result<Transformed> {
        let raw: Vec<ColumnSpec> = if self.columns.is_empty() {
            // Trained on libsvm/idx: the CSV must carry the feature names as numeric columns.
            self.feature_names
                .iter()
                .map(|n| ColumnSpec::Numeric {
                    name: n.clone(),
                    impute: None,
                })
                .collect()
        } else {
            self.columns.clone()
        };
        let name_of = |c: &ColumnSpec| match c {
            ColumnSpec::Numeric { name, .. } | ColumnSpec::Categorical { name, .. } => name.clone(),
        };
        let absent: Vec<String> = raw
            .iter()
            .map(name_of)
            .filter(|n| !t.headers.contains(n))
            .collect();
        if !absent.is_empty() {
            return Err(DataError::Mismatch {
                detail: format!(
                    "{}: the model reads {} columns and {} of them are not columns here: {}; the file's \
                     columns are: {}",
                    t.path.display(),
                    raw.len(),
                    absent.len(),
                    abbreviate(&absent, 8),
                    abbreviate(&t.headers, 12)
                ),
            }
            .into());
        }
        let n = t.nrows();
        let mut cols: Vec<Vec<f64>> = Vec::with_capacity(self.feature_names.len());
        for spec in &raw {
            let name = name_of(spec);
            let j = t.column_index(&name, "a model column")?;
            match spec {
                ColumnSpec::Numeric { impute, .. } => {
                    cols.push(numeric(t, j, *impute)?);
                }
                ColumnSpec::Categorical { levels, .. } => {
                    let mut block = vec![vec![0.0; n]; levels.len()];
                    for (i, &line) in t.lines.iter().enumerate() {
                        let text = t.columns[j].text(i);
                        let v = text.trim();
                        if parse_cell(v) == Cell::Missing {
                            continue;
                        }
                        match level_index(levels, v) {
                            Some(k) => block[k][i] = 1.0,
                            None if unknown == HandleUnknown::Zeros => {}
                            None => {
                                return Err(Error::UnknownCategory {
                                    path: t.path.clone(),
                                    line,
                                    column: name.clone(),
                                    value: cut(v),
                                    known: abbreviate(levels, 8),
                                })
                            }
                        }
                    }
                    cols.extend(block);
                }
            }
        }
        let y = t
            .headers
            .iter()
            .position(|h| *h == self.target)
            .and_then(|j| self.target_values(&t.columns[j]));
        Ok(Transformed {
            x: Matrix::Dense(DenseMatrix::from_columns(n, cols)),
            y,
        })
    }

    /// Features read by position (libsvm input): at most the model's count; a sparse matrix
    /// with fewer columns is widened with empty ones.
    pub fn transform_matrix(&self, x: Matrix, path: &Path) -> Result<Matrix> {
        let p = self.n_features();
        if x.ncols() > p {
            return Err(DataError::Mismatch {
                detail: format!(
                    "{}: has feature index {} but the model was trained on {p} features",
                    path.display(),
                    x.ncols()
                ),
            }
            .into());
        }
        Ok(match x {
            Matrix::Sparse(mut s) => {
                s.ncols = p;
                s.indptr.resize(p + 1, *s.indptr.last().unwrap_or(&0));
                Matrix::Sparse(s)
            }
            Matrix::Dense(d) if d.ncols < p => {
                return Err(DataError::Mismatch {
                    detail: format!(
                        "{}: has {} feature columns, the model needs {p}",
                        path.display(),
                        d.ncols
                    ),
                }
                .into())
            }
            m => m,
        })
    }

    /// The target column coded as the model's y, when every cell can be read.
    pub fn target_values(&self, col: &Column) -> Option<Vec<f64>> {
        col.texts()
            .map(|s| {
                let s = s.trim();
                if self.task.is_classification() {
                    let i = self.classes.iter().position(|c| c == s).or_else(|| {
                        // Numeric labels are stored as f64's Display ("1", "2.5").
                        let v: f64 = s.parse().ok()?;
                        self.classes.iter().position(|c| *c == format!("{v}"))
                    })?;
                    Some(i as f64)
                } else {
                    s.parse::<f64>().ok().filter(|v| v.is_finite())
                }
            })
            .collect()
    }
}

/// The index of category `v` among the training `levels`: its own text, or, for a number,
/// the level that reads as the same number (a column of numbers gives its cells as
/// [`number_text`] writes them, so `1.50` in a file whose column is all numbers finds the
/// level `1.50` learned from a file where the column was text).
fn level_index(levels: &[String], v: &str) -> Option<usize> {
    levels.iter().position(|l| l == v).or_else(|| {
        let x = v.parse::<f64>().ok().filter(|x| x.is_finite())?;
        levels
            .iter()
            .position(|l| l.trim().parse::<f64>().ok() == Some(x))
    })
}

/// One numeric column of the table, missing cells imputed with `impute` (an error without).
fn numeric(t: &RawTable, j: usize, impute: Option<f64>) -> Result<Vec<f64>> {
    let name = &t.headers[j];
    if let (Some(v), Some(fill)) = (t.columns[j].numbers(), impute) {
        return Ok(v
            .iter()
            .map(|x| if x.is_nan() { fill } else { x })
            .collect());
    }
    let mut col = Vec::with_capacity(t.nrows());
    for i in 0..t.nrows() {
        let (line, column) = (t.lines[i], j + 1);
        let text = || t.columns[j].text(i);
        match t.columns[j].cell(i) {
            Cell::Number(v) => col.push(v),
            Cell::Missing => match impute {
                Some(v) => col.push(v),
                None => {
                    return Err(DataError::Mismatch {
                        detail: format!(
                            "{}: line {line}, column {column} ('{name}') is missing, and the \
                             model has no value to impute for '{name}' (it was trained with \
                             missing values as errors or dropped rows); fill the cell, or \
                             train with --missing mean|median",
                            t.path.display()
                        ),
                    }
                    .into())
                }
            },
            Cell::NonFinite => {
                return Err(DataError::NonFinite {
                    path: t.path.clone(),
                    line,
                    column,
                    name: name.clone(),
                    text: cut(&text()),
                }
                .into())
            }
            Cell::Text => {
                return Err(DataError::NotNumeric {
                    path: t.path.clone(),
                    line,
                    column,
                    name: name.clone(),
                    text: cut(&text()),
                    hint: String::new(),
                }
                .into())
            }
        }
    }
    Ok(col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use occam_core::{CsvOptions, MissingPolicy};

    fn table(csv: &str) -> RawTable {
        RawTable::parse(csv.as_bytes(), Path::new("t.csv")).unwrap()
    }

    fn dense(m: &Matrix) -> &DenseMatrix {
        match m {
            Matrix::Dense(d) => d,
            Matrix::Sparse(_) => panic!("dense expected"),
        }
    }

    const TRAIN: &str = "city,x,y\nparis,1,1.5\nrome,,2.5\nparis,3,0.1\noslo,4,0.7\n";

    fn fitted() -> (Dataset, Preprocessor) {
        let opts = CsvOptions {
            categorical: vec!["city".into()],
            missing: MissingPolicy::Mean,
            ..Default::default()
        };
        let d = Dataset::from_table(&table(TRAIN), &opts).unwrap();
        let p = Preprocessor::from_dataset(&d);
        (d, p)
    }

    #[test]
    fn a_category_learned_as_text_matches_the_same_number_in_a_column_of_numbers() {
        // Trained where `code` is text (one cell is not a number): the levels keep the file's
        // spelling, "1.50" among them.
        let opts = CsvOptions {
            categorical: vec!["code".into()],
            ..Default::default()
        };
        let d = Dataset::from_table(&table("code,y\n1.50,1\nx,2\n2,3\n"), &opts).unwrap();
        let p = Preprocessor::from_dataset(&d);
        assert!(d.feature_names.contains(&"code=1.50".to_string()));
        // Predicted where every `code` is a number: 1.5 finds "1.50", 2 finds "2".
        let t = p
            .transform_table(&table("code\n1.5\n2.0\n"), HandleUnknown::Error)
            .unwrap();
        let x = dense(&t.x);
        let col = |name: &str| {
            let j = d.feature_names.iter().position(|n| n == name).unwrap();
            x.col(j).to_vec()
        };
        assert_eq!(col("code=1.50"), [1.0, 0.0]);
        assert_eq!(col("code=2"), [0.0, 1.0]);
        assert_eq!(col("code=x"), [0.0, 0.0]);
        // A number no level reads as is still unknown.
        let e = p
            .transform_table(&table("code\n7\n"), HandleUnknown::Error)
            .unwrap_err();
        assert!(e.to_string().contains('7'), "{e}");
    }

    #[test]
    fn reproduces_the_training_features_exactly() {
        let (d, p) = fitted();
        p.verify(Path::new("m")).unwrap();
        let t = p
            .transform_table(&table(TRAIN), HandleUnknown::Error)
            .unwrap();
        let (a, b) = (dense(&t.x), dense(&d.x));
        for j in 0..d.nfeatures() {
            assert_eq!(a.col(j), b.col(j), "feature {}", d.feature_names[j]);
        }
        assert_eq!(t.y.as_deref(), Some(&d.y[..]));
    }

    #[test]
    fn columns_by_name_in_any_order_and_missing_imputed() {
        let (_, p) = fitted();
        let t = p
            .transform_table(
                &table("extra,x,city\n9,,rome\n9,2,\n"),
                HandleUnknown::Error,
            )
            .unwrap();
        let x = dense(&t.x);
        // Features: city=oslo, city=paris, city=rome, x (mean of 1, 3, 4).
        assert_eq!(x.col(2), &[1.0, 0.0]);
        assert_eq!(x.col(3), &[8.0 / 3.0, 2.0]);
        assert_eq!(x.col(0), &[0.0, 0.0]);
        assert!(t.y.is_none());
    }

    #[test]
    fn an_unseen_category_is_an_error_or_zeros_when_asked() {
        let (_, p) = fitted();
        let raw = table("city,x\nrome,1\nlima,2\n");
        let e = p.transform_table(&raw, HandleUnknown::Error).unwrap_err();
        assert_eq!(e.kind(), "unknown-category");
        let msg = e.to_string();
        assert!(msg.contains("'city'") && msg.contains("'lima'") && msg.contains("line 3"));
        let t = p.transform_table(&raw, HandleUnknown::Zeros).unwrap();
        let x = dense(&t.x);
        assert_eq!((x.col(0)[1], x.col(1)[1], x.col(2)[1]), (0.0, 0.0, 0.0));
        assert_eq!(x.col(2)[0], 1.0);
    }

    #[test]
    fn absent_columns_and_bad_cells_are_named() {
        let (_, p) = fitted();
        let e = p
            .transform_table(&table("x\n1\n"), HandleUnknown::Error)
            .unwrap_err();
        assert!(e.to_string().contains("city"), "{e}");
        let long = "z".repeat(10_000);
        let e = p
            .transform_table(
                &table(&format!("city,x\nrome,{long}\n")),
                HandleUnknown::Error,
            )
            .unwrap_err();
        assert_eq!(e.kind(), "not-numeric");
        assert!(e.to_string().len() < 400, "{e}");
        let strict = Preprocessor {
            columns: vec![ColumnSpec::Numeric {
                name: "x".into(),
                impute: None,
            }],
            feature_names: vec!["x".into()],
            ..p
        };
        let e = strict
            .transform_table(&table("x\n1\n\n"), HandleUnknown::Error)
            .unwrap_or_else(|_| panic!("a blank line is no row"));
        assert_eq!(e.x.nrows(), 1);
        let e = strict
            .transform_table(&table("x,q\n1,1\n,2\n"), HandleUnknown::Error)
            .unwrap_err();
        assert!(e.to_string().contains("line 3, column 1"), "{e}");
    }

    #[test]
    fn an_inconsistent_model_is_refused() {
        let (_, mut p) = fitted();
        p.feature_names.pop();
        assert_eq!(p.verify(Path::new("m")).unwrap_err().kind(), "bad-model");
    }
}
