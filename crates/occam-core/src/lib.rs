//! occam-core: the data layer every occam model stands on — datasets (dense and sparse X, y,
//! schema), file readers (CSV, libsvm, idx), standardization, seeded splits and folds,
//! penalties with their proximal operators, metrics, and the typed error they all report.

pub mod cpu;
pub mod dataset;
pub mod error;
pub mod idx;
pub mod input;
pub mod inspect;
pub mod libsvm;
pub mod linalg;
pub mod matrix;
pub mod metrics;
pub mod nan;
pub mod parquet;
pub mod penalty;
pub mod rng;
pub mod series;
pub mod split;
pub mod standardize;
pub mod table;
pub mod text;

pub use dataset::{CsvOptions, Dataset, MissingPolicy, Task};
pub use error::{DataError, Result};
pub use matrix::{CscMatrix, DenseMatrix, Matrix};
pub use standardize::Standardizer;
