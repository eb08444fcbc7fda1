//! Element-wise activations: ReLU, GELU (exact, with erf, as PyTorch's default), tanh, sigmoid.

use crate::mat::Mat;
use crate::real::Real;

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
        let o = &mut self.out.data;
        match self.kind {
            ActKind::Relu => o
                .iter_mut()
                .zip(&x.data)
                .for_each(|(y, &v)| *y = if v > R::zero() { v } else { R::zero() }),
            ActKind::Gelu => o.iter_mut().zip(&x.data).for_each(|(y, &v)| *y = gelu(v)),
            ActKind::Tanh => o.iter_mut().zip(&x.data).for_each(|(y, &v)| *y = v.tanh()),
            ActKind::Sigmoid => o
                .iter_mut()
                .zip(&x.data)
                .for_each(|(y, &v)| *y = R::one() / (R::one() + (-v).exp())),
        }
    }

    /// grad_in = gy * f'(x), using the stored output where f' is a function of it.
    pub fn backward(&mut self, x: &Mat<R>, gy: &Mat<R>) {
        self.grad_in.resize(gy.rows, gy.cols);
        let g = &mut self.grad_in.data;
        let y = &self.out.data;
        match self.kind {
            ActKind::Relu => g
                .iter_mut()
                .zip(&gy.data)
                .zip(&x.data)
                .for_each(|((o, &d), &v)| *o = if v > R::zero() { d } else { R::zero() }),
            ActKind::Gelu => g
                .iter_mut()
                .zip(&gy.data)
                .zip(&x.data)
                .for_each(|((o, &d), &v)| *o = d * gelu_grad(v)),
            ActKind::Tanh => g
                .iter_mut()
                .zip(&gy.data)
                .zip(y)
                .for_each(|((o, &d), &t)| *o = d * (R::one() - t * t)),
            ActKind::Sigmoid => g
                .iter_mut()
                .zip(&gy.data)
                .zip(y)
                .for_each(|((o, &d), &s)| *o = d * s * (R::one() - s)),
        }
    }
}
