//! Batch normalisation (Ioffe & Szegedy 2015), PyTorch's BatchNorm1d and BatchNorm2d: in
//! training, each channel is normalised by the batch mean and biased variance, and running
//! statistics are updated as PyTorch does (`running = (1 - momentum) * running + momentum *
//! batch`, unbiased variance); evaluation normalises by the running statistics. Scale gamma
//! and shift beta are `Norm` parameters.
//!
//! 1d: a row is `dim` features, each its own channel. 2d: a row is a channels-first image
//! (`channels * pixels` values) and a channel's statistics run over the batch and its pixels.

use crate::mat::Mat;
use crate::param::{norm_params, Param};
use crate::real::Real;

#[derive(Clone, Debug)]
pub struct BatchNorm<R> {
    /// Channels (features for 1d).
    pub dim: usize,
    /// Values per channel in a row: 1 for 1d, height * width for 2d.
    pub pixels: usize,
    pub two_d: bool,
    pub eps: f64,
    pub momentum: f64,
    pub gamma: Param<R>,
    pub beta: Param<R>,
    pub running_mean: Vec<R>,
    pub running_var: Vec<R>,
    xhat: Mat<R>,
    inv_std: Vec<R>,
    /// The last forward pass was `forward_eval`: `backward` then differentiates the
    /// running-statistics map (an affine map per channel), as autograd does in eval mode.
    eval: bool,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> BatchNorm<R> {
    /// BatchNorm over `dim` features.
    pub fn new(index: usize, dim: usize) -> Self {
        BatchNorm::make(index, dim, 1, false)
    }

    /// BatchNorm2d over `channels` channels of `pixels` values each.
    pub fn new_2d(index: usize, channels: usize, pixels: usize) -> Self {
        BatchNorm::make(index, channels, pixels, true)
    }

    fn make(index: usize, dim: usize, pixels: usize, two_d: bool) -> Self {
        let (gamma, beta) = norm_params(index, dim);
        BatchNorm {
            dim,
            pixels,
            two_d,
            eps: 1e-5,
            momentum: 0.1,
            gamma,
            beta,
            running_mean: vec![R::zero(); dim],
            running_var: vec![R::one(); dim],
            xhat: Mat::default(),
            inv_std: Vec::new(),
            eval: false,
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    /// Channel of column `j`.
    fn ch(&self, j: usize) -> usize {
        j / self.pixels
    }

    pub fn forward_train(&mut self, x: &Mat<R>) {
        let (b, w) = (x.rows, x.cols);
        let (d, px) = (self.dim, self.pixels);
        assert_eq!(w, d * px, "batch norm: input width");
        let count = b * px;
        assert!(
            count > 1,
            "batch norm needs at least 2 values per channel in a training batch"
        );
        self.eval = false;
        let mut mean = vec![R::zero(); d];
        for i in 0..b {
            for (j, &v) in x.row(i).iter().enumerate() {
                mean[self.ch(j)] += v;
            }
        }
        let nb = R::of(count as f64);
        mean.iter_mut().for_each(|m| *m /= nb);
        let mut var = vec![R::zero(); d];
        for i in 0..b {
            for (j, &v) in x.row(i).iter().enumerate() {
                let c = self.ch(j);
                var[c] += (v - mean[c]) * (v - mean[c]);
            }
        }
        var.iter_mut().for_each(|s| *s /= nb);
        let eps = R::of(self.eps);
        self.inv_std.clear();
        self.inv_std
            .extend(var.iter().map(|&v| R::one() / (v + eps).sqrt()));
        self.xhat.resize(b, w);
        self.out.resize(b, w);
        for i in 0..b {
            for j in 0..w {
                let c = self.ch(j);
                let xh = (x.data[i * w + j] - mean[c]) * self.inv_std[c];
                self.xhat.data[i * w + j] = xh;
                self.out.data[i * w + j] = self.gamma.value[c] * xh + self.beta.value[c];
            }
        }
        let m = R::of(self.momentum);
        let unbias = R::of(count as f64 / (count as f64 - 1.0));
        for j in 0..d {
            self.running_mean[j] = (R::one() - m) * self.running_mean[j] + m * mean[j];
            self.running_var[j] = (R::one() - m) * self.running_var[j] + m * var[j] * unbias;
        }
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        let w = self.dim * self.pixels;
        assert_eq!(x.cols, w, "batch norm: input width");
        self.out.resize(x.rows, w);
        let eps = R::of(self.eps);
        self.inv_std.clear();
        self.inv_std.extend(
            self.running_var
                .iter()
                .map(|&v| R::one() / (v + eps).sqrt()),
        );
        self.xhat.resize(x.rows, w);
        for i in 0..x.rows {
            for j in 0..w {
                let c = self.ch(j);
                let xh = (x.data[i * w + j] - self.running_mean[c]) * self.inv_std[c];
                self.xhat.data[i * w + j] = xh;
                self.out.data[i * w + j] = self.gamma.value[c] * xh + self.beta.value[c];
            }
        }
        self.eval = true;
    }

    /// Backward through the last forward pass: the training-mode normalisation by batch
    /// statistics, or (after `forward_eval`) the fixed affine map of the running statistics.
    pub fn backward(&mut self, gy: &Mat<R>) {
        let (b, w) = (gy.rows, gy.cols);
        let d = self.dim;
        if self.eval {
            self.gamma.grad.iter_mut().for_each(|v| *v = R::zero());
            self.beta.grad.iter_mut().for_each(|v| *v = R::zero());
            self.grad_in.resize(b, w);
            for i in 0..b {
                for j in 0..w {
                    let (k, c) = (i * w + j, self.ch(j));
                    self.beta.grad[c] += gy.data[k];
                    self.gamma.grad[c] += gy.data[k] * self.xhat.data[k];
                    self.grad_in.data[k] = gy.data[k] * self.gamma.value[c] * self.inv_std[c];
                }
            }
            return;
        }
        let mut sum_g = vec![R::zero(); d];
        let mut sum_gx = vec![R::zero(); d];
        for i in 0..b {
            for j in 0..w {
                let (c, g) = (self.ch(j), gy.data[i * w + j]);
                sum_g[c] += g;
                sum_gx[c] += g * self.xhat.data[i * w + j];
            }
        }
        self.beta.grad.copy_from_slice(&sum_g);
        self.gamma.grad.copy_from_slice(&sum_gx);
        self.grad_in.resize(b, w);
        let nb = R::of((b * self.pixels) as f64);
        for i in 0..b {
            for j in 0..w {
                let (k, c) = (i * w + j, self.ch(j));
                let f = self.gamma.value[c] * self.inv_std[c] / nb;
                self.grad_in.data[k] =
                    f * (nb * gy.data[k] - sum_g[c] - self.xhat.data[k] * sum_gx[c]);
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
