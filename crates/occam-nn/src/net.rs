//! A sequential network built from an `MlpSpec`: per hidden layer Dense -> [BatchNorm]
//! -> [LayerNorm] -> activation -> [Dropout], then an output Dense. Every layer owns its
//! output and input-gradient buffers, reused from step to step.

use crate::layer::{
    ActKind, Activation, BatchNorm, CellKind, Conv2d, ConvShape, Dense, Dropout, Gru, Layer,
    LayerNorm, Lstm, Pool2d, PoolKind, RecurrentShape, Variational, VdKind,
};
use crate::mat::{Batch, Mat};
use crate::param::Param;
use crate::real::Real;
use occam_core::rng::Rng;

/// Architecture of a multilayer perceptron.
///
/// | field | default | range |
/// |---|---|---|
/// | `hidden` | `[64, 32]` | each >= 1; empty = a linear model |
/// | `activation` | relu | relu, gelu, tanh, sigmoid |
/// | `dropout` | 0 | [0, 1), after each hidden activation |
/// | `drop_connect` | 0 | [0, 1), on each hidden dense layer's weights |
/// | `batch_norm` | false | after each hidden dense layer (BatchNorm1d) and each convolution (BatchNorm2d) |
/// | `layer_norm` | false | after each hidden dense layer |
/// | `spatial_dropout` | 0 | [0, 1), whole channels after each convolution block |
/// | `variational` | none | variational dropout on every dense layer (sparse: and convolution): sparse, layer, unit |
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MlpSpec {
    pub n_in: usize,
    pub hidden: Vec<usize>,
    pub n_out: usize,
    pub activation: ActKind,
    pub dropout: f64,
    pub drop_connect: f64,
    pub batch_norm: bool,
    pub layer_norm: bool,
    /// Image shape (channels, height, width) of the input rows, for convolutions.
    #[serde(default)]
    pub image: Option<(usize, usize, usize)>,
    /// Convolution blocks before the dense layers (empty: an MLP).
    #[serde(default)]
    pub conv: Vec<ConvBlock>,
    /// A recurrent layer over windows before the dense layers (`None`: an MLP or CNN).
    #[serde(default)]
    pub recurrent: Option<RecurrentSpec>,
    /// Spatial dropout (whole channels) after each convolution block, [0, 1).
    #[serde(default)]
    pub spatial_dropout: f64,
    /// Variational dropout on every dense layer's weights, and with the sparse kind on every
    /// convolution kernel (`crate::layer::variational`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variational: Option<VdKind>,
}

/// A recurrent layer: input rows are windows of `steps` steps of `features` values; the
/// dense layers see its last hidden state.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecurrentSpec {
    pub cell: CellKind,
    pub hidden: usize,
    pub steps: usize,
    pub features: usize,
    /// Variational dropout on the hidden state entering the recurrent product, [0, 1).
    pub recurrent_dropout: f64,
}

/// One convolution block: `filters` k x k kernels (zero padding k/2, so stride 1 keeps the
/// size), [BatchNorm2d when `batch_norm`], the activation, max or average pooling over
/// `pool` x `pool` windows (1 = none), then (spatial dropout when `spatial_dropout` > 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConvBlock {
    pub filters: usize,
    pub kernel: usize,
    pub pool: usize,
    #[serde(default = "max_pool")]
    pub pool_kind: PoolKind,
    #[serde(default = "one")]
    pub stride: usize,
}

fn max_pool() -> PoolKind {
    PoolKind::Max
}

fn one() -> usize {
    1
}

