//! Inverted dropout: in training each unit is kept with probability 1 - p and scaled by
//! 1/(1 - p); evaluation is the identity.

use crate::mat::Mat;
use crate::real::Real;
use occam_core::rng::Rng;

#[derive(Clone, Debug)]
pub struct Dropout<R> {
    pub p: f64,
    /// The last training mask, scaled (0 or 1/(1-p)); empty after an eval pass.
    pub mask: Vec<R>,
    pub out: Mat<R>,
    pub grad_in: Mat<R>,
}

impl<R: Real> Dropout<R> {
    pub fn new(p: f64) -> Self {
        assert!((0.0..1.0).contains(&p), "dropout p must be in [0, 1)");
        Dropout {
            p,
            mask: Vec::new(),
            out: Mat::default(),
            grad_in: Mat::default(),
        }
    }

    pub fn forward_train(&mut self, x: &Mat<R>, rng: &mut Rng) {
        let keep = 1.0 - self.p;
        let scale = R::of(1.0 / keep);
        self.mask.clear();
        self.mask.extend((0..x.data.len()).map(|_| {
            if rng.uniform() < keep {
                scale
            } else {
                R::zero()
            }
        }));
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
