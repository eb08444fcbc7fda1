//! The Laplace approximation over all of a network's parameters with the diagonal of the
//! generalized Gauss-Newton (laplace-torch's `subset_of_weights='all'`,
//! `hessian_structure='diag'`): H_p = sum_i sum_c (J_i^T Lambda_i J_i)_pp from per-row
//! Jacobians, the posterior N(theta_MAP, diag(H s + delta)^-1) with s = 1 / sigma^2 for
//! regression. The prior precision may be one number or one per parameter tensor (a layer's
//! weight or bias; laplace-torch's "layerwise" prior, Immer et al. 2021's per-layer
//! strengths), each maximizing the log marginal likelihood by MacKay's fixed point.
//!
//! Per-row Jacobians come from one backward pass per output and row on a batch of one row
//! (the rows of Lambda^(1/2): e_c for regression, sqrt(p (1 - p)) for one logit,
//! sqrt(p_k) (e_k - p) for softmax), so every layer kind is covered and the cost is N C
//! backward passes.

use super::{row_loss, Likelihood};
use crate::data::{Data, Features, Gather};
use crate::error::NnError;
use crate::mat::{matmul, Batch, Mat, View};
use crate::net::Net;
use crate::real::Real;
use crate::Layer;

/// The diagonal GGN of every parameter at the trained weights.
#[derive(Clone, Debug)]
pub struct DiagLaplace {
    pub likelihood: Likelihood,
    /// C: the network's outputs.
    pub n_out: usize,
    /// N: training rows.
    pub n_data: usize,
    /// The MAP parameters, tensor after tensor in the network's order (weights `[in, out]`).
    pub theta: Vec<f64>,
    /// The GGN's diagonal, without 1 / sigma^2.
    pub h: Vec<f64>,
    /// 0.5 RSS (Gaussian) or the summed negative log likelihood (classes).
    pub loss: f64,
    /// Each parameter tensor: (name, first index in theta, length).
    pub groups: Vec<(String, usize, usize)>,
}

/// Evidence-optimal hyperparameters of a diagonal (or Kronecker-factored) Laplace.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagHyper {
    /// One prior precision per group (one entry when shared).
    pub prior_precision: Vec<f64>,
    /// The noise sd (1 for classes).
    pub sigma_noise: f64,
    pub log_marglik: f64,
    /// Effective parameters per group.
    pub effective_params: Vec<f64>,
    pub iterations: usize,
}

/// The sum of the logarithms of positive `values`, by one running product kept in [1, 2)
/// with its binary exponent counted apart (a multiplication per value instead of a
/// logarithm; relative rounding about n * 1e-16 in the product, so absolute about that in
/// the sum); values that are not positive normal numbers fall back to summing logarithms.
fn sum_ln(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let (mut mant, mut exp) = (1.0f64, 0i64);
    for v in values.clone() {
        mant *= v;
        let bits = mant.to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64;
        if e == 0 || e == 0x7ff || mant <= 0.0 {
            return values.map(f64::ln).sum();
        }
        exp += e - 1023;
        mant = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1023u64 << 52));
    }
    mant.ln() + exp as f64 * std::f64::consts::LN_2
}

/// The rows of Lambda^(1/2) at outputs `f` (C x C, row k the k-th backward seed).
pub(super) fn lambda_sqrt(lik: Likelihood, f: &[f64]) -> Vec<f64> {
    let c = f.len();
    let mut l = vec![0.0; c * c];
    match lik {
        Likelihood::Gaussian => (0..c).for_each(|k| l[k * c + k] = 1.0),
        Likelihood::Bernoulli => {
            let p = 1.0 / (1.0 + (-f[0]).exp());
            l[0] = (p * (1.0 - p)).sqrt();
        }
        Likelihood::Categorical => {
            let mx = f.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v));
            let se: f64 = f.iter().map(|v| (v - mx).exp()).sum();
            let p: Vec<f64> = f.iter().map(|v| (v - mx).exp() / se).collect();
            for k in 0..c {
                let s = p[k].sqrt();
                for j in 0..c {
                    l[k * c + j] = s * (if j == k { 1.0 } else { 0.0 } - p[j]);
                }
            }
        }
    }
    l
}

