//! [`TrainOptions`]: the options of every network command and of the text, recommender and
//! forecaster models, and their resolution into those estimators.

// The field docs are also the flags' --help text, where `[:SS]` is literal, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use super::{DataOptions, LayerPenaltyEntry};
use crate::error::{Error, Result};
use crate::forecast::Forecaster;
use crate::mlp::Mlp;
use crate::parse;
use crate::recommender::Recommender;
use crate::text::Text;
use occam_core::series::Gaps;
use occam_core::text::TextConfig;
use occam_nn::regularize::{LayerPenalty, PenaltyPolicy};
use occam_nn::CellKind;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The network options of `occam train`, `tune` and `path` (and the text, recommender and
/// forecaster models): each an `Option`, unset meaning the default of the estimator it
/// configures. [`TrainOptions::mlp`] resolves them into an [`Mlp`].
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainOptions {
    /// Target column (default: the last column).
    #[cfg_attr(feature = "clap", arg(help_heading = "Data", long))]
    pub target: Option<String>,
    /// regression | binary | multiclass | counts (default: inferred from the target).
    #[cfg_attr(feature = "clap", arg(help_heading = "Data", long))]
    pub task: Option<String>,
    /// Missing values: error | mean | median | drop [default: error]. lstm/gru: error | drop
    /// (leave out windows with a missing input) | interpolate (linear, plus an observed flag).
    #[cfg_attr(feature = "clap", arg(help_heading = "Data", long))]
    pub missing: Option<String>,
    /// String columns to one-hot encode, comma separated.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Data", long, value_delimiter = ',')
    )]
    pub categorical: Option<Vec<String>>,
    /// Use only these feature columns, comma separated.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Data", long, value_delimiter = ',')
    )]
    pub features: Option<Vec<String>>,
    /// Leave these columns out, comma separated.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Data", long, value_delimiter = ',')
    )]
    pub drop: Option<Vec<String>>,
    /// mlp (default) | text: a text column as bag of words / tf-idf into the elastic-net path
    /// with k-fold CV (see --text-column, --ngram, --min-df, --max-features, --tfidf) |
    /// recommender: matrix factorisation with biases and L2 on the embeddings (--user, --item) |
    /// cnn: convolution blocks then the dense layers (--conv, --image) |
    /// lstm, gru: a recurrent layer over sliding windows of a time series, then the dense
    /// layers (--time-column, --window, --horizon).
    #[cfg_attr(feature = "clap", arg(help_heading = "Data", long))]
    pub model: Option<String>,
    /// lstm/gru: the time column (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]); missing time stamps
    /// become missing values.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub time_column: Option<String>,
    /// lstm/gru: input steps per window [default: the season].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub window: Option<usize>,
    /// lstm/gru: forecast steps 1..=H ahead; scored at step H [default: 1].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub horizon: Option<usize>,
    /// lstm/gru: seasonal period in steps, for the seasonal-naive baseline [default: 24 hourly, 7 daily, 52 weekly].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub season: Option<usize>,
    /// lstm/gru: hidden units of the recurrent layer [default: 32].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub units: Option<usize>,
    /// lstm/gru: variational dropout on the hidden state entering the recurrent weights.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub recurrent_dropout: Option<f64>,
    /// lstm/gru: coupled L2 on the recurrent (hidden-to-hidden) weights, added to --l2.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub recurrent_l2: Option<f64>,
    /// lstm/gru: inputs and targets relative to each window's last value [default: true].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Forecaster (--model lstm|gru)", long)
    )]
    pub relative: Option<bool>,
    /// cnn: image shape C,H,W of each row [default: from the width: 64 -> 1,8,8, 784 -> 1,28,28].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Images (--model cnn, idx files)", long)
    )]
    pub image: Option<String>,
    /// cnn: convolution blocks FILTERS:KERNEL[:POOL[:STRIDE]],... with POOL N, maxN or avgN
    /// (padding KERNEL/2) [default: 16:3:2,32:3:2].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Images (--model cnn, idx files)", long)
    )]
    pub conv: Option<String>,
    /// idx input: the labels file (idx) of the DATA images.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Images (--model cnn, idx files)", long)
    )]
    pub labels: Option<String>,
    /// idx input: test images (idx) used as the test split instead of --test-fraction.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Images (--model cnn, idx files)", long)
    )]
    pub test_images: Option<String>,
    /// idx input: labels of --test-images.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Images (--model cnn, idx files)", long)
    )]
    pub test_labels: Option<String>,
    /// recommender: the user id column.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Recommender (--model recommender)", long)
    )]
    pub user: Option<String>,
    /// recommender: the item id column.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Recommender (--model recommender)", long)
    )]
    pub item: Option<String>,
    /// recommender: length of the user and item vectors [default: 16].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Recommender (--model recommender)", long)
    )]
    pub factors: Option<usize>,
    /// text: the column holding the text [default: text].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub text_column: Option<String>,
    /// text: word n-grams 1..=N [default: 1].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub ngram: Option<usize>,
    /// text: keep terms in at least this many documents [default: 2].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub min_df: Option<usize>,
    /// text: vocabulary size limit [default: 50000].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub max_features: Option<usize>,
    /// text: tf-idf with unit-norm rows (false: raw counts) [default: true].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub tfidf: Option<bool>,
    /// text: linear (the elastic-net path with k-fold CV) | mlp (sparse rows into a network's
    /// first dense layer, with the network options) [default: linear].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub text_head: Option<String>,
    /// text: elastic-net mixing of the path (1 = lasso) [default: 0.5].
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub alpha: Option<f64>,
    /// Cross-validation folds (text [default: 10], tune [default: 5]).
    #[cfg_attr(feature = "clap", arg(help_heading = "Text (--model text)", long))]
    pub folds: Option<usize>,
    /// Hidden layer widths, comma separated [default: 64,32]; 0 for none (a linear model).
    /// recommender: an MLP on the concatenated user and item vectors [default: none].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Network", long, value_delimiter = ',')
    )]
    pub hidden: Option<Vec<usize>>,
    /// relu | gelu | tanh | sigmoid [default: relu].
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long))]
    pub activation: Option<String>,
    /// L1 strength, applied by a proximal step (exact zeros).
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub l1: Option<f64>,
    /// How L1 / elastic net is applied: prox (in the optimizer's metric) | prox-uniform (step lr) | subgradient (for comparison) [default: prox].
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub l1_mode: Option<String>,
    /// Coupled L2: L/2 ||w||^2 in the objective, L*w added to the gradient.
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub l2: Option<f64>,
    /// Decoupled weight decay: w *= 1 - lr*D each step, outside the gradient (AdamW).
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub weight_decay: Option<f64>,
    /// Elastic net as LAMBDA,ALPHA (glmnet's definition; proximal step).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Penalties", long, value_delimiter = ',')
    )]
    pub elastic_net: Option<Vec<f64>>,
    /// Group lasso over input features (first layer rows): removes whole features.
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub group_lasso: Option<f64>,
    /// Group lasso over neurons (each unit's incoming weights).
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub group_lasso_neurons: Option<f64>,
    /// Dense layers the penalties apply to: auto (L1, elastic net and --group-lasso on the
    /// first layer, where a zero drops an input; L2, weight decay and --group-lasso-neurons on
    /// every layer) | all | first | list like 0,2 [default: auto].
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long))]
    pub penalty_layers: Option<String>,
    /// Also penalize biases and normalisation parameters (exempt by default).
    #[cfg_attr(feature = "clap", arg(help_heading = "Penalties", long, num_args = 0..=1, default_missing_value = "true"))]
    pub penalize_bias: Option<bool>,
    /// Dropout probability after each hidden activation.
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long))]
    pub dropout: Option<f64>,
    /// cnn: spatial dropout (whole channels) after each convolution block.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Images (--model cnn, idx files)", long)
    )]
    pub spatial_dropout: Option<f64>,
    /// DropConnect probability on each hidden layer's weights.
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long))]
    pub dropconnect: Option<f64>,
    /// Batch normalisation after each hidden dense layer (cnn: also BatchNorm2d after each convolution).
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long, num_args = 0..=1, default_missing_value = "true"))]
    pub batch_norm: Option<bool>,
    /// Laplace approximation after training (regression, classes): `occam predict` then
    /// gives a standard deviation per row (regression) or probit-moderated probabilities
    /// (classes); the prior precision and noise maximize the evidence.
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long, num_args = 0..=1, default_missing_value = "true"))]
    pub laplace: Option<bool>,
    /// The Laplace structure: last-layer (the default; full GGN), diag (every parameter, the
    /// GGN's diagonal) or kron (its Kronecker factors; dense networks; also --l2-evidence's).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Network", long, value_name = "last-layer|diag|kron")
    )]
    pub laplace_hessian: Option<String>,
    /// How the Laplace approximation's prior precision is chosen: evidence (the default, the
    /// maximum of the log marginal likelihood) or validation (the value of 1e-4..1e4 with the
    /// smallest validation NLL; needs --val-fraction > 0).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Network", long, value_name = "evidence|validation")
    )]
    pub laplace_prior: Option<String>,
    /// Learn one coupled L2 strength per weight and bias tensor from the evidence (a diagonal-
    /// or, with --laplace-hessian kron, Kronecker-factored GGN Laplace of the whole network on
    /// the training rows, Immer et al. 2021) every N epochs after the first N.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Penalties", long, value_name = "N")
    )]
    pub l2_evidence: Option<usize>,
    /// Variational dropout on every dense layer's weights: sparse (one variance per weight,
    /// convolution kernels included; weights with log alpha > 3 end exactly zero, Molchanov
    /// et al. 2017), layer or unit (a dropout rate learned per dense layer or per input unit,
    /// Kingma et al. 2015).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Penalties", long, value_name = "sparse|layer|unit")
    )]
    pub variational: Option<String>,
    /// Epochs over which the variational KL term's weight grows linearly to --kl-weight
    /// (epoch e weighs (e+1)/(N+1)) [default: a third of --epochs; 0: full weight at once].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Penalties", long, value_name = "N")
    )]
    pub kl_warmup: Option<usize>,
    /// The variational KL term's weight [default: 1, the ELBO; below 1 fewer weights are
    /// removed, above 1 more].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Penalties", long, value_name = "W")
    )]
    pub kl_weight: Option<f64>,
    /// Layer normalisation after each hidden dense layer.
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long, num_args = 0..=1, default_missing_value = "true"))]
    pub layer_norm: Option<bool>,
    /// adam | adamw | sgd [default: adam].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub optimizer: Option<String>,
    /// Learning rate [default: 1e-3 (adam, adamw), 1e-2 (sgd)].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub lr: Option<f64>,
    /// SGD momentum [default: 0.9].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub momentum: Option<f64>,
    /// SGD with Nesterov momentum.
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long, num_args = 0..=1, default_missing_value = "true"))]
    pub nesterov: Option<bool>,
    /// constant | step:EVERY:GAMMA | cosine[:MIN_LR] | plateau[:FACTOR:PATIENCE] [default: constant].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub schedule: Option<String>,
    /// Epochs [default: 100].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub epochs: Option<usize>,
    /// Mini-batch size [default: 32].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub batch_size: Option<usize>,
    /// Early stopping: epochs without improvement of the validation loss.
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub patience: Option<usize>,
    /// Smallest validation-loss decrease that counts as improvement [default: 0].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub min_delta: Option<f64>,
    /// Keep the last weights instead of restoring the best-validation ones.
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long, num_args = 0..=1, default_missing_value = "true"))]
    pub no_restore_best: Option<bool>,
    /// Clip gradients to this global L2 norm.
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub clip_norm: Option<f64>,
    /// Clip each gradient entry to [-V, V].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub clip_value: Option<f64>,
    /// Loss: default from the task (mse, bce, softmax cross-entropy, poisson); or huber[:DELTA].
    #[cfg_attr(feature = "clap", arg(help_heading = "Network", long))]
    pub loss: Option<String>,
    /// Share of rows held out for validation [default: 0.2; lstm/gru 0.1, the steps before the test part].
    #[cfg_attr(feature = "clap", arg(help_heading = "Evaluation", long))]
    pub val_fraction: Option<f64>,
    /// Share of rows held out for the final test [default: 0; lstm/gru 0.2, the last steps].
    #[cfg_attr(feature = "clap", arg(help_heading = "Evaluation", long))]
    pub test_fraction: Option<f64>,
    /// Seed for the split, the initial weights, shuffles and masks [default: 0].
    #[cfg_attr(feature = "clap", arg(help_heading = "Evaluation", long))]
    pub seed: Option<u64>,
    /// Threads for the matrix products [default: all cores].
    #[cfg_attr(feature = "clap", arg(help_heading = "Training", long))]
    pub threads: Option<usize>,
    /// Do not standardize dense features (standardized with training-split statistics by default).
    #[cfg_attr(feature = "clap", arg(help_heading = "Evaluation", long, num_args = 0..=1, default_missing_value = "true"))]
    pub no_standardize: Option<bool>,
    /// Also train the same network without any regularization and compare on held-out data.
    #[cfg_attr(feature = "clap", arg(help_heading = "Evaluation", long, num_args = 0..=1, default_missing_value = "true"))]
    pub baseline: Option<bool>,
    /// With --baseline: repeat both runs over this many seeds (seed, seed+1, ...) [default: 1].
    #[cfg_attr(feature = "clap", arg(help_heading = "Evaluation", long))]
    pub repeats: Option<usize>,
    /// DP-SGD: the epsilon to spend over all epochs (at --dp-delta); the noise multiplier is
    /// the smallest that meets it (by --dp-accountant). Each epoch is ceil(N / batch size) steps on
    /// Poisson samples of the training rows.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Privacy", long, value_name = "EPSILON")
    )]
    pub dp_epsilon: Option<f64>,
    /// DP-SGD with this noise multiplier (noise sd over the clipping norm) instead of a target
    /// epsilon; the epsilon spent is reported.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Privacy", long, value_name = "SIGMA")
    )]
    pub dp_noise_multiplier: Option<f64>,
    /// DP-SGD: clip each row's gradient to this L2 norm [default: 1].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Privacy", long, value_name = "C")
    )]
    pub dp_max_grad_norm: Option<f64>,
    /// DP-SGD: the delta of the (epsilon, delta) guarantee [default: 1e-5; keep it below
    /// 1 / training rows].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Privacy", long, value_name = "DELTA")
    )]
    pub dp_delta: Option<f64>,
    /// DP-SGD's accountant: rdp | pld (the privacy loss distribution: a smaller epsilon for
    /// the same noise, so less noise for a target) [default: rdp].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Privacy", long, value_name = "NAME")
    )]
    pub dp_accountant: Option<String>,
    /// Adversarial training: fgsm | pgd (Madry et al.: a random start, --adv-steps steps) |
    /// trades (Zhang et al. 2019: the clean loss plus --adv-beta times the KL to the
    /// adversarial rows' prediction).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "fgsm|pgd|trades")
    )]
    pub adversarial: Option<String>,
    /// TRADES's weight beta of the KL term [default: 6].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "BETA")
    )]
    pub adv_beta: Option<f64>,
    /// Adversarial training's radius, in the network's input units (standardized features).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "EPS")
    )]
    pub adv_epsilon: Option<f64>,
    /// linf | l2: the ball of --adversarial and --robust-eval [default: linf].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "linf|l2")
    )]
    pub adv_norm: Option<String>,
    /// PGD steps of adversarial training [default: 10; step size 2.5 EPS / steps].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "K")
    )]
    pub adv_steps: Option<usize>,
    /// The adversarial rows' weight in the loss, the clean rows' 1 - W [default: 1 for pgd,
    /// 0.5 for fgsm].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "W")
    )]
    pub adv_weight: Option<f64>,
    /// After training: clean and robust accuracy under PGD at these radii on the held-out
    /// rows (comma-separated).
    #[cfg_attr(
        feature = "clap",
        arg(
            help_heading = "Robustness",
            long,
            value_name = "EPS,...",
            value_delimiter = ','
        )
    )]
    pub robust_eval: Option<Vec<f64>>,
    /// PGD steps of --robust-eval [default: 20].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "K")
    )]
    pub robust_steps: Option<usize>,
    /// Random starts per row of --robust-eval [default: 1].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Robustness", long, value_name = "R")
    )]
    pub robust_restarts: Option<usize>,
    /// Federated training over K clients in one process (FedAvg; FedProx with --fed-mu).
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "K")
    )]
    pub federated: Option<usize>,
    /// Federated rounds [default: 10].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "R")
    )]
    pub fed_rounds: Option<usize>,
    /// Epochs each client trains per round [default: 1].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "E")
    )]
    pub fed_local_epochs: Option<usize>,
    /// FedProx's proximal weight mu [default: 0, FedAvg].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "MU")
    )]
    pub fed_mu: Option<f64>,
    /// iid | dirichlet:ALPHA (label skew; small ALPHA, few classes per client) [default: iid].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "SPLIT")
    )]
    pub fed_split: Option<String>,
    /// Share of clients finishing only 1 to E-1 local epochs per round [default: 0].
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "F")
    )]
    pub fed_stragglers: Option<f64>,
    /// Leave the stragglers' partial work out of the average (FedAvg's rule; FedProx keeps it).
    #[cfg_attr(feature = "clap", arg(help_heading = "Federated", long, num_args = 0..=1, default_missing_value = "true"))]
    pub fed_drop_stragglers: Option<bool>,
    /// Each client's probability of taking part in a round [default: 1]. With --dp-epsilon or
    /// --dp-noise-multiplier, federated training is client-level DP (DP-FedAvg): the clients'
    /// updates clipped to --dp-max-grad-norm, noise on their sum, epsilon per client.
    #[cfg_attr(
        feature = "clap",
        arg(help_heading = "Federated", long, value_name = "Q")
    )]
    pub fed_sample_rate: Option<f64>,
    /// Run each client in an OS process of its own, talking to this one over loopback TCP.
    #[cfg_attr(feature = "clap", arg(help_heading = "Federated", long, num_args = 0..=1, default_missing_value = "true"))]
    pub fed_processes: Option<bool>,
    /// Per-layer penalty overrides (TOML only): [[layer_penalty]] layer = 0, l1 = 0.01, ...
    #[cfg_attr(feature = "clap", arg(skip))]
    pub layer_penalty: Option<Vec<LayerPenaltyEntry>>,
}

