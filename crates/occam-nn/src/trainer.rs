//! The training loop: seeded mini-batches, one proximal-gradient step per batch, validation
//! every epoch, early stopping with best-weight restore, and a state that resumes
//! bit-identically (every random draw of epoch e comes from `Rng::stream(seed, e)`, so a run
//! restarted from the state after epoch e replays epoch e + 1 exactly).
//!
//! One step: forward_train -> loss and its gradient -> backward -> clip (norm, value) ->
//! coupled L2 (and, in subgradient mode, L1/group subgradients) added to the gradient ->
//! decoupled decay -> optimizer update -> proximal step (L1 / elastic net / group lasso).

use crate::adversarial::{Adversarial, Bounds};
use crate::data::{Data, Features, Gather};
use crate::dp::{DpConfig, DpRun, PrivacySpent};
use crate::error::{NnError, Result};
use crate::loss::Loss;
use crate::mat::{Batch, Mat};
use crate::metrics::{predictions, task_metrics};
use crate::net::Net;
use crate::optim::schedule::{Schedule, ScheduleState};
use crate::optim::{clip, Optimizer, OptimizerKind};
use crate::parallel::{self, Halves};
use crate::real::Real;
use crate::regularize::{PenaltyPolicy, Regularizer};
use crate::state::TrainState;
use crate::tensors::{load_net_tensors, net_tensors};
use occam_core::rng::Rng;
use std::time::Instant;

/// Training stops as diverged when an epoch's training loss exceeds this many times the first
/// epoch's.
pub const DIVERGED: f64 = 1e6;

/// Training hyperparameters.
///
/// | field | default | range |
/// |---|---|---|
/// | `epochs` | 100 | >= 1 |
/// | `batch_size` | 32 | >= 1 (2 with batch norm) |
/// | `optimizer` | adam (0.9, 0.999, 1e-8) | sgd, adam, adamw |
/// | `lr` | 1e-3 | > 0 |
/// | `schedule` | constant | constant, step, cosine, plateau |
/// | `patience` | none | >= 1 epochs without a `min_delta` gain in validation loss (plus the penalty term when L1, elastic net or group lasso is on) |
/// | `min_delta` | 0 | >= 0 |
/// | `restore_best` | true | restore the best-validation weights at the end |
/// | `clip_norm`, `clip_value` | none | > 0 |
/// | `seed` | 0 | any u64 |
/// | `evidence` | none | per-tensor L2 from the evidence every `every` epochs after `burn_in` |
/// | `kl_warmup` | 0 | epochs over which the variational KL's weight grows linearly to `kl_weight` (0: full from the start) |
/// | `kl_weight` | 1 | > 0; the variational KL term's weight (1: the ELBO) |
/// | `dp` | none | DP-SGD: Poisson batches of expected size `batch_size`, per-row clipping, Gaussian noise ([`crate::dp`]) |
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub schedule: Schedule,
    pub patience: Option<usize>,
    pub min_delta: f64,
    pub restore_best: bool,
    pub clip_norm: Option<f64>,
    pub clip_value: Option<f64>,
    pub seed: u64,
    pub loss: Loss,
    pub penalty: PenaltyPolicy,
    /// Coupled L2 strengths learned from the data during training (Immer et al. 2021):
    /// see [`Evidence`]; replaces the policy's L2 on every tensor it updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Under variational dropout, the KL term's weight in epoch e (0-based) is
    /// `kl_weight * min(1, (e + 1) / (kl_warmup + 1))` (Molchanov et al.'s annealing: full
    /// weight from epoch `kl_warmup` on; 0 = always `kl_weight`).
    #[serde(default)]
    pub kl_warmup: usize,
    /// The variational KL term's final weight: 1 is the negative ELBO per row; below 1 the
    /// prior counts less than the data (fewer weights removed), above 1 more.
    #[serde(default = "unit_weight")]
    pub kl_weight: f64,
    /// DP-SGD ([`crate::dp`]): each epoch is `ceil(N / batch_size)` steps, each on a Poisson
    /// sample of the training rows at rate 1 / steps, with per-row clipping and noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<DpConfig>,
    /// Adversarial training ([`crate::adversarial::Adversarial`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adversarial: Option<Adversarial>,
    /// Federated training over clients ([`crate::federated`]): `epochs` is unused, the
    /// rounds and local epochs are the federated settings'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<crate::federated::FedConfig>,
}

