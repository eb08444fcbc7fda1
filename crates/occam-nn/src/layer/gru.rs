//! GRU (Cho et al. 2014, as PyTorch's `nn.GRU`) over a window, with backpropagation through
//! time. Per step, with `x = W_ih x_t + b_ih` and `u = W_hh h + b_hh` split into r, z, n:
//!
//! `r = sigma(x_r + u_r), z = sigma(x_z + u_z), n = tanh(x_n + r u_n)`,
//! `h_t = (1 - z) n + z h_{t-1}`, with `h_0 = 0`.
//!
//! Recurrent dropout masks `h_{t-1}` where it enters `W_hh`; the carry `z h_{t-1}` is
//! unmasked. Output: `h_T`.

use crate::layer::recurrent::{self, masked, CellKind, RecurrentParams, RecurrentShape};
use crate::loss::sigmoid;
use crate::mat::{matmul, Mat, View};
use crate::param::Param;
use crate::real::Real;
use occam_core::rng::Rng;

#[derive(Clone, Debug)]
pub struct Gru<R> {
    pub shape: RecurrentShape,
    pub p: RecurrentParams<R>,
    /// Recurrent dropout probability (0 = off).
    pub recurrent_dropout: f64,
    mask: Vec<R>,
    batch: usize,
    /// Input, time-major `[T][B][F]`.
    xt: Vec<R>,
    /// Input projections `[T][B][3H]`, then the gates r, z, n after their nonlinearity.
    gx: Vec<R>,
    /// `u_n = W_hn h + b_hn` per step, `[T][B][H]` (the n gate's gradient needs it).
    un: Vec<R>,
    /// Hidden states `[T+1][B][H]`.
    hs: Vec<R>,
    /// The hidden states as they enter the recurrent product (masked), `[T][B][H]`.
    hin: Vec<R>,
    /// Per step `W_hh h + b_hh`, `[B][3H]`.
    gh: Vec<R>,
    /// Gradients of the input projections and of the recurrent projections, `[T][B][3H]`.
    dgx: Vec<R>,
    dgh: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Gru<R> {
    pub fn new(index: usize, shape: RecurrentShape, rng: &mut Rng) -> Self {
        Gru::from_params(index, shape, None, rng)
    }

    /// `values`: weight_ih, weight_hh, bias_ih, bias_hh in PyTorch's layout.
    pub fn from_params(
        index: usize,
        shape: RecurrentShape,
        values: Option<[Vec<R>; 4]>,
        rng: &mut Rng,
    ) -> Self {
        Gru {
            shape,
            p: RecurrentParams::new(index, CellKind::Gru, shape, values, rng),
            recurrent_dropout: 0.0,
            mask: Vec::new(),
            batch: 0,
            xt: Vec::new(),
            gx: Vec::new(),
            un: Vec::new(),
            hs: Vec::new(),
            hin: Vec::new(),
            gh: Vec::new(),
            dgx: Vec::new(),
            dgh: Vec::new(),
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
        assert_eq!(x.cols, s.steps * s.features, "gru: input width");
        let (b, h, t_n) = (x.rows, s.hidden, s.steps);
        let g3 = 3 * h;
        self.batch = b;
        self.p.project_inputs(x, s, &mut self.xt, &mut self.gx);
        self.hs.clear();
        self.hs.resize((t_n + 1) * b * h, R::zero());
        self.hin.resize(t_n * b * h, R::zero());
        self.un.resize(t_n * b * h, R::zero());
        self.gh.resize(b * g3, R::zero());
        let (bi, bh) = (&self.p.bias_ih.value, &self.p.bias_hh.value);
        let one = R::one();
        for t in 0..t_n {
            let (p0, p1) = (t * b * h, (t + 1) * b * h);
            let hin = &mut self.hin[p0..p1];
            masked(&self.hs[p0..p1], &self.mask, hin);
            matmul(
                &mut self.gh,
                View::new(hin, b, h),
                View::new(&self.p.weight_hh.value, g3, h).t(),
                false,
            );
            let gx = &mut self.gx[t * b * g3..(t + 1) * b * g3];
            for r in 0..b {
                let (xr, ur) = (
                    &mut gx[r * g3..(r + 1) * g3],
                    &self.gh[r * g3..(r + 1) * g3],
                );
                for j in 0..h {
                    let rg = sigmoid(xr[j] + bi[j] + ur[j] + bh[j]);
                    let zg = sigmoid(xr[h + j] + bi[h + j] + ur[h + j] + bh[h + j]);
                    let u = ur[2 * h + j] + bh[2 * h + j];
                    let ng = (xr[2 * h + j] + bi[2 * h + j] + rg * u).tanh();
                    xr[j] = rg;
                    xr[h + j] = zg;
                    xr[2 * h + j] = ng;
                    let k = r * h + j;
                    self.un[p0 + k] = u;
                    self.hs[p1 + k] = (one - zg) * ng + zg * self.hs[p0 + k];
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
        let g3 = 3 * h;
        let mut dh = gy.data.clone();
        let mut dhin = vec![R::zero(); b * h];
        self.dgx.resize(t_n * b * g3, R::zero());
        self.dgh.resize(t_n * b * g3, R::zero());
        let one = R::one();
        for t in (0..t_n).rev() {
            let p0 = t * b * h;
            let gates = &self.gx[t * b * g3..(t + 1) * b * g3];
            let dgx = &mut self.dgx[t * b * g3..(t + 1) * b * g3];
            let dgh = &mut self.dgh[t * b * g3..(t + 1) * b * g3];
            for r in 0..b {
                for j in 0..h {
                    let k = r * h + j;
                    let (rg, zg, ng) = (
                        gates[r * g3 + j],
                        gates[r * g3 + h + j],
                        gates[r * g3 + 2 * h + j],
                    );
                    let d = dh[k];
                    let dan = d * (one - zg) * (one - ng * ng);
                    let daz = d * (self.hs[p0 + k] - ng) * zg * (one - zg);
                    let dar = dan * self.un[p0 + k] * rg * (one - rg);
                    dgx[r * g3 + j] = dar;
                    dgx[r * g3 + h + j] = daz;
                    dgx[r * g3 + 2 * h + j] = dan;
                    dgh[r * g3 + j] = dar;
                    dgh[r * g3 + h + j] = daz;
                    dgh[r * g3 + 2 * h + j] = dan * rg;
                    dh[k] = d * zg;
                }
            }
            if t > 0 {
                matmul(
                    &mut dhin,
                    View::new(dgh, b, g3),
                    View::new(&self.p.weight_hh.value, g3, h),
                    false,
                );
                if self.mask.is_empty() {
                    dh.iter_mut().zip(&dhin).for_each(|(a, &v)| *a += v);
                } else {
                    for ((a, &v), &m) in dh.iter_mut().zip(&dhin).zip(&self.mask) {
                        *a += v * m;
                    }
                }
            }
        }
        let grad_in = need_grad_in.then_some(&mut self.grad_in);
        self.p
            .backward(&self.dgx, &self.dgh, &self.xt, &self.hin, b, s, grad_in);
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 4] {
        self.p.params_mut()
    }

    pub fn params(&self) -> [&Param<R>; 4] {
        self.p.params()
    }
}
