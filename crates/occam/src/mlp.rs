//! The network estimator: [`Mlp`] (an MLP, or a CNN with `conv` blocks, with penalties done
//! as occam-nn defines them) -> `fit` -> [`MlpModel`] (the network, its standardization and
//! the [`Preprocessor`]) -> predict / save / load. Also the pieces the CLI's other network
//! commands share: the standardization fitted on training rows ([`scaling`]), the engine's
//! f32 rows ([`features`], [`engine_data`]), and [`train_network`] with a [`Callback`].

pub mod laplace;
mod mc;
mod rows;
pub mod warm;

pub use laplace::{DiagPosterior, LaplaceHessian, LaplacePosterior, LaplacePrior};
pub use mc::{mc_sums, validation_noise};
pub use occam_nn::laplace::kron::KronPosterior;
pub use rows::{engine_data, features, scaling};

use crate::error::{Error, Result};
use crate::estimator::{validate_data, Estimator, Fitted};
use crate::predict::Predictions;
use crate::preprocess::Preprocessor;
use crate::run::{RunFolder, RunKind};
use occam_core::{split, Dataset, Matrix, Task};
use occam_nn::layer::{PoolKind, VdKind};
use occam_nn::metrics::predictions;
use occam_nn::model::{load as load_net, save_weights, ModelMeta, FORMAT};
use occam_nn::net::ConvBlock;
use occam_nn::optim::schedule::Schedule;
use occam_nn::regularize::PenaltyPolicy;
use occam_nn::{
    ActKind, Data, EpochLog, Event, Features, Loss, MlpSpec, Net, OptimizerKind, Outcome,
    TrainConfig, TrainState, Trainer,
};
use std::time::Instant;

