//! DP-SGD (Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar & Zhang 2016, "Deep Learning
//! with Differential Privacy", algorithm 1): every step takes a Poisson sample of the
//! training rows (each row in with probability q), clips each row's own gradient to L2 norm
//! C, sums the clipped gradients, adds Gaussian noise of standard deviation sigma C to every
//! coordinate and divides by the expected batch size q N (as Opacus does). The accountant
//! ([`crate::privacy`]'s RDP or [`crate::pld`]'s PLD) turns (sigma, q, steps, delta) into the
//! epsilon spent.
//!
//! Per-example gradients are never formed as a batch of one. One forward and one backward
//! pass give every layer its input and the gradient of the loss with respect to its output,
//! row by row (the backward pass forms input gradients only, [`Net::backward_inputs`]: dense
//! and convolution layers skip the batch's parameter gradients, which the clipped sum
//! replaces); from those each layer adds its rows' squared gradient norms
//! ([`crate::layer::Layer::add_sample_sq_norms`]: closed form for dense layers and layer
//! norm, Goodfellow 2015; one small product per example for convolutions and recurrent
//! layers). A row's gradient is linear in its output gradient, so the clipped sum
//! `sum_i c_i g_i` is each parameter layer's own backward step again with its output gradient's
//! rows scaled by `c_i = min(1, C / (|g_i| + 1e-6))` (the two-pass clipping of Lee & Kifer
//! 2021, "Scaling up Differentially Private Deep Learning with Fast Per-Example Gradient
//! Clipping", here without recomputing the input gradients).
//! A convolution, which forms each image's kernel gradient for its norm anyway, keeps those
//! and sums them with the factors instead.
//!
//! Rows must not interact inside a batch: batch norm is refused (use layer norm), and so are
//! DropConnect (one weight mask shared by the batch) and variational dropout.

use crate::error::{NnError, Result};
use crate::layer::Layer;
use crate::mat::{Batch, Mat};
use crate::net::{MlpSpec, Net};
use crate::privacy::Accountant;
use crate::real::Real;
use crate::trainer::Trainer;
use occam_core::rng::Rng;

/// How the noise is set: a noise multiplier sigma, or the smallest sigma whose guarantee
/// after all planned steps is a target epsilon (found by the accountant when training
/// starts, from the training rows, the batch size and the epochs).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DpNoise {
    Multiplier(f64),
    Epsilon(f64),
}

/// DP-SGD settings.
///
/// | field | default | range |
/// |---|---|---|
/// | `max_grad_norm` | 1 | > 0, the per-example clipping norm C |
/// | `noise` | | multiplier sigma >= 0, or a target epsilon > 0 |
/// | `delta` | 1e-5 | (0, 1) |
/// | `accountant` | rdp | rdp, pld |
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpConfig {
    pub max_grad_norm: f64,
    pub noise: DpNoise,
    pub delta: f64,
    #[serde(default)]
    pub accountant: Accountant,
}

impl DpConfig {
    pub fn validate(&self) -> Result<()> {
        let c = self.max_grad_norm;
        if !(c.is_finite() && c > 0.0) {
            return Err(NnError::config(
                "dp_max_grad_norm",
                format!("{c} must be a finite number > 0"),
            ));
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(NnError::config(
                "dp_delta",
                format!("{} is not in (0, 1)", self.delta),
            ));
        }
        match self.noise {
            DpNoise::Multiplier(s) if !(s.is_finite() && s >= 0.0) => Err(NnError::config(
                "dp_noise_multiplier",
                format!("{s} must be a finite number >= 0"),
            )),
            DpNoise::Epsilon(e) if !(e.is_finite() && e > 0.0) => Err(NnError::config(
                "dp_epsilon",
                format!("{e} must be a finite number > 0"),
            )),
            _ => Ok(()),
        }
    }
}

/// What one unit of privacy is: a training row (DP-SGD) or a client's rows (client-level DP
/// in federated training, [`crate::federated`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyUnit {
    #[default]
    Row,
    Client,
}

/// The privacy a DP run spent: the mechanism (sigma, C, q, steps) and its guarantee.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrivacySpent {
    pub noise_multiplier: f64,
    pub max_grad_norm: f64,
    /// Poisson sampling probability of a row per step (1 / steps per epoch), or of a client
    /// per round.
    pub sample_rate: f64,
    /// Steps taken (rounds, for clients).
    pub steps: u64,
    /// The training rows the guarantee protects (clients, for clients).
    pub rows: usize,
    /// What the guarantee protects: one row, or one client's rows.
    #[serde(default)]
    pub unit: PrivacyUnit,
    pub delta: f64,
    /// Epsilon at `delta` after `steps` steps (infinite without noise).
    pub epsilon: f64,
    /// The accountant ("rdp" or "pld").
    pub accountant: String,
    /// The target epsilon the noise was chosen for, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_epsilon: Option<f64>,
}