fn unit_weight() -> f64 {
    1.0
}

/// One coupled L2 strength per parameter tensor (each layer's weight and bias), learned
/// online from the evidence (Immer, Bauer, Fortuin, Rätsch & Khan 2021): after `burn_in`
/// epochs and then every `every` epochs, the diagonal-GGN Laplace approximation of the whole
/// network on the training rows ([`crate::laplace::diag`]) gives the prior precisions
/// delta_g (and, for regression, the noise sd sigma) that maximize its log marginal
/// likelihood, and each tensor's L2 becomes the one whose training objective (the mean loss
/// plus L/2 |w|^2) has that MAP: L = delta / N for the log-likelihood losses, 2 sigma^2
/// delta / N for the mean squared error. No validation rows are needed. With `kron` the
/// evidence is the Kronecker-factored GGN's ([`crate::laplace::kron`], what Immer et al. use;
/// networks of dense layers) instead of the diagonal's.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub every: usize,
    pub burn_in: usize,
    #[serde(default)]
    pub kron: bool,
}

/// The evidence updates of one training run: per update, the epoch, the per-tensor L2
/// strengths set, the noise sd and the log marginal likelihood.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceLog {
    pub epoch: usize,
    pub l2: Vec<(String, f64)>,
    /// The prior precisions behind `l2`, one per tensor.
    #[serde(default)]
    pub prior_precision: Vec<f64>,
    pub sigma_noise: f64,
    pub log_marglik: f64,
}

impl TrainConfig {
    pub fn new(loss: Loss) -> Self {
        TrainConfig {
            epochs: 100,
            batch_size: 32,
            optimizer: OptimizerKind::adam(),
            lr: 1e-3,
            schedule: Schedule::Constant,
            patience: None,
            min_delta: 0.0,
            restore_best: true,
            clip_norm: None,
            clip_value: None,
            seed: 0,
            loss,
            penalty: PenaltyPolicy::default(),
            evidence: None,
            kl_warmup: 0,
            kl_weight: 1.0,
            dp: None,
            adversarial: None,
            federated: None,
        }
    }

    /// The variational KL term's weight in epoch `epoch` (0-based), see `kl_warmup`.
    pub fn kl_weight_at(&self, epoch: usize) -> f64 {
        if self.kl_warmup == 0 {
            self.kl_weight
        } else {
            self.kl_weight * ((epoch + 1) as f64 / (self.kl_warmup + 1) as f64).min(1.0)
        }
    }

