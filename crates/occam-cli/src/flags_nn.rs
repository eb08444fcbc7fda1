//! Flags of `occam train`, `occam predict` and `occam bench`. Every training option is an
//! `Option` that can also come from a TOML file (`--config run.toml`, same names with
//! underscores); a flag given on the command line wins over the file, and the defaults fill
//! the rest. The resolved set is written to RUN_DIR/config.toml.

use clap::Args;
use std::path::PathBuf;

/// Training options (flags or TOML keys). Defaults are in `cmd_train::Resolved`.
#[derive(Args, Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainOptions {
    /// Target column (default: the last column).
    #[arg(help_heading = "Data", long)]
    pub target: Option<String>,
    /// regression | binary | multiclass | counts (default: inferred from the target).
    #[arg(help_heading = "Data", long)]
    pub task: Option<String>,
    /// Missing values: error | mean | median | drop [default: error]. lstm/gru: error | drop
    /// (leave out windows with a missing input) | interpolate (linear, plus an observed flag).
    #[arg(help_heading = "Data", long)]
    pub missing: Option<String>,
    /// String columns to one-hot encode, comma separated.
    #[arg(help_heading = "Data", long, value_delimiter = ',')]
    pub categorical: Option<Vec<String>>,
    /// Use only these feature columns, comma separated.
    #[arg(help_heading = "Data", long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Leave these columns out, comma separated.
    #[arg(help_heading = "Data", long, value_delimiter = ',')]
    pub drop: Option<Vec<String>>,
    /// mlp (default) | text: a text column as bag of words / tf-idf into the elastic-net path
    /// with k-fold CV (see --text-column, --ngram, --min-df, --max-features, --tfidf) |
    /// recommender: matrix factorisation with biases and L2 on the embeddings (--user, --item) |
    /// cnn: convolution blocks then the dense layers (--conv, --image) |
    /// lstm, gru: a recurrent layer over sliding windows of a time series, then the dense
    /// layers (--time-column, --window, --horizon).
    #[arg(help_heading = "Data", long)]
    pub model: Option<String>,
    /// lstm/gru: the time column (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]); missing time stamps
    /// become missing values.
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub time_column: Option<String>,
    /// lstm/gru: input steps per window [default: the season].
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub window: Option<usize>,
    /// lstm/gru: forecast steps 1..=H ahead; scored at step H [default: 1].
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub horizon: Option<usize>,
    /// lstm/gru: seasonal period in steps, for the seasonal-naive baseline [default: 24 hourly, 7 daily, 52 weekly].
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub season: Option<usize>,
    /// lstm/gru: hidden units of the recurrent layer [default: 32].
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub units: Option<usize>,
    /// lstm/gru: variational dropout on the hidden state entering the recurrent weights.
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub recurrent_dropout: Option<f64>,
    /// lstm/gru: coupled L2 on the recurrent (hidden-to-hidden) weights, added to --l2.
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub recurrent_l2: Option<f64>,
    /// lstm/gru: inputs and targets relative to each window's last value [default: true].
    #[arg(help_heading = "Forecaster (--model lstm|gru)", long)]
    pub relative: Option<bool>,
    /// cnn: image shape C,H,W of each row [default: from the width: 64 -> 1,8,8, 784 -> 1,28,28].
    #[arg(help_heading = "Images (--model cnn, idx files)", long)]
    pub image: Option<String>,
    /// cnn: convolution blocks FILTERS:KERNEL[:POOL[:STRIDE]],... with POOL N, maxN or avgN
    /// (padding KERNEL/2) [default: 16:3:2,32:3:2].
    #[arg(help_heading = "Images (--model cnn, idx files)", long)]
    pub conv: Option<String>,
    /// idx input: the labels file (idx) of the DATA images.
    #[arg(help_heading = "Images (--model cnn, idx files)", long)]
    pub labels: Option<String>,
    /// idx input: test images (idx) used as the test split instead of --test-fraction.
    #[arg(help_heading = "Images (--model cnn, idx files)", long)]
    pub test_images: Option<String>,
    /// idx input: labels of --test-images.
    #[arg(help_heading = "Images (--model cnn, idx files)", long)]
    pub test_labels: Option<String>,
    /// recommender: the user id column.
    #[arg(help_heading = "Recommender (--model recommender)", long)]
    pub user: Option<String>,
    /// recommender: the item id column.
    #[arg(help_heading = "Recommender (--model recommender)", long)]
    pub item: Option<String>,
    /// recommender: length of the user and item vectors [default: 16].
    #[arg(help_heading = "Recommender (--model recommender)", long)]
    pub factors: Option<usize>,
    /// text: the column holding the text [default: text].
    #[arg(help_heading = "Text (--model text)", long)]
    pub text_column: Option<String>,
    /// text: word n-grams 1..=N [default: 1].
    #[arg(help_heading = "Text (--model text)", long)]
    pub ngram: Option<usize>,
    /// text: keep terms in at least this many documents [default: 2].
    #[arg(help_heading = "Text (--model text)", long)]
    pub min_df: Option<usize>,
    /// text: vocabulary size limit [default: 50000].
    #[arg(help_heading = "Text (--model text)", long)]
    pub max_features: Option<usize>,
    /// text: tf-idf with unit-norm rows (false: raw counts) [default: true].
    #[arg(help_heading = "Text (--model text)", long)]
    pub tfidf: Option<bool>,
    /// text: linear (the elastic-net path with k-fold CV) | mlp (sparse rows into a network's
    /// first dense layer, with the network options) [default: linear].
    #[arg(help_heading = "Text (--model text)", long)]
    pub text_head: Option<String>,
    /// text: elastic-net mixing of the path (1 = lasso) [default: 0.5].
    #[arg(help_heading = "Text (--model text)", long)]
    pub alpha: Option<f64>,
    /// Cross-validation folds (text [default: 10], tune [default: 5]).
    #[arg(help_heading = "Text (--model text)", long)]
    pub folds: Option<usize>,
    /// Hidden layer widths, comma separated [default: 64,32]; 0 for none (a linear model).
    /// recommender: an MLP on the concatenated user and item vectors [default: none].
    #[arg(help_heading = "Network", long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// relu | gelu | tanh | sigmoid [default: relu].
    #[arg(help_heading = "Network", long)]
    pub activation: Option<String>,
    /// L1 strength, applied by a proximal step (exact zeros).
    #[arg(help_heading = "Penalties", long)]
    pub l1: Option<f64>,
    /// How L1 / elastic net is applied: prox (in the optimizer's metric) | prox-uniform (step lr) | subgradient (for comparison) [default: prox].
    #[arg(help_heading = "Penalties", long)]
    pub l1_mode: Option<String>,
    /// Coupled L2: L/2 ||w||^2 in the objective, L*w added to the gradient.
    #[arg(help_heading = "Penalties", long)]
    pub l2: Option<f64>,
    /// Decoupled weight decay: w *= 1 - lr*D each step, outside the gradient (AdamW).
    #[arg(help_heading = "Penalties", long)]
    pub weight_decay: Option<f64>,
    /// Elastic net as LAMBDA,ALPHA (glmnet's definition; proximal step).
    #[arg(help_heading = "Penalties", long, value_delimiter = ',')]
    pub elastic_net: Option<Vec<f64>>,
    /// Group lasso over input features (first layer rows): removes whole features.
    #[arg(help_heading = "Penalties", long)]
    pub group_lasso: Option<f64>,
    /// Group lasso over neurons (each unit's incoming weights).
    #[arg(help_heading = "Penalties", long)]
    pub group_lasso_neurons: Option<f64>,
    /// Dense layers the penalties apply to: auto (L1, elastic net and --group-lasso on the
    /// first layer, where a zero drops an input; L2, weight decay and --group-lasso-neurons on
    /// every layer) | all | first | list like 0,2 [default: auto].
    #[arg(help_heading = "Penalties", long)]
    pub penalty_layers: Option<String>,
    /// Also penalize biases and normalisation parameters (exempt by default).
    #[arg(help_heading = "Penalties", long, num_args = 0..=1, default_missing_value = "true")]
    pub penalize_bias: Option<bool>,
    /// Dropout probability after each hidden activation.
    #[arg(help_heading = "Network", long)]
    pub dropout: Option<f64>,
    /// cnn: spatial dropout (whole channels) after each convolution block.
    #[arg(help_heading = "Images (--model cnn, idx files)", long)]
    pub spatial_dropout: Option<f64>,
    /// DropConnect probability on each hidden layer's weights.
    #[arg(help_heading = "Network", long)]
    pub dropconnect: Option<f64>,
    /// Batch normalisation after each hidden dense layer (cnn: also BatchNorm2d after each convolution).
    #[arg(help_heading = "Network", long, num_args = 0..=1, default_missing_value = "true")]
    pub batch_norm: Option<bool>,
    /// Layer normalisation after each hidden dense layer.
    #[arg(help_heading = "Network", long, num_args = 0..=1, default_missing_value = "true")]
    pub layer_norm: Option<bool>,
    /// adam | adamw | sgd [default: adam].
    #[arg(help_heading = "Training", long)]
    pub optimizer: Option<String>,
    /// Learning rate [default: 1e-3 (adam, adamw), 1e-2 (sgd)].
    #[arg(help_heading = "Training", long)]
    pub lr: Option<f64>,
    /// SGD momentum [default: 0.9].
    #[arg(help_heading = "Training", long)]
    pub momentum: Option<f64>,
    /// SGD with Nesterov momentum.
    #[arg(help_heading = "Training", long, num_args = 0..=1, default_missing_value = "true")]
    pub nesterov: Option<bool>,
    /// constant | step:EVERY:GAMMA | cosine[:MIN_LR] | plateau[:FACTOR:PATIENCE] [default: constant].
    #[arg(help_heading = "Training", long)]
    pub schedule: Option<String>,
    /// Epochs [default: 100].
    #[arg(help_heading = "Training", long)]
    pub epochs: Option<usize>,
    /// Mini-batch size [default: 32].
    #[arg(help_heading = "Training", long)]
    pub batch_size: Option<usize>,
    /// Early stopping: epochs without improvement of the validation loss.
    #[arg(help_heading = "Training", long)]
    pub patience: Option<usize>,
    /// Smallest validation-loss decrease that counts as improvement [default: 0].
    #[arg(help_heading = "Training", long)]
    pub min_delta: Option<f64>,
    /// Keep the last weights instead of restoring the best-validation ones.
    #[arg(help_heading = "Training", long, num_args = 0..=1, default_missing_value = "true")]
    pub no_restore_best: Option<bool>,
    /// Clip gradients to this global L2 norm.
    #[arg(help_heading = "Training", long)]
    pub clip_norm: Option<f64>,
    /// Clip each gradient entry to [-V, V].
    #[arg(help_heading = "Training", long)]
    pub clip_value: Option<f64>,
    /// Loss: default from the task (mse, bce, softmax cross-entropy, poisson); or huber[:DELTA].
    #[arg(help_heading = "Network", long)]
    pub loss: Option<String>,
    /// Share of rows held out for validation [default: 0.2; lstm/gru 0.1, the steps before the test part].
    #[arg(help_heading = "Evaluation", long)]
    pub val_fraction: Option<f64>,
    /// Share of rows held out for the final test [default: 0; lstm/gru 0.2, the last steps].
    #[arg(help_heading = "Evaluation", long)]
    pub test_fraction: Option<f64>,
    /// Seed for the split, the initial weights, shuffles and masks [default: 0].
    #[arg(help_heading = "Evaluation", long)]
    pub seed: Option<u64>,
    /// Threads for the matrix products [default: all cores].
    #[arg(help_heading = "Training", long)]
    pub threads: Option<usize>,
    /// Do not standardize dense features (standardized with training-split statistics by default).
    #[arg(help_heading = "Evaluation", long, num_args = 0..=1, default_missing_value = "true")]
    pub no_standardize: Option<bool>,
    /// Also train the same network without any regularization and compare on held-out data.
    #[arg(help_heading = "Evaluation", long, num_args = 0..=1, default_missing_value = "true")]
    pub baseline: Option<bool>,
    /// With --baseline: repeat both runs over this many seeds (seed, seed+1, ...) [default: 1].
    #[arg(help_heading = "Evaluation", long)]
    pub repeats: Option<usize>,
    /// Per-layer penalty overrides (TOML only): [[layer_penalty]] layer = 0, l1 = 0.01, ...
    #[arg(skip)]
    pub layer_penalty: Option<Vec<LayerPenaltyEntry>>,
}

