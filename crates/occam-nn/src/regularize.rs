//! Penalties on network parameters, applied the way each one is defined:
//!
//! - **L1 / elastic net** (occam-core's `ElasticNet`, glmnet's definition
//!   `lambda ((1-alpha)/2 w^2 + alpha |w|)`, with `--l1 L` the case alpha = 1) is applied as a
//!   proximal step after each optimizer step, in the optimizer's own metric:
//!   `w = soft(w, s lambda alpha) / (1 + s lambda (1-alpha))` with step `s = lr` for SGD and
//!   `s = lr / (sqrt(v_hat) + eps)` per weight for Adam/AdamW (the step Adam itself took).
//!   Small weights become exactly zero, and the fixed points are those of
//!   loss + penalty. (A uniform step `s = lr` after Adam would instead penalise each weight in
//!   proportion to its gradient's RMS; it is `L1Mode::ProxUniform`, what PyTorch scripts
//!   usually do and what the nn-anchor benchmark times.) `L1Mode::Subgradient` adds
//!   `lambda alpha sign(w) + lambda (1-alpha) w` to the gradient instead (kept for comparison:
//!   it leaves weights oscillating around zero, never at it).
//! - **Coupled L2** (`--l2 L`): the term `L/2 ||w||^2` is part of the objective; `L w` is
//!   added to the gradient before the optimizer step (PyTorch's `Adam(weight_decay=L)`).
//! - **Decoupled weight decay** (`--weight-decay D`): `w *= 1 - lr D` before the optimizer
//!   update, outside the gradient, so Adam's scaling does not touch it (AdamW). It is not a
//!   term of the objective; it is logged as `decay_term = D/2 ||w||^2` beside the penalty.
//! - **Group lasso** (`GroupLasso`, `lambda sqrt(size) ||w_g||`): on the first layer's input
//!   features (rows of W, a feature leaves when its row is zero) and/or on neurons (columns
//!   of W, a unit's incoming weights); proximal block soft-thresholding with step lr (SGD) or
//!   lr over the group's mean Adam denominator (Adam: the diagonal metric averaged per group).
//!
//! Policy: penalties apply to dense weight matrices of the selected layers (by default,
//! `LayerSelect::Auto`: the selection terms on the first dense layer, the shrinkage terms on
//! every layer); biases and
//! normalisation parameters are exempt unless `penalize_bias` is set (then only the per-weight
//! terms apply to biases and norm parameters, never the group terms).

use crate::layer::Layer;
use crate::net::Net;
use crate::optim::{Optimizer, OptimizerKind};
use crate::param::ParamKind;
use crate::real::Real;
use occam_core::penalty::{ElasticNet, GroupLasso};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum L1Mode {
    /// Proximal step in the optimizer's metric (default).
    #[default]
    Prox,
    /// Proximal step with the uniform step lr, whatever the optimizer.
    ProxUniform,
    Subgradient,
}

/// The penalty on one layer's weights. All strengths default to 0 (off).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LayerPenalty {
    pub l1: f64,
    pub l2: f64,
    /// (lambda, alpha).
    pub elastic_net: Option<(f64, f64)>,
    pub weight_decay: f64,
    /// Group lasso over input features (first dense layer only).
    pub group_inputs: f64,
    /// Group lasso over neurons (each unit's incoming weights).
    pub group_neurons: f64,
}