    pub fn validate(&self) -> Result<()> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(NnError::config(
                    name,
                    format!("{v} must be a finite number > 0"),
                ))
            }
        };
        let nonneg = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(NnError::config(
                    name,
                    format!("{v} must be a finite number >= 0"),
                ))
            }
        };
        if self.epochs == 0 {
            return Err(NnError::config("epochs", "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(NnError::config("batch_size", "must be at least 1"));
        }
        pos("lr", self.lr)?;
        pos("kl_weight", self.kl_weight)?;
        nonneg("min_delta", self.min_delta)?;
        if let Some(ev) = self.evidence {
            if ev.every == 0 {
                return Err(NnError::config("l2_evidence", "updates every 0 epochs"));
            }
            if !matches!(self.loss, Loss::Mse | Loss::BceLogits | Loss::SoftmaxCe) {
                return Err(NnError::config(
                    "l2_evidence",
                    format!(
                        "needs the loss of a likelihood the Laplace approximation has (mse, \
                         bce_logits, softmax_ce), not {}",
                        self.loss.name()
                    ),
                ));
            }
        }
        if let Some(dp) = &self.dp {
            dp.validate()?;
            if self.evidence.is_some() {
                return Err(NnError::config(
                    "l2_evidence",
                    "the evidence reads the training rows without noise, which DP-SGD's \
                     guarantee does not cover; use one of the two",
                ));
            }
        }
        if let Some(f) = &self.federated {
            f.validate()?;
            for (what, set) in [
                ("l2_evidence", self.evidence.is_some()),
                ("early stopping (patience)", self.patience.is_some()),
            ] {
                if set {
                    return Err(NnError::config(
                        "federated",
                        format!("federated training takes no {what} (yet)"),
                    ));
                }
            }
        }
        if let Some(a) = &self.adversarial {
            a.validate()?;
            if self.dp.is_some() {
                return Err(NnError::config(
                    "adversarial",
                    "adversarial training and DP-SGD together are not supported; use one",
                ));
            }
        }
        if let Some(c) = self.clip_norm {
            pos("clip_norm", c)?;
        }
        if let Some(c) = self.clip_value {
            pos("clip_value", c)?;
        }
        if self.patience == Some(0) {
            return Err(NnError::config("patience", "must be at least 1"));
        }
        if let OptimizerKind::Sgd { momentum, .. } = self.optimizer {
            if !(0.0..1.0).contains(&momentum) {
                return Err(NnError::config(
                    "momentum",
                    format!("{momentum} is not in [0, 1)"),
                ));
            }
        }
        match self.schedule {
            Schedule::Constant => {}
            Schedule::Step { every, gamma } => {
                if every == 0 || !(gamma > 0.0 && gamma <= 1.0) {
                    return Err(NnError::config(
                        "schedule",
                        format!(
                            "step:{every}:{gamma}: the step needs EVERY >= 1 epochs and a \
                             factor GAMMA in (0, 1]"
                        ),
                    ));
                }
            }
            Schedule::Cosine { min_lr } => {
                if !(min_lr.is_finite() && min_lr >= 0.0 && min_lr < self.lr) {
                    return Err(NnError::config(
                        "schedule",
                        format!(
                            "cosine:{min_lr}: MIN_LR must be >= 0 and below lr ({})",
                            self.lr
                        ),
                    ));
                }
            }
            Schedule::Plateau {
                factor,
                patience,
                min_lr,
            } => {
                let bad_min = min_lr.is_nan() || min_lr < 0.0;
                if !(factor > 0.0 && factor < 1.0) || patience == 0 || bad_min {
                    return Err(NnError::config(
                        "schedule",
                        format!(
                            "plateau:{factor}:{patience}: FACTOR must be in (0, 1) and \
                             PATIENCE >= 1"
                        ),
                    ));
                }
            }
        }
        nonneg("recurrent_l2", self.penalty.recurrent_l2)?;
        let mut pens = vec![self.penalty.default];
        pens.extend(self.penalty.overrides.iter().map(|(_, p)| *p));
        for p in pens {
            nonneg("l1", p.l1)?;
            nonneg("l2", p.l2)?;
            nonneg("weight_decay", p.weight_decay)?;
            nonneg("group_lasso", p.group_inputs)?;
            nonneg("group_lasso_neurons", p.group_neurons)?;
            if let Some((l, a)) = p.elastic_net {
                nonneg("elastic_net", l)?;
                if !(0.0..=1.0).contains(&a) {
                    return Err(NnError::config(
                        "elastic_net",
                        format!("alpha {a} is not in [0, 1]"),
                    ));
                }
            }
            if p.weight_decay * self.lr >= 1.0 {
                return Err(NnError::config(
                    "weight_decay",
                    "lr * weight decay must be below 1 (each step multiplies weights by 1 - lr * decay)",
                ));
            }
        }
        Ok(())
    }
}

/// One epoch's numbers: what metrics.csv holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochLog {
    /// 1-based.
    pub epoch: usize,
    pub lr: f64,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub penalty: f64,
    pub decay_term: f64,
    #[serde(with = "nan_as_null")]
    pub val_metrics: Vec<(String, f64)>,
    /// Per dense layer: (exact zeros, total) in the weight matrix.
    pub zeros: Vec<(usize, usize)>,
    pub seconds: f64,
}

