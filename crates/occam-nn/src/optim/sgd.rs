//! Stochastic gradient descent with optional (Nesterov) momentum, as PyTorch's SGD with
//! dampening 0: the momentum buffer starts as the first gradient.

use crate::real::Real;

pub fn update<R: Real>(
    w: &mut [R],
    g: &[R],
    buf: &mut [R],
    lr: f64,
    momentum: f64,
    nesterov: bool,
    first: bool,
) {
    let lr = R::of(lr);
    if momentum == 0.0 {
        w.iter_mut().zip(g).for_each(|(w, &g)| *w -= lr * g);
        return;
    }
    let mu = R::of(momentum);
    for ((w, &g), b) in w.iter_mut().zip(g).zip(buf.iter_mut()) {
        *b = if first { g } else { mu * *b + g };
        let d = if nesterov { g + mu * *b } else { *b };
        *w -= lr * d;
    }
}
