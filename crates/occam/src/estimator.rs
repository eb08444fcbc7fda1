//! What every estimator shares: the [`Estimator`] / [`Fitted`] traits (config -> `fit` ->
//! fitted model -> predict / save / load) and, for the estimators that fit from a raw table
//! (text, recommender, forecaster), [`TableEstimator`] / [`TableModel`]; the conformance
//! suites run over both. Also the checks every `fit` makes on its data before any work.

use crate::error::{Error, Result};
use crate::predict::Predictions;
use crate::preprocess::{HandleUnknown, Preprocessor};
use crate::run::{RunFolder, RunKind};
use occam_core::table::RawTable;
use occam_core::{metrics, DataError, Dataset, Matrix, Task};

/// A configuration that fits a model to a data set.
pub trait Estimator {
    /// The fitted model.
    type Model: Fitted;
    /// Fits the model (validating the configuration and the data first).
    fn fit(&self, d: &Dataset) -> Result<Self::Model>;
}

/// A feature selector: which columns of a data set to keep (stability selection, the
/// LassoNet path). The conformance suite runs over every selector as over every estimator.
pub trait Selector {
    /// Selects on `d` (validating the configuration and the data first).
    fn select(&self, d: &Dataset) -> Result<Selection>;
}

/// The columns a [`Selector`] kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// Every feature, in the data set's order.
    pub feature_names: Vec<String>,
    /// Whether each feature is kept.
    pub support: Vec<bool>,
    /// Each feature's score, larger meaning more strongly kept: the selection probability
    /// (stability selection) or the lambda at which it leaves the path (LassoNet; 0 when it
    /// never enters).
    pub scores: Vec<f64>,
}