/// A multilayer perceptron, or a CNN when `conv` is not empty.
///
/// | field | default | range | meaning |
/// |---|---|---|---|
/// | `hidden` | `[64, 32]` (`[64]` for a CNN) | each >= 1 | hidden layer widths |
/// | `activation` | relu | | relu, gelu, tanh, sigmoid |
/// | `dropout` | 0 | [0, 1) | dropout after each hidden layer |
/// | `dropconnect` | 0 | [0, 1) | DropConnect on the dense weights |
/// | `batch_norm`, `layer_norm` | false | | normalization after each hidden layer |
/// | `conv` | none | | convolution blocks in front (a CNN) |
/// | `image` | square, 1 channel | C*H*W = features | the image shape of a row |
/// | `spatial_dropout` | 0 | [0, 1) | whole channels, after each convolution block |
/// | `loss` | from the task | | MSE, BCE, softmax CE, Poisson NLL; Huber for regression |
/// | `optimizer` | Adam | | Adam, AdamW, SGD (momentum, Nesterov) |
/// | `lr` | 1e-3 (SGD 1e-2) | > 0 | learning rate |
/// | `epochs` | 100 | >= 1 | passes over the training rows |
/// | `batch_size` | 32 | >= 1 | rows per step (at most the training rows) |
/// | `schedule` | constant | | learning-rate schedule |
/// | `patience` | None | >= 1 | early stopping on the validation loss |
/// | `min_delta` | 0 | >= 0 | improvement that resets the patience |
/// | `restore_best` | true | | keep the best-validation weights at the end |
/// | `clip_norm`, `clip_value` | None | > 0 | gradient clipping |
/// | `penalty` | none | | L1 (proximal), L2, decay, elastic net, group lasso per layer |
/// | `seed` | 0 | | weights, shuffles, dropout masks and the validation split |
/// | `standardize` | true | | standardize dense features on the training rows |
/// | `val_fraction` | 0.2 | [0, 1) | rows held out for validation by `fit` |
/// | `laplace` | false | | Laplace approximation after training (regression, classes) |
/// | `laplace_hessian` | last layer | last layer, diag, kron | its parameters and curvature: the last layer's full GGN, or every parameter's diagonal or Kronecker-factored GGN |
/// | `laplace_prior` | evidence | evidence, validation | how its prior precision is chosen |
/// | `l2_evidence` | None | >= 1 | per-tensor L2 from the evidence every N epochs (Immer 2021) |
/// | `variational` | None | sparse, layer, unit | variational dropout on the dense weights |
/// | `kl_warmup` | a third of `epochs` | >= 0 | epochs over which the variational KL's weight grows to `kl_weight` |
/// | `kl_weight` | 1 | > 0 | the variational KL term's weight (1: the ELBO) |
/// | `dp` | None | | DP-SGD: per-row clipping, Gaussian noise, Poisson batches ([`occam_nn::dp`]) |
/// | `adversarial` | None | | train on FGSM or PGD rows ([`occam_nn::adversarial`]) |
/// | `robust_eval` | None | | clean and robust accuracy under PGD on the held-out rows |
/// | `federated` | None | | FedAvg / FedProx over clients in one process ([`occam_nn::federated`]) |
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Hidden layer widths; `None` takes the default.
    pub hidden: Option<Vec<usize>>,
    /// The activation of hidden layers.
    pub activation: ActKind,
    /// Dropout probability after each hidden layer.
    pub dropout: f64,
    /// DropConnect probability on dense weights.
    pub dropconnect: f64,
    /// Batch normalization after each hidden layer (BatchNorm2d after convolutions).
    pub batch_norm: bool,
    /// Layer normalization after each hidden layer.
    pub layer_norm: bool,
    /// Convolution blocks before the dense layers.
    pub conv: Vec<ConvBlock>,
    /// (channels, height, width) of a row; `None`: one channel, square.
    pub image: Option<(usize, usize, usize)>,
    /// Spatial dropout after each convolution block.
    pub spatial_dropout: f64,
    /// The loss; `None` follows the task.
    pub loss: Option<Loss>,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The learning rate; `None`: 1e-3, or 1e-2 for SGD.
    pub lr: Option<f64>,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Rows per step.
    pub batch_size: usize,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Epochs without improvement before stopping.
    pub patience: Option<usize>,
    /// The improvement that counts.
    pub min_delta: f64,
    /// Restore the best-validation weights at the end.
    pub restore_best: bool,
    /// Clip the gradient's global norm.
    pub clip_norm: Option<f64>,
    /// Clip each gradient value.
    pub clip_value: Option<f64>,
    /// The penalties, per layer.
    pub penalty: PenaltyPolicy,
    /// The seed of every random draw.
    pub seed: u64,
    /// Standardize dense features.
    pub standardize: bool,
    /// Validation rows held out by `fit`.
    pub val_fraction: f64,
    /// Fit the Laplace approximation on the training rows after training ([`laplace`]):
    /// predictive standard deviations, moderated probabilities, the evidence.
    pub laplace: bool,
    /// Which parameters it covers, with which curvature (the last layer's full GGN, or
    /// every parameter's diagonal GGN).
    pub laplace_hessian: LaplaceHessian,
    /// How the Laplace approximation's prior precision is chosen.
    pub laplace_prior: LaplacePrior,
    /// Learn one coupled L2 strength per parameter tensor from the evidence every this many
    /// epochs (after as many), no validation rows needed ([`occam_nn::trainer::Evidence`]).
    pub l2_evidence: Option<usize>,
    /// Variational dropout on every dense layer, with the sparse kind also on convolution
    /// kernels ([`occam_nn::layer::variational`]).
    pub variational: Option<VdKind>,
    /// Epochs over which the variational KL term's weight grows linearly to `kl_weight`;
    /// `None`: a third of `epochs` (from random weights the full KL at once removes
    /// everything before the data are heard, all the more on few rows).
    pub kl_warmup: Option<usize>,
    /// The variational KL term's weight: 1 is the ELBO; less keeps more weights.
    pub kl_weight: f64,
    /// Train by DP-SGD ([`occam_nn::dp`]): the fitted model records the privacy spent
    /// (`MlpModel::meta.privacy`). The guarantee covers the gradient steps over the training
    /// rows; the standardization statistics (and a regression target's mean and sd) are
    /// computed from those rows without noise, so for an end-to-end guarantee put the
    /// features on a fixed public scale and set `standardize` to false.
    pub dp: Option<occam_nn::dp::DpConfig>,
    /// Adversarial training ([`occam_nn::adversarial::Adversarial`]).
    pub adversarial: Option<occam_nn::adversarial::Adversarial>,
    /// After training by [`crate::network::Prepared`]: clean and robust accuracy under PGD
    /// on the held-out rows ([`crate::robust`]).
    pub robust_eval: Option<crate::robust::RobustEval>,
    /// Federated training over clients ([`occam_nn::federated`]).
    pub federated: Option<occam_nn::federated::FedConfig>,
    /// Warm start: the parameters to begin at, in `Net::params` order ([`warm`]).
    pub init: Option<Vec<Vec<f32>>>,
}

