//! 2-D convolution over channels-first images (`[batch, channels * height * width]` rows),
//! by im2col and matrix products, one image at a time (images in parallel, each product on
//! one thread). The patches of one image form `col` (`[c_in * k * k, out_pixels]`: a row per
//! kernel tap, filled by contiguous copies of input rows), and `W * col` gives that image's
//! output directly in the channels-first layout (`[c_out, out_pixels]`), with no transpose.
//! The weight gradient sums `gy_b * col_b^T` over images in one partial sum per thread, added
//! in a fixed order (same threads, same bits). The kernel is `[c_out, c_in, k, k]` (PyTorch's
//! layout), square, with one stride and zero padding on every side. (One product for the
//! whole batch, `[c_out, batch * out_pixels]`, measured slower: 18.0 s against 15.7 s for
//! the Fashion-MNIST epoch of bench/cnn.sh.)
//!
//! Sparse variational dropout (`vd`, see [`super::variational`]): the training pass adds
//! `sqrt(sigma2 * col^2) eps` to each image's output (local reparameterization, one draw per
//! output value), the evaluation pass uses the kernel without its removed taps.

use crate::mat::{matmul, serial, Mat, View};
use crate::param::{Param, ParamKind};
use crate::real::Real;
use occam_core::rng::Rng;
use rayon::prelude::*;

use super::variational::Variational;

/// Shape of a convolution: input (c, h, w), filters, kernel size, stride, padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConvShape {
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
}

impl ConvShape {
    pub fn h_out(&self) -> usize {
        (self.h + 2 * self.pad - self.k) / self.stride + 1
    }
    pub fn w_out(&self) -> usize {
        (self.w + 2 * self.pad - self.k) / self.stride + 1
    }
    fn patch(&self) -> usize {
        self.c_in * self.k * self.k
    }
}

