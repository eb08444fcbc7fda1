//! What the LSTM and GRU layers share: the shape of a recurrent layer, its parameters in
//! PyTorch's layout and names, the variational recurrent-dropout mask, and the copies
//! between a batch's rows and the time-major buffers the step loop works on.
//!
//! Input rows are whole windows: `steps` time steps of `features` values each, step-major
//! (`[x_1, x_2, ..., x_T]`, each `x_t` of length `features`). The layer's output is the last
//! hidden state `h_T` (`hidden` values per row), the input of the dense head.
//!
//! Recurrent dropout (Gal & Ghahramani 2016, variational): one Bernoulli(1 - p) mask per
//! sequence over the hidden units, the same at every step, applied to `h_{t-1}` where it
//! enters the recurrent product (inverted scaling; evaluation uses no mask).

use crate::mat::{matmul, Mat, View};
use crate::param::{Param, ParamKind};
use crate::real::Real;
use occam_core::rng::Rng;

/// Which recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    Lstm,
    Gru,
}

impl CellKind {
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
        }
    }
    /// Gates per hidden unit (4 for LSTM: i, f, g, o; 3 for GRU: r, z, n).
    pub fn gates(self) -> usize {
        match self {
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }
}

/// Shape of a recurrent layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecurrentShape {
    pub features: usize,
    pub steps: usize,
    pub hidden: usize,
}

/// The four parameters of a one-layer PyTorch `nn.LSTM` / `nn.GRU` at position `index`:
/// `weight_ih_l0` `[G*H, F]`, `weight_hh_l0` `[G*H, H]`, `bias_ih_l0`, `bias_hh_l0` `[G*H]`,
/// in PyTorch's gate order.
#[derive(Clone, Debug)]
pub struct RecurrentParams<R> {
    pub weight_ih: Param<R>,
    pub weight_hh: Param<R>,
    pub bias_ih: Param<R>,
    pub bias_hh: Param<R>,
}

impl<R: Real> RecurrentParams<R> {
    /// `values` in the order above; `None` draws PyTorch's default initialisation, uniform on
    /// +-1/sqrt(H).
    pub fn new(
        index: usize,
        cell: CellKind,
        s: RecurrentShape,
        values: Option<[Vec<R>; 4]>,
        rng: &mut Rng,
    ) -> Self {
        let gh = cell.gates() * s.hidden;
        let sizes = [gh * s.features, gh * s.hidden, gh, gh];
        let v = values.unwrap_or_else(|| {
            let bound = 1.0 / (s.hidden.max(1) as f64).sqrt();
            sizes.map(|n| {
                (0..n)
                    .map(|_| R::of((2.0 * rng.uniform() - 1.0) * bound))
                    .collect()
            })
        });
        let [wi, wh, bi, bh] = v;
        let name = |p: &str| format!("layers.{index}.{p}_l0");
        RecurrentParams {
            weight_ih: Param::new(
                name("weight_ih"),
                ParamKind::Kernel,
                vec![gh, s.features],
                wi,
            ),
            weight_hh: Param::new(
                name("weight_hh"),
                ParamKind::Recurrent,
                vec![gh, s.hidden],
                wh,
            ),
            bias_ih: Param::new(name("bias_ih"), ParamKind::Bias, vec![gh], bi),
            bias_hh: Param::new(name("bias_hh"), ParamKind::Bias, vec![gh], bh),
        }
    }

    /// The window rows of `x` to the time-major `xt` (`[T][B][F]`), and their input
    /// projections `xt W_ih^T` into `proj` (`[T * B, G * H]`, without bias).
    pub fn project_inputs(
        &self,
        x: &Mat<R>,
        s: RecurrentShape,
        xt: &mut Vec<R>,
        proj: &mut Vec<R>,
    ) {
        let (tb, gh) = (s.steps * x.rows, self.weight_ih.shape[0]);
        to_time_major(&x.data, x.rows, s, xt);
        proj.resize(tb * gh, R::zero());
        matmul(
            proj,
            View::new(xt, tb, s.features),
            View::new(&self.weight_ih.value, gh, s.features).t(),
            false,
        );
    }