impl Default for Mlp {
    fn default() -> Mlp {
        let t = TrainConfig::new(Loss::Mse);
        Mlp {
            hidden: None,
            activation: ActKind::Relu,
            dropout: 0.0,
            dropconnect: 0.0,
            batch_norm: false,
            layer_norm: false,
            conv: Vec::new(),
            image: None,
            spatial_dropout: 0.0,
            loss: None,
            optimizer: t.optimizer,
            lr: None,
            epochs: t.epochs,
            batch_size: t.batch_size,
            schedule: t.schedule,
            patience: None,
            min_delta: t.min_delta,
            restore_best: t.restore_best,
            clip_norm: None,
            clip_value: None,
            penalty: PenaltyPolicy::default(),
            seed: t.seed,
            standardize: true,
            val_fraction: 0.2,
            laplace: false,
            laplace_hessian: LaplaceHessian::LastLayer,
            laplace_prior: LaplacePrior::Evidence,
            l2_evidence: None,
            variational: None,
            kl_warmup: None,
            kl_weight: 1.0,
            dp: None,
            adversarial: None,
            robust_eval: None,
            federated: None,
            init: None,
        }
    }
}

fn frac(param: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::param_err(param, format!("{v} is not in [0, 1)")))
    }
}

/// The loss that fits a task.
pub fn default_loss(task: Task) -> Loss {
    match task {
        Task::Regression => Loss::Mse,
        Task::Binary => Loss::BceLogits,
        Task::Multiclass => Loss::SoftmaxCe,
        Task::Counts => Loss::PoissonNll,
    }
}

/// Network outputs for a data set: one per class for multiclass, else one.
pub fn n_outputs(d: &Dataset) -> usize {
    if d.task == Task::Multiclass {
        d.classes.len()
    } else {
        1
    }
}

impl Mlp {
    /// The architecture for `n_in` inputs and `n_out` outputs, validated.
    pub fn spec(&self, n_in: usize, n_out: usize) -> Result<MlpSpec> {
        let cnn = !self.conv.is_empty();
        let hidden: Vec<usize> = match &self.hidden {
            // A lone 0 means no hidden layer; a 0 among other widths is a mistake.
            Some(h) if h.len() > 1 && h.contains(&0) => {
                return Err(Error::param_err(
                    "hidden",
                    format!("{h:?}: every width must be at least 1 (a lone 0: no hidden layer)"),
                ))
            }
            Some(h) => h.iter().copied().filter(|&h| h > 0).collect(),
            None if cnn => vec![64],
            None => vec![64, 32],
        };
        // Penalties named for dense layers the network does not have.
        let dense_layers = hidden.len() + 1;
        if let occam_nn::LayerSelect::List(l) = &self.penalty.layers {
            if let Some(&k) = l.iter().find(|&&k| k >= dense_layers) {
                return Err(Error::param_err(
                    "penalty_layers",
                    format!(
                        "dense layer {k} does not exist: the network has {dense_layers} (0 to {})",
                        dense_layers - 1
                    ),
                ));
            }
        }
        if let Some((k, _)) = self
            .penalty
            .overrides
            .iter()
            .find(|(k, _)| *k >= dense_layers)
        {
            return Err(Error::param_err(
                "layer_penalty",
                format!(
                    "dense layer {k} does not exist: the network has {dense_layers} (0 to {})",
                    dense_layers - 1
                ),
            ));
        }
        let mut s = MlpSpec::new(n_in, hidden, n_out);
        s.activation = self.activation;
        if cnn {
            let (c, h, w) = match self.image {
                Some(i) => i,
                None => {
                    let side = (n_in as f64).sqrt().round() as usize;
                    if side * side != n_in {
                        return Err(Error::param_err(
                            "image",
                            format!("{n_in} features are not a square image; give C,H,W"),
                        ));
                    }
                    (1, side, side)
                }
            };
            if c * h * w != n_in || c == 0 || h == 0 || w == 0 {
                return Err(Error::param_err(
                    "image",
                    format!("{:?} does not describe rows of {n_in} values", [c, h, w]),
                ));
            }
            s.image = Some((c, h, w));
            s.conv = self.conv.clone();
            // Each block must leave at least one pixel.
            let (mut h, mut w) = (h, w);
            for b in &s.conv {
                if b.filters == 0 || b.kernel == 0 || b.stride == 0 {
                    return Err(Error::param_err(
                        "conv",
                        "filters, kernel and stride must be >= 1",
                    ));
                }
                if b.kernel > h + 2 * (b.kernel / 2) || b.kernel > w + 2 * (b.kernel / 2) {
                    return Err(Error::param_err(
                        "conv",
                        format!(
                            "kernel {} is larger than the {h}x{w} image it sees",
                            b.kernel
                        ),
                    ));
                }
                let pad = b.kernel / 2;
                (h, w) = (
                    (h + 2 * pad - b.kernel) / b.stride + 1,
                    (w + 2 * pad - b.kernel) / b.stride + 1,
                );
                (h, w) = (h / b.pool.max(1), w / b.pool.max(1));
                if h == 0 || w == 0 {
                    return Err(Error::param_err(
                        "conv",
                        "the pooling shrinks the image to nothing",
                    ));
                }
            }
        }
        s.dropout = frac("dropout", self.dropout)?;
        s.drop_connect = frac("dropconnect", self.dropconnect)?;
        s.spatial_dropout = frac("spatial_dropout", self.spatial_dropout)?;
        if s.spatial_dropout > 0.0 && s.conv.is_empty() {
            return Err(Error::param_err(
                "spatial_dropout",
                "needs convolutions (a CNN)",
            ));
        }
        s.batch_norm = self.batch_norm;
        s.layer_norm = self.layer_norm;
        s.variational = self.variational;
        if let Err(e) = s.check() {
            return Err(Error::param_err("variational", e));
        }
        if self.dp.is_some() {
            // the trainer's refusals, before anything is written
            occam_nn::dp::check_spec(&s)?;
        }
        Ok(s)
    }

