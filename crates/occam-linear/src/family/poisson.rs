//! Poisson family: log link; deviance in occam_core::metrics::poisson_dev.

/// exp(eta), with eta capped as glmnet does to avoid overflow.
pub(crate) fn mean(eta: f64) -> f64 {
    eta.min(250.0).exp()
}
