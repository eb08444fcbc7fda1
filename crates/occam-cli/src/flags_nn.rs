//! Flags of `occam train`, `occam predict` and `occam bench`. The training options are the
//! facade's `occam::options::TrainOptions` (each an `Option` that can also come from a TOML
//! file, `--config run.toml`, same names with underscores); a flag given on the command line
//! wins over the file, and the defaults fill the rest. The resolved set is written to
//! RUN_DIR/config.toml.

use clap::Args;
pub use occam::options::TrainOptions;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub input: crate::flags::NetworkData,
    #[command(flatten)]
    pub run: crate::flags::RunFlags,
    /// Continue an interrupted run from RUN_DIR/checkpoint.safetensors (same options).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Feature names for a libsvm file, one per line.
    #[arg(long)]
    pub vocab: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A run folder written by `occam train` or `occam linear cv|path --out`.
    pub model: PathBuf,
    /// Data with the model's feature columns (CSV or Parquet by name, or libsvm); extra columns are ignored.
    pub data: String,
    /// Write predictions as CSV here (default: print to stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A category not seen in training: error (default) or zeros (all its one-hot columns 0).
    #[arg(long, default_value = "error")]
    pub handle_unknown: String,
    /// Linear models: predict at this lambda instead of the one cross-validation chose
    /// (required for a path fitted without CV).
    #[arg(long)]
    pub lambda: Option<f64>,
    /// Networks trained with dropout (or variational dropout: the passes sample the weight
    /// noise): MC dropout over this many stochastic passes, the mean prediction and its
    /// spread (`std_<target>`, or `std_prob_predicted` for classes).
    #[arg(long)]
    pub mc_samples: Option<usize>,
    /// MC dropout: the seed of the masks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct BenchMlpArgs {
    /// A workload folder written by bench/nn-anchor/gen_data.py (data/w1, w2, w3).
    pub dir: PathBuf,
    /// 1: L1 proximal step on the first layer after every optimizer step.
    #[arg(long, default_value_t = 0)]
    pub prox: u8,
    /// Threads (the anchor uses 2).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

#[derive(Args, Debug)]
pub struct BenchGemmArgs {
    /// Square matrix size.
    #[arg(long, default_value_t = 512)]
    pub size: usize,
    /// Threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

#[derive(Args, Debug)]
pub struct BenchLoadArgs {
    /// The data file (CSV, libsvm).
    pub data: String,
    /// Target column (default: the last).
    #[arg(long)]
    pub target: Option<String>,
}

#[derive(Args, Debug)]
pub struct BenchRnnArgs {
    /// A workload folder written by bench/rnn_bench.py (meta.txt, X.bin, Y.bin, the weights).
    pub dir: PathBuf,
    /// Threads (the bench uses 2, as PyTorch's).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}
