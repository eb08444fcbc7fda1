//! Differential-privacy accounting (the RDP accountant of occam-nn's `privacy`, which equals
//! Google's dp-accounting): the epsilon that DP-SGD with Poisson sampling and Gaussian noise
//! spends, and the noise multiplier that meets a target epsilon. What `occam privacy` and
//! `occam.privacy` call; DP-SGD training will record its spending through it.

use crate::error::{Error, Result};
pub use occam_nn::dp::{DpConfig, DpNoise, PrivacySpent};
pub use occam_nn::privacy::{default_orders, Guarantee};

/// The accountant that converts the mechanism's privacy loss into (epsilon, delta).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accountant {
    /// Rényi DP over dp-accounting's order grid, with the improved RDP-to-(epsilon, delta)
    /// conversion (Canonne, Kamath & Steinke 2020).
    Rdp,
}

impl Accountant {
    /// Parses an accountant's name: "rdp" (PRV and PLD accountants are not in occam yet).
    pub fn parse(s: &str) -> Result<Accountant> {
        match s {
            "rdp" => Ok(Accountant::Rdp),
            "prv" | "pld" => Err(Error::param_err(
                "accountant",
                format!("'{s}' is not available yet: occam's accountant is rdp"),
            )),
            _ => Err(Error::param_err(
                "accountant",
                format!("'{s}' is not an accountant (rdp)"),
            )),
        }
    }
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
    match accountant {
        Accountant::Rdp => Ok(occam_nn::privacy::epsilon(
            noise_multiplier,
            sample_rate,
            steps,
            delta,
        )?),
    }
}

/// The smallest noise multiplier whose guarantee is at most `epsilon` at `delta`.
pub fn noise_multiplier(
    epsilon: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
    accountant: Accountant,
) -> Result<f64> {
    match accountant {
        Accountant::Rdp => Ok(occam_nn::privacy::noise_for_epsilon(
            epsilon,
            sample_rate,
            steps,
            delta,
        )?),
    }
}