/// What the training loop reports while it runs.
pub enum Event<'a, R> {
    Step {
        epoch: usize,
        step: usize,
        steps: usize,
        loss: f64,
    },
    Epoch {
        log: &'a EpochLog,
        trainer: &'a Trainer<R>,
    },
}

/// How a `fit` ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub epochs_run: usize,
    pub best_epoch: Option<usize>,
    pub stopped_early: bool,
}

/// Network, optimizer state, resolved penalties and loop state.
pub struct Trainer<R> {
    pub net: Net<R>,
    pub opt: Optimizer<R>,
    pub reg: Regularizer,
    pub cfg: TrainConfig,
    pub sched: ScheduleState,
    pub history: Vec<EpochLog>,
    pub best_val: f64,
    pub best_epoch: Option<usize>,
    pub bad_epochs: usize,
    pub best_tensors: Option<Vec<crate::tensors::Named<R>>>,
    pub stopped_early: bool,
    /// The evidence updates so far (`cfg.evidence`).
    pub evidence_log: Vec<EvidenceLog>,
    pub(crate) grad: Mat<R>,
    gather: Gather<R>,
    halves: Option<Halves<R>>,
    /// `parallel::splittable(&net)`, decided once.
    splittable: bool,
    /// The variational KL's weight over the training rows this epoch (`fit` sets it; 0 in
    /// a bare `step`).
    pub kl_scale: f64,
    /// DP-SGD's mechanism for the training rows of the last `fit` (`cfg.dp`), or the
    /// client-level mechanism of a federated run.
    pub(crate) dp_run: Option<DpRun>,
    /// The valid input range of adversarial rows: the training rows' (`cfg.adversarial`; set
    /// by `fit`, else each batch's own).
    pub adversarial_bounds: Option<Bounds>,
    /// FedProx's proximal term (`crate::federated`): (mu, the global weights per parameter,
    /// in `params` order); each step adds `mu (w - w_global)` to the gradient.
    pub anchor: Option<(f64, Vec<Vec<R>>)>,
}

impl<R: Real> Trainer<R> {
    pub fn new(mut net: Net<R>, cfg: TrainConfig) -> Result<Self> {
        cfg.validate()?;
        if net.spec.batch_norm && cfg.batch_size < 2 {
            return Err(NnError::config("batch_size", "batch norm needs at least 2"));
        }
        if cfg.evidence.is_some() && net.is_variational() {
            return Err(NnError::config(
                "l2_evidence",
                "the evidence's Laplace approximation does not cover variational dropout's \
                 noise parameters; use one of the two",
            ));
        }
        if cfg.dp.is_some() {
            crate::dp::check_spec(&net.spec)?;
        }
        let reg = Regularizer::new(&cfg.penalty, &net);
        let opt = Optimizer::new(cfg.optimizer, &net.params_mut());
        let splittable = parallel::splittable(&net);
        Ok(Trainer {
            sched: cfg.schedule.start(cfg.lr),
            net,
            opt,
            reg,
            cfg,
            history: Vec::new(),
            best_val: f64::INFINITY,
            best_epoch: None,
            bad_epochs: 0,
            best_tensors: None,
            stopped_early: false,
            evidence_log: Vec::new(),
            grad: Mat::default(),
            gather: Gather::default(),
            halves: None,
            splittable,
            kl_scale: 0.0,
            dp_run: None,
            adversarial_bounds: None,
            anchor: None,
        })
    }

    /// A trainer continuing from a saved state (same network architecture and config).
    pub fn resume(net: Net<R>, cfg: TrainConfig, st: TrainState<R>) -> Result<Self> {
        let mut t = Trainer::new(net, cfg)?;
        st.restore(&mut t)?;
        Ok(t)
    }

    pub fn state(&self) -> TrainState<R> {
        TrainState::capture(self)
    }

