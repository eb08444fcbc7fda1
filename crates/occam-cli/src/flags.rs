//! Command-line flags, parsed in two stages: clap reads the values (stage 1), then each command
//! validates them once and builds the library configs (stage 2), so `--help` and the checks
//! come from one table.

use clap::{Args, Parser, Subcommand};
use occam_core::{CsvOptions, MissingPolicy, Task};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "occam",
    version,
    about = "Regularized learning: sparse linear models along the whole path, chosen by cross-validation",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// L1-logistic regression with 10-fold CV on the embedded Pima diabetes data.
    Demo(DemoArgs),
    /// Look at data files.
    #[command(subcommand)]
    Data(DataCommand),
    /// Penalized linear models (lasso, ridge, elastic net) along a regularization path.
    #[command(subcommand)]
    Linear(Box<LinearCommand>),
    /// Train a neural network with penalties, dropout and early stopping.
    #[command(allow_negative_numbers = true)]
    Train(Box<crate::flags_nn::TrainArgs>),
    /// The regularization path of a network (LassoNet): which features leave, and when.
    #[command(allow_negative_numbers = true)]
    Path(Box<crate::cmd_path::PathArgs>),
    /// Choose penalties and architecture by k-fold CV: grid, random or TPE search.
    #[command(allow_negative_numbers = true)]
    Tune(Box<crate::cmd_tune::TuneArgs>),
    /// Which features are stable: stability selection with a relaxed refit and a held-out comparison.
    #[command(allow_negative_numbers = true)]
    Select(Box<crate::cmd_select::SelectArgs>),
    /// Write RUN_DIR/report.html: plots and tables of a run (several runs: a comparison page).
    Report(crate::cmd_report::ReportArgs),
    /// Predict with the model of a run folder (train, tune, linear, recommender, forecast).
    Predict(crate::flags_nn::PredictArgs),
    /// Speed benchmarks against peers.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder for the demo's JSON result (default: occam-demo in the current folder).
    #[arg(long, default_value = "occam-demo")]
    pub out: PathBuf,
    /// Seed for the train/test split and the folds.
    #[arg(long, default_value_t = 20261126)]
    pub seed: u64,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// MLP training steps/s on a workload of ../shared/bench/nn-anchor (prints a RESULT line).
    Mlp(crate::flags_nn::BenchMlpArgs),
    /// GFLOP/s of the engine's matrix product.
    Gemm(crate::flags_nn::BenchGemmArgs),
}

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Rows, columns, types, missing values, class balance and constant columns of a file.
    Inspect(InspectArgs),
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// CSV (header row), libsvm (.svm/.libsvm, optionally .gz) or idx file, or builtin:NAME.
    pub file: String,
    /// Target column (CSV; default: the last column).
    #[arg(long)]
    pub target: Option<String>,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Flags shared by every command that reads a supervised data set.
#[derive(Args, Debug, Clone)]
pub struct DataFlags {
    /// CSV with a header, libsvm (optionally .gz), or builtin:NAME (pima, diabetes, colon, ...).
    pub data: String,
    /// Target column (default: the last column).
    #[arg(long)]
    pub target: Option<String>,
    /// Missing values (empty, NA, ?): error | mean | median | drop.
    #[arg(long, default_value = "error")]
    pub missing: String,
    /// String columns to one-hot encode, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Use only these feature columns, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Leave these columns out, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub drop: Vec<String>,
    /// Task: regression | binary | multiclass | counts (default: inferred from the target).
    #[arg(long)]
    pub task: Option<String>,
    /// Feature names for a libsvm file, one per line (line i names feature i).
    #[arg(long)]
    pub vocab: Option<PathBuf>,
}

impl DataFlags {
    /// Stage 2: validated reader options.
    pub fn csv_options(&self) -> occam_core::Result<CsvOptions> {
        Ok(CsvOptions {
            target: self.target.clone(),
            missing: MissingPolicy::parse(&self.missing)?,
            categorical: self.categorical.clone(),
            features: self.features.clone(),
            drop: self.drop.clone(),
            task: self.task.as_deref().map(Task::parse).transpose()?,
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum LinearCommand {
    /// Fit the whole regularization path.
    #[command(allow_negative_numbers = true)]
    Path(LinearPathArgs),
    /// Cross-validate the path: cvm, cvsd, lambda.min and lambda.1se.
    #[command(allow_negative_numbers = true)]
    Cv(LinearCvArgs),
}

#[derive(Args, Debug, Clone)]
pub struct LinearFlags {
    /// gaussian | binomial | multinomial | poisson (default: from the task).
    #[arg(long)]
    pub family: Option<String>,
    /// Elastic-net mixing: 1 = lasso, 0 = ridge.
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Number of lambdas.
    #[arg(long, default_value_t = 100)]
    pub nlambda: usize,
    /// Smallest lambda as a fraction of lambda_max (default 1e-4 if n > p, else 1e-2).
    #[arg(long)]
    pub lambda_min_ratio: Option<f64>,
    /// Explicit lambdas, comma separated (any order; reported in that order).
    #[arg(long, value_delimiter = ',')]
    pub lambda: Option<Vec<f64>>,
    /// File with one penalty factor per feature (one number per line, or name,factor lines).
    #[arg(long)]
    pub penalty_factor: Option<PathBuf>,
    /// Do not standardize the features.
    #[arg(long)]
    pub no_standardize: bool,
    /// Fit without an intercept.
    #[arg(long)]
    pub no_intercept: bool,
    /// Convergence threshold (glmnet's thresh).
    #[arg(long, default_value_t = 1e-7)]
    pub tol: f64,
    /// Also require a certified relative duality gap below this (gaussian, binomial).
    #[arg(long)]
    pub gap_tol: Option<f64>,
    /// Relaxed fit: unpenalized refit on each active set, blended with --gamma.
    #[arg(long)]
    pub relax: bool,
    /// Relaxation blend for --relax (0 = fully relaxed, 1 = the penalized fit).
    #[arg(long, default_value_t = 0.0)]
    pub gamma: f64,
    /// Multinomial: group each feature's coefficients across classes (glmnet's "grouped").
    #[arg(long)]
    pub grouped: bool,
}

#[derive(Args, Debug)]
pub struct LinearPathArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub linear: LinearFlags,
    /// Write the path as JSON (glmnet's field names).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Run folder: path.json, the model (for `occam predict --lambda`) and report.html.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --out: do not write report.html.
    #[arg(long)]
    pub no_report: bool,
    /// With --out: replace a run already in that folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct LinearCvArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub linear: LinearFlags,
    /// Number of folds.
    #[arg(long, default_value_t = 10)]
    pub folds: usize,
    /// File with one fold id (1..K) per row, instead of random folds.
    #[arg(long)]
    pub foldid: Option<PathBuf>,
    /// deviance | mse | mae | class | auc (default: deviance).
    #[arg(long, default_value = "deviance")]
    pub measure: String,
    /// Seed for the folds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the CV result as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Run folder: cv.json, the model (for `occam predict`) and report.html.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --out: do not write report.html.
    #[arg(long)]
    pub no_report: bool,
    /// With --out: replace a run already in that folder.
    #[arg(long)]
    pub force: bool,
    /// The lambda the saved model predicts with: 1se (lambda.1se) or min (lambda.min).
    #[arg(long, default_value = "1se")]
    pub rule: String,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_flag_table_is_consistent() {
        // Duplicate flag names across flattened option groups, bad defaults and the like.
        Cli::command().debug_assert();
    }
}