#[derive(Clone, Debug)]
pub struct Conv2d<R> {
    pub shape: ConvShape,
    /// `[c_out, c_in * k * k]`.
    pub weight: Param<R>,
    pub bias: Param<R>,
    /// The patches, `[batch][pk][p]`.
    col: Vec<R>,
    /// The input gradient's patches, `[batch][pk][p]`.
    dcol: Vec<R>,
    /// Sparse variational dropout on the kernel (`None` = off).
    pub vd: Option<Variational<R>>,
    noise: Noise<R>,
    /// DP-SGD: each image's kernel and bias gradients from the last
    /// [`Conv2d::add_sample_sq_norms`], `[batch][c_out * c_in * k * k]` and `[batch][c_out]`.
    sample_w: Vec<R>,
    sample_b: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Conv2d<R> {
    /// PyTorch's default initialisation: uniform on +-1/sqrt(c_in k k).
    pub fn new(index: usize, shape: ConvShape, rng: &mut Rng) -> Self {
        let fan = shape.patch();
        let bound = 1.0 / (fan as f64).sqrt();
        let mut draw = |n: usize| -> Vec<R> {
            (0..n)
                .map(|_| R::of((2.0 * rng.uniform() - 1.0) * bound))
                .collect()
        };
        let w = draw(shape.c_out * fan);
        let b = draw(shape.c_out);
        Conv2d::from_params(index, shape, w, b)
    }

    pub fn from_params(index: usize, shape: ConvShape, w: Vec<R>, b: Vec<R>) -> Self {
        Conv2d {
            weight: Param::new(
                format!("layers.{index}.weight"),
                ParamKind::Kernel,
                vec![shape.c_out, shape.patch()],
                w,
            ),
            bias: Param::new(
                format!("layers.{index}.bias"),
                ParamKind::Bias,
                vec![shape.c_out],
                b,
            ),
            shape,
            col: Vec::new(),
            dcol: Vec::new(),
            vd: None,
            noise: Noise::default(),
            sample_w: Vec::new(),
            sample_b: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    /// Without variational dropout train and eval are the same map.
    pub fn forward(&mut self, x: &Mat<R>) {
        let w = std::mem::take(&mut self.weight.value);
        self.forward_with(x, &w);
        self.weight.value = w;
    }

    /// The training pass: under variational dropout the noise of the local
    /// reparameterization is added.
    pub fn forward_train(&mut self, x: &Mat<R>, rng: &mut Rng) {
        self.noise.eval_pruned = false;
        self.forward(x);
        if let Some(vd) = &self.vd {
            let nz = &mut self.noise;
            vd.sparse_sigma2(&self.weight.value, &mut nz.sig2);
            nz.eps.clear();
            nz.eps
                .extend((0..self.out.data.len()).map(|_| R::of(rng.normal())));
            nz.col2.clear();
            nz.col2.extend(self.col.iter().map(|&v| v * v));
            let s = self.shape;
            let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
            nz.sd.resize(self.out.data.len(), R::zero());
            let sig2 = &nz.sig2;
            self.out
                .data
                .par_chunks_mut((f * p).max(1))
                .zip(nz.sd.par_chunks_mut((f * p).max(1)))
                .zip(nz.col2.par_chunks((pk * p).max(1)))
                .zip(nz.eps.par_chunks((f * p).max(1)))
                .for_each(|(((o, sd), c2), e)| {
                    serial(|| matmul(sd, View::new(sig2, f, pk), View::new(c2, pk, p), false));
                    for ((o, s), &e) in o.iter_mut().zip(sd.iter_mut()).zip(e) {
                        *s = (*s + R::of(1e-8)).sqrt();
                        *o += *s * e;
                    }
                });
        }
    }

    /// The evaluation pass: under variational dropout the kernel without its removed taps.
    pub fn forward_eval(&mut self, x: &Mat<R>) {
        self.noise.eps.clear();
        match &self.vd {
            Some(vd) => {
                let mut w = std::mem::take(&mut self.noise.w_eff);
                vd.eval_weights(&self.weight.value, &mut w);
                self.forward_with(x, &w);
                self.noise.w_eff = w;
                self.noise.eval_pruned = true;
            }
            None => self.forward(x),
        }
    }

    fn forward_with(&mut self, x: &Mat<R>, w: &[R]) {
        let s = self.shape;
        assert_eq!(x.cols, s.c_in * s.h * s.w, "conv2d: input width");
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        self.col.resize(x.rows * pk * p, R::zero());
        self.out.resize(x.rows, f * p);
        let bias = &self.bias.value;
        let spans = col_spans(&s);
        self.out
            .data
            .par_chunks_mut((f * p).max(1))
            .zip(self.col.par_chunks_mut((pk * p).max(1)))
            .zip(x.data.par_chunks(x.cols.max(1)))
            .for_each(|((o, col), img)| {
                im2col(&s, &spans, img, col);
                serial(|| matmul(o, View::new(w, f, pk), View::new(col, pk, p), false));
                for (c, row) in o.chunks_mut(p.max(1)).enumerate() {
                    row.iter_mut().for_each(|v| *v += bias[c]);
                }
            });
    }

    /// Backward after `forward(x)`.
    pub fn backward(&mut self, gy: &Mat<R>, need_grad_in: bool) {
        let s = self.shape;
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        let b = gy.rows;
        // dW = sum over images of gy_b [f, p] * col_b^T [p, pk], and the bias gradient (row
        // sums of gy_b): one partial sum per thread, added in a fixed order.
        let parts = rayon::current_num_threads().clamp(1, b.max(1));
        let per = b.div_ceil(parts);
        let col = &self.col;
        let partial: Vec<(Vec<R>, Vec<R>)> = (0..parts)
            .into_par_iter()
            .map(|t| {
                let mut acc = vec![R::zero(); f * pk];
                let mut bias = vec![R::zero(); f];
                for i in t * per..((t + 1) * per).min(b) {
                    let ci = View::new(&col[i * pk * p..(i + 1) * pk * p], pk, p);
                    serial(|| matmul(&mut acc, View::new(gy.row(i), f, p), ci.t(), true));
                    for (c, row) in gy.row(i).chunks(p.max(1)).enumerate() {
                        bias[c] += row.iter().copied().sum::<R>();
                    }
                }
                (acc, bias)
            })
            .collect();
        let (g, gb) = (&mut self.weight.grad, &mut self.bias.grad);
        g.iter_mut().for_each(|v| *v = R::zero());
        gb.iter_mut().for_each(|v| *v = R::zero());
        for (part, bias) in &partial {
            g.iter_mut().zip(part).for_each(|(a, &v)| *a += v);
            gb.iter_mut().zip(bias).for_each(|(a, &v)| *a += v);
        }
        let noisy = self.vd.is_some() && self.noise.eps.len() == gy.data.len();
        if noisy {
            self.noise_backward(gy);
        }
        if need_grad_in {
            self.input_grad(gy, noisy);
        }
    }

    /// The input gradient alone, without the kernel and bias gradients (DP-SGD's first pass,
    /// whose parameter gradients the clipped sum replaces). Not under variational dropout
    /// ([`crate::layer::Layer::backward_input`] falls back to `backward` there).
    pub fn backward_input(&mut self, gy: &Mat<R>) {
        self.input_grad(gy, false);
    }

    /// dx: col2im of W^T [pk, f] * gy_b [f, p] (plus, under variational dropout with its
    /// noise drawn, 2 col_b * (sigma2^T gvar_b)), image by image.
    fn input_grad(&mut self, gy: &Mat<R>, noisy: bool) {
        let s = self.shape;
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        let b = gy.rows;
        let w = if self.noise.eval_pruned {
            &self.noise.w_eff
        } else {
            &self.weight.value
        };
        let nz = &self.noise;
        let spans = col_spans(&s);
        self.dcol.resize(b * pk * p, R::zero());
        self.grad_in.resize(b, s.c_in * s.h * s.w);
        let col = &self.col;
        self.grad_in
            .data
            .par_chunks_mut((s.c_in * s.h * s.w).max(1))
            .zip(self.dcol.par_chunks_mut((pk * p).max(1)))
            .zip(gy.data.par_chunks((f * p).max(1)))
            .enumerate()
            .for_each(|(i, ((gi, dcol), g))| {
                serial(|| matmul(dcol, View::new(w, f, pk).t(), View::new(g, f, p), false));
                if noisy {
                    let mut t = vec![R::zero(); pk * p];
                    let gv = &nz.gvar[i * f * p..(i + 1) * f * p];
                    let sig2 = View::new(&nz.sig2, f, pk).t();
                    serial(|| matmul(&mut t, sig2, View::new(gv, f, p), false));
                    let c = &col[i * pk * p..(i + 1) * pk * p];
                    for ((d, &tv), &cv) in dcol.iter_mut().zip(&t).zip(c) {
                        *d += R::of(2.0) * cv * tv;
                    }
                }
                col2im(&s, &spans, dcol, gi);
            });
    }

    /// The noise term's share of the backward pass: `gvar = gy eps / (2 sd)` and the
    /// gradient of `log sigma2` (`sum_b gvar_b col2_b^T`, times sigma2).
    fn noise_backward(&mut self, gy: &Mat<R>) {
        let s = self.shape;
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        let b = gy.rows;
        let nz = &mut self.noise;
        nz.gvar.clear();
        nz.gvar.extend(
            gy.data
                .iter()
                .zip(nz.eps.iter().zip(&nz.sd))
                .map(|(&g, (&e, &sd))| g * e * R::of(0.5) / sd),
        );
        let parts = rayon::current_num_threads().clamp(1, b.max(1));
        let per = b.div_ceil(parts);
        let (gvar, col2) = (&nz.gvar, &nz.col2);
        let partial: Vec<Vec<R>> = (0..parts)
            .into_par_iter()
            .map(|t| {
                let mut acc = vec![R::zero(); f * pk];
                for i in t * per..((t + 1) * per).min(b) {
                    let c2 = View::new(&col2[i * pk * p..(i + 1) * pk * p], pk, p);
                    let gv = View::new(&gvar[i * f * p..(i + 1) * f * p], f, p);
                    serial(|| matmul(&mut acc, gv, c2.t(), true));
                }
                acc
            })
            .collect();
        let vd = self.vd.as_mut().expect("a variational convolution");
        let grad = &mut vd.param.grad;
        grad.iter_mut().for_each(|v| *v = R::zero());
        for part in &partial {
            grad.iter_mut().zip(part).for_each(|(a, &v)| *a += v);
        }
        grad.iter_mut().zip(&nz.sig2).for_each(|(g, &s2)| *g *= s2);
    }

    /// Adds each image's squared norm of its own gradient of the kernel and bias to `out`
    /// (after a training pass over the same images), keeping those gradients for
    /// [`Conv2d::clipped_sum`]: the kernel gradient of image i, `gy_i col_i^T`
    /// (`[c_out, c_in k k]`), is formed image by image in parallel, the same products the
    /// batch gradient sums; the bias gradient is the row sums of `gy_i`.
    pub fn add_sample_sq_norms(&mut self, gy: &Mat<R>, out: &mut [f64]) {
        let s = self.shape;
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        let b = gy.rows;
        self.sample_w.resize(b * f * pk, R::zero());
        self.sample_b.resize(b * f, R::zero());
        let col = &self.col;
        out[..b]
            .par_iter_mut()
            .zip(self.sample_w.par_chunks_mut((f * pk).max(1)))
            .zip(self.sample_b.par_chunks_mut(f.max(1)))
            .enumerate()
            .for_each(|(i, ((o, g), gb))| {
                let ci = View::new(&col[i * pk * p..(i + 1) * pk * p], pk, p);
                serial(|| matmul(g, View::new(gy.row(i), f, p), ci.t(), false));
                let mut sq: f64 = g.iter().map(|v| v.f64() * v.f64()).sum();
                for (c, row) in gy.row(i).chunks(p.max(1)).enumerate() {
                    let bc: R = row.iter().copied().sum();
                    gb[c] = bc;
                    sq += bc.f64() * bc.f64();
                }
                *o += sq;
            });
    }

    /// The kernel and bias gradients as the sum over images of `factor[i]` times image i's
    /// gradients kept by [`Conv2d::add_sample_sq_norms`] (DP-SGD's clipped sum, without a
    /// second pass over the patches).
    pub fn clipped_sum(&mut self, factor: &[R]) {
        let n = self.weight.grad.len();
        let f = self.bias.grad.len();
        self.weight.grad.iter_mut().for_each(|v| *v = R::zero());
        self.bias.grad.iter_mut().for_each(|v| *v = R::zero());
        for (i, &c) in factor.iter().enumerate() {
            let w = &self.sample_w[i * n..(i + 1) * n];
            self.weight
                .grad
                .iter_mut()
                .zip(w)
                .for_each(|(g, &v)| *g += c * v);
            let b = &self.sample_b[i * f..(i + 1) * f];
            self.bias
                .grad
                .iter_mut()
                .zip(b)
                .for_each(|(g, &v)| *g += c * v);
        }
    }

    /// Kernel, bias and, under variational dropout, its `log sigma2`.
    pub fn params_mut(&mut self) -> Vec<&mut Param<R>> {
        super::variational::with_noise_mut(&mut self.weight, &mut self.bias, &mut self.vd)
    }

    pub fn params(&self) -> Vec<&Param<R>> {
        super::variational::with_noise(&self.weight, &self.bias, &self.vd)
    }
}

/// The buffers of sparse variational dropout on a convolution.
#[derive(Clone, Debug, Default)]
struct Noise<R> {
    /// sigma2 per kernel tap `[c_out, pk]`.
    sig2: Vec<R>,
    /// The squared patches `[batch][pk][p]`.
    col2: Vec<R>,
    /// Standard normal draws, the output sd and `gy eps / (2 sd)`, `[batch][c_out][p]`.
    eps: Vec<R>,
    sd: Vec<R>,
    gvar: Vec<R>,
    /// The kernel without its removed taps (evaluation).
    w_eff: Vec<R>,
    /// The last pass was an evaluation pass with `w_eff`.
    eval_pruned: bool,
}

/// Per kernel column `kj`: the output columns `lo..hi` whose input column
/// `ow * stride + kj - pad` lies inside the image.
fn col_spans(s: &ConvShape) -> Vec<(usize, usize)> {
    let wo = s.w_out();
    (0..s.k)
        .map(|kj| {
            // ow * stride + kj - pad in [0, w)  <=>  ceil((pad - kj) / stride) <= ow <= (w - 1 + pad - kj) / stride
            let lo = (s.pad.saturating_sub(kj)).div_ceil(s.stride).min(wo);
            let hi = if s.w + s.pad > kj {
                ((s.w + s.pad - kj - 1) / s.stride + 1).min(wo)
            } else {
                0
            };
            (lo, hi.max(lo))
        })
        .collect()
}

/// The input row under kernel row `ki` at output row `oh`, if inside the image.
#[inline]
fn input_row(s: &ConvShape, oh: usize, ki: usize) -> Option<usize> {
    let ih = oh * s.stride + ki;
    (ih >= s.pad && ih - s.pad < s.h).then(|| ih - s.pad)
}

/// One image's patches: row `(c * k + ki) * k + kj` of `col` holds, for every output pixel,
/// the input value under that kernel tap (zero in the padding).
fn im2col<R: Real>(s: &ConvShape, spans: &[(usize, usize)], img: &[R], col: &mut [R]) {
    let (wo, p) = (s.w_out(), s.h_out() * s.w_out());
    for c in 0..s.c_in {
        for ki in 0..s.k {
            for (kj, &(lo, hi)) in spans.iter().enumerate() {
                let r = (c * s.k + ki) * s.k + kj;
                let row = &mut col[r * p..(r + 1) * p];
                for (oh, dst) in row.chunks_exact_mut(wo).enumerate() {
                    let Some(ih) = input_row(s, oh, ki) else {
                        dst.fill(R::zero());
                        continue;
                    };
                    dst[..lo].fill(R::zero());
                    dst[hi..].fill(R::zero());
                    let src = &img[(c * s.h + ih) * s.w..(c * s.h + ih + 1) * s.w];
                    if s.stride == 1 {
                        let i0 = lo + kj - s.pad;
                        dst[lo..hi].copy_from_slice(&src[i0..i0 + hi - lo]);
                    } else {
                        for (ow, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                            *d = src[ow * s.stride + kj - s.pad];
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every patch entry of `dcol` back onto its input pixel.
fn col2im<R: Real>(s: &ConvShape, spans: &[(usize, usize)], dcol: &[R], gi: &mut [R]) {
    let (wo, p) = (s.w_out(), s.h_out() * s.w_out());
    gi.iter_mut().for_each(|v| *v = R::zero());
    for c in 0..s.c_in {
        for ki in 0..s.k {
            for (kj, &(lo, hi)) in spans.iter().enumerate() {
                let r = (c * s.k + ki) * s.k + kj;
                let row = &dcol[r * p..(r + 1) * p];
                for (oh, src) in row.chunks_exact(wo).enumerate() {
                    let Some(ih) = input_row(s, oh, ki) else {
                        continue;
                    };
                    let dst = &mut gi[(c * s.h + ih) * s.w..(c * s.h + ih + 1) * s.w];
                    if s.stride == 1 {
                        let i0 = lo + kj - s.pad;
                        dst[i0..i0 + hi - lo]
                            .iter_mut()
                            .zip(&src[lo..hi])
                            .for_each(|(a, &v)| *a += v);
                    } else {
                        for ow in lo..hi {
                            dst[ow * s.stride + kj - s.pad] += src[ow];
                        }
                    }
                }
            }
        }
    }
}