impl TrainOptions {
    /// These options over `base` (a config file's): every option set here replaces the
    /// base's, the rest keep the base's.
    pub fn over(&self, base: &TrainOptions) -> TrainOptions {
        let as_json = |o: &TrainOptions| serde_json::to_value(o).expect("options serialize");
        let (mut merged, mine) = (as_json(base), as_json(self));
        if let (Some(b), Some(o)) = (merged.as_object_mut(), mine.as_object()) {
            for (k, v) in o.iter().filter(|(_, v)| !v.is_null()) {
                b.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(merged).expect("the merged options deserialize")
    }

    /// The reading options of a table (target, missing, categorical, features, drop, task).
    pub fn data_options(&self, vocab: Option<&Path>) -> DataOptions {
        DataOptions {
            target: self.target.clone(),
            missing: self.missing.clone().unwrap_or_else(|| "error".into()),
            categorical: self.categorical.clone().unwrap_or_default(),
            features: self.features.clone(),
            drop: self.drop.clone().unwrap_or_default(),
            task: self.task.clone(),
            vocab: vocab.map(Path::to_path_buf),
        }
    }

    /// The network estimator: the text forms parsed by [`crate::parse`], the ranges checked
    /// later by [`Mlp::spec`] / [`Mlp::train_config`].
    pub fn mlp(&self) -> Result<Mlp> {
        let o = self;
        // Unset options keep the estimator's defaults (the table on `Mlp`).
        let mut m = Mlp::default();
        m.hidden = o.hidden.clone();
        m.dropout = o.dropout.unwrap_or(m.dropout);
        m.dropconnect = o.dropconnect.unwrap_or(m.dropconnect);
        m.spatial_dropout = o.spatial_dropout.unwrap_or(m.spatial_dropout);
        m.batch_norm = o.batch_norm.unwrap_or(m.batch_norm);
        m.layer_norm = o.layer_norm.unwrap_or(m.layer_norm);
        m.laplace = o.laplace.unwrap_or(m.laplace);
        if let Some(v) = o.laplace_hessian.as_deref() {
            if !m.laplace && o.l2_evidence.is_none() {
                return Err(Error::param_err(
                    "laplace_hessian",
                    "chooses the Laplace approximation's structure: needs laplace or l2_evidence",
                ));
            }
            m.laplace_hessian = crate::mlp::LaplaceHessian::parse(v)?;
        }
        m.laplace_prior = match o.laplace_prior.as_deref() {
            None | Some("evidence") => crate::mlp::LaplacePrior::Evidence,
            Some("validation") => crate::mlp::LaplacePrior::Validation,
            Some(v) => {
                return Err(Error::param_err(
                    "laplace_prior",
                    format!("'{v}' is not evidence or validation"),
                ))
            }
        };
        m.l2_evidence = o.l2_evidence;
        m.variational = match o.variational.as_deref() {
            None => None,
            Some(v) => Some(occam_nn::layer::VdKind::parse(v).ok_or_else(|| {
                Error::param_err("variational", format!("'{v}' is not sparse, layer or unit"))
            })?),
        };
        m.kl_warmup = o.kl_warmup.or(m.kl_warmup);
        m.kl_weight = o.kl_weight.unwrap_or(m.kl_weight);
        m.dp = o.dp()?;
        m.adversarial = o.adversarial()?;
        m.robust_eval = o.robust_eval()?;
        m.federated = o.federated()?;
        m.standardize = o.no_standardize.map_or(m.standardize, |no| !no);
        m.val_fraction = o.val_fraction.unwrap_or(m.val_fraction);
        if let Some(a) = &o.activation {
            m.activation = parse::activation(a)?;
        }
        if o.model.as_deref() == Some("cnn") {
            m.image = o.image.as_deref().map(parse::image).transpose()?;
            m.conv = parse::conv_blocks(o.conv.as_deref().unwrap_or("16:3:2,32:3:2"))?;
        }
        m.loss = parse::loss(o.loss.as_deref().unwrap_or("default"))?;
        let opt = o.optimizer.as_deref().unwrap_or("adam");
        m.optimizer = parse::optimizer(opt, o.momentum, o.nesterov)?;
        m.lr = o.lr;
        m.epochs = o.epochs.unwrap_or(m.epochs);
        m.batch_size = o.batch_size.unwrap_or(m.batch_size);
        m.patience = o.patience;
        m.min_delta = o.min_delta.unwrap_or(m.min_delta);
        m.restore_best = o.no_restore_best.map_or(m.restore_best, |no| !no);
        m.clip_norm = o.clip_norm;
        m.clip_value = o.clip_value;
        m.seed = o.seed.unwrap_or(m.seed);
        if let Some(s) = &o.schedule {
            m.schedule = parse::schedule(s)?;
        }
        let en = match o.elastic_net.as_deref() {
            None => None,
            Some(&[lambda, alpha]) => Some((lambda, alpha)),
            Some(v) => {
                return Err(Error::param_err(
                    "elastic_net",
                    format!("expected LAMBDA,ALPHA, got {} numbers", v.len()),
                ))
            }
        };
        let default = LayerPenalty {
            l1: o.l1.unwrap_or(0.0),
            l2: o.l2.unwrap_or(0.0),
            elastic_net: en,
            weight_decay: o
                .weight_decay
                .unwrap_or(if opt == "adamw" { 0.01 } else { 0.0 }),
            group_inputs: o.group_lasso.unwrap_or(0.0),
            group_neurons: o.group_lasso_neurons.unwrap_or(0.0),
        };
        let overrides = o
            .layer_penalty
            .iter()
            .flatten()
            .map(|e| {
                let pen = LayerPenalty {
                    l1: e.l1,
                    l2: e.l2,
                    elastic_net: e.elastic_net,
                    weight_decay: e.weight_decay,
                    group_inputs: e.group_lasso,
                    group_neurons: e.group_lasso_neurons,
                };
                (e.layer, pen)
            })
            .collect();
        m.penalty = PenaltyPolicy {
            default,
            layers: parse::penalty_layers(o.penalty_layers.as_deref().unwrap_or("auto"))?,
            overrides,
            penalize_bias: o.penalize_bias.unwrap_or(false),
            l1_mode: parse::l1_mode(o.l1_mode.as_deref().unwrap_or("prox"))?,
            recurrent_l2: o.recurrent_l2.unwrap_or(0.0),
        };
        Ok(m)
    }
}

impl TrainOptions {
    /// The text model (`model = "text"` with the linear head): the vectorizer and the
    /// cross-validated elastic-net path.
    pub fn text(&self) -> Text {
        let d = Text::default();
        let v = TextConfig::default();
        Text {
            text_column: self.text_column.clone().unwrap_or(d.text_column),
            target: self.target.clone(),
            vectorizer: TextConfig {
                ngram: self.ngram.unwrap_or(v.ngram),
                min_df: self.min_df.unwrap_or(v.min_df),
                max_features: self.max_features.unwrap_or(v.max_features),
                tfidf: self.tfidf.unwrap_or(v.tfidf),
            },
            alpha: self.alpha.unwrap_or(d.alpha),
            folds: self.folds.unwrap_or(d.folds),
            seed: self.seed.unwrap_or(d.seed),
        }
    }

    /// The recommender (`model = "recommender"`); `user` and `item` name its columns.
    pub fn recommender(&self) -> Result<Recommender> {
        let column = |v: &Option<String>, field: &str| {
            v.clone().ok_or_else(|| {
                Error::param_err(
                    field,
                    format!("the recommender needs the {field} id column"),
                )
            })
        };
        let mut r = Recommender::new(&column(&self.user, "user")?, &column(&self.item, "item")?);
        r.target = self.target.clone();
        r.factors = self.factors.unwrap_or(r.factors);
        r.lr = self.lr.unwrap_or(r.lr);
        r.epochs = self.epochs.unwrap_or(r.epochs);
        r.batch_size = self.batch_size.unwrap_or(r.batch_size);
        r.patience = self.patience.unwrap_or(r.patience);
        r.seed = self.seed.unwrap_or(0);
        r.hidden = self
            .hidden
            .iter()
            .flatten()
            .copied()
            .filter(|&h| h > 0)
            .collect();
        r.l2 = self.l2;
        Ok(r)
    }

    /// The recurrent cell of a forecaster: GRU for `model = "gru"`, else LSTM.
    pub fn cell(&self) -> CellKind {
        match self.model.as_deref() {
            Some("gru") => CellKind::Gru,
            _ => CellKind::Lstm,
        }
    }

    /// The forecaster (`model = "lstm"` or `"gru"`) of the series stamped by `time_column`;
    /// `missing` is error (the default), drop or interpolate, `features` the covariates.
    pub fn forecaster(&self, time_column: &str) -> Result<Forecaster> {
        let mut f = Forecaster::new(time_column);
        f.cell = self.cell();
        f.target = self.target.clone();
        f.covariates = self.features.clone().unwrap_or_default();
        f.units = self.units.unwrap_or(f.units);
        f.recurrent_dropout = self.recurrent_dropout.unwrap_or(0.0);
        f.window = self.window;
        f.horizon = self.horizon.unwrap_or(f.horizon);
        f.season = self.season;
        f.relative = self.relative.unwrap_or(true);
        f.val_fraction = self.val_fraction.unwrap_or(f.val_fraction);
        f.test_fraction = self.test_fraction.unwrap_or(f.test_fraction);
        f.gaps = match self.missing.as_deref().unwrap_or("error") {
            "error" => None,
            "drop" => Some(Gaps::Drop),
            "interpolate" => Some(Gaps::Interpolate),
            m => {
                return Err(Error::param_err(
                    "missing",
                    format!("'{m}' is not error, drop or interpolate (for a forecaster)"),
                ))
            }
        };
        self.only_train_networks("a forecaster")?;
        let mut o = self.clone();
        o.hidden.get_or_insert_with(Vec::new);
        f.network = o.mlp()?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::DataOptions;
    use super::*;

    #[test]
    fn options_set_here_win_over_the_base() {
        let base = TrainOptions {
            l1: Some(0.1),
            epochs: Some(5),
            ..Default::default()
        };
        let mine = TrainOptions {
            l1: Some(0.2),
            ..Default::default()
        };
        let m = mine.over(&base);
        assert_eq!((m.l1, m.epochs), (Some(0.2), Some(5)));
    }

    #[test]
    fn text_forms_resolve_or_name_their_field() {
        let o = TrainOptions {
            optimizer: Some("adamw".into()),
            penalty_layers: Some("0".into()),
            ..Default::default()
        };
        let m = o.mlp().unwrap();
        assert_eq!(m.penalty.default.weight_decay, 0.01);
        for (o, field) in [
            (
                TrainOptions {
                    schedule: Some("warp:3".into()),
                    ..Default::default()
                },
                "schedule",
            ),
            (
                TrainOptions {
                    activation: Some("swish".into()),
                    ..Default::default()
                },
                "activation",
            ),
        ] {
            assert_eq!(o.mlp().unwrap_err().param(), Some(field), "{o:?}");
        }
        let d = DataOptions {
            missing: "guess".into(),
            ..Default::default()
        };
        assert!(d.csv_options().is_err());
    }
}
