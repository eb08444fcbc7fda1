//! The layers, one file each with forward and backward side by side, and the `Layer` enum a
//! network is a sequence of. Training mode is explicit: `forward_train` / `forward_eval`.

pub mod activation;
pub mod batchnorm;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod gru;
pub mod layernorm;
pub mod lstm;
pub mod pool;
pub mod recurrent;
pub mod variational;

use crate::mat::{Batch, Mat};
use crate::param::Param;
use crate::real::Real;
use occam_core::rng::Rng;

pub use activation::{ActKind, Activation};
pub use batchnorm::BatchNorm;
pub use conv2d::{Conv2d, ConvShape};
pub use dense::Dense;
pub use dropout::Dropout;
pub use embedding::{Embedding, LazyAdam};
pub use gru::Gru;
pub use layernorm::LayerNorm;
pub use lstm::Lstm;
pub use pool::{Pool2d, PoolKind};
pub use recurrent::{CellKind, RecurrentShape};
pub use variational::{Variational, VdKind};

#[derive(Clone, Debug)]
pub enum Layer<R> {
    Dense(Dense<R>),
    Act(Activation<R>),
    Dropout(Dropout<R>),
    BatchNorm(BatchNorm<R>),
    LayerNorm(LayerNorm<R>),
    Conv(Conv2d<R>),
    Pool(Pool2d<R>),
    Lstm(Lstm<R>),
    Gru(Gru<R>),
}

fn dense_input<'a, R>(x: Batch<'a, R>, what: &str) -> &'a Mat<R> {
    match x {
        Batch::Dense(m) => m,
        Batch::Sparse(_) => panic!("{what} cannot take sparse input; put a dense layer first"),
    }
}

