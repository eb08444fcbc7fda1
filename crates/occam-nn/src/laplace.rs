//! Last-layer Laplace approximation (MacKay 1992; Daxberger et al. 2021, "Laplace Redux",
//! whose library laplace-torch is the reference): the weights and biases of the network's
//! last dense layer get a Gaussian posterior N(theta_MAP, P^-1) with P = GGN / sigma^2 +
//! delta I, the full generalized Gauss-Newton of the training loss (exact here: the outputs
//! are linear in the last layer), every other layer kept at its trained value.
//!
//! Parameters are ordered as laplace-torch orders them (PyTorch's `weight[c, h]`, then
//! `bias[c]`). The likelihoods: Gaussian (regression, noise sd sigma), Bernoulli (one logit),
//! categorical (softmax). Terms as laplace-torch defines them: loss = 0.5 RSS or the summed
//! cross-entropy; log likelihood = -loss / sigma^2 - N C log(sigma sqrt(2 pi)) (regression)
//! or -loss; log marginal likelihood = log likelihood - (log det P - log det P0 + delta
//! |theta|^2) / 2. [`LastLayerLaplace::optimize`] maximizes it over delta (and sigma) exactly
//! ([`evidence_optimum`] on the GGN's eigenvalues); the predictive is the linearized (GLM)
//! one: f_var = J P^-1 J^T, plus sigma^2 for regression, and the probit approximation
//! softmax(f / sqrt(1 + pi/8 f_var)) for classes.

pub mod diag;
pub mod kron;

use crate::data::{Data, Features, Gather};
use crate::error::NnError;
use crate::mat::{matmul, Mat, View};
use crate::net::Net;
use crate::real::Real;
use occam_core::Task;

/// The likelihood the last layer's outputs feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    /// Gaussian with noise sd sigma on every output (regression).
    Gaussian,
    /// One logit, sigmoid (binary classes).
    Bernoulli,
    /// Softmax over the outputs (classes).
    Categorical,
}

impl Likelihood {
    /// The likelihood of a task; counts (Poisson) have none here.
    pub fn of(task: Task) -> Result<Likelihood, NnError> {
        match task {
            Task::Regression => Ok(Likelihood::Gaussian),
            Task::Binary => Ok(Likelihood::Bernoulli),
            Task::Multiclass => Ok(Likelihood::Categorical),
            Task::Counts => Err(NnError::Config {
                param: "laplace".into(),
                message: "the Laplace approximation covers regression and classes, not counts"
                    .into(),
            }),
        }
    }
}

impl Likelihood {
    /// The factor of the GGN in the posterior precision: 1 / sigma^2 (Gaussian), else 1.
    pub fn h_factor(self, sigma: f64) -> f64 {
        match self {
            Likelihood::Gaussian => 1.0 / (sigma * sigma),
            _ => 1.0,
        }
    }

    /// The log likelihood at the MAP from its `loss` (0.5 RSS or the summed NLL) over `nc`
    /// targets (laplace-torch's definition): -loss / sigma^2 - nc log(sigma sqrt(2 pi)) for
    /// the Gaussian, -loss otherwise.
    pub fn log_likelihood(self, loss: f64, nc: f64, sigma: f64) -> f64 {
        match self {
            Likelihood::Gaussian => {
                -loss / (sigma * sigma) - nc * (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln()
            }
            _ => -loss,
        }
    }
}

/// The most last-layer parameters the full GGN is built for (its eigenvalues and the
/// posterior covariance cost O(P^3): a few seconds at 2,000).
pub const MAX_PARAMS: usize = 2000;

/// The last layer's GGN at the trained weights, with what the marginal likelihood needs.
#[derive(Clone, Debug)]
pub struct LastLayerLaplace {
    pub likelihood: Likelihood,
    /// C: the network's outputs.
    pub n_out: usize,
    /// H: the width of the features entering the last layer.
    pub n_feat: usize,
    /// N: training rows.
    pub n_data: usize,
    /// The MAP parameters (C H weights, then C biases).
    pub theta: Vec<f64>,
    /// The GGN sum_i J_i^T Lambda_i J_i (P x P, row-major), without 1 / sigma^2.
    pub ggn: Vec<f64>,
    /// 0.5 RSS (Gaussian) or the summed negative log likelihood (classes).
    pub loss: f64,
    /// The GGN's eigenvalues (ascending, negatives from rounding set to 0).
    values: Vec<f64>,
}

/// Evidence-optimal hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// delta: the prior precision of every last-layer parameter.
    pub prior_precision: f64,
    /// sigma: the observation noise sd (1 for classes).
    pub sigma_noise: f64,
    /// The log marginal likelihood there.
    pub log_marglik: f64,
    /// Effective number of parameters gamma = sum lambda s / (lambda s + delta).
    pub effective_params: f64,
}