/// One `[[layer_penalty]]` table of a TOML config.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayerPenaltyEntry {
    pub layer: usize,
    pub l1: f64,
    pub l2: f64,
    pub weight_decay: f64,
    pub elastic_net: Option<(f64, f64)>,
    pub group_lasso: f64,
    pub group_lasso_neurons: f64,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// CSV with a header, libsvm (optionally .gz), or builtin:NAME.
    pub data: String,
    #[command(flatten)]
    pub opts: TrainOptions,
    /// TOML file with any of the options above (flags win).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Run folder: model, metrics.csv, summary.json, config.toml, checkpoint.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue an interrupted run from RUN_DIR/checkpoint.safetensors (same options).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Replace a run already in RUN_DIR.
    #[arg(long)]
    pub force: bool,
    /// Do not write RUN_DIR/report.html.
    #[arg(long)]
    pub no_report: bool,
    /// Feature names for a libsvm file, one per line.
    #[arg(long)]
    pub vocab: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A run folder written by `occam train` or `occam linear cv|path --out`.
    pub model: PathBuf,
    /// Data with the model's feature columns (CSV by name, or libsvm); extra columns are ignored.
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
}

#[derive(Args, Debug)]
pub struct BenchMlpArgs {
    /// A workload folder written by ../shared/bench/nn-anchor/gen_data.py (data/w1, w2, w3).
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
