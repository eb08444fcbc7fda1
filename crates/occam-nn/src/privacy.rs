//! Privacy accounting for DP-SGD with the Rényi-DP accountant: the RDP of the
//! Poisson-subsampled Gaussian mechanism at a grid of orders (Mironov, Talwar & Zhang 2019,
//! "Rényi Differential Privacy of the Sampled Gaussian Mechanism": the integer-order sum of
//! section 3.2 and the fractional-order series of section 3.3), composed over the steps by
//! adding RDP (Mironov 2017), and converted to (epsilon, delta) with the improved bound of
//! Canonne, Kamath & Steinke 2020 (Proposition 12; also Asoodeh et al. 2020), minimised over
//! the orders. Also the other way round: the smallest noise multiplier that meets a target
//! epsilon. Neighbouring data sets differ by adding or removing one example.
//!
//! The order grid, the series' stopping rule and its cap of 1000 terms are those of Google's
//! dp-accounting (`RdpAccountant`), so that the two agree (tests/privacy.rs holds occam to
//! 1e-9 relative of its epsilons over a grid of 78 settings); an order whose series does not
//! settle within the cap is left out of the minimum, as there.

use crate::error::NnError;

/// dp-accounting's default RDP orders: 1.1, 1.2, ..., 10.9, then 11, ..., 63, then 128, 256,
/// 512, 1024.
pub fn default_orders() -> Vec<f64> {
    let mut o: Vec<f64> = (1..100).map(|x| 1.0 + f64::from(x) / 10.0).collect();
    o.extend((11..64).map(f64::from));
    o.extend([128.0, 256.0, 512.0, 1024.0]);
    o
}

/// The terms of the fractional-order series at most.
const MAX_SERIES_TERMS: usize = 1000;

/// An (epsilon, delta) guarantee and how the accountant reached it.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Guarantee {
    pub epsilon: f64,
    pub delta: f64,
    /// The Rényi order the minimum was attained at (RDP accountant).
    pub order: Option<f64>,
    /// The loss grid's cell width (PLD accountant).
    pub interval: Option<f64>,
}

/// The accountant that turns DP-SGD's steps into (epsilon, delta).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accountant {
    /// Rényi DP over dp-accounting's order grid (this module).
    #[default]
    Rdp,
    /// The privacy loss distribution, composed by FFT (`pld`): tighter.
    Pld,
}

impl Accountant {
    /// Parses "rdp" or "pld"; `param` names the option in the error.
    pub fn parse(s: &str, param: &str) -> Result<Accountant, NnError> {
        match s {
            "rdp" => Ok(Accountant::Rdp),
            "pld" => Ok(Accountant::Pld),
            "prv" => Err(NnError::config(
                param,
                "'prv' is not in occam: use pld (the privacy loss distribution, as tight)",
            )),
            _ => Err(NnError::config(
                param,
                format!("'{s}' is not an accountant (rdp, pld)"),
            )),
        }
    }

    /// The accountant's name, as `parse` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Accountant::Rdp => "rdp",
            Accountant::Pld => "pld",
        }
    }

    /// The guarantee of `steps` steps (see [`epsilon`] and [`crate::pld::epsilon`]).
    pub fn epsilon(
        self,
        noise_multiplier: f64,
        sample_rate: f64,
        steps: u64,
        delta: f64,
    ) -> Result<Guarantee, NnError> {
        match self {
            Accountant::Rdp => epsilon(noise_multiplier, sample_rate, steps, delta),
            Accountant::Pld => {
                let g = crate::pld::epsilon(noise_multiplier, sample_rate, steps, delta)?;
                Ok(Guarantee {
                    epsilon: g.epsilon,
                    delta,
                    order: None,
                    interval: Some(g.interval),
                })
            }
        }
    }

    /// The smallest noise multiplier that meets `target` epsilon (see
    /// [`noise_for_epsilon`] and [`crate::pld::noise_for_epsilon`]).
    pub fn noise_for_epsilon(
        self,
        target: f64,
        sample_rate: f64,
        steps: u64,
        delta: f64,
    ) -> Result<f64, NnError> {
        match self {
            Accountant::Rdp => noise_for_epsilon(target, sample_rate, steps, delta),
            Accountant::Pld => crate::pld::noise_for_epsilon(target, sample_rate, steps, delta),
        }
    }
}

/// log(exp(a) + exp(b)).
fn log_add(a: f64, b: f64) -> f64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    (lo - hi).exp().ln_1p() + hi
}

/// log |Gamma(x)|.
fn ln_gamma(x: f64) -> f64 {
    libm::lgamma_r(x).0
}

