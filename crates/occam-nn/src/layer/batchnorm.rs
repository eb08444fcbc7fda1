//! BatchNorm1d (Ioffe & Szegedy 2015): in training, each feature is normalised by the batch
//! mean and biased variance, and running statistics are updated as PyTorch does
//! (`running = (1 - momentum) * running + momentum * batch`, unbiased variance); evaluation
//! normalises by the running statistics. Scale gamma and shift beta are `Norm` parameters.

use crate::mat::Mat;
use crate::param::{norm_params, Param};
use crate::real::Real;

#[derive(Clone, Debug)]
pub struct BatchNorm1d<R> {
    pub dim: usize,
    pub eps: f64,
    pub momentum: f64,
    pub gamma: Param<R>,
    pub beta: Param<R>,
    pub running_mean: Vec<R>,
    pub running_var: Vec<R>,
    xhat: Mat<R>,
    inv_std: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> BatchNorm1d<R> {
    pub fn new(index: usize, dim: usize) -> Self {
        let (gamma, beta) = norm_params(index, dim);
        BatchNorm1d {
            dim,
            eps: 1e-5,
            momentum: 0.1,
            gamma,
            beta,
            running_mean: vec![R::zero(); dim],
            running_var: vec![R::one(); dim],
            xhat: Mat::default(),
            inv_std: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn forward_train(&mut self, x: &Mat<R>) {
        let (b, d) = (x.rows, x.cols);
        assert_eq!(d, self.dim, "batch norm: input width");
        assert!(b > 1, "batch norm needs at least 2 rows per training batch");
        let mut mean = vec![R::zero(); d];
        for i in 0..b {
            mean.iter_mut().zip(x.row(i)).for_each(|(m, &v)| *m += v);
        }
        let nb = R::of(b as f64);
        mean.iter_mut().for_each(|m| *m /= nb);
        let mut var = vec![R::zero(); d];
        for i in 0..b {
            var.iter_mut()
                .zip(x.row(i))
                .zip(&mean)
                .for_each(|((s, &v), &m)| *s += (v - m) * (v - m));
        }
        var.iter_mut().for_each(|s| *s /= nb);
        let eps = R::of(self.eps);
        self.inv_std.clear();
        self.inv_std
            .extend(var.iter().map(|&v| R::one() / (v + eps).sqrt()));
        self.xhat.resize(b, d);
        self.out.resize(b, d);
        for i in 0..b {
            for j in 0..d {
                let xh = (x.data[i * d + j] - mean[j]) * self.inv_std[j];
                self.xhat.data[i * d + j] = xh;
                self.out.data[i * d + j] = self.gamma.value[j] * xh + self.beta.value[j];
            }
        }
        let m = R::of(self.momentum);
        let unbias = R::of(b as f64 / (b as f64 - 1.0));
        for j in 0..d {
            self.running_mean[j] = (R::one() - m) * self.running_mean[j] + m * mean[j];
            self.running_var[j] = (R::one() - m) * self.running_var[j] + m * var[j] * unbias;
        }
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        let d = self.dim;
        assert_eq!(x.cols, d, "batch norm: input width");
        self.out.resize(x.rows, d);
        let eps = R::of(self.eps);
        let scale: Vec<R> = (0..d)
            .map(|j| self.gamma.value[j] / (self.running_var[j] + eps).sqrt())
            .collect();
        for i in 0..x.rows {
            for j in 0..d {
                self.out.data[i * d + j] =
                    (x.data[i * d + j] - self.running_mean[j]) * scale[j] + self.beta.value[j];
            }
        }
    }

    /// Backward through the training-mode normalisation.
    pub fn backward(&mut self, gy: &Mat<R>) {
        let (b, d) = (gy.rows, gy.cols);
        let mut sum_g = vec![R::zero(); d];
        let mut sum_gx = vec![R::zero(); d];
        for i in 0..b {
            for j in 0..d {
                let g = gy.data[i * d + j];
                sum_g[j] += g;
                sum_gx[j] += g * self.xhat.data[i * d + j];
            }
        }
        self.beta.grad.copy_from_slice(&sum_g);
        self.gamma.grad.copy_from_slice(&sum_gx);
        self.grad_in.resize(b, d);
        let nb = R::of(b as f64);
        for i in 0..b {
            for j in 0..d {
                let k = i * d + j;
                let c = self.gamma.value[j] * self.inv_std[j] / nb;
                self.grad_in.data[k] =
                    c * (nb * gy.data[k] - sum_g[j] - self.xhat.data[k] * sum_gx[j]);
            }
        }
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 2] {
        [&mut self.gamma, &mut self.beta]
    }

    pub fn params(&self) -> [&Param<R>; 2] {
        [&self.gamma, &self.beta]
    }
}