    /// One optimizer step on batch `x` with targets `y`; returns the batch's data loss. A
    /// non-finite loss returns `None` before any weight changes.
    pub fn step(&mut self, x: Batch<R>, y: &[R], lr: f64, rng: &mut Rng) -> Option<f64> {
        if let (Some(adv), Batch::Dense(m)) = (self.cfg.adversarial, x) {
            return self.adversarial_step(m, y, lr, rng, adv);
        }
        let loss = match x {
            Batch::Dense(m) if self.splittable && parallel::worth_splitting(&x) => {
                let h = self.halves.get_or_insert_with(|| Halves::new(&self.net));
                h.forward_backward(&mut self.net, self.cfg.loss, m, y, rng)
            }
            _ => {
                let out = self.net.forward_train(x, rng);
                let loss = self.cfg.loss.value_grad(out, y, &mut self.grad);
                if loss.is_finite() {
                    self.net.backward(x, &self.grad);
                }
                loss
            }
        };
        if !loss.is_finite() {
            return None;
        }
        self.update(lr);
        Some(loss)
    }

    /// After the gradients are in: clipping, penalties, the optimizer step and the proximal
    /// step.
    pub(crate) fn update(&mut self, lr: f64) {
        let mut params = self.net.params_mut();
        if let Some(c) = self.cfg.clip_norm {
            clip::clip_norm(&mut params, c);
        }
        if let Some(c) = self.cfg.clip_value {
            clip::clip_value(&mut params, c);
        }
        if let Some((mu, w0)) = &self.anchor {
            for (p, a) in params.iter_mut().zip(w0) {
                for ((g, &v), &c) in p.grad.iter_mut().zip(&p.value).zip(a) {
                    *g += R::of(*mu) * (v - c);
                }
            }
        }
        drop(params);
        self.reg.add_gradients(&mut self.net);
        if self.kl_scale > 0.0 {
            self.net.add_kl_gradients(self.kl_scale);
        }
        self.reg.decay(&mut self.net, lr);
        self.opt.step(&mut self.net.params_mut(), lr);
        self.net.project_variational();
        self.reg.prox(&mut self.net, &self.opt, lr);
    }

    /// The privacy DP-SGD has spent so far (`None` without `cfg.dp` or before `fit`).
    pub fn privacy(&self) -> Option<PrivacySpent> {
        Some(self.dp_run?.spent(&self.cfg.dp?, self.history.len()))
    }

    /// Eval-mode outputs for all rows of `data`, in chunks.
    pub fn outputs(&mut self, data: &Data<R>) -> Mat<R> {
        crate::data::outputs(&mut self.net, &data.x, &mut self.gather)
    }

    /// Data loss (no penalty) and task metrics on `data`, in eval mode.
    pub fn evaluate(&mut self, data: &Data<R>) -> (f64, Vec<(String, f64)>) {
        let out = self.outputs(data);
        let mut g = Mat::default();
        let loss = self.cfg.loss.value_grad(&out, &data.y, &mut g);
        let p = predictions(data.task, &out, data.y_scale);
        let y: Vec<f64> = match data.y_scale {
            Some((mu, sd)) => data.y.iter().map(|v| v.f64() * sd + mu).collect(),
            None => data.y.iter().map(|v| v.f64()).collect(),
        };
        (loss, task_metrics(data.task, &p, &y))
    }

    /// One evidence update ([`Evidence`]) after `epoch` epochs on the training rows `train`.
    pub fn update_evidence(&mut self, train: &Data<R>, epoch: usize) -> Result<()> {
        let kron = self.cfg.evidence.is_some_and(|e| e.kron);
        let la = if kron {
            crate::laplace::kron::KronLaplace::fit_spectrum(&mut self.net, train)?
        } else {
            crate::laplace::diag::DiagLaplace::fit(&mut self.net, train)?
        };
        let h = match self.evidence_log.last() {
            Some(prev) => la.optimize_from(true, Some((&prev.prior_precision, prev.sigma_noise))),
            None => la.optimize(true),
        };
        let n = train.rows().max(1) as f64;
        let factor = match self.cfg.loss {
            Loss::Mse => 2.0 * h.sigma_noise * h.sigma_noise / n,
            _ => 1.0 / n,
        };
        let l2: Vec<(String, f64)> = la
            .groups
            .iter()
            .zip(&h.prior_precision)
            .map(|((name, _, _), d)| (name.clone(), d * factor))
            .collect();
        self.reg
            .set_l2(&l2.iter().map(|(_, v)| *v).collect::<Vec<_>>());
        self.evidence_log.push(EvidenceLog {
            epoch,
            l2,
            prior_precision: h.prior_precision.clone(),
            sigma_noise: h.sigma_noise,
            log_marglik: h.log_marglik,
        });
        Ok(())
    }

