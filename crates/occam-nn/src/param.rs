//! A trainable tensor with its gradient, and what kind of parameter it is (weights carry
//! penalties by default; biases and normalisation parameters are exempt).

use crate::real::Real;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// A dense layer's weight matrix, stored `[in, out]` row-major (x * W).
    Weight,
    Bias,
    /// BatchNorm / LayerNorm scale and shift.
    Norm,
    /// A convolution kernel `[c_out, c_in * k * k]` or a recurrent layer's input weights
    /// `[gates * hidden, features]` (PyTorch's layout; saved as is).
    Kernel,
    /// A recurrent layer's hidden-to-hidden weights `[gates * hidden, hidden]` (saved as is).
    Recurrent,
    /// A dense layer's variational dropout parameter: `log sigma2` shaped like its weight
    /// matrix (saved in the weight's `[out, in]` layout) or `log alpha` per layer or input
    /// unit. Never penalized.
    Variational,
}

#[derive(Clone, Debug)]
pub struct Param<R> {
    pub name: String,
    pub kind: ParamKind,
    pub shape: Vec<usize>,
    pub value: Vec<R>,
    pub grad: Vec<R>,
}

impl<R: Real> Param<R> {
    pub fn new(name: String, kind: ParamKind, shape: Vec<usize>, value: Vec<R>) -> Self {
        assert_eq!(shape.iter().product::<usize>(), value.len());
        let grad = vec![R::zero(); value.len()];
        Param {
            name,
            kind,
            shape,
            value,
            grad,
        }
    }

    pub fn len(&self) -> usize {
        self.value.len()
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn zeros(&self) -> usize {
        self.value.iter().filter(|v| **v == R::zero()).count()
    }
}

/// The scale (ones) and shift (zeros) of a normalisation layer at position `index`, named as
/// PyTorch names them (`layers.{index}.weight` / `.bias`).
pub fn norm_params<R: Real>(index: usize, dim: usize) -> (Param<R>, Param<R>) {
    (
        Param::new(
            format!("layers.{index}.weight"),
            ParamKind::Norm,
            vec![dim],
            vec![R::one(); dim],
        ),
        Param::new(
            format!("layers.{index}.bias"),
            ParamKind::Norm,
            vec![dim],
            vec![R::zero(); dim],
        ),
    )
}