    /// Every parameter gradient from the gradients of the input projections `dx` and of the
    /// recurrent projections `dh` (both `[T * B, G * H]`, time-major; the same slice for an
    /// LSTM, where both biases enter the same sum), the time-major inputs `xt` and the hidden
    /// states as they entered `W_hh`, `hin` (`[T * B, H]`). With `grad_in`, also the input
    /// gradient as batch rows (`dx W_ih`).
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &mut self,
        dx: &[R],
        dh: &[R],
        xt: &[R],
        hin: &[R],
        batch: usize,
        s: RecurrentShape,
        grad_in: Option<&mut Mat<R>>,
    ) {
        let (tb, gh) = (s.steps * batch, self.weight_ih.shape[0]);
        matmul(
            &mut self.weight_hh.grad,
            View::new(dh, tb, gh).t(),
            View::new(hin, tb, s.hidden),
            false,
        );
        matmul(
            &mut self.weight_ih.grad,
            View::new(dx, tb, gh).t(),
            View::new(xt, tb, s.features),
            false,
        );
        column_sums(dx, &mut self.bias_ih.grad);
        column_sums(dh, &mut self.bias_hh.grad);
        if let Some(gi) = grad_in {
            let mut dxt = vec![R::zero(); tb * s.features];
            matmul(
                &mut dxt,
                View::new(dx, tb, gh),
                View::new(&self.weight_ih.value, gh, s.features),
                false,
            );
            gi.resize(batch, s.steps * s.features);
            from_time_major(&dxt, batch, s, &mut gi.data);
        }
    }

    /// Adds each window's squared norm of its own gradient of the four parameters to `out`,
    /// from the same buffers as [`RecurrentParams::backward`]: window i's gradient of W_ih is
    /// `sum_t dx_(t,i) x_(t,i)^T`, one product over that window's rows of the time-major
    /// buffers (a strided view, no copy), likewise W_hh with `dh` and `hin`; the biases'
    /// are the sums over t of `dx_(t,i)` and `dh_(t,i)`. Windows run in parallel.
    #[allow(clippy::too_many_arguments)]
    pub fn add_sample_sq_norms(
        &self,
        dx: &[R],
        dh: &[R],
        xt: &[R],
        hin: &[R],
        batch: usize,
        s: RecurrentShape,
        out: &mut [f64],
    ) {
        use rayon::prelude::*;
        let gh = self.weight_ih.shape[0];
        let (t_n, f, h) = (s.steps, s.features, s.hidden);
        // window i's rows of a time-major [T][B][cols] buffer
        fn rows<R: Real>(
            buf: &[R],
            i: usize,
            cols: usize,
            t_n: usize,
            batch: usize,
        ) -> View<'_, R> {
            let mut v = View::new(&buf[i * cols..], 1, cols);
            v.rows = t_n;
            v.rs = (batch * cols) as isize;
            v
        }
        out[..batch].par_iter_mut().enumerate().for_each(|(i, o)| {
            let mut sq = 0.0;
            let mut g = vec![R::zero(); gh * f.max(h)];
            for (d, a, cols) in [(dx, xt, f), (dh, hin, h)] {
                if t_n == 0 {
                    break;
                }
                let g = &mut g[..gh * cols];
                let (dv, av) = (rows(d, i, gh, t_n, batch), rows(a, i, cols, t_n, batch));
                crate::mat::serial(|| matmul(g, dv.t(), av, false));
                sq += g.iter().map(|v| v.f64() * v.f64()).sum::<f64>();
                let mut bias = vec![0.0f64; gh];
                for t in 0..t_n {
                    let r = &d[(t * batch + i) * gh..(t * batch + i + 1) * gh];
                    bias.iter_mut().zip(r).for_each(|(b, v)| *b += v.f64());
                }
                sq += bias.iter().map(|b| b * b).sum::<f64>();
            }
            *o += sq;
        });
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 4] {
        [
            &mut self.weight_ih,
            &mut self.weight_hh,
            &mut self.bias_ih,
            &mut self.bias_hh,
        ]
    }

    pub fn params(&self) -> [&Param<R>; 4] {
        [
            &self.weight_ih,
            &self.weight_hh,
            &self.bias_ih,
            &self.bias_hh,
        ]
    }
}

/// A recurrent layer: what every cell keeps (shape, parameters, recurrent dropout, the
/// time-major input, the hidden states, output and input gradient) and the cell's own
/// buffers `C`, whose [`Cell`] rules run the steps forward and backward through time.
#[derive(Clone, Debug)]
pub struct Recurrent<R, C> {
    pub shape: RecurrentShape,
    pub p: RecurrentParams<R>,
    /// Recurrent dropout probability (0 = off).
    pub recurrent_dropout: f64,
    pub(crate) mask: Vec<R>,
    pub(crate) batch: usize,
    /// Input, time-major `[T][B][F]`.
    pub(crate) xt: Vec<R>,
    /// Hidden states `[T+1][B][H]`.
    pub(crate) hs: Vec<R>,
    /// The hidden states as they enter the recurrent product (masked), `[T][B][H]`.
    pub(crate) hin: Vec<R>,
    /// W_hh transposed, `[H][G*H]` row-major, refreshed at every forward pass: the per-step
    /// product `h W_hh^T` reads it directly (through a transposed view the matrix product
    /// ran 3.6x slower at H = 256, B = 32).
    pub(crate) whh_t: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
    pub(crate) cell: C,
}

/// The step rules of a recurrent cell (LSTM, GRU) over the shared state of its layer.
pub trait Cell<R: Real>: Default + Sized {
    const KIND: CellKind;
    /// Forward over a batch of windows `x`; leaves `h_T` in `l.out`.
    fn run(l: &mut Recurrent<R, Self>, x: &Mat<R>);
    /// Backward after a forward pass: `gy` is d loss / d h_T.
    fn backward(l: &mut Recurrent<R, Self>, gy: &Mat<R>, need_grad_in: bool);
    /// The gradients of the input and of the recurrent projections of the last backward
    /// pass (`[T][B][G*H]` each; the same buffer twice for an LSTM).
    fn projection_grads(&self) -> (&[R], &[R]);
}

