//! Fully connected layer `y = x W + b` with optional DropConnect, on dense or sparse (CSR)
//! input. W is stored `[in, out]` row-major, so an input feature's outgoing weights are one
//! contiguous row (a sparse row gathers rows of W; group lasso on inputs shrinks rows).
//!
//! DropConnect (Wan et al. 2013) draws a fresh Bernoulli(1 - p) mask over W every training
//! step and uses `W * mask / (1 - p)` (inverted scaling, so evaluation uses W unchanged).
//!
//! Variational dropout (`vd`, see [`super::variational`]) replaces the weight draw by the
//! local reparameterization: the training pass adds Gaussian noise to `x W + b`, the
//! evaluation pass uses W without the weights it removed.

use crate::mat::{matmul, Batch, Csr, Mat, View};
use crate::param::{Param, ParamKind};
use crate::real::Real;
use occam_core::rng::Rng;

use super::variational::Variational;

#[derive(Clone, Debug)]
pub struct Dense<R> {
    pub n_in: usize,
    pub n_out: usize,
    /// `[n_in, n_out]`.
    pub weight: Param<R>,
    pub bias: Param<R>,
    /// DropConnect probability (0 = off).
    pub drop_connect: f64,
    /// The mask of the last training step, scaled (0 or 1/(1-p)); empty when off.
    mask: Vec<R>,
    /// W * mask for the last training step; W without the removed weights in an evaluation
    /// pass under sparse variational dropout.
    w_eff: Vec<R>,
    /// Variational dropout on W (`None` = off).
    pub vd: Option<Variational<R>>,
    /// The last pass was an evaluation pass with `w_eff` = W without the removed weights.
    eval_pruned: bool,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Dense<R> {
    /// PyTorch's default initialisation: W and b uniform on +-1/sqrt(n_in).
    pub fn new(index: usize, n_in: usize, n_out: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (n_in.max(1) as f64).sqrt();
        let mut draw = |n: usize| -> Vec<R> {
            (0..n)
                .map(|_| R::of((2.0 * rng.uniform() - 1.0) * bound))
                .collect()
        };
        let w = draw(n_in * n_out);
        let b = draw(n_out);
        Dense::from_params(index, n_in, n_out, w, b)
    }

    /// A layer with the given weights (`w` is `[n_in, n_out]`).
    pub fn from_params(index: usize, n_in: usize, n_out: usize, w: Vec<R>, b: Vec<R>) -> Self {
        Dense {
            n_in,
            n_out,
            weight: Param::new(
                format!("layers.{index}.weight"),
                ParamKind::Weight,
                vec![n_in, n_out],
                w,
            ),
            bias: Param::new(
                format!("layers.{index}.bias"),
                ParamKind::Bias,
                vec![n_out],
                b,
            ),
            drop_connect: 0.0,
            mask: Vec::new(),
            w_eff: Vec::new(),
            vd: None,
            eval_pruned: false,
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn forward_train(&mut self, x: Batch<R>, rng: &mut Rng) {
        self.eval_pruned = false;
        if self.drop_connect > 0.0 {
            let keep = 1.0 - self.drop_connect;
            let scale = R::of(1.0 / keep);
            let mut mask = std::mem::take(&mut self.mask);
            mask.clear();
            mask.extend((0..self.weight.len()).map(|_| {
                if rng.uniform() < keep {
                    scale
                } else {
                    R::zero()
                }
            }));
            self.forward_masked(x, mask);
        } else {
            self.mask.clear();
            let w = std::mem::take(&mut self.weight.value);
            self.apply(x, &w);
            self.weight.value = w;
            if let Some(vd) = &mut self.vd {
                vd.sample(x, &self.weight.value, &mut self.out, rng);
            }
        }
    }

    /// Training forward pass with a given DropConnect mask (already scaled: 0 or 1/(1-p)),
    /// `[n_in, n_out]`; `backward` then uses it.
    pub fn forward_masked(&mut self, x: Batch<R>, mask: Vec<R>) {
        assert_eq!(mask.len(), self.weight.len(), "dense layer: mask shape");
        self.mask = mask;
        let mut w_eff = std::mem::take(&mut self.w_eff);
        w_eff.clear();
        w_eff.extend(
            self.weight
                .value
                .iter()
                .zip(&self.mask)
                .map(|(&w, &m)| w * m),
        );
        self.apply(x, &w_eff);
        self.w_eff = w_eff;
    }

    pub fn forward_eval(&mut self, x: Batch<R>) {
        // a later backward (an input gradient in eval mode) differentiates the full weights
        self.mask.clear();
        self.eval_pruned = false;
        if let Some(vd) = &mut self.vd {
            vd.clear_sample();
            if vd.kind == super::VdKind::Sparse {
                let mut w = std::mem::take(&mut self.w_eff);
                vd.eval_weights(&self.weight.value, &mut w);
                self.apply(x, &w);
                self.w_eff = w;
                self.eval_pruned = true;
                return;
            }
        }
        let w = std::mem::take(&mut self.weight.value);
        self.apply(x, &w);
        self.weight.value = w;
    }

    /// out = x w + b.
    fn apply(&mut self, x: Batch<R>, w: &[R]) {
        assert_eq!(x.cols(), self.n_in, "dense layer: input width");
        let (b, n) = (x.rows(), self.n_out);
        self.out.resize(b, n);
        for i in 0..b {
            self.out.row_mut(i).copy_from_slice(&self.bias.value);
        }
        match x {
            Batch::Dense(m) => matmul(
                &mut self.out.data,
                View::of(m),
                View::new(w, self.n_in, n),
                true,
            ),
            Batch::Sparse(s) => sparse_times(&mut self.out, s, w, n),
        }
    }

    /// Gradients of W and b from the upstream gradient `gy`; `grad_in` when `need_grad_in`.
    pub fn backward(&mut self, x: Batch<R>, gy: &Mat<R>, need_grad_in: bool) {
        let n = self.n_out;
        assert_eq!(
            (gy.rows, gy.cols),
            (x.rows(), n),
            "dense layer: gradient shape"
        );
        let gw = &mut self.weight.grad;
        match x {
            Batch::Dense(m) => matmul(gw, View::of(m).t(), View::of(gy), false),
            Batch::Sparse(s) => {
                gw.iter_mut().for_each(|v| *v = R::zero());
                for i in 0..s.rows {
                    let (idx, val) = s.row(i);
                    let g = gy.row(i);
                    for (&j, &v) in idx.iter().zip(val) {
                        let row = &mut gw[j as usize * n..(j as usize + 1) * n];
                        row.iter_mut().zip(g).for_each(|(r, &gk)| *r += v * gk);
                    }
                }
            }
        }
        if !self.mask.is_empty() {
            gw.iter_mut().zip(&self.mask).for_each(|(g, &m)| *g *= m);
        }
        let gb = &mut self.bias.grad;
        gb.iter_mut().for_each(|v| *v = R::zero());
        for i in 0..gy.rows {
            gb.iter_mut().zip(gy.row(i)).for_each(|(b, &g)| *b += g);
        }
        if need_grad_in {
            self.backward_input(gy);
        }
        if let Some(vd) = &mut self.vd {
            // only after a training pass drew the noise
            if vd.sampled(gy.rows) {
                let gi = need_grad_in.then_some(&mut self.grad_in);
                vd.backward(x, gy, &self.weight.value, &mut self.weight.grad, gi);
            }
        }
    }

    /// The input gradient `gy W^T` alone, without the parameter gradients (DP-SGD's first
    /// pass, whose parameter gradients the clipped sum replaces). Not under variational
    /// dropout, whose noise adds to the input gradient ([`Layer::backward_input`] falls back).
    ///
    /// [`Layer::backward_input`]: crate::layer::Layer::backward_input
    pub fn backward_input(&mut self, gy: &Mat<R>) {
        let w = if self.mask.is_empty() && !self.eval_pruned {
            &self.weight.value
        } else {
            &self.w_eff
        };
        self.grad_in.resize(gy.rows, self.n_in);
        matmul(
            &mut self.grad_in.data,
            View::of(gy),
            View::new(w, self.n_in, self.n_out).t(),
            false,
        );
    }

    /// Adds each row's squared norm of its own gradient of W and b to `out` (DP-SGD's
    /// per-example clipping): the gradient of row i is `x_i gy_i^T` and `gy_i`, so its
    /// squared norm is `|gy_i|^2 (|x_i|^2 + 1)` (Goodfellow 2015, "Efficient per-example
    /// gradient computations"). Not under DropConnect (one mask per batch), which DP-SGD
    /// refuses.
    pub fn add_sample_sq_norms(&self, x: Batch<R>, gy: &Mat<R>, out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate().take(gy.rows) {
            let xx: f64 = match x {
                Batch::Dense(m) => m.row(i).iter().map(|v| v.f64() * v.f64()).sum(),
                Batch::Sparse(s) => s.row(i).1.iter().map(|v| v.f64() * v.f64()).sum(),
            };
            let gg: f64 = gy.row(i).iter().map(|v| v.f64() * v.f64()).sum();
            *o += gg * (xx + 1.0);
        }
    }

    /// Inputs whose outgoing weights (their row of W) are not all exactly zero: the input
    /// features still in the model.
    pub fn active_inputs(&self) -> Vec<usize> {
        (0..self.n_in)
            .filter(|&j| {
                self.weight.value[j * self.n_out..(j + 1) * self.n_out]
                    .iter()
                    .any(|w| *w != R::zero())
            })
            .collect()
    }

    /// W, b and, under variational dropout, its parameter.
    pub fn params_mut(&mut self) -> Vec<&mut Param<R>> {
        super::variational::with_noise_mut(&mut self.weight, &mut self.bias, &mut self.vd)
    }

    pub fn params(&self) -> Vec<&Param<R>> {
        super::variational::with_noise(&self.weight, &self.bias, &self.vd)
    }
}

/// out[i, :] += sum over the stored entries (j, v) of row i of v * w[j, :].
fn sparse_times<R: Real>(out: &mut Mat<R>, s: &Csr<R>, w: &[R], n: usize) {
    for i in 0..s.rows {
        let (idx, val) = s.row(i);
        let o = out.row_mut(i);
        for (&j, &v) in idx.iter().zip(val) {
            let wr = &w[j as usize * n..(j as usize + 1) * n];
            o.iter_mut().zip(wr).for_each(|(a, &b)| *a += v * b);
        }
    }
}
