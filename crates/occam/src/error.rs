//! The facade's one error type: what the crates below report, plus what only the facade can
//! find (an unseen category at prediction, a run folder that is not one, a model file that
//! was edited). Each variant has a stable `kind()` that the CLI prints as `error[kind]`.

use occam_core::DataError;
use occam_linear::LinearError;
use occam_nn::NnError;
use std::path::PathBuf;

/// Everything that can go wrong in an estimator, a preprocessor or a run folder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad data or a bad parameter, found by the data layer.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Found by the linear solvers before fitting.
    #[error(transparent)]
    Linear(#[from] LinearError),
    /// Found by the network engine.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// A configuration field out of its range; `param` is the field as the config spells it.
    #[error("invalid value for {param}: {detail}")]
    Param {
        /// The field, e.g. `alpha`.
        param: String,
        /// What was expected and what was found.
        detail: String,
    },
    /// A category that the model never saw in training.
    #[error(
        "{}: line {line}, column '{column}' holds '{value}', a category not seen in training \
         (known: {known}); to accept it as all-zero columns, predict with handle_unknown = zeros (the CLI: --handle-unknown zeros)",
        path.display()
    )]
    UnknownCategory {
        /// The file predicted on.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// The raw column.
        column: String,
        /// The unseen value (cut to a sensible length).
        value: String,
        /// The levels seen in training, abbreviated.
        known: String,
    },
    /// A series with missing values while the forecaster's `gaps` does not say how to treat
    /// them.
    #[error(
        "{}: '{target}' has {missing} missing values ({inserted} of them missing time stamps), \
         the first {first}; set gaps to drop (leave out the windows that touch one) or \
         interpolate (fill inputs linearly, with an observed flag)",
        path.display()
    )]
    MissingInSeries {
        /// The file read.
        path: PathBuf,
        /// The series' column.
        target: String,
        /// Missing values, inserted time stamps included.
        missing: usize,
        /// Time stamps missing from the regular grid.
        inserted: usize,
        /// Where the first one is: "at LABEL (line N)" or "at LABEL (a missing time stamp)".
        first: String,
    },
    /// A saved model that cannot be used as it is: missing, edited, or inconsistent.
    #[error("{}: {detail}", path.display())]
    Model {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A run folder that cannot be used for what was asked.
    #[error("{}: {detail}", path.display())]
    Run {
        /// The folder.
        path: PathBuf,
        /// What is wrong, and what to do instead.
        detail: String,
    },
    /// A file that cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
}

impl Error {
    /// A short stable name for the kind of problem.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Data(d) => d.kind(),
            Error::Linear(LinearError::Data(d)) => d.kind(),
            Error::Nn(n) => n.kind(),
            Error::Param { .. } => "invalid-parameter",
            Error::UnknownCategory { .. } => "unknown-category",
            Error::MissingInSeries { .. } => "missing-value",
            Error::Model { .. } => "bad-model",
            Error::Run { .. } => "run-folder",
            Error::Io { .. } => "io",
        }
    }

    /// The configuration field this error is about, if any (as the config spells it).
    pub fn param(&self) -> Option<&str> {
        match self {
            Error::Param { param, .. }
            | Error::Data(DataError::Param { param, .. })
            | Error::Linear(LinearError::Data(DataError::Param { param, .. }))
            | Error::Nn(NnError::Config { param, .. }) => Some(param),
            Error::MissingInSeries { .. } => Some("gaps"),
            _ => None,
        }
    }

    pub(crate) fn param_err(param: &str, detail: impl Into<String>) -> Error {
        Error::Param {
            param: param.to_string(),
            detail: detail.into(),
        }
    }

    pub(crate) fn model(path: impl Into<PathBuf>, detail: impl Into<String>) -> Error {
        Error::Model {
            path: path.into(),
            detail: detail.into(),
        }
    }
}

/// The facade's result type.
pub type Result<T> = std::result::Result<T, Error>;