/// DP-SGD's mechanism resolved for a training set: the noise multiplier (from a target
/// epsilon when one was given), the sampling rate and the steps per epoch.
#[derive(Clone, Copy, Debug)]
pub struct DpRun {
    pub sigma: f64,
    pub rows: usize,
    pub steps_per_epoch: usize,
    pub sample_rate: f64,
    pub unit: PrivacyUnit,
}

impl DpRun {
    /// The mechanism of `epochs` epochs over `n` rows in batches of `bs`: `ceil(n / bs)`
    /// steps per epoch at sample rate 1 / that (Opacus's choice); a target epsilon becomes
    /// the smallest noise multiplier that meets it after every planned step.
    pub fn resolve(cfg: &DpConfig, epochs: usize, n: usize, bs: usize) -> Result<DpRun> {
        let steps_per_epoch = n.div_ceil(bs.max(1)).max(1);
        let sample_rate = 1.0 / steps_per_epoch as f64;
        let sigma = match cfg.noise {
            DpNoise::Multiplier(s) => s,
            DpNoise::Epsilon(e) => {
                let steps = (epochs * steps_per_epoch) as u64;
                cfg.accountant
                    .noise_for_epsilon(e, sample_rate, steps, cfg.delta)?
            }
        };
        Ok(DpRun {
            sigma,
            rows: n,
            steps_per_epoch,
            sample_rate,
            unit: PrivacyUnit::Row,
        })
    }

    /// What `epochs` epochs of this mechanism spent.
    pub fn spent(&self, cfg: &DpConfig, epochs: usize) -> PrivacySpent {
        let steps = (epochs * self.steps_per_epoch) as u64;
        let epsilon = if steps == 0 {
            0.0
        } else if self.sigma == 0.0 {
            f64::INFINITY
        } else {
            cfg.accountant
                .epsilon(self.sigma, self.sample_rate, steps, cfg.delta)
                .map_or(f64::INFINITY, |g| g.epsilon)
        };
        PrivacySpent {
            noise_multiplier: self.sigma,
            max_grad_norm: cfg.max_grad_norm,
            sample_rate: self.sample_rate,
            steps,
            rows: self.rows,
            unit: self.unit,
            delta: cfg.delta,
            epsilon,
            accountant: cfg.accountant.name().into(),
            target_epsilon: match cfg.noise {
                DpNoise::Epsilon(e) => Some(e),
                DpNoise::Multiplier(_) => None,
            },
        }
    }
}

/// Refuses the layers whose rows interact within a batch or whose per-example gradient
/// DP-SGD does not form.
pub fn check_spec(spec: &MlpSpec) -> Result<()> {
    if spec.batch_norm {
        return Err(NnError::config(
            "batch_norm",
            "DP-SGD clips each row's own gradient, and batch norm mixes the rows of a batch \
             (per-example gradients do not exist); use layer_norm",
        ));
    }
    if spec.drop_connect > 0.0 {
        return Err(NnError::config(
            "drop_connect",
            "DP-SGD does not support DropConnect (one weight mask shared by a batch); use \
             dropout",
        ));
    }
    if spec.variational.is_some() {
        return Err(NnError::config(
            "variational",
            "DP-SGD does not support variational dropout",
        ));
    }
    Ok(())
}

