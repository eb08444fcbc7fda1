//! LSTM (Hochreiter & Schmidhuber 1997, with forget gate, as PyTorch's `nn.LSTM`) over a
//! window, with backpropagation through time. Per step, with `a = W_ih x_t + b_ih + W_hh h + b_hh`
//! split into the gates i, f, g, o:
//!
//! `i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)`,
//! `c_t = f c_{t-1} + i g`, `h_t = o tanh(c_t)`, with `h_0 = c_0 = 0`.
//!
//! The input projections of all steps are one product; each step then adds `h W_hh^T`.
//! Backward walks the steps in reverse, collects the pre-activation gradients of every step,
//! and forms the weight gradients as two products at the end. Output: `h_T`.

use crate::layer::recurrent::{self, masked, CellKind, RecurrentParams, RecurrentShape};
use crate::loss::sigmoid;
use crate::mat::{matmul, Mat, View};
use crate::param::Param;
use crate::real::Real;
use occam_core::rng::Rng;

#[derive(Clone, Debug)]
pub struct Lstm<R> {
    pub shape: RecurrentShape,
    pub p: RecurrentParams<R>,
    /// Recurrent dropout probability (0 = off).
    pub recurrent_dropout: f64,
    mask: Vec<R>,
    batch: usize,
    /// Input, time-major `[T][B][F]`.
    xt: Vec<R>,
    /// Gate activations `[T][B][4H]` (i, f, g, o after their nonlinearity).
    gates: Vec<R>,
    /// Cell states `[T+1][B][H]` (`c_0 = 0`).
    cs: Vec<R>,
    /// Hidden states `[T+1][B][H]`.
    hs: Vec<R>,
    /// The hidden states as they enter the recurrent product (masked), `[T][B][H]`.
    hin: Vec<R>,
    /// Pre-activation gradients `[T][B][4H]`.
    da: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Lstm<R> {
    pub fn new(index: usize, shape: RecurrentShape, rng: &mut Rng) -> Self {
        Lstm::from_params(index, shape, None, rng)
    }

    /// `values`: weight_ih, weight_hh, bias_ih, bias_hh in PyTorch's layout.
    pub fn from_params(
        index: usize,
        shape: RecurrentShape,
        values: Option<[Vec<R>; 4]>,
        rng: &mut Rng,
    ) -> Self {
        Lstm {
            shape,
            p: RecurrentParams::new(index, CellKind::Lstm, shape, values, rng),
            recurrent_dropout: 0.0,
            mask: Vec::new(),
            batch: 0,
            xt: Vec::new(),
            gates: Vec::new(),
            cs: Vec::new(),
            hs: Vec::new(),
            hin: Vec::new(),
            da: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn forward_train(&mut self, x: &Mat<R>, rng: &mut Rng) {
        let n = x.rows * self.shape.hidden;
        recurrent::dropout_mask(self.recurrent_dropout, n, rng, &mut self.mask);
        self.run(x);
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        self.mask.clear();
        self.run(x);
    }

    fn run(&mut self, x: &Mat<R>) {
        let s = self.shape;
        assert_eq!(x.cols, s.steps * s.features, "lstm: input width");
        let (b, h, t_n) = (x.rows, s.hidden, s.steps);
        let g4 = 4 * h;
        self.batch = b;
        self.p.project_inputs(x, s, &mut self.xt, &mut self.gates);
        self.cs.clear();
        self.cs.resize((t_n + 1) * b * h, R::zero());
        self.hs.clear();
        self.hs.resize((t_n + 1) * b * h, R::zero());
        self.hin.resize(t_n * b * h, R::zero());
        let (bi, bh) = (&self.p.bias_ih.value, &self.p.bias_hh.value);
        for t in 0..t_n {
            let (bh_prev, bh_cur) = (t * b * h, (t + 1) * b * h);
            let hin = &mut self.hin[t * b * h..(t + 1) * b * h];
            masked(&self.hs[bh_prev..bh_cur], &self.mask, hin);
            let a = &mut self.gates[t * b * g4..(t + 1) * b * g4];
            matmul(
                a,
                View::new(hin, b, h),
                View::new(&self.p.weight_hh.value, g4, h).t(),
                true,
            );
            for r in 0..b {
                let ar = &mut a[r * g4..(r + 1) * g4];
                for j in 0..g4 {
                    let z = ar[j] + bi[j] + bh[j];
                    ar[j] = if j / h == 2 { z.tanh() } else { sigmoid(z) };
                }
                for j in 0..h {
                    let (i, f, g, o) = (ar[j], ar[h + j], ar[2 * h + j], ar[3 * h + j]);
                    let c = f * self.cs[bh_prev + r * h + j] + i * g;
                    self.cs[bh_cur + r * h + j] = c;
                    self.hs[bh_cur + r * h + j] = o * c.tanh();
                }
            }
        }
        self.out.resize(b, h);
        self.out
            .data
            .copy_from_slice(&self.hs[t_n * b * h..(t_n + 1) * b * h]);
    }

    /// Backward after `forward_train(x)`: `gy` is d loss / d h_T.
    pub fn backward(&mut self, gy: &Mat<R>, need_grad_in: bool) {
        let s = self.shape;
        let (b, h, t_n) = (self.batch, s.hidden, s.steps);
        let g4 = 4 * h;
        let mut dh = gy.data.clone();
        let mut dc = vec![R::zero(); b * h];
        let mut dhin = vec![R::zero(); b * h];
        self.da.resize(t_n * b * g4, R::zero());
        let one = R::one();
        for t in (0..t_n).rev() {
            let (bh_prev, bh_cur) = (t * b * h, (t + 1) * b * h);
            let gates = &self.gates[t * b * g4..(t + 1) * b * g4];
            let da = &mut self.da[t * b * g4..(t + 1) * b * g4];
            for r in 0..b {
                for j in 0..h {
                    let k = r * h + j;
                    let (i, f, g, o) = (
                        gates[r * g4 + j],
                        gates[r * g4 + h + j],
                        gates[r * g4 + 2 * h + j],
                        gates[r * g4 + 3 * h + j],
                    );
                    let tc = self.cs[bh_cur + k].tanh();
                    let c = dc[k] + dh[k] * o * (one - tc * tc);
                    da[r * g4 + j] = c * g * i * (one - i);
                    da[r * g4 + h + j] = c * self.cs[bh_prev + k] * f * (one - f);
                    da[r * g4 + 2 * h + j] = c * i * (one - g * g);
                    da[r * g4 + 3 * h + j] = dh[k] * tc * o * (one - o);
                    dc[k] = c * f;
                }
            }
            if t > 0 {
                matmul(
                    &mut dhin,
                    View::new(da, b, g4),
                    View::new(&self.p.weight_hh.value, g4, h),
                    false,
                );
                masked(&dhin, &self.mask, &mut dh);
            }
        }
        let grad_in = need_grad_in.then_some(&mut self.grad_in);
        self.p
            .backward(&self.da, &self.da, &self.xt, &self.hin, b, s, grad_in);
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 4] {
        self.p.params_mut()
    }

    pub fn params(&self) -> [&Param<R>; 4] {
        self.p.params()
    }
}