/// The backward seed of output k for a batch of rows: row r is row k of `seeds[r]` (each
/// C x C, as [`lambda_sqrt`] gives them).
pub(super) fn seed_rows<R: Real>(seeds: &[Vec<f64>], k: usize, c: usize) -> Mat<R> {
    let mut gy = Mat::zeros(seeds.len(), c);
    for (r, s) in seeds.iter().enumerate() {
        for j in 0..c {
            gy.data[r * c + j] = R::of(s[k * c + j]);
        }
    }
    gy
}

/// For row `i` of `x`, calls `each(k, grads)` with the parameter gradient of
/// seed_k . f(x_i) for every seed row k of `seeds(f)` (C x C), after one forward pass.
fn row_jacobians<R: Real>(
    net: &mut Net<R>,
    gather: &mut Gather<R>,
    x: &Features<R>,
    i: usize,
    seeds: impl Fn(&[f64]) -> Vec<f64>,
    mut each: impl FnMut(usize, &[f64], &[f64]),
) {
    gather.fill_x(x, &[i]);
    let c = net.spec.n_out;
    let f: Vec<f64> = net
        .forward_eval(gather.batch())
        .row(0)
        .iter()
        .map(|v| v.f64())
        .collect();
    let s = seeds(&f);
    let mut grads = Vec::new();
    for k in 0..c {
        if s[k * c..(k + 1) * c].iter().all(|v| *v == 0.0) {
            continue;
        }
        // backward only reads the forward pass's cached state, so one pass serves every seed
        let gy = Mat::from_vec(
            1,
            c,
            s[k * c..(k + 1) * c].iter().map(|v| R::of(*v)).collect(),
        );
        net.backward(gather.batch(), &gy);
        grads.clear();
        for p in net.params() {
            grads.extend(p.grad.iter().map(|g| g.f64()));
        }
        each(k, &grads, &f);
    }
}

/// The likelihood, the parameter groups (name, start, length) and theta.
type Start = (Likelihood, Vec<(String, usize, usize)>, Vec<f64>);

/// Whether every layer of `net` is dense, an activation or dropout (the batched path).
pub(super) fn dense_only<R>(net: &Net<R>) -> bool {
    net.layers
        .iter()
        .all(|l| matches!(l, Layer::Dense(_) | Layer::Act(_) | Layer::Dropout(_)))
}

