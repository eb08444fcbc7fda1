//! The one error type of occam-nn, with structured fields and a stable `kind()`.

#[derive(Debug, thiserror::Error)]
pub enum NnError {
    #[error("invalid value for {param}: {message}")]
    Config { param: String, message: String },
    #[error(
        "the training loss became {value} at epoch {epoch}, step {step}; training stopped \
         (try a smaller learning rate or --clip-norm); the last good checkpoint is kept"
    )]
    NonFinite {
        epoch: usize,
        step: usize,
        value: f64,
    },
    #[error(
        "the training loss reached {loss:.3e} at epoch {epoch}, over {factor:.0e} times the \
         first epoch's {first:.3e}: training diverged and stopped (try a smaller learning \
         rate or gradient clipping); the last good checkpoint is kept"
    )]
    Diverged {
        epoch: usize,
        loss: f64,
        first: f64,
        factor: f64,
    },
    #[error("model file: {0}")]
    Model(String),
    #[error("{0}")]
    Data(String),
    #[error("stopped by the caller: {0}")]
    Callback(String),
}

impl NnError {
    pub fn config(param: &str, message: impl Into<String>) -> Self {
        NnError::Config {
            param: param.to_string(),
            message: message.into(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            NnError::Config { .. } => "invalid-parameter",
            NnError::NonFinite { .. } => "non-finite-loss",
            NnError::Diverged { .. } => "diverged",
            NnError::Model(_) => "bad-model",
            NnError::Data(_) => "bad-data",
            NnError::Callback(_) => "io",
        }
    }
}

pub type Result<T> = std::result::Result<T, NnError>;
