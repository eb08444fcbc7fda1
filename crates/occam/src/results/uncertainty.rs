//! The held-out check of a network's predictive uncertainty (its Laplace approximation,
//! over the last layer or every parameter): the evidence's hyperparameters, and on the held-out rows the coverage of
//! central intervals at several levels (regression) or the calibration of the moderated
//! probabilities against the network's own (classes).

use serde::{Deserialize, Serialize};

/// A Laplace approximation's hyperparameters and its held-out calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Uncertainty {
    /// How the uncertainty was computed.
    pub method: String,
    /// The rows scored: "test" or "validation".
    pub held_out: String,
    /// How many.
    pub rows: usize,
    /// The prior precision of the parameters the approximation covers (the evidence's
    /// optimum, or the validation rows' choice).
    pub prior_precision: f64,
    /// Regression: the evidence-optimal noise sd, in the target's units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_sd: Option<f64>,
    /// The log marginal likelihood (training rows, the network's units).
    pub log_marglik: f64,
    /// gamma: the effective number of those parameters the data determine.
    pub effective_params: f64,
    /// The parameters it covers (the last layer's, or all).
    pub n_params: usize,
    /// Regression: intervals on the held-out rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression: Option<IntervalCheck>,
    /// Classes: moderated against plain probabilities on the held-out rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<ProbabilityCheck>,
}

/// Central intervals mean +- z sd on held-out rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntervalCheck {
    /// (nominal level, share of rows inside), levels 0.1 to 0.9, 0.95 and 0.99.
    pub coverage: Vec<(f64, f64)>,
    /// The mean Gaussian log predictive density per row (the target's units).
    pub log_lik: f64,
    /// The root mean square error of the predictions.
    pub rmse: f64,
    /// Per held-out row (at most 500, the first): the prediction.
    pub mean: Vec<f64>,
    /// Its predictive sd.
    pub sd: Vec<f64>,
    /// The observed value.
    pub observed: Vec<f64>,
}

/// Probabilities of the predicted class on held-out rows: the Laplace's probit-moderated
/// ones and the network's own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityCheck {
    /// Mean negative log-likelihood of the true class, moderated.
    pub nll_moderated: f64,
    /// The same, plain.
    pub nll_plain: f64,
    /// Expected calibration error over 10 equal-width confidence bins, moderated.
    pub ece_moderated: f64,
    /// The same, plain.
    pub ece_plain: f64,
    /// Reliability, moderated: per non-empty bin (mean confidence, accuracy, rows).
    pub reliability_moderated: Vec<(f64, f64, usize)>,
    /// The same, plain.
    pub reliability_plain: Vec<(f64, f64, usize)>,
}

/// The coverage levels checked.
pub const LEVELS: [f64; 11] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/// z with P(|Z| <= z) = level for a standard normal (bisection on erf).
pub fn z_of(level: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 10.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if erf(mid / std::f64::consts::SQRT_2) < level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// erf by its Taylor series (|x| <= 3) or the continued fraction of erfc, to about 1e-15.
fn erf(x: f64) -> f64 {
    if x < 0.0 {
        return -erf(-x);
    }
    if x <= 3.0 {
        let (mut term, mut sum, x2) = (x, x, x * x);
        for n in 1..200 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + 1/2 / (x + 1 / (x + 3/2 / (x + ...))))
        let mut f = x;
        for k in (1..60).rev() {
            f = x + (k as f64 / 2.0) / f;
        }
        1.0 - (-x * x).exp() / std::f64::consts::PI.sqrt() / f
    }
}

