//! GLM families: mean function, IRLS weights and working residual, deviance, null model.
//! Multinomial has its own solver in `multinomial.rs`.

pub(crate) mod binomial;
pub(crate) mod gaussian;
pub(crate) mod multinomial;
pub(crate) mod poisson;

use crate::config::Family;

/// Mean of the response given the linear predictor.
pub(crate) fn mean(fam: Family, eta: f64) -> f64 {
    match fam {
        Family::Gaussian => eta,
        Family::Binomial => binomial::mean(eta),
        Family::Poisson => poisson::mean(eta),
        Family::Multinomial => unreachable!("multinomial has its own solver"),
    }
}

/// Weighted working residual w (y - mu) and IRLS weight w * dmu/deta at `eta`.
pub(crate) fn working(fam: Family, y: &[f64], w: &[f64], eta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let mut rho = Vec::with_capacity(n);
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        let mu = mean(fam, eta[i]);
        let var = match fam {
            Family::Gaussian => 1.0,
            Family::Binomial => binomial::variance(mu),
            Family::Poisson => mu,
            Family::Multinomial => unreachable!(),
        };
        rho.push(w[i] * (y[i] - mu));
        v.push(w[i] * var);
    }
    (rho, v)
}

/// Weighted deviance sum_i w_i dev(y_i, mu_i) at linear predictor `eta`.
pub(crate) fn deviance(fam: Family, y: &[f64], w: &[f64], eta: &[f64]) -> f64 {
    (0..y.len())
        .map(|i| {
            let mu = mean(fam, eta[i]);
            w[i] * match fam {
                Family::Gaussian => (y[i] - mu) * (y[i] - mu),
                Family::Binomial => binomial::unit_deviance(y[i], mu),
                Family::Poisson => occam_core::metrics::poisson_dev(y[i], mu),
                Family::Multinomial => unreachable!(),
            }
        })
        .sum()
}

/// Intercept of the intercept-only model (0 without an intercept).
pub(crate) fn null_intercept(fam: Family, y: &[f64], w: &[f64], intercept: bool) -> f64 {
    if !intercept {
        return 0.0;
    }
    let m: f64 = y.iter().zip(w).map(|(y, w)| y * w).sum();
    match fam {
        Family::Gaussian => m,
        Family::Binomial => (m / (1.0 - m)).ln(),
        Family::Poisson => m.ln(),
        Family::Multinomial => unreachable!(),
    }
}