impl Selection {
    /// The names of the kept features, in the data set's order.
    pub fn selected(&self) -> Vec<&str> {
        self.feature_names
            .iter()
            .zip(&self.support)
            .filter(|(_, &s)| s)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The kept columns of `d`, which must have the features selected on (by name and
    /// order). The result has no raw-column schema: it is read by feature name.
    pub fn transform(&self, d: &Dataset) -> Result<Dataset> {
        if d.feature_names != self.feature_names {
            return Err(Error::param_err(
                "data",
                format!(
                    "the selection was made on {} features ({}...), this data set has {}",
                    self.feature_names.len(),
                    self.feature_names.first().map_or("", String::as_str),
                    d.nfeatures()
                ),
            ));
        }
        let cols: Vec<usize> = (0..self.support.len())
            .filter(|&j| self.support[j])
            .collect();
        Ok(Dataset {
            x: d.x.select_cols(&cols),
            feature_names: cols.iter().map(|&j| d.feature_names[j].clone()).collect(),
            schema: Vec::new(),
            ..d.clone()
        })
    }
}

/// A fitted model: it predicts, carries its preprocessing, and saves to / loads from a run
/// folder.
pub trait Fitted: Sized {
    /// The kind of run folder the model is saved in.
    fn run_kind(&self) -> RunKind;
    /// Predictions for a feature matrix with the model's feature columns.
    fn predict(&mut self, x: &Matrix) -> Result<Predictions>;
    /// The steps from raw columns to the model's features.
    fn preprocessor(&self) -> &Preprocessor;
    /// Writes the model's files into `run`.
    fn save(&self, run: &mut RunFolder) -> Result<()>;
    /// Reads a model written by `save`, verifying every file.
    fn load(run: &RunFolder) -> Result<Self>;
    /// The model's score on `d`: accuracy for classifiers, R^2 for regression, the fraction
    /// of Poisson deviance explained for counts (scikit-learn's `score` conventions).
    fn score(&mut self, d: &Dataset) -> Result<f64> {
        let pred = self.predict(&d.x)?;
        if pred.len() != d.nrows() {
            return Err(Error::param_err(
                "data",
                "predictions and targets differ in length",
            ));
        }
        let labels = pred.labels();
        Ok(match d.task {
            Task::Binary | Task::Multiclass => {
                let hit = labels.iter().zip(&d.y).filter(|(a, b)| a == b).count();
                hit as f64 / d.nrows() as f64
            }
            Task::Regression => metrics::r2(&labels, &d.y),
            Task::Counts => {
                let mean = d.y.iter().sum::<f64>() / d.nrows() as f64;
                let dev = |mu: &dyn Fn(usize) -> f64| -> f64 {
                    (0..d.nrows())
                        .map(|i| metrics::poisson_dev(d.y[i], mu(i)))
                        .sum()
                };
                1.0 - dev(&|i| labels[i]) / dev(&|_| mean)
            }
        })
    }

    /// Predictions for raw CSV rows, through the model's preprocessing.
    fn predict_table(&mut self, t: &RawTable, unknown: HandleUnknown) -> Result<Predictions> {
        let f = self.preprocessor().transform_table(t, unknown)?;
        self.predict(&f.x)
    }
}

/// Checks a data set before fitting: rows and features present, shapes consistent, every
/// value finite, and a classification target with at least two classes, each row's class
/// one of them.
pub fn validate_data(d: &Dataset) -> Result<()> {
    let (n, p) = (d.nrows(), d.nfeatures());
    if n == 0 {
        return Err(Error::param_err("data", "has no rows"));
    }
    if p == 0 {
        return Err(Error::param_err("data", "has no feature columns"));
    }
    if d.x.nrows() != n || d.x.ncols() != p {
        return Err(Error::param_err(
            "data",
            format!(
                "X is {} x {} but there are {n} targets and {p} feature names",
                d.x.nrows(),
                d.x.ncols()
            ),
        ));
    }
    let bad_x = match &d.x {
        Matrix::Dense(m) => (0..p).find_map(|j| {
            m.col(j)
                .iter()
                .position(|v| !v.is_finite())
                .map(|i| (i, j, m.col(j)[i]))
        }),
        Matrix::Sparse(s) => (0..p).find_map(|j| {
            (s.indptr[j]..s.indptr[j + 1])
                .find(|&k| !s.values[k].is_finite())
                .map(|k| (s.indices[k] as usize, j, s.values[k]))
        }),
    };
    if let Some((i, j, v)) = bad_x {
        return Err(Error::param_err(
            "x",
            format!(
                "row {} of feature '{}' is {v}; every value must be finite",
                i + 1,
                d.feature_names[j]
            ),
        ));
    }
    if let Some(i) = d.y.iter().position(|v| !v.is_finite()) {
        return Err(Error::param_err(
            "y",
            format!("row {} is {}; every target must be finite", i + 1, d.y[i]),
        ));
    }
    if d.task.is_classification() {
        let k = d.classes.len();
        let mut seen = vec![false; k];
        for (i, &v) in d.y.iter().enumerate() {
            if v.fract() != 0.0 || v < 0.0 || v as usize >= k {
                return Err(Error::param_err(
                    "y",
                    format!("row {} is {v}, not a class index below {k}", i + 1),
                ));
            }
            seen[v as usize] = true;
        }
        if seen.iter().filter(|s| **s).count() < 2 {
            let first = d.y[0] as usize;
            return Err(DataError::SingleClass {
                path: d.source.clone(),
                target: d.target_name.clone(),
                class: d.classes.get(first).cloned().unwrap_or_default(),
                rows: n,
            }
            .into());
        }
    }
    Ok(())
}

/// Reads a CSV file (header row first) into a data set under `opts`; errors name the file,
/// line and column.
pub fn read_csv(
    path: impl AsRef<std::path::Path>,
    opts: &occam_core::CsvOptions,
) -> Result<Dataset> {
    let t = read_csv_table(path)?;
    Ok(Dataset::from_table(&t, opts)?)
}

/// Reads a CSV file (header row first; gzip by its magic number) as a table, shape checked:
/// columns of numbers parsed as read, a plain file read as a stream.
pub fn read_csv_table(path: impl AsRef<std::path::Path>) -> Result<RawTable> {
    let path = path.as_ref();
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    if crate::data::starts_gzip(&mut file).map_err(io)? {
        let bytes = occam_core::input::read_all(file, path)?;
        return Ok(RawTable::parse(&bytes, path)?);
    }
    drop(file);
    Ok(RawTable::read(path)?)
}

/// Splits `d` into training and held-out rows (`test_fraction` of them; stratified by class
/// for classification; seeded).
pub fn split_rows(d: &Dataset, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::param_err(
            "test_fraction",
            format!("{test_fraction} is not in (0, 1)"),
        ));
    }
    let classes = d.task.is_classification().then_some(&d.y[..]);
    let s = occam_core::split::train_val_test(d.nrows(), classes, 0.0, test_fraction, seed)?;
    Ok((d.subset(&s.train), d.subset(&s.test)))
}