impl LastLayerLaplace {
    /// The GGN of `net`'s last layer over the rows of `data` (targets as the loss reads them:
    /// standardized values, 0/1, class indices), in evaluation mode.
    pub fn fit<R: Real>(net: &mut Net<R>, data: &Data<R>) -> Result<Self, NnError> {
        let likelihood = Likelihood::of(data.task)?;
        let last = match net.layers.last() {
            Some(crate::Layer::Dense(d)) => d,
            _ => {
                return Err(NnError::Model(
                    "the network does not end in a dense layer".into(),
                ))
            }
        };
        let (h, c) = (last.n_in, last.n_out);
        let p = c * (h + 1);
        if p > MAX_PARAMS {
            return Err(NnError::Config {
                param: "laplace".into(),
                message: format!(
                    "the last layer has {p} parameters; the full GGN is built for at most \
                     {MAX_PARAMS} (narrow the last hidden layer)"
                ),
            });
        }
        let n = data.rows();
        if n == 0 {
            return Err(NnError::Config {
                param: "laplace".into(),
                message: "no training rows".into(),
            });
        }
        // theta in PyTorch's order: weight[c, h] (ours is [h, c]) then bias[c]
        let mut theta = vec![0.0; p];
        for hi in 0..h {
            for ci in 0..c {
                theta[ci * h + hi] = last.weight.value[hi * c + ci].f64();
            }
        }
        for ci in 0..c {
            theta[c * h + ci] = last.bias.value[ci].f64();
        }
        let mut ggn = vec![0.0; p * p];
        let mut loss = 0.0;
        let w = data.y_width();
        let mut gather = Gather::default();
        let idx: Vec<usize> = (0..n).collect();
        let chunk = if net.spec.conv.is_empty() { 1024 } else { 128 };
        let (mut u, mut su) = (Vec::new(), Vec::new());
        let mut gram = vec![0.0; (h + 1) * (h + 1)];
        for s in (0..n).step_by(chunk) {
            let e = (s + chunk).min(n);
            let m = e - s;
            gather.fill_x(&data.x, &idx[s..e]);
            net.forward_eval(gather.batch());
            features_into(net, &gather, &mut u);
            let f = net.output();
            // per-row Hessian of the loss in the outputs, Lambda (m x C x C), and the loss
            let mut lam = vec![0.0; m * c * c];
            for r in 0..m {
                let fr: Vec<f64> = f.row(r).iter().map(|v| v.f64()).collect();
                let yr = &data.y[(s + r) * w..(s + r + 1) * w];
                let l = &mut lam[r * c * c..(r + 1) * c * c];
                loss += row_loss(likelihood, &fr, yr, l);
            }
            // G[I_a, I_b] += U^T diag(Lambda[:, a, b]) U for each pair of outputs a <= b
            for a in 0..c {
                for b in a..c {
                    let wts: Vec<f64> = (0..m).map(|r| lam[r * c * c + a * c + b]).collect();
                    if wts.iter().all(|&v| v == 0.0) {
                        continue;
                    }
                    su.clear();
                    for r in 0..m {
                        su.extend(u[r * (h + 1)..(r + 1) * (h + 1)].iter().map(|v| v * wts[r]));
                    }
                    matmul(
                        &mut gram,
                        View::new(&u, m, h + 1).t(),
                        View::new(&su, m, h + 1),
                        false,
                    );
                    for i in 0..=h {
                        let pi = index(a, i, h, c);
                        for j in 0..=h {
                            let pj = index(b, j, h, c);
                            let g = gram[i * (h + 1) + j];
                            ggn[pi * p + pj] += g;
                            if a != b {
                                ggn[pj * p + pi] += g;
                            }
                        }
                    }
                }
            }
        }
        Ok(Self::from_parts(likelihood, c, h, n, theta, ggn, loss))
    }