    /// The training settings for `task`, validated.
    pub fn train_config(&self, task: Task) -> Result<TrainConfig> {
        let loss = self.loss.unwrap_or_else(|| default_loss(task));
        if matches!(loss, Loss::Huber { .. }) && task != Task::Regression {
            return Err(Error::param_err(
                "loss",
                "huber applies to regression targets",
            ));
        }
        let mut c = TrainConfig::new(loss);
        c.optimizer = self.optimizer;
        let sgd = matches!(self.optimizer, OptimizerKind::Sgd { .. });
        c.lr = self.lr.unwrap_or(if sgd { 1e-2 } else { 1e-3 });
        c.epochs = self.epochs;
        c.batch_size = self.batch_size;
        c.schedule = self.schedule;
        c.patience = self.patience;
        c.min_delta = self.min_delta;
        c.restore_best = self.restore_best;
        c.clip_norm = self.clip_norm;
        c.clip_value = self.clip_value;
        c.seed = self.seed;
        c.penalty = self.penalty.clone();
        c.kl_warmup = self.kl_warmup.unwrap_or(self.epochs / 3);
        c.kl_weight = self.kl_weight;
        c.dp = self.dp;
        c.adversarial = self.adversarial;
        c.federated = self.federated;
        if let Some(r) = &self.robust_eval {
            r.validate()?;
            if !task.is_classification() {
                return Err(Error::param_err(
                    "robust_eval",
                    "robust accuracy is for classifiers",
                ));
            }
        }
        if self.dp.is_some() && self.laplace {
            return Err(Error::param_err(
                "laplace",
                "the Laplace approximation reads the training rows without noise, which \
                 DP-SGD's guarantee does not cover; use one of the two",
            ));
        }
        c.evidence = match self.l2_evidence {
            Some(0) => {
                return Err(Error::param_err(
                    "l2_evidence",
                    "0: the strengths are updated every N >= 1 epochs",
                ))
            }
            Some(every) => Some(occam_nn::trainer::Evidence {
                every,
                burn_in: every,
                kron: self.laplace_hessian == LaplaceHessian::Kron,
            }),
            None => None,
        };
        c.validate()?;
        Ok(c)
    }

    /// Holds out `val_fraction` of `d` (stratified for classes, seeded) for validation and
    /// trains on the rest.
    pub fn fit(&self, d: &Dataset) -> Result<MlpModel> {
        validate_data(d)?;
        frac("val_fraction", self.val_fraction)?;
        let classes = d.task.is_classification().then_some(&d.y[..]);
        let s = split::train_val_test(d.nrows(), classes, self.val_fraction, 0.0, self.seed)?;
        let val = (!s.validation.is_empty()).then(|| d.subset(&s.validation));
        self.fit_with(&d.subset(&s.train), val.as_ref(), &mut ())
    }

