//! Optimizers (one file each), gradient clipping and learning-rate schedules.
//!
//! Update rules, with g the gradient after clipping and after the coupled L2 term is added
//! (see `regularize.rs`), lr the current learning rate and t the step count from 1:
//! - SGD: `b = mu b + g` (b = g at the first step); Nesterov uses `g + mu b`, plain momentum
//!   uses `b`; `w -= lr * that`. With mu = 0, `w -= lr g`. (PyTorch's SGD, dampening 0.)
//! - Adam: `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2`,
//!   `w -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`. (PyTorch's Adam.)
//! - AdamW is Adam plus decoupled weight decay `w *= 1 - lr * wd` before the update
//!   (Loshchilov & Hutter 2019); occam applies that decay from `--weight-decay` for any
//!   optimizer, and `adamw` only changes its default from 0 to 0.01.

pub mod adam;
pub mod clip;
pub mod schedule;
pub mod sgd;

use crate::param::Param;
use crate::real::Real;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "name")]
pub enum OptimizerKind {
    Sgd { momentum: f64, nesterov: bool },
    Adam { beta1: f64, beta2: f64, eps: f64 },
    AdamW { beta1: f64, beta2: f64, eps: f64 },
}

impl OptimizerKind {
    pub fn adam() -> Self {
        OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd { .. } => "sgd",
            OptimizerKind::Adam { .. } => "adam",
            OptimizerKind::AdamW { .. } => "adamw",
        }
    }
}

/// Optimizer state: one slot per parameter, in `Net::params` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer<R> {
    pub kind: OptimizerKind,
    /// Steps taken.
    pub t: u64,
    /// SGD: the momentum buffers; Adam: the first moments.
    pub m: Vec<Vec<R>>,
    /// Adam: the second moments (empty for SGD).
    pub v: Vec<Vec<R>>,
}

impl<R: Real> Optimizer<R> {
    pub fn new(kind: OptimizerKind, params: &[&mut Param<R>]) -> Self {
        let zeros = |p: &&mut Param<R>| vec![R::zero(); p.len()];
        let m = params.iter().map(zeros).collect();
        let v = match kind {
            OptimizerKind::Sgd { .. } => Vec::new(),
            _ => params.iter().map(zeros).collect(),
        };
        Optimizer { kind, t: 0, m, v }
    }

    /// One update of every parameter from its `grad`.
    pub fn step(&mut self, params: &mut [&mut Param<R>], lr: f64) {
        assert_eq!(
            params.len(),
            self.m.len(),
            "optimizer: parameter count changed"
        );
        self.t += 1;
        match self.kind {
            OptimizerKind::Sgd { momentum, nesterov } => {
                for (p, b) in params.iter_mut().zip(&mut self.m) {
                    sgd::update(
                        &mut p.value,
                        &p.grad,
                        b,
                        lr,
                        momentum,
                        nesterov,
                        self.t == 1,
                    );
                }
            }
            OptimizerKind::Adam { beta1, beta2, eps }
            | OptimizerKind::AdamW { beta1, beta2, eps } => {
                let c = adam::Coefs::new(lr, beta1, beta2, eps, self.t);
                for ((p, m), v) in params.iter_mut().zip(&mut self.m).zip(&mut self.v) {
                    adam::update(&mut p.value, &p.grad, m, v, &c);
                }
            }
        }
    }
}
