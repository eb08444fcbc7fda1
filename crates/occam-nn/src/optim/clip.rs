//! Gradient clipping: by global L2 norm over all parameters (PyTorch's clip_grad_norm_, with
//! scale `max_norm / (norm + 1e-6)` applied when the norm exceeds `max_norm`) and by value.

use crate::param::Param;
use crate::real::Real;

/// Scales all gradients so their joint L2 norm is at most `max_norm`; returns the norm before.
pub fn clip_norm<R: Real>(params: &mut [&mut Param<R>], max_norm: f64) -> f64 {
    let norm = params
        .iter()
        .map(|p| p.grad.iter().map(|g| g.f64() * g.f64()).sum::<f64>())
        .sum::<f64>()
        .sqrt();
    if norm > max_norm {
        let s = R::of(max_norm / (norm + 1e-6));
        for p in params.iter_mut() {
            p.grad.iter_mut().for_each(|g| *g *= s);
        }
    }
    norm
}

/// Clamps every gradient entry to [-limit, limit].
pub fn clip_value<R: Real>(params: &mut [&mut Param<R>], limit: f64) {
    let (lo, hi) = (R::of(-limit), R::of(limit));
    for p in params.iter_mut() {
        p.grad.iter_mut().for_each(|g| *g = g.max(lo).min(hi));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ParamKind;

    #[test]
    fn clipping_by_norm_caps_the_joint_norm_and_by_value_caps_entries() {
        let mut a = Param::new("a".into(), ParamKind::Weight, vec![2], vec![0.0f64; 2]);
        let mut b = Param::new("b".into(), ParamKind::Bias, vec![1], vec![0.0f64]);
        a.grad = vec![3.0, 0.0];
        b.grad = vec![4.0];
        let before = clip_norm(&mut [&mut a, &mut b], 1.0);
        assert!((before - 5.0).abs() < 1e-12);
        let after = (a.grad[0].powi(2) + b.grad[0].powi(2)).sqrt();
        assert!((after - 1.0).abs() < 1e-6);
        a.grad = vec![-3.0, 0.5];
        clip_value(&mut [&mut a], 1.0);
        assert_eq!(a.grad, vec![-1.0, 0.5]);
    }
}
