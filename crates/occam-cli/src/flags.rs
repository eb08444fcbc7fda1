//! Command-line flags, parsed in two stages: clap reads the values (stage 1), then each command
//! validates them once and builds the library configs (stage 2), so `--help` and the checks
//! come from one table.

use clap::{Args, Parser, Subcommand};
use occam::options::{CvOptions, DataOptions, LinearOptions, TrainOptions};
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
    /// Differential-privacy accounting of DP-SGD (RDP or PLD accountant).
    #[command(subcommand)]
    Privacy(PrivacyCommand),
    /// Explain a run's model on data: exact linear SHAP, (grouped) permutation importance,
    /// or a network's integrated gradients, gradient x input or SmoothGrad.
    Explain(Box<ExplainArgs>),
    /// A federated client process (started by `occam train --fed-processes`, not by hand).
    #[command(hide = true)]
    FedClient,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A run folder with a model: on feature columns (linear path|cv|bayes, train, tune), a
    /// text network (train --model text --text-head mlp) or a forecaster (--model lstm|gru).
    pub run: PathBuf,
    /// Data with the model's feature columns (and the target, for permutation); a text
    /// network's CSV with its text column; a forecaster's series.
    pub data: String,
    /// Run folder for explain.json, importance.csv, attributions.csv and report.html.
    #[arg(long)]
    pub out: PathBuf,
    /// shap (exact, linear models; the default there) | permutation (models on feature
    /// columns; the default for networks) | ig (integrated gradients, networks; the default
    /// for forecasters) | gradxinput | smoothgrad.
    #[arg(long)]
    pub method: Option<String>,
    /// Permutation: shuffles per feature or group.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Permutation and smoothgrad: seed of the shuffles or the noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Permutation: permute features that correlate at |r| >= this with each other as one
    /// group (complete linkage, as stability selection's clusters).
    #[arg(long)]
    pub group_corr: Option<f64>,
    /// SHAP and ig: background data whose column means are the reference (SHAP's default:
    /// DATA's; ig's: --baseline).
    #[arg(long)]
    pub background: Option<String>,
    /// Multiclass: the class explained (SHAP's default: the first; the gradient methods':
    /// each row's predicted class).
    #[arg(long)]
    pub class: Option<String>,
    /// Per-row methods: the rows (0-based) whose attributions the report shows (heat maps
    /// for images and windows).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    pub rows: Vec<usize>,
    /// ig: the baseline without --background: auto (training means for tabular networks,
    /// zeros for images, windows and sparse input) | mean | zero.
    #[arg(long, default_value = "auto")]
    pub baseline: String,
    /// ig: gradient evaluations per row (with --ig-tol, where the adaptive rule starts).
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// ig: refine each row until its attributions sum to f(x) - f(baseline) within this,
    /// relative; "off": exactly --steps points of --quadrature, as Captum computes.
    #[arg(long, default_value = "1e-3")]
    pub ig_tol: String,
    /// ig with --ig-tol off: gausslegendre | riemann_left | riemann_right | riemann_middle |
    /// riemann_trapezoid (Captum's rules).
    #[arg(long, default_value = "gausslegendre")]
    pub quadrature: String,
    /// Forecasters (ig over the series' windows): the forecast explained, steps after the
    /// window.
    #[arg(long, default_value_t = 1)]
    pub horizon_step: usize,
    /// smoothgrad: noisy copies per row.
    #[arg(long, default_value_t = 50)]
    pub samples: usize,
    /// smoothgrad: the noise's sd as a fraction of each feature's range over DATA.
    #[arg(long, default_value_t = 0.15)]
    pub noise: f64,
    /// Linear path runs: explain at this lambda (required without cross-validation).
    #[arg(long)]
    pub lambda: Option<f64>,
    /// A category not seen in training: error (default) or zeros.
    #[arg(long, default_value = "error")]
    pub handle_unknown: String,
    /// Replace a run already in the --out folder.
    #[arg(long)]
    pub force: bool,
    /// Do not write report.html.
    #[arg(long)]
    pub no_report: bool,
}

#[derive(Subcommand, Debug)]
pub enum PrivacyCommand {
    /// The epsilon spent by DP-SGD: Poisson sampling, Gaussian noise, so many steps.
    #[command(allow_negative_numbers = true)]
    Epsilon(PrivacyEpsilonArgs),
    /// The smallest noise multiplier that keeps epsilon at or under a target.
    #[command(allow_negative_numbers = true)]
    Noise(PrivacyNoiseArgs),
}