/// log |C(n, k)| for real n (the magnitude, as the series uses it).
fn log_comb(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// log(erfc(x)), accurate where erfc underflows (x past ~26): the asymptotic expansion
/// erfc(x) ~ exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + 105/(16x^8)).
fn log_erfc(x: f64) -> f64 {
    if x < 20.0 {
        return libm::erfc(x).ln();
    }
    let z = 1.0 / (x * x);
    let series =
        1.0 - z / 2.0 + 3.0 * z * z / 4.0 - 15.0 * z * z * z / 8.0 + 105.0 * z * z * z * z / 16.0;
    -x * x - x.ln() - 0.5 * std::f64::consts::PI.ln() + series.ln()
}

/// log A_alpha for integer alpha (section 3.2): a finite binomial sum.
fn log_a_int(q: f64, sigma: f64, alpha: u64) -> f64 {
    let (lq, l1mq) = (q.ln(), (-q).ln_1p());
    let a = alpha as f64;
    (0..=alpha).fold(f64::NEG_INFINITY, |acc, i| {
        let i = i as f64;
        let coef = log_comb(a, i) + i * lq + (a - i) * l1mq;
        log_add(acc, coef + (i * i - i) / (2.0 * sigma * sigma))
    })
}

/// log A_alpha for fractional alpha (section 3.3): two series split at z0, summed until both
/// terms decrease and are 30 nats below the total; `None` when they do not within the cap.
fn log_a_frac(q: f64, sigma: f64, alpha: f64) -> Option<f64> {
    let (mut a0, mut a1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let z0 = sigma * sigma * (1.0 / q - 1.0).ln() + 0.5;
    let (lq, l1mq) = (q.ln(), (-q).ln_1p());
    let (mut last0, mut last1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let s2 = std::f64::consts::SQRT_2 * sigma;
    for i in 0..MAX_SERIES_TERMS {
        let i = i as f64;
        let coef = log_comb(alpha, i);
        let j = alpha - i;
        let t0 = coef + i * lq + j * l1mq;
        let t1 = coef + j * lq + i * l1mq;
        let e0 = 0.5f64.ln() + log_erfc((i - z0) / s2);
        let e1 = 0.5f64.ln() + log_erfc((z0 - j) / s2);
        let s0 = t0 + (i * i - i) / (2.0 * sigma * sigma) + e0;
        let s1 = t1 + (j * j - j) / (2.0 * sigma * sigma) + e1;
        a0 = log_add(a0, s0);
        a1 = log_add(a1, s1);
        let total = log_add(a0, a1);
        if s0 < last0 && s1 < last1 && s0.max(s1) < total - 30.0 {
            return Some(total);
        }
        last0 = s0;
        last1 = s1;
    }
    None
}

/// The RDP of one step of the Poisson-subsampled Gaussian mechanism (sampling rate `q`,
/// noise multiplier `sigma`) at order `alpha` > 1; infinity where unbounded or where the
/// fractional series does not settle.
pub fn rdp_sampled_gaussian(q: f64, sigma: f64, alpha: f64) -> f64 {
    if q == 0.0 {
        return 0.0;
    }
    if alpha.is_infinite() || sigma == 0.0 {
        return f64::INFINITY;
    }
    if q == 1.0 {
        return alpha / (2.0 * sigma * sigma);
    }
    let log_a = if alpha.fract() == 0.0 {
        Some(log_a_int(q, sigma, alpha as u64))
    } else {
        log_a_frac(q, sigma, alpha)
    };
    log_a.map_or(f64::INFINITY, |l| l / (alpha - 1.0))
}

/// The smallest epsilon over `orders` for composed RDP values `rdp` at `delta` (the
/// conversion of Canonne, Kamath & Steinke 2020, Proposition 12).
pub fn epsilon_from_rdp(orders: &[f64], rdp: &[f64], delta: f64) -> (f64, f64) {
    let mut best = (f64::INFINITY, orders.first().copied().unwrap_or(0.0));
    for (&a, &r) in orders.iter().zip(rdp) {
        let eps = if r < 0.0 {
            0.0
        } else if delta * delta + (-r).exp_m1() > 0.0 {
            // delta <= sqrt(1 - exp(-KL)): epsilon 0 already
            0.0
        } else if a > 1.01 {
            r + (-1.0 / a).ln_1p() - (delta * a).ln() / (a - 1.0)
        } else {
            f64::INFINITY
        };
        if eps < best.0 {
            best = (eps, a);
        }
    }
    (best.0.max(0.0), best.1)
}

/// Checks a mechanism's settings, naming the bad one (shared with `pld`).
pub(crate) fn check(noise: f64, q: f64, steps: u64, delta: f64) -> Result<(), NnError> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(NnError::config(
            "noise_multiplier",
            format!("{noise} is not a finite non-negative number"),
        ));
    }
    if !(0.0..=1.0).contains(&q) {
        return Err(NnError::config(
            "sample_rate",
            format!("{q} is not in [0, 1]"),
        ));
    }
    if steps == 0 {
        return Err(NnError::config("steps", "must be at least 1"));
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(NnError::config(
            "delta",
            format!("{delta} is not in (0, 1)"),
        ));
    }
    Ok(())
}

/// The (epsilon, delta) guarantee of `steps` steps of DP-SGD with Poisson sampling at rate
/// `sample_rate` and Gaussian noise of `noise_multiplier` times the clipping norm, by the
/// RDP accountant over [`default_orders`]. Infinite epsilon when no order bounds it (no
/// noise).
pub fn epsilon(
    noise_multiplier: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
) -> Result<Guarantee, NnError> {
    check(noise_multiplier, sample_rate, steps, delta)?;
    let orders = default_orders();
    let rdp: Vec<f64> = orders
        .iter()
        .map(|&a| steps as f64 * rdp_sampled_gaussian(sample_rate, noise_multiplier, a))
        .collect();
    let (epsilon, order) = epsilon_from_rdp(&orders, &rdp, delta);
    Ok(Guarantee {
        epsilon,
        delta,
        order: Some(order),
        interval: None,
    })
}

/// The smallest noise multiplier whose guarantee is at most `target` epsilon at `delta`
/// after `steps` steps at `sample_rate` (bisection on the noise to 1e-9 relative; epsilon
/// falls as the noise grows).
pub fn noise_for_epsilon(
    target: f64,
    sample_rate: f64,
    steps: u64,
    delta: f64,
) -> Result<f64, NnError> {
    if !(target.is_finite() && target > 0.0) {
        return Err(NnError::config(
            "epsilon",
            format!("{target} is not a finite positive number"),
        ));
    }
    check(1.0, sample_rate, steps, delta)?;
    if sample_rate == 0.0 {
        return Ok(0.0);
    }
    let eps_at = |s: f64| epsilon(s, sample_rate, steps, delta).map(|g| g.epsilon);
    // bracket: grow the upper end until it meets the target
    let mut hi = 1.0;
    while eps_at(hi)? > target {
        hi *= 2.0;
        if hi > 1e6 {
            return Err(NnError::config(
                "epsilon",
                format!("{target} is out of reach: even noise 1e6 gives more"),
            ));
        }
    }
    bisect_noise(0.0, hi, 1e-9, target, eps_at)
}

/// Bisects the noise between `lo` (epsilon above `target`) and `hi` (epsilon at most
/// `target`) until they are within `rel` of `hi`; returns the end that meets the target.
/// Shared by the RDP and PLD accountants' noise searches (epsilon falls as the noise grows).
pub(crate) fn bisect_noise(
    mut lo: f64,
    mut hi: f64,
    rel: f64,
    target: f64,
    eps_at: impl Fn(f64) -> Result<f64, NnError>,
) -> Result<f64, NnError> {
    while hi - lo > rel * hi {
        let mid = 0.5 * (lo + hi);
        if eps_at(mid)? > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_erfc_is_continuous_at_the_switch_and_matches_erfc() {
        for x in [-3.0, 0.0, 0.5, 3.0, 10.0] {
            assert!((log_erfc(x) - libm::erfc(x).ln()).abs() < 1e-14, "{x}");
        }
        let (a, b) = (libm::erfc(19.999_999).ln(), log_erfc(20.0));
        assert!((a - b).abs() < 1e-4, "{a} {b}");
        // past the switch: SciPy's log_ndtr values (log 2 + log_ndtr(-x sqrt 2))
        for (x, want) in [
            (20.0, -403.569_343_334_104_4),
            (25.0, -628.792_039_174_072),
            (30.0, -903.974_117_110_644_2),
            (100.0, -10_005.177_585_122_668),
        ] {
            assert!((log_erfc(x) - want).abs() < 1e-9 * want.abs(), "{x}");
        }
    }

    #[test]
    fn full_batch_is_the_gaussian_mechanism() {
        // q = 1: RDP alpha / (2 sigma^2) per step
        assert_eq!(rdp_sampled_gaussian(1.0, 2.0, 3.0), 3.0 / 8.0);
        assert_eq!(rdp_sampled_gaussian(0.0, 2.0, 3.0), 0.0);
        assert!(rdp_sampled_gaussian(0.1, 0.0, 3.0).is_infinite());
    }

    #[test]
    fn integer_and_fractional_orders_agree_where_they_meet() {
        // the fractional series at alpha = 3 +- tiny brackets the integer sum
        let (q, s) = (0.01, 1.1);
        let int = rdp_sampled_gaussian(q, s, 3.0);
        let near = rdp_sampled_gaussian(q, s, 3.0 + 1e-9);
        assert!((int - near).abs() < 1e-7 * int, "{int} {near}");
    }

    #[test]
    fn more_noise_less_epsilon_and_the_inverse() {
        let e1 = epsilon(1.0, 0.01, 1000, 1e-5).unwrap().epsilon;
        let e2 = epsilon(2.0, 0.01, 1000, 1e-5).unwrap().epsilon;
        assert!(e2 < e1);
        let s = noise_for_epsilon(e1, 0.01, 1000, 1e-5).unwrap();
        assert!((s - 1.0).abs() < 1e-6, "{s}");
        assert!(epsilon(0.0, 0.01, 10, 1e-5).unwrap().epsilon.is_infinite());
        assert!(epsilon(1.0, 1.5, 10, 1e-5).is_err());
        assert!(epsilon(1.0, 0.1, 10, 0.0).is_err());
        assert!(noise_for_epsilon(-1.0, 0.1, 10, 1e-5).is_err());
    }
}