    /// A Laplace approximation from its parts (finds the GGN's eigenvalues).
    pub fn from_parts(
        likelihood: Likelihood,
        n_out: usize,
        n_feat: usize,
        n_data: usize,
        theta: Vec<f64>,
        ggn: Vec<f64>,
        loss: f64,
    ) -> Self {
        let p = theta.len();
        let mut values = occam_core::linalg::sym_eigenvalues(&ggn, p);
        values.iter_mut().for_each(|v| *v = v.max(0.0));
        LastLayerLaplace {
            likelihood,
            n_out,
            n_feat,
            n_data,
            theta,
            ggn,
            loss,
            values,
        }
    }

    /// P: the last layer's parameters.
    pub fn n_params(&self) -> usize {
        self.theta.len()
    }

    /// 1 / sigma^2 for the Gaussian likelihood, 1 otherwise.
    fn h_factor(&self, sigma: f64) -> f64 {
        self.likelihood.h_factor(sigma)
    }

    /// gamma = sum lambda s / (lambda s + delta): the effective number of parameters.
    pub fn effective_params(&self, delta: f64, s: f64) -> f64 {
        self.values.iter().map(|l| l * s / (l * s + delta)).sum()
    }

    /// The log likelihood of the training rows at the MAP (laplace-torch's definition).
    pub fn log_likelihood(&self, sigma: f64) -> f64 {
        let nc = (self.n_data * self.n_out) as f64;
        self.likelihood.log_likelihood(self.loss, nc, sigma)
    }

    /// The Laplace log marginal likelihood at prior precision `delta` and noise sd `sigma`
    /// (ignored for classes).
    pub fn log_marginal_likelihood(&self, delta: f64, sigma: f64) -> f64 {
        let s = self.h_factor(sigma);
        let p = self.n_params() as f64;
        let logdet_post: f64 = self.values.iter().map(|l| (l * s + delta).ln()).sum();
        let sq: f64 = self.theta.iter().map(|t| t * t).sum();
        self.log_likelihood(sigma) - 0.5 * (logdet_post - p * delta.ln() + delta * sq)
    }

    /// The prior precision (and, for regression, the noise sd) that maximize the log marginal
    /// likelihood ([`evidence_optimum`] on the GGN's eigenvalues); `sigma` fixed when given.
    pub fn optimize(&self, sigma: Option<f64>) -> Hyper {
        let sq: f64 = self.theta.iter().map(|t| t * t).sum::<f64>().max(1e-300);
        let nc = (self.n_data * self.n_out) as f64;
        let gaussian = self.likelihood == Likelihood::Gaussian;
        let values = std::slice::from_ref(&self.values);
        let (delta, sig) = match (gaussian, sigma) {
            (true, Some(sg)) => {
                // the noise fixed: scale the eigenvalues by 1 / sigma^2, optimize delta alone
                let scaled = vec![self.values.iter().map(|l| l / (sg * sg)).collect()];
                let (d, _, _) = evidence_optimum(&scaled, &[sq], self.loss, nc, false, None);
                (d[0], sg)
            }
            _ => {
                let (d, s, _) = evidence_optimum(values, &[sq], self.loss, nc, gaussian, None);
                (d[0], if gaussian { 1.0 / s.sqrt() } else { 1.0 })
            }
        };
        let s = self.h_factor(sig);
        let gamma = self.values.iter().map(|l| l * s / (l * s + delta)).sum();
        Hyper {
            prior_precision: delta,
            sigma_noise: sig,
            log_marglik: self.log_marginal_likelihood(delta, sig),
            effective_params: gamma,
        }
    }

    /// The prior precision among `grid` whose linearized predictive has the smallest mean
    /// negative log-likelihood on the rows `val` (laplace-torch's `gridsearch`): probit
    /// probabilities for classes, N(f, f_var + sigma^2) for regression (`sigma` fixed).
    /// Returns (delta, that NLL).
    pub fn validation_prior<R: Real>(
        &self,
        net: &mut Net<R>,
        val: &Data<R>,
        sigma: f64,
        grid: &[f64],
    ) -> Result<(f64, f64), NnError> {
        // the outputs and last-layer rows do not depend on delta: one forward pass
        let (f_mu, u) = last_layer_rows(net, &val.x);
        lowest_nll(grid, val.rows(), |_, delta| {
            let f_var = self.posterior(delta, sigma)?.variance(&u)?;
            Ok(predictive_nll(self.likelihood, &f_mu, &f_var, val, sigma))
        })
    }