impl DiagLaplace {
    /// The diagonal GGN of `net` over the rows of `data` (targets as the loss reads them),
    /// in evaluation mode. For networks of dense layers, activations and dropout the
    /// per-row gradients of a dense layer are outer products a_i g_i^T, so the diagonal is
    /// sum_i (a_i^2)(g_i^2)^T: one batched backward pass per output and chunk of rows and a
    /// GEMM per layer; other networks go row by row ([`DiagLaplace::fit_per_row`]).
    pub fn fit<R: Real>(net: &mut Net<R>, data: &Data<R>) -> Result<Self, NnError> {
        if !dense_only(net) {
            return Self::fit_per_row(net, data);
        }
        let (likelihood, groups, theta) = Self::start(net, data)?;
        let n = data.rows();
        let c = net.spec.n_out;
        let w = data.y_width();
        let mut h = vec![0.0; theta.len()];
        let mut loss = 0.0;
        let mut gather = Gather::default();
        let idx: Vec<usize> = (0..n).collect();
        let mut lam = vec![0.0; c * c];
        // the parameter offset of each dense layer's weight (its bias follows)
        let mut offsets = Vec::new();
        let mut at = 0;
        for (li, layer) in net.layers.iter().enumerate() {
            if let Layer::Dense(d) = layer {
                offsets.push((li, at, d.n_in, d.n_out));
                at += d.n_in * d.n_out + d.n_out;
            }
        }
        let (mut a2, mut g2, mut acc) = (Vec::new(), Vec::new(), Vec::new());
        for s in (0..n).step_by(1024) {
            let e = (s + 1024).min(n);
            let m = e - s;
            gather.fill_x(&data.x, &idx[s..e]);
            let out = net.forward_eval(gather.batch()).clone();
            let mut seeds = Vec::with_capacity(m);
            for r in 0..m {
                let f: Vec<f64> = out.row(r).iter().map(|v| v.f64()).collect();
                loss += row_loss(
                    likelihood,
                    &f,
                    &data.y[(s + r) * w..(s + r + 1) * w],
                    &mut lam,
                );
                seeds.push(lambda_sqrt(likelihood, &f));
            }
            for k in 0..c {
                let gy: Mat<R> = seed_rows(&seeds, k, c);
                net.backward(gather.batch(), &gy);
                for &(li, off, n_in, n_out) in &offsets {
                    let g = match net.layers.get(li + 1) {
                        Some(next) => next.grad_in(),
                        None => &gy,
                    };
                    g2.clear();
                    g2.extend(g.data.iter().map(|v| v.f64() * v.f64()));
                    // bias: sum_i g_i^2
                    for r in 0..m {
                        for o in 0..n_out {
                            h[off + n_in * n_out + o] += g2[r * n_out + o];
                        }
                    }
                    // weight [n_in, n_out]: sum_i a_i^2 (x) g_i^2
                    a2.clear();
                    if li == 0 {
                        match gather.batch() {
                            Batch::Dense(x) => a2.extend(x.data.iter().map(|v| v.f64() * v.f64())),
                            Batch::Sparse(x) => {
                                let d = x.to_dense();
                                a2.extend(d.data.iter().map(|v| v.f64() * v.f64()));
                            }
                        }
                    } else {
                        let a = net.layers[li - 1].out();
                        a2.extend(a.data.iter().map(|v| v.f64() * v.f64()));
                    }
                    acc.resize(n_in * n_out, 0.0);
                    matmul(
                        &mut acc,
                        View::new(&a2, m, n_in).t(),
                        View::new(&g2, m, n_out),
                        false,
                    );
                    h[off..off + n_in * n_out]
                        .iter_mut()
                        .zip(&acc)
                        .for_each(|(hp, v)| *hp += v);
                }
            }
        }
        Ok(DiagLaplace {
            likelihood,
            n_out: c,
            n_data: n,
            theta,
            h,
            loss,
            groups,
        })
    }

    /// The likelihood, the parameter groups and theta of `net` on `data`.
    fn start<R: Real>(net: &Net<R>, data: &Data<R>) -> Result<Start, NnError> {
        let likelihood = Likelihood::of(data.task)?;
        if data.rows() == 0 {
            return Err(NnError::Config {
                param: "laplace".into(),
                message: "no training rows".into(),
            });
        }
        let mut groups = Vec::new();
        let mut theta = Vec::new();
        for p in net.params() {
            groups.push((p.name.clone(), theta.len(), p.value.len()));
            theta.extend(p.value.iter().map(|v| v.f64()));
        }
        Ok((likelihood, groups, theta))
    }

    /// [`DiagLaplace::fit`] one row at a time: per row, one forward pass and one backward
    /// pass per output on a batch of one, every layer kind.
    pub fn fit_per_row<R: Real>(net: &mut Net<R>, data: &Data<R>) -> Result<Self, NnError> {
        let (likelihood, groups, theta) = Self::start(net, data)?;
        let n = data.rows();
        let c = net.spec.n_out;
        let w = data.y_width();
        let mut h = vec![0.0; theta.len()];
        let mut loss = 0.0;
        let mut gather = Gather::default();
        let mut lam = vec![0.0; c * c];
        for i in 0..n {
            let seeds = |f: &[f64]| lambda_sqrt(likelihood, f);
            let mut first = true;
            row_jacobians(net, &mut gather, &data.x, i, seeds, |_, g, f| {
                if first {
                    loss += row_loss(likelihood, f, &data.y[i * w..(i + 1) * w], &mut lam);
                    first = false;
                }
                h.iter_mut().zip(g).for_each(|(hp, gp)| *hp += gp * gp);
            });
        }
        Ok(DiagLaplace {
            likelihood,
            n_out: c,
            n_data: n,
            theta,
            h,
            loss,
            groups,
        })
    }