impl MlpSpec {
    /// Checks what [`Net::new`] assumes of a spec that was read from a file (shapes that fit
    /// together, probabilities in [0, 1), no zero width) and returns a lower bound of the
    /// weights it holds, in checked arithmetic: a loader compares it with the weights file
    /// before allocating anything, so an edited shape cannot ask for terabytes.
    pub fn check(&self) -> std::result::Result<usize, String> {
        let over = || "the layer sizes overflow the address space".to_string();
        let mul = |a: usize, b: usize| a.checked_mul(b).ok_or_else(over);
        let mut weights = 0usize;
        let mut width = self.n_in;
        if self.variational.is_some() && self.drop_connect > 0.0 {
            return Err(
                "variational dropout and DropConnect both act on the dense weights; \
                        use one"
                    .into(),
            );
        }
        for (name, p) in [
            ("dropout", self.dropout),
            ("drop_connect", self.drop_connect),
            ("spatial_dropout", self.spatial_dropout),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("{name} {p} is not in [0, 1)"));
            }
        }
        if !self.conv.is_empty() {
            let (mut c, mut h, mut w) = self.image.ok_or("convolutions without an image shape")?;
            if mul(mul(c, h)?, w)? != self.n_in {
                return Err(format!("image {c}x{h}x{w} is not the {} inputs", self.n_in));
            }
            for b in &self.conv {
                let (k, s, pad) = (b.kernel, b.stride.max(1), b.kernel / 2);
                if b.filters == 0 || k == 0 || k > h + 2 * pad || k > w + 2 * pad {
                    return Err(format!(
                        "a {k}x{k} convolution of {} filters on {h}x{w} maps",
                        b.filters
                    ));
                }
                weights = weights
                    .checked_add(mul(mul(b.filters, c)?, k * k)?)
                    .ok_or_else(over)?;
                (c, h, w) = (
                    b.filters,
                    (h + 2 * pad - k) / s + 1,
                    (w + 2 * pad - k) / s + 1,
                );
                if b.pool > 1 {
                    if b.pool > h || b.pool > w {
                        return Err(format!("{0}x{0} pooling of {h}x{w} maps", b.pool));
                    }
                    (h, w) = (h / b.pool, w / b.pool);
                }
            }
            width = mul(mul(c, h)?, w)?;
        }
        if let Some(r) = &self.recurrent {
            if mul(r.steps, r.features)? != self.n_in || r.hidden == 0 {
                return Err(format!(
                    "a recurrent layer of {} units over {} steps of {} features does not take {} inputs",
                    r.hidden, r.steps, r.features, self.n_in
                ));
            }
            if !(0.0..1.0).contains(&r.recurrent_dropout) {
                return Err(format!(
                    "recurrent_dropout {} is not in [0, 1)",
                    r.recurrent_dropout
                ));
            }
            let per_gate = r.features.checked_add(r.hidden).ok_or_else(over)?;
            weights = weights
                .checked_add(mul(mul(r.cell.gates(), r.hidden)?, per_gate)?)
                .ok_or_else(over)?;
            width = r.hidden;
        }
        for &next in self.hidden.iter().chain([&self.n_out]) {
            if next == 0 {
                return Err("a layer of width 0".into());
            }
            weights = weights.checked_add(mul(width, next)?).ok_or_else(over)?;
            width = next;
        }
        Ok(weights)
    }

    pub fn new(n_in: usize, hidden: Vec<usize>, n_out: usize) -> Self {
        MlpSpec {
            n_in,
            hidden,
            n_out,
            activation: ActKind::Relu,
            dropout: 0.0,
            drop_connect: 0.0,
            batch_norm: false,
            layer_norm: false,
            image: None,
            conv: Vec::new(),
            recurrent: None,
            spatial_dropout: 0.0,
            variational: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Net<R> {
    pub spec: MlpSpec,
    pub layers: Vec<Layer<R>>,
}

impl<R: Real> Net<R> {
    /// Builds the network with PyTorch's default initialisation drawn from `seed`.
    pub fn new(spec: &MlpSpec, seed: u64) -> Self {
        let mut rng = Rng::stream(seed, 0x1417);
        let mut layers = Vec::new();
        let mut width = spec.n_in;
        if !spec.conv.is_empty() {
            let (mut c, mut h, mut w) = spec.image.expect("convolutions need the image shape");
            assert_eq!(c * h * w, spec.n_in, "image shape and input width differ");
            for b in &spec.conv {
                let shape = ConvShape {
                    c_in: c,
                    h,
                    w,
                    c_out: b.filters,
                    k: b.kernel,
                    stride: b.stride.max(1),
                    pad: b.kernel / 2,
                };
                let (ho, wo) = (shape.h_out(), shape.w_out());
                let mut conv = Conv2d::new(layers.len(), shape, &mut rng);
                if spec.variational == Some(VdKind::Sparse) {
                    let v = Variational::new(
                        VdKind::Sparse,
                        layers.len(),
                        b.filters,
                        conv.weight.shape[1],
                    );
                    conv.vd = Some(v);
                }
                layers.push(Layer::Conv(conv));
                if spec.batch_norm {
                    let bn = BatchNorm::new_2d(layers.len(), b.filters, ho * wo);
                    layers.push(Layer::BatchNorm(bn));
                }
                layers.push(Layer::Act(Activation::new(spec.activation)));
                (c, h, w) = (b.filters, ho, wo);
                if b.pool > 1 {
                    let p = Pool2d::new(b.pool_kind, c, h, w, b.pool);
                    (h, w) = (p.h_out(), p.w_out());
                    layers.push(Layer::Pool(p));
                }
                if spec.spatial_dropout > 0.0 {
                    layers.push(Layer::Dropout(Dropout::spatial(
                        spec.spatial_dropout,
                        h * w,
                    )));
                }
            }
            width = c * h * w;
        }
        if let Some(r) = &spec.recurrent {
            assert_eq!(
                r.steps * r.features,
                spec.n_in,
                "window shape and input width differ"
            );
            let shape = RecurrentShape {
                features: r.features,
                steps: r.steps,
                hidden: r.hidden,
            };
            let index = layers.len();
            layers.push(match r.cell {
                CellKind::Lstm => {
                    let mut l = Lstm::new(index, shape, &mut rng);
                    l.recurrent_dropout = r.recurrent_dropout;
                    Layer::Lstm(l)
                }
                CellKind::Gru => {
                    let mut l = Gru::new(index, shape, &mut rng);
                    l.recurrent_dropout = r.recurrent_dropout;
                    Layer::Gru(l)
                }
            });
            if spec.dropout > 0.0 {
                layers.push(Layer::Dropout(Dropout::new(spec.dropout)));
            }
            width = r.hidden;
        }
        for &h in &spec.hidden {
            let mut d = Dense::new(layers.len(), width, h, &mut rng);
            d.drop_connect = spec.drop_connect;
            d.vd = spec
                .variational
                .map(|k| Variational::new(k, layers.len(), width, h));
            layers.push(Layer::Dense(d));
            if spec.batch_norm {
                layers.push(Layer::BatchNorm(BatchNorm::new(layers.len(), h)));
            }
            if spec.layer_norm {
                layers.push(Layer::LayerNorm(LayerNorm::new(layers.len(), h)));
            }
            layers.push(Layer::Act(Activation::new(spec.activation)));
            if spec.dropout > 0.0 {
                layers.push(Layer::Dropout(Dropout::new(spec.dropout)));
            }
            width = h;
        }
        let mut last = Dense::new(layers.len(), width, spec.n_out, &mut rng);
        last.vd = spec
            .variational
            .map(|k| Variational::new(k, layers.len(), width, spec.n_out));
        layers.push(Layer::Dense(last));
        Net {
            spec: spec.clone(),
            layers,
        }
    }

    pub fn forward_train(&mut self, x: Batch<R>, rng: &mut Rng) -> &Mat<R> {
        for i in 0..self.layers.len() {
            let (left, right) = self.layers.split_at_mut(i);
            let input = if i == 0 {
                x
            } else {
                Batch::Dense(left[i - 1].out())
            };
            right[0].forward_train(input, rng);
        }
        self.output()
    }

    pub fn forward_eval(&mut self, x: Batch<R>) -> &Mat<R> {
        for i in 0..self.layers.len() {
            let (left, right) = self.layers.split_at_mut(i);
            let input = if i == 0 {
                x
            } else {
                Batch::Dense(left[i - 1].out())
            };
            right[0].forward_eval(input);
        }
        self.output()
    }

    /// A forward pass for MC dropout (Gal & Ghahramani 2016): dropout, DropConnect and
    /// recurrent dropout draw fresh masks from `rng` as in training, every other layer runs
    /// as in evaluation (batch norm by its running statistics).
    pub fn forward_mc(&mut self, x: Batch<R>, rng: &mut Rng) -> &Mat<R> {
        for i in 0..self.layers.len() {
            let (left, right) = self.layers.split_at_mut(i);
            let input = if i == 0 {
                x
            } else {
                Batch::Dense(left[i - 1].out())
            };
            let layer = &mut right[0];
            let random = match layer {
                Layer::Dropout(_) => true,
                Layer::Dense(d) => d.drop_connect > 0.0 || d.vd.is_some(),
                Layer::Conv(c) => c.vd.is_some(),
                Layer::Lstm(l) => l.recurrent_dropout > 0.0,
                Layer::Gru(l) => l.recurrent_dropout > 0.0,
                _ => false,
            };
            if random {
                layer.forward_train(input, rng);
            } else {
                layer.forward_eval(input);
            }
        }
        self.output()
    }

    /// Whether any layer drops units or weights at random in training (what MC dropout
    /// samples).
    pub fn has_dropout(&self) -> bool {
        self.layers.iter().any(|l| match l {
            Layer::Dropout(d) => d.p > 0.0,
            Layer::Dense(d) => d.drop_connect > 0.0 || d.vd.is_some(),
            Layer::Conv(c) => c.vd.is_some(),
            Layer::Lstm(l) => l.recurrent_dropout > 0.0,
            Layer::Gru(l) => l.recurrent_dropout > 0.0,
            _ => false,
        })
    }

    /// Whether the network carries variational dropout.
    pub fn is_variational(&self) -> bool {
        self.spec.variational.is_some()
    }

    /// (weights, variational part) of every variational layer, in order.
    pub fn variational(&self) -> Vec<(&Param<R>, &Variational<R>)> {
        self.layers
            .iter()
            .filter_map(|l| match l {
                Layer::Dense(d) => d.vd.as_ref().map(|v| (&d.weight, v)),
                Layer::Conv(c) => c.vd.as_ref().map(|v| (&c.weight, v)),
                _ => None,
            })
            .collect()
    }

    fn variational_mut(&mut self) -> Vec<(&mut Param<R>, &mut Variational<R>)> {
        self.layers
            .iter_mut()
            .filter_map(|l| match l {
                Layer::Dense(d) => d.vd.as_mut().map(|v| (&mut d.weight, v)),
                Layer::Conv(c) => c.vd.as_mut().map(|v| (&mut c.weight, v)),
                _ => None,
            })
            .collect()
    }

    /// The KL term of the variational layers (0 without them).
    pub fn kl(&self) -> f64 {
        self.variational().iter().map(|(w, v)| v.kl(&w.value)).sum()
    }

    /// Adds `scale` times the KL's gradient to the parameters' gradients (after `backward`).
    pub fn add_kl_gradients(&mut self, scale: f64) {
        for (w, v) in self.variational_mut() {
            v.add_kl_grad(&w.value, &mut w.grad, scale);
        }
    }

    /// After an optimizer step: learned rates back to alpha <= 1.
    pub fn project_variational(&mut self) {
        for (_, v) in self.variational_mut() {
            v.project();
        }
    }

    /// Sets the weights sparse variational dropout removed to exact zeros.
    pub fn prune_variational(&mut self) {
        for (w, v) in self.variational_mut() {
            v.prune(&mut w.value);
        }
    }

    pub fn output(&self) -> &Mat<R> {
        self.layers.last().expect("a network has layers").out()
    }

    /// Backpropagates `gy` (d loss / d output) after `forward_train(x)`, filling every
    /// parameter's gradient. The input gradient of the first layer is not computed.
    pub fn backward(&mut self, x: Batch<R>, gy: &Mat<R>) {
        self.walk_backward(x, gy, false);
    }

    /// `backward` without the parameter gradients of dense and convolution layers
    /// ([`Layer::backward_input`]): every layer's input gradient, for DP-SGD's per-example
    /// norms and clipped sum, which set those parameter gradients themselves.
    pub fn backward_inputs(&mut self, x: Batch<R>, gy: &Mat<R>) {
        self.walk_backward(x, gy, true);
    }

    /// The layers last to first, each with its input and the next layer's input gradient.
    fn walk_backward(&mut self, x: Batch<R>, gy: &Mat<R>, inputs_only: bool) {
        for i in (0..self.layers.len()).rev() {
            let (left, right) = self.layers.split_at_mut(i);
            let (cur, after) = right.split_first_mut().expect("index in range");
            let g = after.first().map_or(gy, |next| next.grad_in());
            let input = if i == 0 {
                x
            } else {
                Batch::Dense(left[i - 1].out())
            };
            if inputs_only {
                cur.backward_input(input, g, i > 0);
            } else {
                cur.backward(input, g, i > 0);
            }
        }
    }

    /// The input gradient of the first layer (for the finite-difference check).
    pub fn backward_to_input(&mut self, x: Batch<R>, gy: &Mat<R>) -> &Mat<R> {
        self.backward(x, gy);
        let g = match self.layers.get(1) {
            Some(next) => next.grad_in().clone(),
            None => gy.clone(),
        };
        self.layers[0].backward(x, &g, true);
        self.layers[0].grad_in()
    }

    pub fn params_mut(&mut self) -> Vec<&mut Param<R>> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.params_mut())
            .collect()
    }

    pub fn params(&self) -> Vec<&Param<R>> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }

    /// The dense layers in order.
    pub fn dense(&self) -> Vec<&Dense<R>> {
        self.layers
            .iter()
            .filter_map(|l| match l {
                Layer::Dense(d) => Some(d),
                _ => None,
            })
            .collect()
    }

    pub fn n_params(&self) -> usize {
        self.params().iter().map(|p| p.len()).sum()
    }
}