    /// The posterior at `delta` and `sigma`: its covariance P^-1 (by Cholesky).
    pub fn posterior(&self, delta: f64, sigma: f64) -> Result<Posterior, NnError> {
        let p = self.n_params();
        let s = self.h_factor(sigma);
        let mut prec: Vec<f64> = self.ggn.iter().map(|g| g * s).collect();
        (0..p).for_each(|i| prec[i * p + i] += delta);
        let cov = occam_core::linalg::spd_inverse(&prec, p).ok_or_else(|| NnError::Config {
            param: "prior_precision".into(),
            message: format!("{delta}: the posterior precision is not positive definite"),
        })?;
        Ok(Posterior {
            likelihood: self.likelihood,
            n_out: self.n_out,
            n_feat: self.n_feat,
            prior_precision: delta,
            sigma_noise: sigma,
            log_marglik: self.log_marginal_likelihood(delta, sigma),
            cov,
        })
    }
}

/// The error of a prior to be chosen on validation rows where there are none.
fn no_validation_rows() -> NnError {
    NnError::Config {
        param: "laplace_prior".into(),
        message: "choosing the prior by validation needs validation rows".into(),
    }
}

/// The value of `grid` whose `nll(index, value)` is smallest (the first on ties), with that
/// NLL: the validation choice of every approximation's prior precision. Refuses `rows` = 0
/// validation rows or an empty grid.
pub(crate) fn lowest_nll(
    grid: &[f64],
    rows: usize,
    mut nll: impl FnMut(usize, f64) -> Result<f64, NnError>,
) -> Result<(f64, f64), NnError> {
    if rows == 0 || grid.is_empty() {
        return Err(no_validation_rows());
    }
    let mut best = (f64::NAN, f64::INFINITY);
    for (k, &delta) in grid.iter().enumerate() {
        let v = nll(k, delta)?;
        if v < best.1 {
            best = (delta, v);
        }
    }
    Ok(best)
}

/// [`lowest_nll`] where the predictive of every grid value was computed at once: outputs
/// `f_mu` and, for `grid[k]`, variances `f_vars[k]` on the rows `val`.
pub(crate) fn lowest_of_grid<R: Real>(
    likelihood: Likelihood,
    grid: &[f64],
    f_mu: &Mat<f64>,
    f_vars: &[Mat<f64>],
    val: &Data<R>,
    sigma: f64,
) -> Result<(f64, f64), NnError> {
    lowest_nll(grid, val.rows(), |k, _| {
        Ok(predictive_nll(likelihood, f_mu, &f_vars[k], val, sigma))
    })
}

/// The mean negative log-likelihood of the rows `val` under a linearized predictive with
/// outputs `f_mu` and their variances `f_var` (rows x C): N(f, f_var + sigma^2) for
/// regression (`sigma` fixed), probit-moderated probabilities for classes.
pub fn predictive_nll<R: Real>(
    likelihood: Likelihood,
    f_mu: &Mat<f64>,
    f_var: &Mat<f64>,
    val: &Data<R>,
    sigma: f64,
) -> f64 {
    let (n, c, w) = (f_mu.rows, f_mu.cols, val.y_width());
    let total: f64 = match likelihood {
        Likelihood::Gaussian => {
            let s2 = sigma * sigma;
            (0..n)
                .map(|i| {
                    (0..c)
                        .map(|k| {
                            let v = f_var.row(i)[k] + s2;
                            let r = val.y[i * w + k].f64() - f_mu.row(i)[k];
                            0.5 * (2.0 * std::f64::consts::PI * v).ln() + r * r / (2.0 * v)
                        })
                        .sum::<f64>()
                })
                .sum()
        }
        lik => {
            let p = probit(lik, f_mu, f_var);
            (0..n)
                .map(|i| {
                    let t = val.y[i * w].f64();
                    let pr = match lik {
                        Likelihood::Bernoulli => {
                            if t > 0.5 {
                                p.row(i)[0]
                            } else {
                                1.0 - p.row(i)[0]
                            }
                        }
                        _ => p.row(i)[(t as usize).min(c - 1)],
                    };
                    -pr.max(1e-300).ln()
                })
                .sum()
        }
    };
    total / n.max(1) as f64
}

