//! The accountants (RDP, PLD) for the Python package (`occam.privacy`): the facade's
//! `occam::privacy`, errors as `ValueError` naming the parameter.

use crate::py_err;
use occam::privacy;
use pyo3::prelude::*;

/// (epsilon, optimal Rényi order or None) of DP-SGD with these settings.
#[pyfunction]
#[pyo3(signature = (noise_multiplier, sample_rate, steps, delta, accountant = "rdp"))]
pub fn privacy_epsilon(
    noise_multiplier: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
    accountant: &str,
) -> PyResult<(f64, Option<f64>)> {
    let acc = privacy::accountant(accountant, "accountant").map_err(py_err)?;
    let g = privacy::epsilon(noise_multiplier, sample_rate, steps, delta, acc).map_err(py_err)?;
    Ok((g.epsilon, g.order))
}

/// The smallest noise multiplier whose epsilon is at most `epsilon`.
#[pyfunction]
#[pyo3(signature = (epsilon, sample_rate, steps, delta, accountant = "rdp"))]
pub fn privacy_noise(
    epsilon: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
    accountant: &str,
) -> PyResult<f64> {
    let acc = privacy::accountant(accountant, "accountant").map_err(py_err)?;
    privacy::noise_multiplier(epsilon, sample_rate, steps, delta, acc).map_err(py_err)
}