/// An estimator that fits from a raw table with columns of its own kind (texts, ratings, a
/// time series) rather than from a numeric [`Dataset`].
pub trait TableEstimator {
    /// The fitted model.
    type Model: TableModel;
    /// Fits the model on `t` (validating the configuration and the table first).
    fn fit_table(&self, t: &RawTable) -> Result<Self::Model>;
}

/// A model fitted from a table: it predicts from a table's own columns, and saves to / loads
/// from a run folder.
pub trait TableModel: Sized {
    /// The kind of run folder the model is saved in.
    fn table_run_kind(&self) -> RunKind;
    /// One row of numbers per prediction: a text's class probabilities, a rating, the
    /// forecasts after the end of a series.
    fn predict_rows(&mut self, t: &RawTable) -> Result<Vec<Vec<f64>>>;
    /// Writes the model's files into `run`.
    fn save_to(&self, run: &mut RunFolder) -> Result<()>;
    /// Reads a model written by `save_to`, verifying every file.
    fn load_from(run: &RunFolder) -> Result<Self>;
}

impl TableEstimator for crate::text::Text {
    type Model = crate::text::TextModel;
    fn fit_table(&self, t: &RawTable) -> Result<Self::Model> {
        Ok(self.fit_with_progress(t, &|| ())?.model)
    }
}

impl TableModel for crate::text::TextModel {
    fn table_run_kind(&self) -> RunKind {
        RunKind::Text
    }
    fn predict_rows(&mut self, t: &RawTable) -> Result<Vec<Vec<f64>>> {
        Ok(self.predict_table(t)?.rows)
    }
    fn save_to(&self, run: &mut RunFolder) -> Result<()> {
        self.save(run)
    }
    fn load_from(run: &RunFolder) -> Result<Self> {
        Self::load(run)
    }
}

impl TableEstimator for crate::recommender::Recommender {
    type Model = crate::recommender::RecommenderModel;
    fn fit_table(&self, t: &RawTable) -> Result<Self::Model> {
        Ok(self.fit(t)?.model)
    }
}

impl TableModel for crate::recommender::RecommenderModel {
    fn table_run_kind(&self) -> RunKind {
        RunKind::Recommender
    }
    /// The predicted rating of each (user, item) row; an unknown id is an error.
    fn predict_rows(&mut self, t: &RawTable) -> Result<Vec<Vec<f64>>> {
        let v = self.predict_table(t, crate::preprocess::HandleUnknown::Error)?;
        Ok(v.into_iter().map(|r| vec![r]).collect())
    }
    fn save_to(&self, run: &mut RunFolder) -> Result<()> {
        self.save(run)
    }
    fn load_from(run: &RunFolder) -> Result<Self> {
        Self::load(run)
    }
}

impl TableEstimator for crate::forecast::Forecaster {
    type Model = crate::forecast::ForecasterModel;
    fn fit_table(&self, t: &RawTable) -> Result<Self::Model> {
        Ok(self.fit(t)?.0)
    }
}

impl TableModel for crate::forecast::ForecasterModel {
    fn table_run_kind(&self) -> RunKind {
        RunKind::Forecast
    }
    /// The forecasts of the steps after the end of the series in `t`, one per row.
    fn predict_rows(&mut self, t: &RawTable) -> Result<Vec<Vec<f64>>> {
        Ok(self
            .forecast(t)?
            .into_iter()
            .map(|f| vec![f.value])
            .collect())
    }
    fn save_to(&self, run: &mut RunFolder) -> Result<()> {
        self.save(run)
    }
    fn load_from(run: &RunFolder) -> Result<Self> {
        Self::load(run)
    }
}