/// The prior precisions delta_g of groups of curvatures `hs[g]` (GGN eigenvalues or diagonal
/// entries, without 1 / sigma^2) with squared parameter norms `sq[g]`, and for the Gaussian
/// likelihood s = 1 / sigma^2, that maximize the Laplace log marginal likelihood
/// -s loss + (N C / 2) log s - 0.5 sum_g [sum_j log(h_gj s + delta_g) - n_g log delta_g +
/// delta_g sq_g]: exact coordinate ascent, since it is strictly concave in each log delta_g
/// with the rest fixed and in log s with the deltas fixed, so each coordinate's maximum is
/// the root of its monotone derivative (safeguarded Newton on the log scale); rounds repeat until no
/// coordinate moves by 1e-12 relative (at most 10,000). At the optimum gamma_g = delta_g
/// sq_g and sigma^2 = 2 loss / (N C - sum gamma) (MacKay's conditions). `start`: (deltas, s)
/// to start from (a previous optimum), else 1 and N C / (2 loss). Returns (deltas, s,
/// rounds); s is 1 when not Gaussian.
pub fn evidence_optimum(
    hs: &[Vec<f64>],
    sq: &[f64],
    loss: f64,
    nc: f64,
    gaussian: bool,
    start: Option<(&[f64], f64)>,
) -> (Vec<f64>, f64, usize) {
    let (mut delta, mut s) = match start {
        Some((d, s0)) if d.len() == hs.len() => (d.to_vec(), if gaussian { s0 } else { 1.0 }),
        _ => (
            vec![1.0; hs.len()],
            if gaussian {
                nc / (2.0 * loss).max(1e-300)
            } else {
                1.0
            },
        ),
    };
    let mut rounds = 0;
    // a zero curvature (a dead unit, the null space of a Kronecker factor) adds exactly 1 to
    // sum delta / (h s + delta) and nothing to the rest: counted, not summed
    let (nonzero, zeros): (Vec<Vec<f64>>, Vec<f64>) = hs
        .iter()
        .map(|h| {
            let v: Vec<f64> = h.iter().copied().filter(|x| *x != 0.0).collect();
            let z = (h.len() - v.len()) as f64;
            (v, z)
        })
        .unzip();
    for it in 1..=10_000 {
        rounds = it;
        let mut change = 0.0f64;
        for (g, h) in nonzero.iter().enumerate() {
            // d lml / d log delta = -0.5 [sum delta / (h s + delta) - n + delta |theta|^2]
            let n = hs[g].len() as f64;
            let d = root_on_log_scale(delta[g], |u| {
                let dl = u.exp();
                let (mut a, mut b) = (zeros[g], 0.0);
                for x in h {
                    let q = 1.0 / (x * s + dl);
                    a += dl * q;
                    b += x * s * dl * q * q;
                }
                (-(a - n + dl * sq[g]), -(b + dl * sq[g]))
            });
            change = change.max(((d - delta[g]) / delta[g]).abs());
            delta[g] = d;
        }
        if gaussian {
            // d lml / d log s = -s loss + N C / 2 - 0.5 sum h s / (h s + delta)
            let new_s = root_on_log_scale(s, |u| {
                let sv = u.exp();
                let (mut a, mut b) = (0.0, 0.0);
                for (h, d) in nonzero.iter().zip(&delta) {
                    for x in h {
                        let q = 1.0 / (x * sv + d);
                        a += x * sv * q;
                        b += x * sv * d * q * q;
                    }
                }
                (-sv * loss + 0.5 * nc - 0.5 * a, -sv * loss - 0.5 * b)
            });
            change = change.max(((new_s - s) / s).abs());
            s = new_s;
        }
        if change < 1e-12 {
            break;
        }
    }
    (delta, s, rounds)
}