    /// (zeros, total) per dense layer's weight matrix; under sparse variational dropout the
    /// removed weights count as zeros (they are zero in every evaluation pass, and exactly
    /// zero once training ends).
    pub fn zeros_per_layer(&self) -> Vec<(usize, usize)> {
        self.net
            .dense()
            .iter()
            .map(|d| {
                let zeros = match &d.vd {
                    Some(v) => (0..d.weight.len())
                        .filter(|&k| {
                            v.removed(&d.weight.value, k) || d.weight.value[k] == R::zero()
                        })
                        .count(),
                    None => d.weight.zeros(),
                };
                (zeros, d.weight.len())
            })
            .collect()
    }

    /// Trains from the current epoch to `cfg.epochs` (or an early stop). `on` sees every step
    /// and every finished epoch; an `Err` from it stops training.
    pub fn fit(
        &mut self,
        train: &Data<R>,
        val: Option<&Data<R>>,
        on: &mut dyn FnMut(Event<'_, R>) -> std::result::Result<(), String>,
    ) -> Result<Outcome> {
        if self.cfg.patience.is_some() && val.is_none() {
            return Err(NnError::config(
                "patience",
                "early stopping needs a validation split",
            ));
        }
        let n = train.rows();
        let bs = self.cfg.batch_size.min(n.max(1));
        let steps = n.div_ceil(bs);
        self.dp_run = match &self.cfg.dp {
            Some(dp) => Some(DpRun::resolve(dp, self.cfg.epochs, n, bs)?),
            None => None,
        };
        let dp = self.cfg.dp.zip(self.dp_run);
        self.adversarial_bounds = match (&self.cfg.adversarial, &train.x) {
            (None, _) => None,
            (Some(_), Features::Dense(m)) => Some(Bounds::of(m)),
            (Some(_), Features::Sparse(_)) => {
                return Err(NnError::config(
                    "adversarial",
                    "adversarial training perturbs dense rows; this input is sparse",
                ))
            }
        };
        let mut drawn = Vec::new();
        let mut epoch = self.history.len();
        while epoch < self.cfg.epochs && !self.stopped_early {
            let t0 = Instant::now();
            let prev_val = self.history.last().and_then(|h| h.val_loss);
            let lr = self.cfg.schedule.lr_for(
                &mut self.sched,
                self.cfg.lr,
                epoch,
                self.cfg.epochs,
                prev_val,
            );
            let kl_weight = self.cfg.kl_weight_at(epoch);
            self.kl_scale = kl_weight / n.max(1) as f64;
            let mut rng = Rng::stream(self.cfg.seed, 1 + epoch as u64);
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            let mut gather = std::mem::take(&mut self.gather);
            let (mut sum, mut count) = (0.0, 0usize);
            for s in 0..steps {
                let idx = match dp {
                    Some((_, run)) => {
                        crate::dp::poisson_sample(n, run.sample_rate, &mut rng, &mut drawn);
                        &drawn[..]
                    }
                    None => &order[s * bs..((s + 1) * bs).min(n)],
                };
                if self.net.spec.batch_norm && idx.len() < 2 {
                    continue; // a last batch of one row cannot be batch-normalised
                }
                let loss = match dp {
                    Some(dp) if idx.is_empty() => self.dp_step(None, &[], lr, &mut rng, dp),
                    Some(dp) => {
                        gather.fill(train, idx);
                        self.dp_step(Some(gather.batch()), &gather.y, lr, &mut rng, dp)
                    }
                    None => {
                        gather.fill(train, idx);
                        self.step(gather.batch(), &gather.y, lr, &mut rng)
                    }
                };
                let Some(loss) = loss else {
                    self.gather = gather;
                    return Err(NnError::NonFinite {
                        epoch: epoch + 1,
                        step: s + 1,
                        value: f64::NAN,
                    });
                };
                sum += loss * idx.len() as f64;
                count += idx.len();
                on(Event::Step {
                    epoch: epoch + 1,
                    step: s + 1,
                    steps,
                    loss,
                })
                .map_err(NnError::Callback)?;
            }
            self.gather = gather;
            let train_loss = sum / count.max(1) as f64;
            // An exploding loss stops training before this epoch's weights are used anywhere
            // (the caller's last checkpoint is the epoch before).
            if let Some(first) = self.history.first().map(|h| h.train_loss) {
                if first > 0.0 && train_loss > DIVERGED * first {
                    return Err(NnError::Diverged {
                        epoch: epoch + 1,
                        loss: train_loss,
                        first,
                        factor: DIVERGED,
                    });
                }
            }
            let (val_loss, val_metrics) = match val {
                Some(v) => {
                    let (l, m) = self.evaluate(v);
                    (Some(l), m)
                }
                None => (None, Vec::new()),
            };
            let mut pv = self.reg.value(&self.net);
            if self.net.is_variational() {
                pv.penalty += self.kl_scale * self.net.kl();
            }
            if let Some(v) = val_loss {
                if !v.is_finite() {
                    return Err(NnError::NonFinite {
                        epoch: epoch + 1,
                        step: steps,
                        value: v,
                    });
                }
                // With a selection penalty the epochs are compared on the validation
                // objective (loss + penalty), so the restored weights are never ones from
                // before the proximal steps zeroed what the penalty removes.
                let v = if self.reg.selects() {
                    v + pv.penalty
                } else {
                    v
                };
                if v < self.best_val - self.cfg.min_delta || self.best_epoch.is_none() {
                    self.best_val = v;
                    self.best_epoch = Some(epoch + 1);
                    self.bad_epochs = 0;
                    if self.cfg.restore_best {
                        self.best_tensors = Some(net_tensors(&self.net));
                    }
                } else {
                    self.bad_epochs += 1;
                    if self.cfg.patience.is_some_and(|p| self.bad_epochs >= p) {
                        self.stopped_early = true;
                    }
                }
            }
            let log = EpochLog {
                epoch: epoch + 1,
                lr,
                train_loss,
                val_loss,
                penalty: pv.penalty,
                decay_term: pv.decay_term,
                val_metrics,
                zeros: self.zeros_per_layer(),
                seconds: t0.elapsed().as_secs_f64(),
            };
            self.history.push(log);
            epoch += 1;
            if let Some(ev) = self.cfg.evidence {
                if epoch >= ev.burn_in && (epoch - ev.burn_in).is_multiple_of(ev.every.max(1)) {
                    self.update_evidence(train, epoch)?;
                }
            }
            let log = self.history.last().expect("pushed");
            on(Event::Epoch { log, trainer: self }).map_err(NnError::Callback)?;
        }
        if self.cfg.restore_best {
            if let Some(best) = &self.best_tensors {
                let best = best.clone();
                load_net_tensors(&mut self.net, &best)?;
            }
        }
        self.net.prune_variational();
        Ok(Outcome {
            epochs_run: self.history.len(),
            best_epoch: self.best_epoch,
            stopped_early: self.stopped_early,
        })
    }
}

/// JSON has no NaN (an AUC with one class present is NaN): metrics are written with null for
/// a non-finite value and read back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
        let o: Vec<(&str, Option<f64>)> = v
            .iter()
            .map(|(k, x)| (k.as_str(), x.is_finite().then_some(*x)))
            .collect();
        o.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
        let o: Vec<(String, Option<f64>)> = Vec::deserialize(d)?;
        Ok(o.into_iter()
            .map(|(k, x)| (k, x.unwrap_or(f64::NAN)))
            .collect())
    }
}