impl LayerPenalty {
    /// `l1` and `elastic_net` folded into one elastic net (their sum is one).
    pub fn elastic(&self) -> Option<ElasticNet> {
        let (el, ea) = self.elastic_net.unwrap_or((0.0, 1.0));
        let lambda = self.l1 + el;
        (lambda > 0.0).then(|| ElasticNet {
            lambda,
            alpha: (self.l1 + el * ea) / lambda,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.elastic().is_none()
            && self.l2 == 0.0
            && self.weight_decay == 0.0
            && self.group_inputs == 0.0
            && self.group_neurons == 0.0
    }

    fn per_weight_only(&self) -> LayerPenalty {
        LayerPenalty {
            group_inputs: 0.0,
            group_neurons: 0.0,
            ..*self
        }
    }

    /// The shrinkage terms only (coupled L2, weight decay, group lasso on neurons): what
    /// `LayerSelect::Auto` puts on the layers after the first.
    fn shrinkage_only(&self) -> LayerPenalty {
        LayerPenalty {
            l1: 0.0,
            elastic_net: None,
            group_inputs: 0.0,
            ..*self
        }
    }
}

/// Which dense layers (0 = first) the default penalty applies to.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerSelect {
    /// The selection terms (L1, elastic net, group lasso on inputs) on the first dense layer,
    /// where a zero removes an input feature; the shrinkage terms (coupled L2, weight decay,
    /// group lasso on neurons) on every layer. The same L1 on every layer would zero the
    /// hidden-to-output weights as readily as the input ones and leave a constant network
    /// (on colon, `--l1 0.03` on all layers kept no gene and predicted the majority class).
    #[default]
    Auto,
    /// Every term on every dense layer (and the per-weight terms on convolution kernels and
    /// recurrent weights).
    All,
    /// Every term on the first dense layer only.
    First,
    /// Every term on the listed dense layers.
    List(Vec<usize>),
}

/// Per-parameter-group penalty policy.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PenaltyPolicy {
    pub default: LayerPenalty,
    pub layers: LayerSelect,
    /// Per dense layer overrides: (dense layer index, penalty).
    pub overrides: Vec<(usize, LayerPenalty)>,
    pub penalize_bias: bool,
    pub l1_mode: L1Mode,
    /// Coupled L2 on recurrent (hidden-to-hidden) weights only, added to the default terms.
    pub recurrent_l2: f64,
}

/// The policy resolved against a network: one entry per parameter in `Net::params` order.
#[derive(Clone, Debug)]
pub struct Regularizer {
    slots: Vec<Slot>,
    pub l1_mode: L1Mode,
}

#[derive(Clone, Debug)]
struct Slot {
    pen: LayerPenalty,
    /// Weight matrix shape (rows = inputs, cols = units) for group terms.
    rows: usize,
    cols: usize,
}

/// Penalty-side numbers for the epoch log.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PenaltyValue {
    pub penalty: f64,
    pub decay_term: f64,
}

impl Regularizer {
    pub fn new<R: Real>(policy: &PenaltyPolicy, net: &Net<R>) -> Self {
        let mut slots = Vec::new();
        let mut dense_index = 0usize;
        for layer in &net.layers {
            let dense = match layer {
                Layer::Dense(d) => {
                    dense_index += 1;
                    Some((dense_index - 1, d.n_in, d.n_out))
                }
                _ => None,
            };
            for p in layer.params() {
                let mut pen = LayerPenalty::default();
                let (mut rows, mut cols) = (0, 0);
                if let (ParamKind::Weight, Some((k, n_in, n_out))) = (p.kind, dense) {
                    pen = match &policy.layers {
                        LayerSelect::All => policy.default,
                        LayerSelect::Auto if k > 0 => policy.default.shrinkage_only(),
                        LayerSelect::Auto | LayerSelect::First if k == 0 => policy.default,
                        LayerSelect::List(v) if v.contains(&k) => policy.default,
                        _ => LayerPenalty::default(),
                    };
                    if let Some((_, o)) = policy.overrides.iter().find(|(i, _)| *i == k) {
                        pen = *o;
                    }
                    if k != 0 {
                        pen.group_inputs = 0.0;
                    }
                    (rows, cols) = (n_in, n_out);
                } else if matches!(p.kind, ParamKind::Kernel | ParamKind::Recurrent) {
                    // Convolution kernels and recurrent weights carry the per-weight terms
                    // (never the group ones); recurrent weights also their own L2.
                    match policy.layers {
                        LayerSelect::All => pen = policy.default.per_weight_only(),
                        LayerSelect::Auto => {
                            pen = policy.default.shrinkage_only().per_weight_only()
                        }
                        _ => {}
                    }
                    if p.kind == ParamKind::Recurrent {
                        pen.l2 += policy.recurrent_l2;
                    }
                } else if p.kind == ParamKind::Variational {
                    // variational dropout's own parameters: their prior is the KL term
                } else if policy.penalize_bias {
                    pen = policy.default.per_weight_only();
                }
                slots.push(Slot { pen, rows, cols });
            }
        }
        Regularizer {
            slots,
            l1_mode: policy.l1_mode,
        }
    }

    /// How many parameter tensors the penalties cover (one slot each).
    pub fn tensors(&self) -> usize {
        self.slots.len()
    }

