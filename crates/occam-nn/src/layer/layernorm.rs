//! LayerNorm (Ba et al. 2016): each row is normalised over its features (biased variance),
//! then scaled by gamma and shifted by beta. No running state, so train and eval agree.

use crate::mat::Mat;
use crate::param::{norm_params, Param};
use crate::real::Real;

#[derive(Clone, Debug)]
pub struct LayerNorm<R> {
    pub dim: usize,
    pub eps: f64,
    pub gamma: Param<R>,
    pub beta: Param<R>,
    xhat: Mat<R>,
    inv_std: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> LayerNorm<R> {
    pub fn new(index: usize, dim: usize) -> Self {
        let (gamma, beta) = norm_params(index, dim);
        LayerNorm {
            dim,
            eps: 1e-5,
            gamma,
            beta,
            xhat: Mat::default(),
            inv_std: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn forward_train(&mut self, x: &Mat<R>) {
        self.forward_eval(x)
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        let (b, d) = (x.rows, x.cols);
        assert_eq!(d, self.dim, "layer norm: input width");
        self.xhat.resize(b, d);
        self.out.resize(b, d);
        self.inv_std.resize(b, R::zero());
        let nd = R::of(d as f64);
        let eps = R::of(self.eps);
        for i in 0..b {
            let r = x.row(i);
            let mean = r.iter().copied().sum::<R>() / nd;
            let var = r.iter().map(|&v| (v - mean) * (v - mean)).sum::<R>() / nd;
            let inv = R::one() / (var + eps).sqrt();
            self.inv_std[i] = inv;
            for j in 0..d {
                let xh = (r[j] - mean) * inv;
                self.xhat.data[i * d + j] = xh;
                self.out.data[i * d + j] = self.gamma.value[j] * xh + self.beta.value[j];
            }
        }
    }

    pub fn backward(&mut self, gy: &Mat<R>) {
        let (b, d) = (gy.rows, gy.cols);
        self.gamma.grad.iter_mut().for_each(|v| *v = R::zero());
        self.beta.grad.iter_mut().for_each(|v| *v = R::zero());
        self.grad_in.resize(b, d);
        let nd = R::of(d as f64);
        for i in 0..b {
            let (mut s1, mut s2) = (R::zero(), R::zero());
            for j in 0..d {
                let k = i * d + j;
                let g = gy.data[k];
                self.gamma.grad[j] += g * self.xhat.data[k];
                self.beta.grad[j] += g;
                let gx = g * self.gamma.value[j];
                s1 += gx;
                s2 += gx * self.xhat.data[k];
            }
            let c = self.inv_std[i] / nd;
            for j in 0..d {
                let k = i * d + j;
                let gx = gy.data[k] * self.gamma.value[j];
                self.grad_in.data[k] = c * (nd * gx - s1 - self.xhat.data[k] * s2);
            }
        }
    }

    /// Adds each row's squared norm of its own gradient of gamma and beta to `out` (after a
    /// training pass over the same rows): `gy_i * xhat_i` and `gy_i`.
    pub fn add_sample_sq_norms(&self, gy: &Mat<R>, out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate().take(gy.rows) {
            let xh = self.xhat.row(i);
            *o += gy
                .row(i)
                .iter()
                .zip(xh)
                .map(|(&g, &h)| {
                    let (g, h) = (g.f64(), h.f64());
                    g * g * (h * h + 1.0)
                })
                .sum::<f64>();
        }
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 2] {
        [&mut self.gamma, &mut self.beta]
    }

    pub fn params(&self) -> [&Param<R>; 2] {
        [&self.gamma, &self.beta]
    }
}