/// exp(u) at the root of `phi`, a strictly decreasing function of u = log x that returns its
/// value and slope: Newton's method from `start`, each step kept within 10 of the last and
/// inside the bracket once the root is bracketed (bisecting when Newton leaves it), to a step
/// below 1e-14; at most 200 steps.
fn root_on_log_scale(start: f64, phi: impl Fn(f64) -> (f64, f64)) -> f64 {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut u = start.ln().clamp(-700.0, 700.0);
    for _ in 0..200 {
        let (v, slope) = phi(u);
        if v == 0.0 || !v.is_finite() {
            break;
        }
        if v > 0.0 {
            lo = u;
        } else {
            hi = u;
        }
        let mut next = if slope < 0.0 { u - v / slope } else { f64::NAN };
        if !next.is_finite() || (next - u).abs() > 10.0 {
            next = u + if v > 0.0 { 10.0 } else { -10.0 };
        }
        if next <= lo || next >= hi {
            if lo.is_finite() && hi.is_finite() {
                next = 0.5 * (lo + hi);
            } else {
                next = next.clamp(lo.max(-700.0), hi.min(700.0));
            }
        }
        let step = (next - u).abs();
        u = next.clamp(-700.0, 700.0);
        if step < 1e-14 * u.abs().max(1.0) {
            break;
        }
    }
    u.exp()
}

/// Position of (output a, feature i) in theta; feature index h is the bias.
fn index(a: usize, i: usize, h: usize, c: usize) -> usize {
    if i < h {
        a * h + i
    } else {
        c * h + a
    }
}

/// The rows entering the last layer after a forward pass, each followed by a 1 (the bias),
/// into `u` (m x (H + 1), f64).
fn features_into<R: Real>(net: &Net<R>, gather: &Gather<R>, u: &mut Vec<f64>) {
    let n_layers = net.layers.len();
    u.clear();
    let push = |u: &mut Vec<f64>, row: &mut dyn Iterator<Item = f64>| {
        u.extend(row);
        u.push(1.0);
    };
    if n_layers >= 2 {
        let phi = net.layers[n_layers - 2].out();
        for r in 0..phi.rows {
            push(u, &mut phi.row(r).iter().map(|v| v.f64()));
        }
    } else {
        match gather.batch() {
            crate::Batch::Dense(x) => {
                for r in 0..x.rows {
                    push(u, &mut x.row(r).iter().map(|v| v.f64()));
                }
            }
            crate::Batch::Sparse(x) => {
                let d = x.to_dense();
                for r in 0..d.rows {
                    push(u, &mut d.row(r).iter().map(|v| v.f64()));
                }
            }
        }
    }
}

/// One row's loss (0.5 squared error, or the negative log likelihood), writing the loss's
/// Hessian in the outputs into `lam` (C x C).
fn row_loss<R: Real>(lik: Likelihood, f: &[f64], y: &[R], lam: &mut [f64]) -> f64 {
    let c = f.len();
    match lik {
        Likelihood::Gaussian => {
            (0..c).for_each(|a| lam[a * c + a] = 1.0);
            f.iter()
                .zip(y)
                .map(|(fv, yv)| 0.5 * (fv - yv.f64()).powi(2))
                .sum()
        }
        Likelihood::Bernoulli => {
            let z = f[0];
            let p = 1.0 / (1.0 + (-z).exp());
            lam[0] = p * (1.0 - p);
            let t = y[0].f64();
            // -[t log p + (1 - t) log(1 - p)], stably: softplus(z) - t z
            softplus(z) - t * z
        }
        Likelihood::Categorical => {
            let mx = f.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v));
            let se: f64 = f.iter().map(|v| (v - mx).exp()).sum();
            let pr: Vec<f64> = f.iter().map(|v| (v - mx).exp() / se).collect();
            for a in 0..c {
                for b in 0..c {
                    lam[a * c + b] = if a == b { pr[a] } else { 0.0 } - pr[a] * pr[b];
                }
            }
            let t = y[0].f64() as usize;
            mx + se.ln() - f[t.min(c - 1)]
        }
    }
}

fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The last layer's Gaussian posterior: what prediction needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Posterior {
    pub likelihood: Likelihood,
    pub n_out: usize,
    pub n_feat: usize,
    pub prior_precision: f64,
    pub sigma_noise: f64,
    pub log_marglik: f64,
    /// P^-1 (P x P, row-major, laplace-torch's parameter order).
    pub cov: Vec<f64>,
}