    /// Trains on `train`, validating on `val`, telling `cb` about every step and epoch.
    pub fn fit_with(
        &self,
        train: &Dataset,
        val: Option<&Dataset>,
        cb: &mut dyn Callback,
    ) -> Result<MlpModel> {
        validate_data(train)?;
        if let Some(v) = val {
            validate_data(v)?;
            if v.nfeatures() != train.nfeatures() {
                return Err(Error::param_err(
                    "validation",
                    "has other feature columns than the training data",
                ));
            }
        }
        let spec = self.spec(train.nfeatures(), n_outputs(train))?;
        let mut cfg = self.train_config(train.task)?;
        if cfg.patience.is_some() && val.is_none() {
            return Err(Error::param_err(
                "patience",
                "needs validation rows (val_fraction > 0)",
            ));
        }
        cfg.batch_size = cfg.batch_size.min(train.nrows());
        laplace::check_rows(self, val.is_some_and(|v| v.nrows() > 0))?;
        let pre = scaling(train, self.standardize);
        let tdata = engine_data(train, &pre);
        let vdata = val.map(|v| engine_data(v, &pre));
        let start = match &self.init {
            Some(w) => Some(warm::start(&spec, &cfg, w)?),
            None => None,
        };
        let mut fitted = train_network(&spec, &cfg, &tdata, vdata.as_ref(), start, cb)?;
        let noise_sd = vdata
            .as_ref()
            .and_then(|v| validation_noise(&mut fitted.trainer.net, v));
        let (laplace_meta, posterior) = match self.laplace {
            true => {
                let by_val = self.laplace_prior == LaplacePrior::Validation;
                let net = &mut fitted.trainer.net;
                let (m, p) =
                    laplace::fit(net, &tdata, vdata.as_ref(), by_val, self.laplace_hessian)?;
                (Some(m), Some(p))
            }
            false => (None, None),
        };
        Ok(MlpModel {
            meta: ModelMeta {
                format: FORMAT.into(),
                spec,
                task: train.task,
                loss: cfg.loss,
                feature_names: train.feature_names.clone(),
                target_name: train.target_name.clone(),
                classes: train.classes.clone(),
                preprocess: pre,
                training: serde_json::to_value(&cfg).expect("a config serializes"),
                noise_sd,
                laplace: laplace_meta,
                privacy: fitted.trainer.privacy(),
            },
            net: fitted.trainer.net,
            laplace: posterior,
            preprocess: Preprocessor::from_dataset(train),
            history: fitted.trainer.history,
            outcome: Some(fitted.outcome),
        })
    }
}

