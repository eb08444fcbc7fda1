//! occam-linear: penalized generalized linear models (lasso, ridge, elastic net; gaussian,
//! binomial, multinomial, poisson) along a whole regularization path, written the glmnet
//! way: driver -> path -> point -> family.

mod anderson;
pub mod bayes;
mod cholesky;
pub mod config;
pub mod cv;
mod design;
pub mod driver;
pub mod eigen;
pub mod error;
mod factor;
mod family;
mod kernels;
pub mod kkt;
mod local;
mod path;
mod point;
pub mod predict;

pub use bayes::{ard, bayesian_ridge, BayesConfig, BayesFit, BayesKind};
pub use config::{Family, PathConfig};
pub use cv::{
    assign_folds, combine, cross_validate, cross_validate_with_progress, score_fold,
    score_fold_with, CvConfig, CvFit, Measure,
};
pub use driver::{fit_path, fit_path_owned, fit_path_with_progress, PathFit, Relaxed};
pub use error::{LinearError, PathWarning};