/// Calls `f` on each layer, first to last, with its input and the gradient with respect to
/// its output (the next layer's input gradient) from the last backward pass over `x`
/// (`gy`: the last layer's).
fn each_layer<R: Real>(
    net: &mut Net<R>,
    x: Batch<R>,
    gy: &Mat<R>,
    mut f: impl FnMut(&mut Layer<R>, Batch<'_, R>, &Mat<R>),
) {
    for i in 0..net.layers.len() {
        let (left, right) = net.layers.split_at_mut(i);
        let (cur, after) = right.split_first_mut().expect("index in range");
        let input = match i {
            0 => x,
            _ => Batch::Dense(left[i - 1].out()),
        };
        f(cur, input, after.first().map_or(gy, Layer::grad_in));
    }
}

/// Each row's gradient norm over every parameter, after `net.backward(x, gy)` (or
/// `backward_inputs`) where row i of
/// `gy` is the gradient of row i's own loss. Convolutions keep each image's gradients for
/// the clipped sum.
pub fn sample_norms<R: Real>(net: &mut Net<R>, x: Batch<R>, gy: &Mat<R>) -> Vec<f64> {
    let mut sq = vec![0.0; gy.rows];
    each_layer(net, x, gy, |layer, input, g| {
        layer.add_sample_sq_norms(input, g, &mut sq)
    });
    sq.into_iter().map(f64::sqrt).collect()
}

/// After `net.backward(x, gy)` or `net.backward_inputs(x, gy)` (row i of `gy`: the gradient
/// of row i's own loss), replaces
/// every parameter gradient by the sum of the rows' gradients each clipped to norm
/// `max_norm`; returns the norms before clipping.
pub fn clip_per_sample<R: Real>(
    net: &mut Net<R>,
    x: Batch<R>,
    gy: &Mat<R>,
    max_norm: f64,
) -> Vec<f64> {
    let norms = sample_norms(net, x, gy);
    let factor: Vec<R> = norms
        .iter()
        .map(|&n| R::of((max_norm / (n + 1e-6)).min(1.0)))
        .collect();
    let mut scaled = Mat::default();
    // First to last: a layer's output gradient is the next layer's input gradient from the
    // first pass, which only that next layer's own second step (layer norm) overwrites.
    each_layer(net, x, gy, |layer, input, g| match layer {
        Layer::Conv(c) => c.clipped_sum(&factor),
        _ if layer.params().is_empty() => {}
        _ => {
            scaled.assign(g);
            let cols = scaled.cols;
            for (row, &c) in scaled.data.chunks_mut(cols.max(1)).zip(&factor) {
                row.iter_mut().for_each(|v| *v *= c);
            }
            layer.backward(input, &scaled, false);
        }
    });
    norms
}

/// Adds N(0, `sd`^2) to every parameter gradient coordinate (in parameter order, from `rng`)
/// and divides by `expected_batch`.
pub fn add_noise<R: Real>(net: &mut Net<R>, sd: f64, expected_batch: f64, rng: &mut Rng) {
    for p in net.params_mut() {
        noisy_mean(&mut p.grad, sd, expected_batch, rng);
    }
}

/// Adds N(0, `sd`^2) to each of `g` (in order, from `rng`) and divides by `expected_batch`:
/// DP-SGD's noise on a clipped sum (networks' parameters, embedding tables).
pub fn noisy_mean<R: Real>(g: &mut [R], sd: f64, expected_batch: f64, rng: &mut Rng) {
    let inv = 1.0 / expected_batch;
    for v in g.iter_mut() {
        *v = R::of((v.f64() + sd * rng.normal()) * inv);
    }
}

/// The rows of one Poisson sample: each of `0..n` independently with probability `q`, in
/// order (drawn by geometric gaps, one uniform per row taken).
pub fn poisson_sample(n: usize, q: f64, rng: &mut Rng, out: &mut Vec<usize>) {
    out.clear();
    if q >= 1.0 {
        out.extend(0..n);
        return;
    }
    if q <= 0.0 {
        return;
    }
    let log_skip = (1.0 - q).ln();
    let mut i = 0usize;
    loop {
        // the number of rows left out before the next one taken: Geometric(q)
        let u = 1.0 - rng.uniform(); // in (0, 1]
        let gap = (u.ln() / log_skip).floor();
        if !gap.is_finite() || gap >= (n - i) as f64 {
            return;
        }
        i += gap as usize;
        out.push(i);
        i += 1;
        if i >= n {
            return;
        }
    }
}

impl<R: Real> Trainer<R> {
    /// One DP-SGD step ([`crate::dp`]) on the Poisson sample `x` (`None`: no row was drawn,
    /// the step is noise alone); returns the sample's mean data loss (0 for no rows). A
    /// non-finite loss returns `None` before any weight changes.
    pub(crate) fn dp_step(
        &mut self,
        x: Option<Batch<R>>,
        y: &[R],
        lr: f64,
        rng: &mut Rng,
        dp: (DpConfig, DpRun),
    ) -> Option<f64> {
        let (cfg, run) = dp;
        let loss = match x {
            Some(x) => {
                let out = self.net.forward_train(x, rng);
                let loss = self.cfg.loss.value_grad(out, y, &mut self.grad);
                if !loss.is_finite() {
                    return None;
                }
                // row i: the gradient of row i's own loss (the mean's times the rows)
                let b = R::of(self.grad.rows as f64);
                self.grad.data.iter_mut().for_each(|g| *g *= b);
                // input gradients only: the clipped sum sets the parameter gradients
                self.net.backward_inputs(x, &self.grad);
                crate::dp::clip_per_sample(&mut self.net, x, &self.grad, cfg.max_grad_norm);
                loss
            }
            None => {
                for p in self.net.params_mut() {
                    p.grad.iter_mut().for_each(|g| *g = R::zero());
                }
                0.0
            }
        };
        let expected = run.sample_rate * run.rows as f64;
        crate::dp::add_noise(&mut self.net, run.sigma * cfg.max_grad_norm, expected, rng);
        self.update(lr);
        Some(loss)
    }
}
