//! 2-D convolution over channels-first images (`[batch, channels * height * width]` rows),
//! by im2col and one matrix product for the whole batch: the patches of every output pixel
//! of every image form the rows of `col` (`[batch * out_pixels, c_in * k * k]`), and
//! `col * W^T` gives all outputs at once. The kernel is `[c_out, c_in, k, k]` (PyTorch's
//! layout), square, with one stride and zero padding on every side.

use crate::mat::{matmul, Mat, View};
use crate::param::{Param, ParamKind};
use crate::real::Real;
use occam_core::rng::Rng;
use rayon::prelude::*;

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
    col: Vec<R>,
    tmp: Vec<R>,
    dcol: Vec<R>,
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
            tmp: Vec::new(),
            dcol: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    fn im2col(&mut self, x: &Mat<R>) {
        let s = self.shape;
        let per = s.h_out() * s.w_out() * s.patch();
        self.col.clear();
        self.col.resize(x.rows * per, R::zero());
        self.col
            .par_chunks_mut(per.max(1))
            .zip(x.data.par_chunks(x.cols.max(1)))
            .for_each(|(col, img)| patches(&s, |c, i| col[c] = img[i]));
    }

    /// Train and eval are the same map.
    pub fn forward(&mut self, x: &Mat<R>) {
        let s = self.shape;
        assert_eq!(x.cols, s.c_in * s.h * s.w, "conv2d: input width");
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        self.im2col(x);
        let n = x.rows * p;
        self.tmp.resize(n * f, R::zero());
        matmul(
            &mut self.tmp,
            View::new(&self.col, n, pk),
            View::new(&self.weight.value, f, pk).t(),
            false,
        );
        self.out.resize(x.rows, f * p);
        let bias = &self.bias.value;
        self.out
            .data
            .par_chunks_mut(f * p)
            .zip(self.tmp.par_chunks(p * f))
            .for_each(|(o, t)| {
                for q in 0..p {
                    for c in 0..f {
                        o[c * p + q] = t[q * f + c] + bias[c];
                    }
                }
            });
    }

    /// Backward after `forward(x)`.
    pub fn backward(&mut self, gy: &Mat<R>, need_grad_in: bool) {
        let s = self.shape;
        let (p, pk, f) = (s.h_out() * s.w_out(), s.patch(), s.c_out);
        let n = gy.rows * p;
        // gy as [batch * p, f]
        self.tmp.resize(n * f, R::zero());
        self.tmp
            .par_chunks_mut(p * f)
            .zip(gy.data.par_chunks(f * p))
            .for_each(|(t, g)| {
                for c in 0..f {
                    for q in 0..p {
                        t[q * f + c] = g[c * p + q];
                    }
                }
            });
        self.bias.grad.iter_mut().for_each(|v| *v = R::zero());
        for b in 0..gy.rows {
            let g = gy.row(b);
            for c in 0..f {
                self.bias.grad[c] += g[c * p..(c + 1) * p].iter().copied().sum::<R>();
            }
        }
        matmul(
            &mut self.weight.grad,
            View::new(&self.tmp, n, f).t(),
            View::new(&self.col, n, pk),
            false,
        );
        if !need_grad_in {
            return;
        }
        let mut dcol = vec![R::zero(); n * pk];
        matmul(
            &mut dcol,
            View::new(&self.tmp, n, f),
            View::new(&self.weight.value, f, pk),
            false,
        );
        self.grad_in.resize(gy.rows, s.c_in * s.h * s.w);
        self.grad_in.data.iter_mut().for_each(|v| *v = R::zero());
        let (per, width) = (p * pk, s.c_in * s.h * s.w);
        self.grad_in
            .data
            .par_chunks_mut(width.max(1))
            .zip(dcol.par_chunks(per.max(1)))
            .for_each(|(gi, dc)| patches(&s, |c, i| gi[i] += dc[c]));
        self.dcol = dcol;
    }

    pub fn params_mut(&mut self) -> [&mut Param<R>; 2] {
        [&mut self.weight, &mut self.bias]
    }

    pub fn params(&self) -> [&Param<R>; 2] {
        [&self.weight, &self.bias]
    }
}

/// Calls `f(col, pixel)` for every (patch entry, input pixel) pair of one image that lies
/// inside the image (padding is skipped): `col` indexes the image's rows of the im2col matrix
/// (`out_pixel * c_in * k * k + (c * k + ki) * k + kj`), `pixel` its channels-first input.
fn patches(s: &ConvShape, mut f: impl FnMut(usize, usize)) {
    let (wo, pk) = (s.w_out(), s.patch());
    for oh in 0..s.h_out() {
        for ow in 0..wo {
            let r = (oh * wo + ow) * pk;
            for c in 0..s.c_in {
                for ki in 0..s.k {
                    let ih = (oh * s.stride + ki) as isize - s.pad as isize;
                    if ih < 0 || ih >= s.h as isize {
                        continue;
                    }
                    for kj in 0..s.k {
                        let iw = (ow * s.stride + kj) as isize - s.pad as isize;
                        if iw >= 0 && iw < s.w as isize {
                            f(
                                r + (c * s.k + ki) * s.k + kj,
                                (c * s.h + ih as usize) * s.w + iw as usize,
                            );
                        }
                    }
                }
            }
        }
    }
}