impl IntervalCheck {
    /// The check of predictions `mean` with sd `sd` against `observed`.
    pub fn of(mean: &[f64], sd: &[f64], observed: &[f64]) -> IntervalCheck {
        let n = observed.len().max(1) as f64;
        let coverage = LEVELS
            .iter()
            .map(|&l| {
                let z = z_of(l);
                let inside = (0..observed.len())
                    .filter(|&i| (observed[i] - mean[i]).abs() <= z * sd[i])
                    .count();
                (l, inside as f64 / n)
            })
            .collect();
        let half_log_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let log_lik = (0..observed.len())
            .map(|i| {
                let r = (observed[i] - mean[i]) / sd[i];
                -0.5 * r * r - sd[i].ln() - half_log_2pi
            })
            .sum::<f64>()
            / n;
        let rmse = ((0..observed.len())
            .map(|i| (observed[i] - mean[i]).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        let keep = observed.len().min(500);
        IntervalCheck {
            coverage,
            log_lik,
            rmse,
            mean: mean[..keep].to_vec(),
            sd: sd[..keep].to_vec(),
            observed: observed[..keep].to_vec(),
        }
    }
}

impl ProbabilityCheck {
    /// The check of class-probability rows `moderated` and `plain` (one column: P(second
    /// class)) against the true class indices `truth`.
    pub fn of(moderated: &[Vec<f64>], plain: &[Vec<f64>], truth: &[usize]) -> ProbabilityCheck {
        let (nm, em, rm) = calibration(moderated, truth);
        let (np, ep, rp) = calibration(plain, truth);
        ProbabilityCheck {
            nll_moderated: nm,
            nll_plain: np,
            ece_moderated: em,
            ece_plain: ep,
            reliability_moderated: rm,
            reliability_plain: rp,
        }
    }
}

/// (mean NLL, ECE, reliability bins) of probability rows against the true classes.
fn calibration(rows: &[Vec<f64>], truth: &[usize]) -> (f64, f64, Vec<(f64, f64, usize)>) {
    let full = |r: &Vec<f64>| -> Vec<f64> {
        if r.len() == 1 {
            vec![1.0 - r[0], r[0]]
        } else {
            r.clone()
        }
    };
    let n = truth.len().max(1) as f64;
    let mut nll = 0.0;
    let mut bins = vec![(0.0, 0.0, 0usize); 10];
    for (r, &t) in rows.iter().zip(truth) {
        let p = full(r);
        nll -= p.get(t).copied().unwrap_or(0.0).max(1e-300).ln();
        let (k, conf) =
            p.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |a, (k, &v)| if v > a.1 { (k, v) } else { a },
            );
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += conf;
        bins[b].1 += (k == t) as u8 as f64;
        bins[b].2 += 1;
    }
    let ece = bins
        .iter()
        .filter(|b| b.2 > 0)
        .map(|b| (b.0 - b.1).abs() / n)
        .sum();
    let rel = bins
        .into_iter()
        .filter(|b| b.2 > 0)
        .map(|(c, a, m)| (c / m as f64, a / m as f64, m))
        .collect();
    (nll / n, ece, rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_matches_the_normal_quantiles() {
        assert!((z_of(0.9) - 1.6448536269514722).abs() < 1e-12);
        assert!((z_of(0.95) - 1.959963984540054).abs() < 1e-12);
        assert!((z_of(0.99) - 2.5758293035489004).abs() < 1e-12);
        assert!((erf(3.5) - 0.9999992569016276).abs() < 1e-15);
    }

    #[test]
    fn a_perfect_gaussian_sample_is_covered_at_its_levels() {
        // observed = mean + sd * quantiles of the standard normal at (i + 0.5) / n
        let n = 2000;
        let q: Vec<f64> = (0..n)
            .map(|i| {
                let u = (i as f64 + 0.5) / n as f64;
                let l = (2.0 * u - 1.0).abs();
                z_of(l) * if u < 0.5 { -1.0 } else { 1.0 }
            })
            .collect();
        let c = IntervalCheck::of(
            &vec![1.0; n],
            &vec![2.0; n],
            &q.iter().map(|z| 1.0 + 2.0 * z).collect::<Vec<_>>(),
        );
        for (l, got) in &c.coverage {
            assert!((got - l).abs() <= 1.0 / n as f64 + 1e-12, "{l}: {got}");
        }
        let p = ProbabilityCheck::of(&[vec![0.9], vec![0.2]], &[vec![0.99], vec![0.4]], &[1, 0]);
        assert!(p.nll_moderated > 0.0 && p.ece_plain >= 0.0);
        assert_eq!(
            p.reliability_moderated.iter().map(|b| b.2).sum::<usize>(),
            2
        );
    }
}