/// What a training loop tells its caller. Every method has a default that does nothing.
pub trait Callback {
    /// After each optimizer step; an `Err` stops training with that message (an interrupt).
    fn on_step(
        &mut self,
        _epoch: usize,
        _step: usize,
        _steps: usize,
        _loss: f64,
    ) -> std::result::Result<(), String> {
        Ok(())
    }
    /// After each epoch (validation done); an `Err` stops training with that message.
    fn on_epoch(
        &mut self,
        _log: &EpochLog,
        _trainer: &Trainer<f32>,
    ) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// No callback.
impl Callback for () {}

/// A trained network with what ended its training.
pub struct Trained {
    /// The trainer: the network, its history, its optimizer state.
    pub trainer: Trainer<f32>,
    /// How training ended.
    pub outcome: Outcome,
    /// Seconds spent training.
    pub seconds: f64,
}

/// Trains a network of `spec` (or resumes it from `resume`) on `train`, validating on `val`.
pub fn train_network(
    spec: &MlpSpec,
    cfg: &TrainConfig,
    train: &Data<f32>,
    val: Option<&Data<f32>>,
    resume: Option<TrainState<f32>>,
    cb: &mut dyn Callback,
) -> Result<Trained> {
    let net: Net<f32> = Net::new(spec, cfg.seed);
    if let Some(fed) = &cfg.federated {
        if resume.is_some() {
            return Err(Error::param_err(
                "resume",
                "a federated run cannot be resumed; start it again",
            ));
        }
        let t0 = Instant::now();
        let f = crate::fedproc::fit(net, cfg, fed, train, val, &mut |log, tr| {
            cb.on_epoch(log, tr)
        })?;
        return Ok(Trained {
            outcome: Outcome {
                epochs_run: f.trainer.history.len(),
                best_epoch: None,
                stopped_early: false,
            },
            trainer: f.trainer,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    let mut tr = match resume {
        Some(st) => Trainer::resume(net, cfg.clone(), st)?,
        None => Trainer::new(net, cfg.clone())?,
    };
    let t0 = Instant::now();
    let outcome = tr.fit(train, val, &mut |ev| match ev {
        Event::Step {
            epoch,
            step,
            steps,
            loss,
        } => cb.on_step(epoch, step, steps, loss),
        Event::Epoch { log, trainer } => cb.on_epoch(log, trainer),
    })?;
    Ok(Trained {
        trainer: tr,
        outcome,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The same architecture and training without any regularization: no penalty, no dropout or
/// DropConnect, no early stopping (all epochs, last weights) — the baseline every
/// "regularized vs unregularized" comparison trains.
pub fn unregularized(spec: &MlpSpec, cfg: &TrainConfig) -> (MlpSpec, TrainConfig) {
    let mut s = spec.clone();
    s.dropout = 0.0;
    s.drop_connect = 0.0;
    s.variational = None;
    let mut c = cfg.clone();
    c.penalty = Default::default();
    c.patience = None;
    c.restore_best = false;
    c.dp = None;
    c.adversarial = None;
    // FedProx's proximal term regularizes; the federation itself stays
    if let Some(f) = &mut c.federated {
        f.mu = 0.0;
    }
    (s, c)
}

/// A trained network with its preprocessing.
#[derive(Clone)]
pub struct MlpModel {
    /// Architecture, task, names and standardization (model.json).
    pub meta: ModelMeta,
    /// The network.
    pub net: Net<f32>,
    /// The Laplace posterior (laplace.safetensors), when fitted.
    pub laplace: Option<LaplacePosterior>,
    /// The steps from raw columns to features (preprocess.json).
    pub preprocess: Preprocessor,
    /// One log per epoch (empty for a loaded model).
    pub history: Vec<EpochLog>,
    /// How training ended (`None` for a loaded model).
    pub outcome: Option<Outcome>,
}

impl MlpModel {
    /// The model of a trained network `net` described by `meta`, fitted on `d`.
    pub fn new(meta: ModelMeta, net: Net<f32>, d: &Dataset) -> MlpModel {
        MlpModel {
            meta,
            net,
            laplace: None,
            preprocess: Preprocessor::from_dataset(d),
            history: Vec::new(),
            outcome: None,
        }
    }

    /// The engine's rows of the raw feature matrix `x` (its width checked; sparse rows made
    /// dense for a model trained on dense ones).
    pub(crate) fn engine_features(&self, x: &Matrix) -> Result<Features<f32>> {
        let p = self.meta.spec.n_in;
        if x.ncols() != p {
            return Err(Error::param_err(
                "x",
                format!("has {} feature columns, the model needs {p}", x.ncols()),
            ));
        }
        Ok(match x {
            Matrix::Sparse(s) if !self.meta.preprocess.sparse => features(
                &Matrix::Dense(s.to_dense_cols(s.ncols)),
                &self.meta.preprocess,
            ),
            _ => features(x, &self.meta.preprocess),
        })
    }

    /// Predictions for the feature matrix `x` (raw scale: standardized here).
    /// With a Laplace posterior: its standard deviations (regression) or moderated
    /// probabilities (classes).
    pub fn predict(&mut self, x: &Matrix) -> Result<Predictions> {
        let feats = self.engine_features(x)?;
        if let Some(post) = self.laplace.take() {
            let out = self.predict_laplace(&feats, &post);
            self.laplace = Some(post);
            return out;
        }
        let n = feats.rows();
        let out = occam_nn::data::outputs(&mut self.net, &feats, &mut Default::default());
        let p = predictions(self.meta.task, &out, self.meta.preprocess.y_scale);
        let rows = (0..n).map(|i| p.row(i).to_vec()).collect();
        Ok(Predictions::new(&self.preprocess, rows))
    }

    /// Saves model.json, model.safetensors (PyTorch layout) and preprocess.json into `run`.
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        run.write("model.safetensors", &save_weights(&self.net)?)?;
        run.write("model.json", (self.meta.to_json()? + "\n").as_bytes())?;
        if let Some(post) = &self.laplace {
            laplace::save(run, post)?;
        }
        run.write_json("preprocess.json", &self.preprocess)
    }

    /// Loads a model saved by [`MlpModel::save`], every file verified against the manifest.
    pub fn load(run: &RunFolder) -> Result<MlpModel> {
        if !matches!(run.kind(), RunKind::Mlp | RunKind::Tune) {
            return Err(Error::model(
                run.dir(),
                format!("holds a {} run, not a network", run.kind().name()),
            ));
        }
        let mj = run.path("model.json");
        let text = run.read_listed("model.json")?;
        let meta = ModelMeta::from_json(&String::from_utf8_lossy(&text))
            .map_err(|e| Error::model(&mj, e.to_string()))?;
        let net = load_net(&meta, &run.read_listed("model.safetensors")?)
            .map_err(|e| Error::model(run.path("model.safetensors"), e.to_string()))?;
        let pp = run.path("preprocess.json");
        let preprocess: Preprocessor = run.read_json("preprocess.json")?;
        preprocess.verify(&pp)?;
        if preprocess.feature_names != meta.feature_names || preprocess.task != meta.task {
            return Err(Error::model(
                &pp,
                "its features or task are not the network's (model.json)",
            ));
        }
        let posterior = match &meta.laplace {
            Some(lm) => Some(laplace::load(run, lm, &net)?),
            None => None,
        };
        let mut model = MlpModel::from_parts(meta, net, preprocess);
        model.laplace = posterior;
        Ok(model)
    }

    /// A model from its parts, without a training history.
    pub fn from_parts(meta: ModelMeta, net: Net<f32>, preprocess: Preprocessor) -> MlpModel {
        MlpModel {
            meta,
            net,
            laplace: None,
            preprocess,
            history: Vec::new(),
            outcome: None,
        }
    }
}

impl Estimator for Mlp {
    type Model = MlpModel;

    fn fit(&self, d: &Dataset) -> Result<MlpModel> {
        Mlp::fit(self, d)
    }
}

impl Fitted for MlpModel {
    fn run_kind(&self) -> RunKind {
        RunKind::Mlp
    }

    fn predict(&mut self, x: &Matrix) -> Result<Predictions> {
        MlpModel::predict(self, x)
    }

    fn preprocessor(&self) -> &Preprocessor {
        &self.preprocess
    }

    fn save(&self, run: &mut RunFolder) -> Result<()> {
        MlpModel::save(self, run)
    }

    fn load(run: &RunFolder) -> Result<MlpModel> {
        MlpModel::load(run)
    }
}

/// A convolution block from `FILTERS:KERNEL[:POOL[:STRIDE]]` (POOL: N, maxN or avgN; default
/// max 2; stride default 1).
pub fn parse_conv_block(b: &str) -> Result<ConvBlock> {
    const FORM: &str = "FILTERS:KERNEL[:POOL[:STRIDE]] (POOL: N, maxN or avgN)";
    let parts: Vec<&str> = b.split(':').map(str::trim).collect();
    let num = |t: &str| t.parse::<usize>().ok();
    let wrong = || Error::param_err("conv", format!("'{b}' is not {FORM}"));
    if !(2..=4).contains(&parts.len()) {
        return Err(wrong());
    }
    let (f, k) = (
        num(parts[0]).ok_or_else(wrong)?,
        num(parts[1]).ok_or_else(wrong)?,
    );
    let (pool_kind, pool) = match parts.get(2) {
        None => (PoolKind::Max, 2),
        Some(t) => {
            let (kind, n) = match t.strip_prefix("avg") {
                Some(n) => (PoolKind::Avg, n),
                None => (PoolKind::Max, t.strip_prefix("max").unwrap_or(t)),
            };
            (kind, num(n).filter(|&n| n >= 1).ok_or_else(wrong)?)
        }
    };
    let stride = match parts.get(3) {
        None => 1,
        Some(t) => num(t).ok_or_else(wrong)?,
    };
    if f == 0 || k == 0 || stride == 0 {
        return Err(Error::param_err(
            "conv",
            format!("'{b}': filters, kernel and stride must be >= 1"),
        ));
    }
    Ok(ConvBlock {
        filters: f,
        kernel: k,
        pool,
        pool_kind,
        stride,
    })
}
