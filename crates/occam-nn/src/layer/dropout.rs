//! Inverted dropout: in training each unit is kept with probability 1 - p and scaled by
//! 1/(1 - p); evaluation is the identity. Spatial dropout (PyTorch's Dropout2d, Tompson et
//! al. 2015) keeps or drops whole channels: one draw per group of `group` consecutive values
//! (a channel's pixels in a channels-first row).

use crate::mat::Mat;
use crate::real::Real;
use occam_core::rng::Rng;

#[derive(Clone, Debug)]
pub struct Dropout<R> {
    pub p: f64,
    /// Values sharing one draw: 1 for dropout, a channel's pixels for spatial dropout.
    pub group: usize,
    /// The last training mask, scaled (0 or 1/(1-p)); empty after an eval pass.
    pub mask: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Dropout<R> {
    /// Spatial dropout over channels of `pixels` values.
    pub fn spatial(p: f64, pixels: usize) -> Self {
        Dropout {
            group: pixels.max(1),
            ..Dropout::new(p)
        }
    }

    pub fn new(p: f64) -> Self {
        assert!((0.0..1.0).contains(&p), "dropout p must be in [0, 1)");
        Dropout {
            p,
            group: 1,
            mask: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn forward_train(&mut self, x: &Mat<R>, rng: &mut Rng) {
        let keep = 1.0 - self.p;
        let scale = R::of(1.0 / keep);
        let g = self.group.max(1);
        assert_eq!(
            x.cols % g,
            0,
            "spatial dropout: row width is not whole channels"
        );
        self.mask.clear();
        for _ in 0..x.data.len() / g {
            let m = if rng.uniform() < keep {
                scale
            } else {
                R::zero()
            };
            self.mask.extend(std::iter::repeat_n(m, g));
        }
        self.apply_mask(x);
    }

    /// out = x * mask with the stored mask (tests set the mask to compare with PyTorch).
    pub fn apply_mask(&mut self, x: &Mat<R>) {
        self.out.resize(x.rows, x.cols);
        self.out
            .data
            .iter_mut()
            .zip(&x.data)
            .zip(&self.mask)
            .for_each(|((o, &v), &m)| *o = v * m);
    }

    pub fn forward_eval(&mut self, x: &Mat<R>) {
        self.mask.clear();
        self.out.assign(x);
    }

    pub fn backward(&mut self, gy: &Mat<R>) {
        if self.mask.is_empty() {
            self.grad_in.assign(gy);
            return;
        }
        self.grad_in.resize(gy.rows, gy.cols);
        self.grad_in
            .data
            .iter_mut()
            .zip(&gy.data)
            .zip(&self.mask)
            .for_each(|((o, &g), &m)| *o = g * m);
    }
}