    fn h_factor(&self, sigma: f64) -> f64 {
        self.likelihood.h_factor(sigma)
    }

    /// The log likelihood of the training rows at the MAP (laplace-torch's definition).
    pub fn log_likelihood(&self, sigma: f64) -> f64 {
        let nc = (self.n_data * self.n_out) as f64;
        self.likelihood.log_likelihood(self.loss, nc, sigma)
    }

    /// The prior precision of every parameter from one value or one per group.
    fn prior_diag(&self, delta: &[f64]) -> Vec<f64> {
        let mut d = vec![0.0; self.theta.len()];
        for (g, (_, start, len)) in self.groups.iter().enumerate() {
            let v = if delta.len() == 1 { delta[0] } else { delta[g] };
            d[*start..start + len].iter_mut().for_each(|x| *x = v);
        }
        d
    }

    /// The log marginal likelihood at prior precision `delta` (one value, or one per group)
    /// and noise sd `sigma` (ignored for classes).
    pub fn log_marginal_likelihood(&self, delta: &[f64], sigma: f64) -> f64 {
        assert!(delta.len() == 1 || delta.len() == self.groups.len());
        let s = self.h_factor(sigma);
        let (mut logdet_post, mut logdet_prior, mut scatter) = (0.0, 0.0, 0.0);
        for (g, (_, start, len)) in self.groups.iter().enumerate() {
            let d = if delta.len() == 1 { delta[0] } else { delta[g] };
            let (h, t) = (
                &self.h[*start..start + len],
                &self.theta[*start..start + len],
            );
            logdet_post += sum_ln(h.iter().map(|x| x * s + d));
            logdet_prior += *len as f64 * d.ln();
            scatter += d * t.iter().map(|v| v * v).sum::<f64>();
        }
        self.log_likelihood(sigma) - 0.5 * (logdet_post - logdet_prior + scatter)
    }

    /// The prior precisions (one shared, or one per group with `per_group`) and, for
    /// regression, the noise sd that maximize the log marginal likelihood
    /// ([`super::evidence_optimum`]).
    pub fn optimize(&self, per_group: bool) -> DiagHyper {
        self.optimize_from(per_group, None)
    }

    /// [`DiagLaplace::optimize`] from (deltas, sigma), e.g. the previous update's optimum.
    pub fn optimize_from(&self, per_group: bool, start: Option<(&[f64], f64)>) -> DiagHyper {
        let gaussian = self.likelihood == Likelihood::Gaussian;
        let nc = (self.n_data * self.n_out) as f64;
        let members: Vec<Vec<(usize, usize)>> = if per_group {
            self.groups.iter().map(|(_, s, l)| vec![(*s, *l)]).collect()
        } else {
            vec![self.groups.iter().map(|(_, s, l)| (*s, *l)).collect()]
        };
        let h_of = |m: &Vec<(usize, usize)>| -> Vec<f64> {
            m.iter()
                .flat_map(|&(s, l)| self.h[s..s + l].to_vec())
                .collect()
        };
        let hs: Vec<Vec<f64>> = members.iter().map(h_of).collect();
        let sq: Vec<f64> = members
            .iter()
            .map(|m| {
                m.iter()
                    .flat_map(|&(s, l)| &self.theta[s..s + l])
                    .map(|t| t * t)
                    .sum::<f64>()
                    .max(1e-300)
            })
            .collect();
        let start = start.map(|(d, sg)| (d, 1.0 / (sg * sg)));
        let (delta, s, iterations) =
            super::evidence_optimum(&hs, &sq, self.loss, nc, gaussian, start);
        let sig = if gaussian { 1.0 / s.sqrt() } else { 1.0 };
        let gamma = hs
            .iter()
            .zip(&delta)
            .map(|(h, d)| h.iter().map(|x| x * s / (x * s + d)).sum())
            .collect();
        DiagHyper {
            log_marglik: self.log_marginal_likelihood(&delta, sig),
            prior_precision: delta,
            sigma_noise: sig,
            effective_params: gamma,
            iterations,
        }
    }