    /// Sets the coupled L2 strength of every parameter tensor, in the network's order (the
    /// evidence updates); the other terms stay.
    pub fn set_l2(&mut self, l2: &[f64]) {
        assert_eq!(l2.len(), self.slots.len(), "one L2 per parameter tensor");
        for (s, v) in self.slots.iter_mut().zip(l2) {
            s.pen.l2 = *v;
        }
    }

    /// Whether a selection term (L1, elastic net, group lasso) acts on some weights: then
    /// early stopping compares the validation loss plus the penalty term (see `Trainer`).
    pub fn selects(&self) -> bool {
        self.slots.iter().any(|s| {
            s.pen.l1 > 0.0
                || s.pen.elastic_net.is_some_and(|(l, _)| l > 0.0)
                || s.pen.group_inputs > 0.0
                || s.pen.group_neurons > 0.0
        })
    }

    pub fn is_active(&self) -> bool {
        self.slots.iter().any(|s| !s.pen.is_zero())
    }

    /// The penalty terms of the objective at the current weights, and the decay term.
    pub fn value<R: Real>(&self, net: &Net<R>) -> PenaltyValue {
        let mut out = PenaltyValue::default();
        for (s, p) in self.slots.iter().zip(net.params()) {
            let w = &p.value;
            let sq: f64 = w.iter().map(|v| v.f64() * v.f64()).sum();
            if let Some(en) = s.pen.elastic() {
                out.penalty += w.iter().map(|v| en.value(v.f64(), 1.0)).sum::<f64>();
            }
            out.penalty += 0.5 * s.pen.l2 * sq;
            out.decay_term += 0.5 * s.pen.weight_decay * sq;
            if s.pen.group_inputs > 0.0 {
                let g = GroupLasso {
                    lambda: s.pen.group_inputs,
                };
                out.penalty += (0..s.rows)
                    .map(|j| g.lambda * (s.cols as f64).sqrt() * row_norm(w, j, s.cols))
                    .sum::<f64>();
            }
            if s.pen.group_neurons > 0.0 {
                let g = GroupLasso {
                    lambda: s.pen.group_neurons,
                };
                out.penalty += (0..s.cols)
                    .map(|k| g.lambda * (s.rows as f64).sqrt() * col_norm(w, k, s.rows, s.cols))
                    .sum::<f64>();
            }
        }
        out
    }

    /// Adds the gradient of the smooth terms (coupled L2; in subgradient mode also the L1 and
    /// group subgradients) to every parameter's gradient.
    pub fn add_gradients<R: Real>(&self, net: &mut Net<R>) {
        let sub = self.l1_mode == L1Mode::Subgradient;
        for (s, p) in self.slots.iter().zip(net.params_mut()) {
            if s.pen.l2 > 0.0 {
                let l2 = R::of(s.pen.l2);
                p.grad
                    .iter_mut()
                    .zip(&p.value)
                    .for_each(|(g, &w)| *g += l2 * w);
            }
            if !sub {
                continue;
            }
            if let Some(en) = s.pen.elastic() {
                for (g, &w) in p.grad.iter_mut().zip(&p.value) {
                    let wf = w.f64();
                    let sign = if wf > 0.0 {
                        1.0
                    } else if wf < 0.0 {
                        -1.0
                    } else {
                        0.0
                    };
                    *g += R::of(en.lambda * en.alpha * sign + en.smooth_grad(wf, 1.0));
                }
            }
            if s.pen.group_inputs > 0.0 {
                let c = s.pen.group_inputs * (s.cols as f64).sqrt();
                for j in 0..s.rows {
                    let n = row_norm(&p.value, j, s.cols);
                    if n > 0.0 {
                        for k in 0..s.cols {
                            let i = j * s.cols + k;
                            p.grad[i] += R::of(c * p.value[i].f64() / n);
                        }
                    }
                }
            }
            if s.pen.group_neurons > 0.0 {
                let c = s.pen.group_neurons * (s.rows as f64).sqrt();
                for k in 0..s.cols {
                    let n = col_norm(&p.value, k, s.rows, s.cols);
                    if n > 0.0 {
                        for j in 0..s.rows {
                            let i = j * s.cols + k;
                            p.grad[i] += R::of(c * p.value[i].f64() / n);
                        }
                    }
                }
            }
        }
    }