impl<R: Real, C: Cell<R>> Recurrent<R, C> {
    /// Refreshes [`Recurrent::whh_t`] from W_hh `[G*H][H]`.
    pub(crate) fn transpose_whh(&mut self) {
        let (gh, h) = (
            self.p.weight_hh.value.len() / self.shape.hidden.max(1),
            self.shape.hidden,
        );
        let w = &self.p.weight_hh.value;
        self.whh_t.resize(gh * h, R::zero());
        for r in 0..gh {
            for c in 0..h {
                self.whh_t[c * gh + r] = w[r * h + c];
            }
        }
    }

    pub fn new(index: usize, shape: RecurrentShape, rng: &mut Rng) -> Self {
        Self::from_params(index, shape, None, rng)
    }

    /// `values`: weight_ih, weight_hh, bias_ih, bias_hh in PyTorch's layout.
    pub fn from_params(
        index: usize,
        shape: RecurrentShape,
        values: Option<[Vec<R>; 4]>,
        rng: &mut Rng,
    ) -> Self {
        Recurrent {
            shape,
            p: RecurrentParams::new(index, C::KIND, shape, values, rng),
            recurrent_dropout: 0.0,
            mask: Vec::new(),
            batch: 0,
            xt: Vec::new(),
            hs: Vec::new(),
            hin: Vec::new(),
            whh_t: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
            cell: C::default(),
        }
    }

    pub fn forward_train(&mut self, x: &Mat<R>, rng: &mut Rng) {
        let n = x.rows * self.shape.hidden;
        dropout_mask(self.recurrent_dropout, n, rng, &mut self.mask);
        C::run(self, x);
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        self.mask.clear();
        C::run(self, x);
    }

    /// Backward after `forward_train(x)`: `gy` is d loss / d h_T.
    pub fn backward(&mut self, gy: &Mat<R>, need_grad_in: bool) {
        C::backward(self, gy, need_grad_in);
    }

    /// Adds each window's squared norm of its own parameter gradient to `out` (after
    /// `backward` on the same windows): [`RecurrentParams::add_sample_sq_norms`].
    pub fn add_sample_sq_norms(&self, out: &mut [f64]) {
        let (dx, dh) = self.cell.projection_grads();
        self.p
            .add_sample_sq_norms(dx, dh, &self.xt, &self.hin, self.batch, self.shape, out);
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 4] {
        self.p.params_mut()
    }

    pub fn params(&self) -> [&Param<R>; 4] {
        self.p.params()
    }
}

/// Draws the recurrent-dropout mask (`batch x hidden`, 0 or 1/(1-p)); empty when `p` is 0.
pub fn dropout_mask<R: Real>(p: f64, n: usize, rng: &mut Rng, mask: &mut Vec<R>) {
    mask.clear();
    if p > 0.0 {
        let keep = 1.0 - p;
        let scale = R::of(1.0 / keep);
        mask.extend((0..n).map(|_| {
            if rng.uniform() < keep {
                scale
            } else {
                R::zero()
            }
        }));
    }
}

/// `h * mask` into `out` (a plain copy when the mask is empty).
pub fn masked<R: Real>(h: &[R], mask: &[R], out: &mut [R]) {
    if mask.is_empty() {
        out.copy_from_slice(h);
    } else {
        for ((o, &v), &m) in out.iter_mut().zip(h).zip(mask) {
            *o = v * m;
        }
    }
}

/// Batch rows `[b][t][f]` to the time-major buffer `[t][b][f]`.
fn to_time_major<R: Real>(x: &[R], batch: usize, s: RecurrentShape, out: &mut Vec<R>) {
    let f = s.features;
    out.resize(batch * s.steps * f, R::zero());
    for b in 0..batch {
        for t in 0..s.steps {
            let src = (b * s.steps + t) * f;
            let dst = (t * batch + b) * f;
            out[dst..dst + f].copy_from_slice(&x[src..src + f]);
        }
    }
}

/// The time-major buffer `[t][b][f]` back to batch rows `[b][t][f]`.
fn from_time_major<R: Real>(xt: &[R], batch: usize, s: RecurrentShape, out: &mut [R]) {
    let f = s.features;
    for b in 0..batch {
        for t in 0..s.steps {
            let dst = (b * s.steps + t) * f;
            let src = (t * batch + b) * f;
            out[dst..dst + f].copy_from_slice(&xt[src..src + f]);
        }
    }
}

/// `out[j] = sum over rows of m[row][j]` (`m` is `rows x out.len()`).
fn column_sums<R: Real>(m: &[R], out: &mut [R]) {
    out.iter_mut().for_each(|v| *v = R::zero());
    for row in m.chunks(out.len().max(1)) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}