/// The network's outputs f (N x C) on `x` in evaluation mode and the rows entering its last
/// layer, each followed by a 1 (N x (H + 1), row-major): what the linearized predictive of
/// any last-layer posterior needs.
pub fn last_layer_rows<R: Real>(net: &mut Net<R>, x: &Features<R>) -> (Mat<f64>, Vec<f64>) {
    let (n, c) = (x.rows(), net.spec.n_out);
    let mut f_mu = Mat::zeros(n, c);
    let mut rows = Vec::new();
    let mut gather = Gather::default();
    let idx: Vec<usize> = (0..n).collect();
    let chunk = if net.spec.conv.is_empty() { 1024 } else { 128 };
    let mut u = Vec::new();
    for s in (0..n).step_by(chunk) {
        let e = (s + chunk).min(n);
        gather.fill_x(x, &idx[s..e]);
        net.forward_eval(gather.batch());
        features_into(net, &gather, &mut u);
        rows.extend_from_slice(&u);
        let out = net.output();
        for r in 0..e - s {
            for a in 0..c {
                f_mu.data[(s + r) * c + a] = out.row(r)[a].f64();
            }
        }
    }
    (f_mu, rows)
}

impl Posterior {
    /// The network's outputs f (N x C) and the diagonal of their posterior variance
    /// f_var = J P^-1 J^T (N x C; without the observation noise), in evaluation mode.
    pub fn predict<R: Real>(
        &self,
        net: &mut Net<R>,
        x: &Features<R>,
    ) -> Result<(Mat<f64>, Mat<f64>), NnError> {
        if net.spec.n_out != self.n_out {
            return Err(NnError::Model(
                "the Laplace posterior does not fit the network's last layer".into(),
            ));
        }
        let (f_mu, u) = last_layer_rows(net, x);
        let f_var = self.variance(&u)?;
        Ok((f_mu, f_var))
    }

    /// The diagonal of f_var = J P^-1 J^T (rows x C) for the last layer's input rows `u`
    /// (as [`last_layer_rows`] gives them).
    pub fn variance(&self, u: &[f64]) -> Result<Mat<f64>, NnError> {
        let (h, c) = (self.n_feat, self.n_out);
        let p = c * (h + 1);
        if self.cov.len() != p * p || !u.len().is_multiple_of(h + 1) {
            return Err(NnError::Model(
                "the Laplace posterior does not fit the network's last layer".into(),
            ));
        }
        let n = u.len() / (h + 1);
        let mut f_var = Mat::zeros(n, c);
        // the (H + 1) x (H + 1) block of each output
        let mut b = vec![0.0; (h + 1) * (h + 1)];
        let mut ub = vec![0.0; n * (h + 1)];
        for a in 0..c {
            for i in 0..=h {
                for j in 0..=h {
                    b[i * (h + 1) + j] = self.cov[index(a, i, h, c) * p + index(a, j, h, c)];
                }
            }
            matmul(
                &mut ub,
                View::new(u, n, h + 1),
                View::new(&b, h + 1, h + 1),
                false,
            );
            for r in 0..n {
                let row = r * (h + 1)..(r + 1) * (h + 1);
                let v: f64 = u[row.clone()]
                    .iter()
                    .zip(&ub[row])
                    .map(|(x, y)| x * y)
                    .sum();
                f_var.data[r * c + a] = v.max(0.0);
            }
        }
        Ok(f_var)
    }
}

/// The probit approximation of the predictive class probabilities (MacKay 1992; as
/// laplace-torch's `link_approx='probit'`): the logits divided by sqrt(1 + pi/8 f_var), then
/// the sigmoid (one logit) or the softmax.
pub fn probit(likelihood: Likelihood, f_mu: &Mat<f64>, f_var: &Mat<f64>) -> Mat<f64> {
    let mut p = Mat::zeros(f_mu.rows, f_mu.cols);
    for r in 0..f_mu.rows {
        let z: Vec<f64> = f_mu
            .row(r)
            .iter()
            .zip(f_var.row(r))
            .map(|(m, v)| m / (1.0 + std::f64::consts::PI / 8.0 * v).sqrt())
            .collect();
        let out = p.row_mut(r);
        match likelihood {
            Likelihood::Bernoulli => out[0] = 1.0 / (1.0 + (-z[0]).exp()),
            _ => {
                let mx = z.iter().fold(f64::NEG_INFINITY, |a, v| a.max(*v));
                let se: f64 = z.iter().map(|v| (v - mx).exp()).sum();
                for (o, v) in out.iter_mut().zip(&z) {
                    *o = (v - mx).exp() / se;
                }
            }
        }
    }
    p
}