impl<R: Real> Layer<R> {
    pub fn name(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "dense",
            Layer::Act(a) => a.kind.name(),
            Layer::Dropout(_) => "dropout",
            Layer::BatchNorm(b) if b.two_d => "batchnorm2d",
            Layer::BatchNorm(_) => "batchnorm1d",
            Layer::LayerNorm(_) => "layernorm",
            Layer::Conv(_) => "conv2d",
            Layer::Pool(p) => match p.kind {
                PoolKind::Max => "maxpool2d",
                PoolKind::Avg => "avgpool2d",
            },
            Layer::Lstm(_) => "lstm",
            Layer::Gru(_) => "gru",
        }
    }

    pub fn forward_train(&mut self, x: Batch<R>, rng: &mut Rng) {
        match self {
            Layer::Dense(l) => l.forward_train(x, rng),
            Layer::Act(l) => l.forward_train(dense_input(x, "an activation")),
            Layer::Dropout(l) => l.forward_train(dense_input(x, "dropout"), rng),
            Layer::BatchNorm(l) => l.forward_train(dense_input(x, "batch norm")),
            Layer::LayerNorm(l) => l.forward_train(dense_input(x, "layer norm")),
            Layer::Conv(l) => l.forward_train(dense_input(x, "a convolution"), rng),
            Layer::Pool(l) => l.forward(dense_input(x, "pooling")),
            Layer::Lstm(l) => l.forward_train(dense_input(x, "an LSTM"), rng),
            Layer::Gru(l) => l.forward_train(dense_input(x, "a GRU"), rng),
        }
    }

    pub fn forward_eval(&mut self, x: Batch<R>) {
        match self {
            Layer::Dense(l) => l.forward_eval(x),
            Layer::Act(l) => l.forward_eval(dense_input(x, "an activation")),
            Layer::Dropout(l) => l.forward_eval(dense_input(x, "dropout")),
            Layer::BatchNorm(l) => l.forward_eval(dense_input(x, "batch norm")),
            Layer::LayerNorm(l) => l.forward_eval(dense_input(x, "layer norm")),
            Layer::Conv(l) => l.forward_eval(dense_input(x, "a convolution")),
            Layer::Pool(l) => l.forward(dense_input(x, "pooling")),
            Layer::Lstm(l) => l.forward_eval(dense_input(x, "an LSTM")),
            Layer::Gru(l) => l.forward_eval(dense_input(x, "a GRU")),
        }
    }

    /// Backward after `forward_train` on the same input `x`.
    pub fn backward(&mut self, x: Batch<R>, gy: &Mat<R>, need_grad_in: bool) {
        match self {
            Layer::Dense(l) => l.backward(x, gy, need_grad_in),
            Layer::Act(l) => l.backward(dense_input(x, "an activation"), gy),
            Layer::Dropout(l) => l.backward(gy),
            Layer::BatchNorm(l) => l.backward(gy),
            Layer::LayerNorm(l) => l.backward(gy),
            Layer::Conv(l) => l.backward(gy, need_grad_in),
            Layer::Pool(l) => l.backward(gy),
            Layer::Lstm(l) => l.backward(gy, need_grad_in),
            Layer::Gru(l) => l.backward(gy, need_grad_in),
        }
    }

    /// `backward` for the input gradient only where a layer can skip its parameter
    /// gradients (dense and convolution layers without variational dropout); every other
    /// layer runs its whole `backward`. DP-SGD's first pass: the clipped sum sets the
    /// parameter gradients after it.
    pub fn backward_input(&mut self, x: Batch<R>, gy: &Mat<R>, need_grad_in: bool) {
        match self {
            Layer::Dense(l) if l.vd.is_none() => {
                if need_grad_in {
                    l.backward_input(gy)
                }
            }
            Layer::Conv(l) if l.vd.is_none() => {
                if need_grad_in {
                    l.backward_input(gy)
                }
            }
            _ => self.backward(x, gy, need_grad_in),
        }
    }

    /// Adds each row's squared norm of its own gradient of this layer's parameters to `out`,
    /// after `backward(x, gy)` on the same rows (per-example clipping, [`crate::dp`]); a
    /// convolution keeps each image's gradients for its clipped sum. Layers without
    /// parameters add nothing; batch norm, whose rows share their statistics, has no
    /// per-example gradient and is refused by [`crate::dp::check_spec`] before this is reached.
    pub fn add_sample_sq_norms(&mut self, x: Batch<R>, gy: &Mat<R>, out: &mut [f64]) {
        match self {
            Layer::Dense(l) => l.add_sample_sq_norms(x, gy, out),
            Layer::LayerNorm(l) => l.add_sample_sq_norms(gy, out),
            Layer::Conv(l) => l.add_sample_sq_norms(gy, out),
            Layer::Lstm(l) => l.add_sample_sq_norms(out),
            Layer::Gru(l) => l.add_sample_sq_norms(out),
            Layer::BatchNorm(_) | Layer::Act(_) | Layer::Dropout(_) | Layer::Pool(_) => {}
        }
    }

    pub fn out(&self) -> &Mat<R> {
        match self {
            Layer::Dense(l) => &l.out,
            Layer::Act(l) => &l.out,
            Layer::Dropout(l) => &l.out,
            Layer::BatchNorm(l) => &l.out,
            Layer::LayerNorm(l) => &l.out,
            Layer::Conv(l) => &l.out,
            Layer::Pool(l) => &l.out,
            Layer::Lstm(l) => &l.out,
            Layer::Gru(l) => &l.out,
        }
    }

    pub fn grad_in(&self) -> &Mat<R> {
        match self {
            Layer::Dense(l) => &l.grad_in,
            Layer::Act(l) => &l.grad_in,
            Layer::Dropout(l) => &l.grad_in,
            Layer::BatchNorm(l) => &l.grad_in,
            Layer::LayerNorm(l) => &l.grad_in,
            Layer::Conv(l) => &l.grad_in,
            Layer::Pool(l) => &l.grad_in,
            Layer::Lstm(l) => &l.grad_in,
            Layer::Gru(l) => &l.grad_in,
        }
    }

    pub fn params_mut(&mut self) -> Vec<&mut Param<R>> {
        match self {
            Layer::Dense(l) => l.params_mut().into_iter().collect(),
            Layer::BatchNorm(l) => l.params_mut().into_iter().collect(),
            Layer::LayerNorm(l) => l.params_mut().into_iter().collect(),
            Layer::Conv(l) => l.params_mut().into_iter().collect(),
            Layer::Lstm(l) => l.params_mut().into_iter().collect(),
            Layer::Gru(l) => l.params_mut().into_iter().collect(),
            Layer::Act(_) | Layer::Dropout(_) | Layer::Pool(_) => Vec::new(),
        }
    }

    pub fn params(&self) -> Vec<&Param<R>> {
        match self {
            Layer::Dense(l) => l.params().into_iter().collect(),
            Layer::BatchNorm(l) => l.params().into_iter().collect(),
            Layer::LayerNorm(l) => l.params().into_iter().collect(),
            Layer::Conv(l) => l.params().into_iter().collect(),
            Layer::Lstm(l) => l.params().into_iter().collect(),
            Layer::Gru(l) => l.params().into_iter().collect(),
            Layer::Act(_) | Layer::Dropout(_) | Layer::Pool(_) => Vec::new(),
        }
    }
}