    /// Decoupled weight decay, before the optimizer update: `w *= 1 - lr D`.
    pub fn decay<R: Real>(&self, net: &mut Net<R>, lr: f64) {
        for (s, p) in self.slots.iter().zip(net.params_mut()) {
            if s.pen.weight_decay > 0.0 {
                let f = R::of(1.0 - lr * s.pen.weight_decay);
                p.value.iter_mut().for_each(|w| *w *= f);
            }
        }
    }

    /// The proximal step for the L1 / elastic-net and group terms after an update with step
    /// `lr` by `opt` (a no-op in subgradient mode, where they went into the gradient).
    pub fn prox<R: Real>(&self, net: &mut Net<R>, opt: &Optimizer<R>, lr: f64) {
        if self.l1_mode == L1Mode::Subgradient {
            return;
        }
        let metric = match (self.l1_mode, opt.kind) {
            (L1Mode::Prox, OptimizerKind::Adam { beta2, eps, .. })
            | (L1Mode::Prox, OptimizerKind::AdamW { beta2, eps, .. }) => {
                let t = opt.t.clamp(1, i32::MAX as u64) as i32;
                Some((1.0 / (1.0 - beta2.powi(t)).sqrt(), eps))
            }
            _ => None,
        };
        for (k, (s, p)) in self.slots.iter().zip(net.params_mut()).enumerate() {
            if let Some(en) = s.pen.elastic() {
                match metric {
                    Some((ibc, eps)) => crate::simd::soft_threshold_adaptive(
                        &mut p.value,
                        &opt.v[k],
                        lr * en.lambda * en.alpha,
                        lr * en.lambda * (1.0 - en.alpha),
                        ibc,
                        eps,
                    ),
                    None => {
                        let (thr, scale) = en.prox_coefficients(lr, 1.0);
                        crate::simd::soft_threshold(&mut p.value, thr, scale);
                    }
                }
            }
            if s.pen.group_inputs > 0.0 {
                let g = GroupLasso {
                    lambda: s.pen.group_inputs,
                };
                for j in 0..s.rows {
                    let t =
                        group_step(lr, metric, opt, k, (j * s.cols..(j + 1) * s.cols).collect());
                    let f = R::of(g.shrink(row_norm(&p.value, j, s.cols), s.cols, t));
                    p.value[j * s.cols..(j + 1) * s.cols]
                        .iter_mut()
                        .for_each(|w| *w *= f);
                }
            }
            if s.pen.group_neurons > 0.0 {
                let g = GroupLasso {
                    lambda: s.pen.group_neurons,
                };
                for u in 0..s.cols {
                    let t = group_step(
                        lr,
                        metric,
                        opt,
                        k,
                        (0..s.rows).map(|j| j * s.cols + u).collect(),
                    );
                    let f = R::of(g.shrink(col_norm(&p.value, u, s.rows, s.cols), s.rows, t));
                    for j in 0..s.rows {
                        p.value[j * s.cols + u] *= f;
                    }
                }
            }
        }
    }
}

/// The proximal step size of one group: `lr` for SGD; for Adam, `lr` over the group's mean
/// of Adam's per-weight denominator `sqrt(v_hat) + eps` (the diagonal metric averaged over the
/// group, so that block soft-thresholding stays in closed form).
fn group_step<R: Real>(
    lr: f64,
    metric: Option<(f64, f64)>,
    opt: &Optimizer<R>,
    k: usize,
    idx: Vec<usize>,
) -> f64 {
    match metric {
        None => lr,
        Some((ibc, eps)) => {
            let v = &opt.v[k];
            let mean = idx
                .iter()
                .map(|&i| v[i].f64().sqrt() * ibc + eps)
                .sum::<f64>()
                / idx.len().max(1) as f64;
            lr / mean
        }
    }
}

fn row_norm<R: Real>(w: &[R], j: usize, cols: usize) -> f64 {
    w[j * cols..(j + 1) * cols]
        .iter()
        .map(|v| v.f64() * v.f64())
        .sum::<f64>()
        .sqrt()
}

fn col_norm<R: Real>(w: &[R], k: usize, rows: usize, cols: usize) -> f64 {
    (0..rows)
        .map(|j| w[j * cols + k].f64().powi(2))
        .sum::<f64>()
        .sqrt()
}
