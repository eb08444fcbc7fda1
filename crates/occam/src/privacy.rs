//! Differential-privacy accounting of DP-SGD (Poisson sampling, Gaussian noise): the RDP
//! accountant of occam-nn's `privacy` (equal to Google's dp-accounting `RdpAccountant`) and
//! the tighter privacy-loss-distribution accountant of occam-nn's `pld` (within 1% of
//! dp-accounting's `PLDAccountant`): the epsilon that DP-SGD spends, and the noise multiplier
//! that meets a target epsilon. What `occam privacy`, `occam.privacy` and DP-SGD training
//! (`--dp-accountant`) call.

use crate::error::Result;
pub use occam_nn::dp::{DpConfig, DpNoise, PrivacySpent, PrivacyUnit};
pub use occam_nn::privacy::{default_orders, Accountant, Guarantee};

/// Parses an accountant's name ("rdp" or "pld"); `param` names the option in the error.
pub fn accountant(name: &str, param: &str) -> Result<Accountant> {
    Ok(Accountant::parse(name, param)?)
}

/// The guarantee of `steps` steps with Poisson sampling at `sample_rate` and Gaussian noise
/// of `noise_multiplier` times the clipping norm, at `delta`.
pub fn epsilon(
    noise_multiplier: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
    accountant: Accountant,
) -> Result<Guarantee> {
    Ok(accountant.epsilon(noise_multiplier, sample_rate, steps, delta)?)
}

/// The smallest noise multiplier whose guarantee is at most `epsilon` at `delta`.
pub fn noise_multiplier(
    epsilon: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
    accountant: Accountant,
) -> Result<f64> {
    Ok(accountant.noise_for_epsilon(epsilon, sample_rate, steps, delta)?)
}