#[derive(Args, Debug)]
pub struct PrivacyEpsilonArgs {
    /// Noise standard deviation over the clipping norm.
    #[arg(long)]
    pub noise_multiplier: f64,
    #[command(flatten)]
    pub mech: PrivacyMechanism,
}

#[derive(Args, Debug)]
pub struct PrivacyNoiseArgs {
    /// Target epsilon.
    #[arg(long)]
    pub epsilon: f64,
    #[command(flatten)]
    pub mech: PrivacyMechanism,
}

/// DP-SGD's sampling, length and delta, and the accountant.
#[derive(Args, Debug)]
pub struct PrivacyMechanism {
    /// Probability that an example is in a step's batch (batch size / rows).
    #[arg(long)]
    pub sample_rate: f64,
    /// Training steps.
    #[arg(long)]
    pub steps: u64,
    /// Target delta.
    #[arg(long)]
    pub delta: f64,
    /// Accountant: rdp (Renyi DP, as Opacus's default) or pld (the privacy loss
    /// distribution: tighter, a smaller epsilon for the same noise).
    #[arg(long, default_value = "rdp")]
    pub accountant: String,
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
    /// MLP training steps/s on a workload of bench/nn-anchor (prints a RESULT line).
    Mlp(crate::flags_nn::BenchMlpArgs),
    /// GFLOP/s of the engine's matrix product.
    Gemm(crate::flags_nn::BenchGemmArgs),
    /// Seconds to read a data file into the training matrix (prints a RESULT line).
    Load(crate::flags_nn::BenchLoadArgs),
    /// LSTM/GRU training steps/s on a workload of bench/rnn.sh (prints a RESULT line).
    Rnn(crate::flags_nn::BenchRnnArgs),
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
    /// CSV with a header, Parquet (.parquet), libsvm (optionally .gz), or builtin:NAME (pima, diabetes, colon, ...).
    pub data: String,
    #[command(flatten)]
    pub opts: DataOptions,
}

impl DataFlags {
    /// The data set DATA, read with the options.
    pub fn load(&self) -> anyhow::Result<occam_core::Dataset> {
        self.opts.load(&self.data).map_err(crate::load::usage)
    }
}

/// Where a run goes: the run folder, and what happens to a run already there.
#[derive(Args, Debug, Clone)]
pub struct RunFlags {
    /// Run folder: the results, the model (where the command makes one) and report.html.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a run already in the run folder.
    #[arg(long)]
    pub force: bool,
    /// Do not write RUN_DIR/report.html.
    #[arg(long)]
    pub no_report: bool,
}

/// The data of a network command: DATA, the training options, a TOML config under them.
#[derive(Args, Debug, Clone)]
pub struct NetworkData {
    /// CSV with a header, Parquet (.parquet), libsvm (optionally .gz), or builtin:NAME.
    pub data: String,
    #[command(flatten)]
    pub opts: TrainOptions,
    /// TOML file with any of the training options (flags win).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Where a linear fit goes: JSON and, optionally, a run folder.
#[derive(Args, Debug, Clone)]
pub struct LinearOutput {
    /// Write the result as JSON (glmnet's field names).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Run folder: path.json or cv.json, the model (for `occam predict`) and report.html.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --out: do not write report.html.
    #[arg(long)]
    pub no_report: bool,
    /// With --out: replace a run already in that folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand, Debug)]
pub enum LinearCommand {
    /// Fit the whole regularization path.
    #[command(allow_negative_numbers = true)]
    Path(LinearPathArgs),
    /// Cross-validate the path: cvm, cvsd, lambda.min and lambda.1se.
    #[command(allow_negative_numbers = true)]
    Cv(LinearCvArgs),
    /// Bayesian ridge or ARD: the penalty learned from the evidence, with predictive
    /// standard deviations (scikit-learn's BayesianRidge and ARDRegression).
    #[command(allow_negative_numbers = true)]
    Bayes(LinearBayesArgs),
}

#[derive(Args, Debug)]
pub struct LinearBayesArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub bayes: occam::options::BayesOptions,
    #[command(flatten)]
    pub output: LinearOutput,
}

#[derive(Args, Debug)]
pub struct LinearPathArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub linear: LinearOptions,
    #[command(flatten)]
    pub output: LinearOutput,
}

#[derive(Args, Debug)]
pub struct LinearCvArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub linear: LinearOptions,
    #[command(flatten)]
    pub cv: CvOptions,
    #[command(flatten)]
    pub output: LinearOutput,
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
