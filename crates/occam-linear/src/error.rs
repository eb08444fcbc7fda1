//! The error and warning types of occam-linear.

use occam_core::DataError;

/// A configuration or data problem found before fitting.
#[derive(Debug, thiserror::Error)]
pub enum LinearError {
    #[error(transparent)]
    Data(#[from] DataError),
}

/// Something the caller should know about a fit that still returned a result.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PathWarning {
    /// The coordinate-descent pass limit was reached at this lambda (0-based index); the
    /// coefficients there are the last iterate, not converged.
    MaxPasses { lambda_index: usize, passes: usize },
    /// The certified duality gap stayed above `gap_tol` at this lambda.
    GapNotReached { lambda_index: usize, gap: f64 },
}

impl std::fmt::Display for PathWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathWarning::MaxPasses {
                lambda_index,
                passes,
            } => write!(
                f,
                "lambda #{}: stopped after {passes} coordinate-descent passes without converging",
                lambda_index + 1
            ),
            PathWarning::GapNotReached { lambda_index, gap } => write!(
                f,
                "lambda #{}: relative duality gap {gap:.2e} is above --gap-tol",
                lambda_index + 1
            ),
        }
    }
}

pub(crate) fn param(name: &str, detail: impl Into<String>) -> LinearError {
    LinearError::Data(DataError::param(name, detail))
}