    /// gamma = sum h s / (h s + delta): the effective number of parameters at one shared
    /// prior precision `delta` and noise sd `sigma`.
    pub fn effective_params(&self, delta: f64, sigma: f64) -> f64 {
        let s = self.h_factor(sigma);
        self.h.iter().map(|x| x * s / (x * s + delta)).sum()
    }

    /// The posterior variance of every parameter at `delta` and `sigma`.
    pub fn posterior_variance(&self, delta: &[f64], sigma: f64) -> Vec<f64> {
        let s = self.h_factor(sigma);
        let d = self.prior_diag(delta);
        self.h
            .iter()
            .zip(&d)
            .map(|(h, dp)| 1.0 / (h * s + dp))
            .collect()
    }

    /// The shared prior precision among `grid` whose linearized predictive has the smallest
    /// mean negative log-likelihood on the rows `val` (laplace-torch's `gridsearch`; `sigma`
    /// fixed), as [`super::LastLayerLaplace::validation_prior`] for all parameters. Returns
    /// (delta, that NLL).
    pub fn validation_prior<R: Real>(
        &self,
        net: &mut Net<R>,
        val: &Data<R>,
        sigma: f64,
        grid: &[f64],
    ) -> Result<(f64, f64), NnError> {
        let vars: Vec<Vec<f64>> = grid
            .iter()
            .map(|&d| self.posterior_variance(&[d], sigma))
            .collect();
        let refs: Vec<&[f64]> = vars.iter().map(|v| &v[..]).collect();
        let (f_mu, f_vars) = predict_diag_many(net, &val.x, &refs)?;
        super::lowest_of_grid(self.likelihood, grid, &f_mu, &f_vars, val, sigma)
    }
}

/// The network's outputs f (N x C) on `x` and the diagonal of their variance
/// sum_p J_cp^2 var_p under the diagonal posterior `var` (as `posterior_variance` gives it).
pub fn predict_diag<R: Real>(
    net: &mut Net<R>,
    x: &Features<R>,
    var: &[f64],
) -> Result<(Mat<f64>, Mat<f64>), NnError> {
    let (f_mu, mut f_vars) = predict_diag_many(net, x, &[var])?;
    Ok((f_mu, f_vars.remove(0)))
}

/// [`predict_diag`] under several diagonal posteriors at once (e.g. a grid of prior
/// precisions): the per-row Jacobians, which do not depend on the posterior, once.
pub fn predict_diag_many<R: Real>(
    net: &mut Net<R>,
    x: &Features<R>,
    vars: &[&[f64]],
) -> Result<(Mat<f64>, Vec<Mat<f64>>), NnError> {
    if vars.iter().any(|v| v.len() != net.n_params()) {
        return Err(NnError::Model(
            "the Laplace posterior does not fit the network's parameters".into(),
        ));
    }
    let (n, c) = (x.rows(), net.spec.n_out);
    let mut f_mu = Mat::zeros(n, c);
    let mut f_vars: Vec<Mat<f64>> = vars.iter().map(|_| Mat::zeros(n, c)).collect();
    let mut gather = Gather::default();
    let unit = |f: &[f64]| {
        let c = f.len();
        let mut e = vec![0.0; c * c];
        (0..c).for_each(|k| e[k * c + k] = 1.0);
        e
    };
    let mut j2 = Vec::new();
    for i in 0..n {
        row_jacobians(net, &mut gather, x, i, unit, |k, g, f| {
            f_mu.data[i * c + k] = f[k];
            j2.clear();
            j2.extend(g.iter().map(|j| j * j));
            for (fv, var) in f_vars.iter_mut().zip(vars) {
                fv.data[i * c + k] = j2.iter().zip(var.iter()).map(|(a, v)| a * v).sum();
            }
        });
    }
    Ok((f_mu, f_vars))
}
