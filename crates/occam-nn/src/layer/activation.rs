//! Element-wise activations: ReLU, GELU (exact, with erf, as PyTorch's default), tanh, sigmoid.

use crate::mat::{parallel_elementwise, Mat, ELEMENTWISE_SPLIT};
use crate::real::Real;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActKind {
    Relu,
    Gelu,
    Tanh,
    Sigmoid,
}

impl ActKind {
    pub fn parse(s: &str) -> Option<ActKind> {
        match s {
            "relu" => Some(ActKind::Relu),
            "gelu" => Some(ActKind::Gelu),
            "tanh" => Some(ActKind::Tanh),
            "sigmoid" => Some(ActKind::Sigmoid),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ActKind::Relu => "relu",
            ActKind::Gelu => "gelu",
            ActKind::Tanh => "tanh",
            ActKind::Sigmoid => "sigmoid",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Activation<R> {
    pub kind: ActKind,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

#[inline]
fn gelu<R: Real>(x: R) -> R {
    let half = R::of(0.5);
    half * x * (R::one() + (x * R::of(std::f64::consts::FRAC_1_SQRT_2)).erf())
}

#[inline]
fn gelu_grad<R: Real>(x: R) -> R {
    let cdf = R::of(0.5) * (R::one() + (x * R::of(std::f64::consts::FRAC_1_SQRT_2)).erf());
    let pdf = (-(x * x) * R::of(0.5)).exp() * R::of(0.398_942_280_401_432_7);
    cdf + x * pdf
}

impl<R: Real> Activation<R> {
    pub fn new(kind: ActKind) -> Self {
        Activation {
            kind,
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    /// Activations keep no training-only state, so train and eval are the same map.
    pub fn forward_train(&mut self, x: &Mat<R>) {
        self.forward_eval(x)
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        self.out.resize(x.rows, x.cols);
        let kind = self.kind;
        let o = &mut self.out.data;
        if parallel_elementwise(o.len()) {
            o.par_chunks_mut(ELEMENTWISE_SPLIT)
                .zip(x.data.par_chunks(ELEMENTWISE_SPLIT))
                .for_each(|(o, x)| forward(kind, o, x));
        } else {
            forward(kind, o, &x.data);
        }
    }

    pub fn backward(&mut self, x: &Mat<R>, gy: &Mat<R>) {
        self.grad_in.resize(gy.rows, gy.cols);
        let kind = self.kind;
        let g = &mut self.grad_in.data;
        let y = &self.out.data;
        if parallel_elementwise(g.len()) {
            let c = ELEMENTWISE_SPLIT;
            g.par_chunks_mut(c)
                .zip(gy.data.par_chunks(c))
                .zip(x.data.par_chunks(c))
                .zip(y.par_chunks(c))
                .for_each(|(((g, d), x), y)| backward(kind, g, d, x, y));
        } else {
            backward(kind, g, &gy.data, &x.data, y);
        }
    }
}

fn forward<R: Real>(kind: ActKind, o: &mut [R], x: &[R]) {
    match kind {
        ActKind::Relu => o
            .iter_mut()
            .zip(x)
            .for_each(|(y, &v)| *y = if v > R::zero() { v } else { R::zero() }),
        ActKind::Gelu => o.iter_mut().zip(x).for_each(|(y, &v)| *y = gelu(v)),
        ActKind::Tanh => o.iter_mut().zip(x).for_each(|(y, &v)| *y = v.tanh()),
        ActKind::Sigmoid => o
            .iter_mut()
            .zip(x)
            .for_each(|(y, &v)| *y = R::one() / (R::one() + (-v).exp())),
    }
}

/// `g = gy * f'(x)` (tanh and sigmoid from their outputs `y`).
fn backward<R: Real>(kind: ActKind, g: &mut [R], gy: &[R], x: &[R], y: &[R]) {
    match kind {
        ActKind::Relu => g
            .iter_mut()
            .zip(gy)
            .zip(x)
            .for_each(|((o, &d), &v)| *o = if v > R::zero() { d } else { R::zero() }),
        ActKind::Gelu => g
            .iter_mut()
            .zip(gy)
            .zip(x)
            .for_each(|((o, &d), &v)| *o = d * gelu_grad(v)),
        ActKind::Tanh => g
            .iter_mut()
            .zip(gy)
            .zip(y)
            .for_each(|((o, &d), &t)| *o = d * (R::one() - t * t)),
        ActKind::Sigmoid => g
            .iter_mut()
            .zip(gy)
            .zip(y)
            .for_each(|((o, &d), &s)| *o = d * s * (R::one() - s)),
    }
}
