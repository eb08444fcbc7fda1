//! 2-D max and average pooling over channels-first images, square windows with stride equal
//! to the window (PyTorch's MaxPool2d(k) / AvgPool2d(k) defaults); rows and columns that do not
//! fill a window are dropped, as PyTorch does. Max pooling routes the gradient to the
//! maximum of each window (the first one on ties).

use crate::mat::Mat;
use crate::real::Real;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    Max,
    Avg,
}

#[derive(Clone, Debug)]
pub struct Pool2d<R> {
    pub kind: PoolKind,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
    argmax: Vec<usize>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Pool2d<R> {
    pub fn new(kind: PoolKind, c: usize, h: usize, w: usize, k: usize) -> Self {
        Pool2d {
            kind,
            c,
            h,
            w,
            k,
            argmax: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn h_out(&self) -> usize {
        self.h / self.k
    }
    pub fn w_out(&self) -> usize {
        self.w / self.k
    }

    pub fn forward(&mut self, x: &Mat<R>) {
        let (ho, wo, k) = (self.h_out(), self.w_out(), self.k);
        let (c, h, w, kind) = (self.c, self.h, self.w, self.kind);
        let per = c * ho * wo;
        self.out.resize(x.rows, per);
        self.argmax.resize(x.rows * per, 0);
        let scale = R::of(1.0 / (k * k) as f64);
        self.out
            .data
            .par_chunks_mut(per.max(1))
            .zip(self.argmax.par_chunks_mut(per.max(1)))
            .zip(x.data.par_chunks(x.cols.max(1)))
            .for_each(|((out, arg), img)| {
                if kind == PoolKind::Max && k == 2 {
                    max2(img, out, arg, c, h, w);
                    return;
                }
                for ch in 0..c {
                    for oh in 0..ho {
                        for ow in 0..wo {
                            let o = (ch * ho + oh) * wo + ow;
                            let mut best = (usize::MAX, R::neg_infinity());
                            let mut sum = R::zero();
                            for ki in 0..k {
                                for kj in 0..k {
                                    let i = (ch * h + oh * k + ki) * w + ow * k + kj;
                                    if img[i] > best.1 {
                                        best = (i, img[i]);
                                    }
                                    sum += img[i];
                                }
                            }
                            out[o] = match kind {
                                PoolKind::Max => {
                                    arg[o] = best.0;
                                    best.1
                                }
                                PoolKind::Avg => sum * scale,
                            };
                        }
                    }
                }
            });
    }

    pub fn backward(&mut self, gy: &Mat<R>) {
        let (ho, wo, k) = (self.h_out(), self.w_out(), self.k);
        let (c, h, w, kind) = (self.c, self.h, self.w, self.kind);
        let per = c * ho * wo;
        self.grad_in.resize(gy.rows, c * h * w);
        self.grad_in.data.iter_mut().for_each(|v| *v = R::zero());
        let scale = R::of(1.0 / (k * k) as f64);
        self.grad_in
            .data
            .par_chunks_mut((c * h * w).max(1))
            .zip(gy.data.par_chunks(per.max(1)))
            .zip(self.argmax.par_chunks(per.max(1)))
            .for_each(|((gi, g), arg)| {
                for ch in 0..c {
                    for oh in 0..ho {
                        for ow in 0..wo {
                            let o = (ch * ho + oh) * wo + ow;
                            match kind {
                                PoolKind::Max => gi[arg[o]] += g[o],
                                PoolKind::Avg => {
                                    for ki in 0..k {
                                        for kj in 0..k {
                                            gi[(ch * h + oh * k + ki) * w + ow * k + kj] +=
                                                g[o] * scale;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            });
    }
}

/// Max pooling over 2 x 2 windows of one image (the common case, without the general loop's
/// index arithmetic): `out` and `arg` get each window's maximum and its input index (the
/// first one on ties, in row-major window order, as the general loop).
fn max2<R: Real>(img: &[R], out: &mut [R], arg: &mut [usize], c: usize, h: usize, w: usize) {
    let (ho, wo) = (h / 2, w / 2);
    for ch in 0..c {
        for oh in 0..ho {
            let r0 = (ch * h + 2 * oh) * w;
            let (top, bot) = (&img[r0..r0 + w], &img[r0 + w..r0 + 2 * w]);
            let o0 = (ch * ho + oh) * wo;
            let (o, a) = (&mut out[o0..o0 + wo], &mut arg[o0..o0 + wo]);
            for ow in 0..wo {
                let j = 2 * ow;
                let (mut bv, mut bi) = (top[j], r0 + j);
                if top[j + 1] > bv {
                    (bv, bi) = (top[j + 1], r0 + j + 1);
                }
                if bot[j] > bv {
                    (bv, bi) = (bot[j], r0 + w + j);
                }
                if bot[j + 1] > bv {
                    (bv, bi) = (bot[j + 1], r0 + w + j + 1);
                }
                o[ow] = bv;
                a[ow] = bi;
            }
        }
    }
}
