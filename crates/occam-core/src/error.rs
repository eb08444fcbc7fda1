//! The one error type of occam-core: every bad input names its source, line, column or parameter.

use std::path::PathBuf;

/// A problem with the data or a parameter, never a bug. The CLI maps every variant to exit code 2.
///
/// `line` and `column` are 1-based, as an editor shows them; `column` counts fields (CSV) or
/// tokens (libsvm), not bytes.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path} is empty: there is no header row and no data")]
    Empty { path: PathBuf },
    #[error("{path} has a header but no data rows")]
    HeaderOnly { path: PathBuf },
    #[error(
        "{path}, line {line}: expected {expected} fields as in the header, found {found}; \
         check for a missing or extra separator"
    )]
    Ragged {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error("{path}, line {line}: {detail}")]
    Malformed {
        path: PathBuf,
        line: u64,
        detail: String,
    },
    #[error("{path}, line {line}, column {column} ('{name}'): '{}' is not a number{hint}", crate::table::cut(.text))]
    NotNumeric {
        path: PathBuf,
        line: u64,
        column: usize,
        name: String,
        text: String,
        hint: String,
    },
    #[error(
        "{path}, line {line}, column {column} ('{name}'): '{}' is not a finite number; \
         write a missing value as an empty field or NA and choose --missing",
        crate::table::cut(.text)
    )]
    NonFinite {
        path: PathBuf,
        line: u64,
        column: usize,
        name: String,
        text: String,
    },
    #[error(
        "{path}, line {line}, column {column} ('{name}'): missing value; \
         use --missing mean|median|drop to handle missing values"
    )]
    MissingValue {
        path: PathBuf,
        line: u64,
        column: usize,
        name: String,
    },
    #[error("{path}: column name '{name}' appears twice (columns {first} and {second})")]
    DuplicateColumn {
        path: PathBuf,
        name: String,
        first: usize,
        second: usize,
    },
    #[error("{path}, line 1, column {column}: the header has an empty column name")]
    EmptyColumnName { path: PathBuf, column: usize },
    #[error("{path}: no column named '{name}' (for {role}); the columns are: {available}")]
    MissingColumn {
        path: PathBuf,
        name: String,
        role: String,
        available: String,
    },
    #[error(
        "{path}: target '{target}' has a single class ('{class}') in {rows} rows; \
         a classification task needs at least two"
    )]
    SingleClass {
        path: PathBuf,
        target: String,
        class: String,
        rows: usize,
    },
    #[error("{path}: target '{target}' {detail}")]
    BadTarget {
        path: PathBuf,
        target: String,
        detail: String,
    },
    #[error("{path}: no feature columns are left after --features/--drop")]
    NoFeatures { path: PathBuf },
    #[error("{path}, line {line}, token {token}: {detail}")]
    Libsvm {
        path: PathBuf,
        line: u64,
        token: usize,
        detail: String,
    },
    #[error("{path}: {detail}")]
    Idx { path: PathBuf, detail: String },
    #[error("invalid value for {param}: {detail}")]
    Param { param: String, detail: String },
    #[error("{detail}")]
    Mismatch { detail: String },
    /// An input that would need more memory than the input budget allows.
    #[error("{path}: {detail}")]
    TooLarge { path: PathBuf, detail: String },
}

impl DataError {
    /// A short stable name for the kind of problem, printed by the CLI as `error[kind]`.
    pub fn kind(&self) -> &'static str {
        match self {
            DataError::Io { .. } => "io",
            DataError::Corrupt { .. } => "corrupt",
            DataError::Empty { .. } => "empty-file",
            DataError::HeaderOnly { .. } => "header-only",
            DataError::Ragged { .. } => "ragged-row",
            DataError::Malformed { .. } => "malformed",
            DataError::NotNumeric { .. } => "not-numeric",
            DataError::NonFinite { .. } => "non-finite",
            DataError::MissingValue { .. } => "missing-value",
            DataError::DuplicateColumn { .. } => "duplicate-column",
            DataError::EmptyColumnName { .. } => "empty-column-name",
            DataError::MissingColumn { .. } => "missing-column",
            DataError::SingleClass { .. } => "single-class",
            DataError::BadTarget { .. } => "bad-target",
            DataError::NoFeatures { .. } => "no-features",
            DataError::Libsvm { .. } => "libsvm",
            DataError::Idx { .. } => "idx",
            DataError::Param { .. } => "invalid-parameter",
            DataError::Mismatch { .. } => "mismatch",
            DataError::TooLarge { .. } => "too-large",
        }
    }

    /// Shorthand for a bad parameter value.
    pub fn param(param: impl Into<String>, detail: impl Into<String>) -> Self {
        DataError::Param {
            param: param.into(),
            detail: detail.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, DataError>;
