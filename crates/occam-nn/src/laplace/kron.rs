//! The Laplace approximation over all of a network's parameters with the Kronecker-factored
//! generalized Gauss-Newton (KFAC: Martens & Grosse 2015; for the Laplace posterior Ritter,
//! Botev & Barber 2018; laplace-torch's `subset_of_weights='all'`,
//! `hessian_structure='kron'`). For a dense layer with inputs a_i and output gradients
//! g_ic (row i's output c, backpropagated from the rows of Lambda_i^(1/2)), the weight's
//! GGN block sum_i (sum_c g_ic g_ic^T) (x) a_i a_i^T becomes B (x) A with
//! B = sum_i sum_c g_ic g_ic^T and A = (1/N) sum_i a_i a_i^T (exact for one row); the bias's
//! block is B; layers are independent. With the eigendecompositions A = Q_A L_A Q_A^T and
//! B = Q_B L_B Q_B^T the posterior precision B (x) A s + delta I has the eigenvalues
//! l_B l_A s + delta, so the log marginal likelihood and its optimum are those of a diagonal
//! Laplace over these eigenvalues ([`KronLaplace::spectrum`]), and a row's output variance
//! is sum (Q_B^T g)^2 (Q_A^T a)^2 / (l_B l_A s + delta) over the layer's entries, plus the
//! bias's sum (Q_B^T g)^2 / (l_B s + delta): one batched backward pass per output and two
//! small products per layer, never a P x P matrix.
//!
//! Networks of dense layers, activations and dropout only (as laplace-torch's KFAC covers
//! linear layers); the input and output widths of each layer at most [`MAX_FACTOR`] (for the
//! spectrum alone, the inputs' only where there are more rows).
//! [`KronLaplace::fit_spectrum`] is the evidence's part, which the per-tensor L2 learned
//! online ([`crate::trainer::Evidence`] with `kron`) reads.

use super::diag::{dense_only, lambda_sqrt, seed_rows, DiagLaplace};
use super::{row_loss, Likelihood};
use crate::data::{Data, Features, Gather};
use crate::error::NnError;
use crate::mat::{matmul, Batch, Mat, View};
use crate::net::Net;
use crate::real::Real;
use crate::Layer;
use occam_core::linalg::{sym_eigen, sym_eigenvalues};

/// The widest Kronecker factor decomposed (O(m^3) time, m^2 memory each).
pub const MAX_FACTOR: usize = 4096;

/// Rows per batched pass.
const CHUNK: usize = 1024;

/// One dense layer's Kronecker factors, decomposed.
#[derive(Clone, Debug, PartialEq)]
pub struct KronFactor {
    /// The layer's index in `Net::layers`.
    pub layer: usize,
    pub n_in: usize,
    pub n_out: usize,
    /// A's eigenvalues (ascending, rounding negatives set to 0).
    pub a_values: Vec<f64>,
    /// A's eigenvectors, n_in x n_in row-major, column k for `a_values[k]`.
    pub a_vectors: Vec<f64>,
    /// B's eigenvalues.
    pub b_values: Vec<f64>,
    /// B's eigenvectors, n_out x n_out.
    pub b_vectors: Vec<f64>,
}

impl KronFactor {
    /// Whether the factor's sizes agree with themselves and with a dense layer
    /// `n_in -> n_out`, its values finite and not negative.
    pub fn fits(&self, n_in: usize, n_out: usize) -> bool {
        self.n_in == n_in
            && self.n_out == n_out
            && self.a_values.len() == n_in
            && self.a_vectors.len() == n_in * n_in
            && self.b_values.len() == n_out
            && self.b_vectors.len() == n_out * n_out
            && self
                .a_values
                .iter()
                .chain(&self.b_values)
                .all(|v| v.is_finite() && *v >= 0.0)
            && self
                .a_vectors
                .iter()
                .chain(&self.b_vectors)
                .all(|v| v.is_finite())
    }
}

/// The Kronecker-factored GGN of every parameter at the trained weights.
#[derive(Clone, Debug)]
pub struct KronLaplace {
    /// The curvature's spectrum as a [`DiagLaplace`]: `h` holds, group by group (a layer's
    /// weight, then its bias), the eigenvalues `l_B[o] l_A[i]` and `l_B[o]`; theta, the loss and
    /// the groups are the network's. The evidence depends on the precision's eigenvalues
    /// only, so its `log_marginal_likelihood`, `optimize` and `effective_params` are this
    /// approximation's (its `posterior_variance` is not: those are not parameters).
    pub spectrum: DiagLaplace,
    /// The factors of each dense layer, in order.
    pub factors: Vec<KronFactor>,
}

/// A Kronecker-factored posterior: what prediction needs.
#[derive(Clone, Debug, PartialEq)]
pub struct KronPosterior {
    pub likelihood: Likelihood,
    pub factors: Vec<KronFactor>,
    /// delta, shared by every parameter.
    pub prior_precision: f64,
    /// The noise sd (1 for classes).
    pub sigma_noise: f64,
}

/// The input rows of dense layer `li` in the current pass as f64 (m x n_in).
fn layer_input<R: Real>(net: &Net<R>, batch: Batch<'_, R>, li: usize, out: &mut Vec<f64>) {
    out.clear();
    if li == 0 {
        match batch {
            Batch::Dense(x) => out.extend(x.data.iter().map(|v| v.f64())),
            Batch::Sparse(x) => out.extend(x.to_dense().data.iter().map(|v| v.f64())),
        }
    } else {
        out.extend(net.layers[li - 1].out().data.iter().map(|v| v.f64()));
    }
}

/// The gradient at dense layer `li`'s output in the current backward pass (m x n_out) as
/// f64, where `gy` seeded the pass.
fn layer_grad<R: Real>(net: &Net<R>, li: usize, gy: &Mat<R>, out: &mut Vec<f64>) {
    let g = match net.layers.get(li + 1) {
        Some(next) => next.grad_in(),
        None => gy,
    };
    out.clear();
    out.extend(g.data.iter().map(|v| v.f64()));
}

/// The dense layers of `net` as (index, n_in, n_out), refusing other networks and factors
/// wider than [`MAX_FACTOR`] (A's width is at most `rows` where the rows' Gram matrix stands
/// in for A: [`KronLaplace::fit_spectrum`]).
fn dense_layers<R>(
    net: &Net<R>,
    rows: Option<usize>,
) -> Result<Vec<(usize, usize, usize)>, NnError> {
    let refuse = |message: String| NnError::Config {
        param: "laplace_hessian".into(),
        message,
    };
    if !dense_only(net) {
        return Err(refuse(
            "kron covers networks of dense layers (no convolutions, recurrent layers, \
             embeddings, batch or layer norm); use diag or last-layer"
                .into(),
        ));
    }
    let mut out = Vec::new();
    for (li, layer) in net.layers.iter().enumerate() {
        if let Layer::Dense(d) = layer {
            if d.vd.is_some() {
                return Err(refuse(
                    "kron does not cover layers under variational dropout".into(),
                ));
            }
            let a_width = rows.map_or(d.n_in, |n| n.min(d.n_in));
            if a_width.max(d.n_out) > MAX_FACTOR {
                return Err(refuse(format!(
                    "layer {li} is {} x {}: kron decomposes factors up to {MAX_FACTOR} wide",
                    d.n_in, d.n_out
                )));
            }
            out.push((li, d.n_in, d.n_out));
        }
    }
    Ok(out)
}

/// Eigenvalues (rounding negatives set to 0) and eigenvectors of the m x m matrix `a`.
fn decompose(a: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut values, vectors) = sym_eigen(a, m);
    values.iter_mut().for_each(|v| *v = v.max(0.0));
    (values, vectors)
}

/// What one pass over the training rows gathers per dense layer: A's sum over rows
/// (n_in x n_in) or, where `rows_of_a` and there are fewer rows than inputs, the rows
/// themselves (N x n_in); B's sum (n_out x n_out).
struct Sums {
    a: Vec<f64>,
    a_rows: bool,
    b: Vec<f64>,
}

/// The training loss, the likelihood and each dense layer's [`Sums`] of `net` over the rows
/// of `data` in evaluation mode: per chunk of rows one forward pass, A's sum by one GEMM per
/// layer, and per output one backward pass seeded by the rows of Lambda^(1/2) with B's sum by
/// one GEMM per layer.
fn accumulate<R: Real>(
    net: &mut Net<R>,
    data: &Data<R>,
    layers: &[(usize, usize, usize)],
    rows_of_a: bool,
) -> Result<(Likelihood, f64, Vec<Sums>), NnError> {
    let likelihood = Likelihood::of(data.task)?;
    let n = data.rows();
    if n == 0 {
        return Err(NnError::Config {
            param: "laplace".into(),
            message: "no training rows".into(),
        });
    }
    let (c, w) = (net.spec.n_out, data.y_width());
    let mut sums: Vec<Sums> = layers
        .iter()
        .map(|&(_, n_in, n_out)| {
            let a_rows = rows_of_a && n < n_in;
            Sums {
                a: vec![0.0; if a_rows { 0 } else { n_in * n_in }],
                a_rows,
                b: vec![0.0; n_out * n_out],
            }
        })
        .collect();
    let mut loss = 0.0;
    let mut lam = vec![0.0; c * c];
    let mut gather = Gather::default();
    let idx: Vec<usize> = (0..n).collect();
    let mut buf = Vec::new();
    for s in (0..n).step_by(CHUNK) {
        let e = (s + CHUNK).min(n);
        let m = e - s;
        gather.fill_x(&data.x, &idx[s..e]);
        let out = net.forward_eval(gather.batch()).clone();
        for (sum, &(li, n_in, _)) in sums.iter_mut().zip(layers) {
            layer_input(net, gather.batch(), li, &mut buf);
            if sum.a_rows {
                sum.a.extend_from_slice(&buf);
            } else {
                let a = View::new(&buf, m, n_in);
                matmul(&mut sum.a, a.t(), a, true);
            }
        }
        let mut seeds = Vec::with_capacity(m);
        for r in 0..m {
            let f: Vec<f64> = out.row(r).iter().map(|v| v.f64()).collect();
            let y = &data.y[(s + r) * w..(s + r + 1) * w];
            loss += row_loss(likelihood, &f, y, &mut lam);
            seeds.push(lambda_sqrt(likelihood, &f));
        }
        for k in 0..c {
            let gy: Mat<R> = seed_rows(&seeds, k, c);
            net.backward(gather.batch(), &gy);
            for (sum, &(li, _, n_out)) in sums.iter_mut().zip(layers) {
                layer_grad(net, li, &gy, &mut buf);
                let g = View::new(&buf, m, n_out);
                matmul(&mut sum.b, g.t(), g, true);
            }
        }
    }
    Ok((likelihood, loss, sums))
}

/// The parameter groups of the dense layers `layers` of `net` (each weight, then its bias)
/// and theta in that order.
fn groups_of<R: Real>(
    net: &Net<R>,
    layers: &[(usize, usize, usize)],
) -> (Vec<(String, usize, usize)>, Vec<f64>) {
    let (mut groups, mut theta) = (Vec::new(), Vec::new());
    for &(li, n_in, n_out) in layers {
        let Layer::Dense(d) = &net.layers[li] else {
            unreachable!("dense_layers lists dense layers")
        };
        for (p, len) in [(&d.weight, n_in * n_out), (&d.bias, n_out)] {
            groups.push((p.name.clone(), theta.len(), len));
            theta.extend(p.value.iter().map(|v| v.f64()));
        }
    }
    (groups, theta)
}

/// Appends a layer's precision eigenvalues without 1 / sigma^2 to `h`: `l_B[o] l_A[i]` for
/// the weight, then `l_B[o]` for the bias.
fn push_spectrum(h: &mut Vec<f64>, a_values: &[f64], b_values: &[f64]) {
    for lb in b_values {
        h.extend(a_values.iter().map(|la| lb * la));
    }
    h.extend_from_slice(b_values);
}

impl KronLaplace {
    /// The Kronecker factors of `net`'s dense layers over the rows of `data` (targets as the
    /// loss reads them), in evaluation mode, decomposed: per chunk of rows one forward pass,
    /// A's sum by one GEMM per layer, and per output one backward pass seeded by the rows of
    /// Lambda^(1/2) with B's sum by one GEMM per layer.
    pub fn fit<R: Real>(net: &mut Net<R>, data: &Data<R>) -> Result<Self, NnError> {
        let layers = dense_layers(net, None)?;
        let (likelihood, loss, sums) = accumulate(net, data, &layers, false)?;
        let n = data.rows();
        let (groups, theta) = groups_of(net, &layers);
        let mut factors = Vec::with_capacity(layers.len());
        let mut h = Vec::with_capacity(theta.len());
        for (mut sum, &(li, n_in, n_out)) in sums.into_iter().zip(&layers) {
            sum.a.iter_mut().for_each(|v| *v /= n as f64);
            let (a_values, a_vectors) = decompose(&sum.a, n_in);
            let (b_values, b_vectors) = decompose(&sum.b, n_out);
            push_spectrum(&mut h, &a_values, &b_values);
            factors.push(KronFactor {
                layer: li,
                n_in,
                n_out,
                a_values,
                a_vectors,
                b_values,
                b_vectors,
            });
        }
        let spectrum = DiagLaplace {
            likelihood,
            n_out: net.spec.n_out,
            n_data: n,
            theta,
            h,
            loss,
            groups,
        };
        Ok(KronLaplace { spectrum, factors })
    }

    /// The spectrum alone ([`KronLaplace::spectrum`]: what the evidence needs), without
    /// eigenvectors: each factor's eigenvalues, and for a layer with more inputs than there
    /// are rows A's from the N x N Gram matrix (1/N) X X^T of its input rows X (the same
    /// nonzero eigenvalues, the rest zero): O(N^2 n_in + N^3) instead of O(n_in^3), e.g. on
    /// p >> n data.
    pub fn fit_spectrum<R: Real>(net: &mut Net<R>, data: &Data<R>) -> Result<DiagLaplace, NnError> {
        let layers = dense_layers(net, Some(data.rows()))?;
        let (likelihood, loss, sums) = accumulate(net, data, &layers, true)?;
        let n = data.rows();
        let (groups, theta) = groups_of(net, &layers);
        let mut h = Vec::with_capacity(theta.len());
        for (sum, &(_, n_in, n_out)) in sums.iter().zip(&layers) {
            let mut a_values = if sum.a_rows {
                let mut gram = vec![0.0; n * n];
                let x = View::new(&sum.a, n, n_in);
                matmul(&mut gram, x, x.t(), false);
                gram.iter_mut().for_each(|v| *v /= n as f64);
                let mut v = sym_eigenvalues(&gram, n);
                v.resize(n_in, 0.0);
                v
            } else {
                let a: Vec<f64> = sum.a.iter().map(|v| v / n as f64).collect();
                sym_eigenvalues(&a, n_in)
            };
            let mut b_values = sym_eigenvalues(&sum.b, n_out);
            a_values
                .iter_mut()
                .chain(b_values.iter_mut())
                .for_each(|v| *v = v.max(0.0));
            push_spectrum(&mut h, &a_values, &b_values);
        }
        Ok(DiagLaplace {
            likelihood,
            n_out: net.spec.n_out,
            n_data: n,
            theta,
            h,
            loss,
            groups,
        })
    }

    /// The posterior at the shared prior precision `delta` and noise sd `sigma`.
    pub fn posterior(&self, delta: f64, sigma: f64) -> Result<KronPosterior, NnError> {
        if !(delta.is_finite() && delta > 0.0) {
            return Err(NnError::Config {
                param: "laplace".into(),
                message: format!("prior precision {delta}: the posterior needs delta > 0"),
            });
        }
        Ok(KronPosterior {
            likelihood: self.spectrum.likelihood,
            factors: self.factors.clone(),
            prior_precision: delta,
            sigma_noise: sigma,
        })
    }

    /// The shared prior precision among `grid` whose linearized predictive has the smallest
    /// mean negative log-likelihood on the rows `val` (laplace-torch's `gridsearch`; `sigma`
    /// fixed). Returns (delta, that NLL).
    pub fn validation_prior<R: Real>(
        &self,
        net: &mut Net<R>,
        val: &Data<R>,
        sigma: f64,
        grid: &[f64],
    ) -> Result<(f64, f64), NnError> {
        let s = self.spectrum.likelihood.h_factor(sigma);
        let settings: Vec<(f64, f64)> = grid.iter().map(|&d| (d, s)).collect();
        let (f_mu, f_vars) = predict_kron_many(net, &val.x, &self.factors, &settings)?;
        super::lowest_of_grid(self.spectrum.likelihood, grid, &f_mu, &f_vars, val, sigma)
    }
}

impl KronPosterior {
    /// The network's outputs f (N x C) on `x` and the diagonal of their posterior variance
    /// (without the observation noise), in evaluation mode.
    pub fn predict<R: Real>(
        &self,
        net: &mut Net<R>,
        x: &Features<R>,
    ) -> Result<(Mat<f64>, Mat<f64>), NnError> {
        let s = self.likelihood.h_factor(self.sigma_noise);
        let (f_mu, mut f_vars) =
            predict_kron_many(net, x, &self.factors, &[(self.prior_precision, s)])?;
        Ok((f_mu, f_vars.remove(0)))
    }
}

/// (X Q)^2 elementwise for the m x w rows `x` and the w x w eigenvectors `q` (columns): each
/// row's squared coordinates in the eigenbasis.
fn rotated_squares(x: &[f64], m: usize, q: &[f64], w: usize) -> Vec<f64> {
    let mut v = vec![0.0; m * w];
    matmul(&mut v, View::new(x, m, w), View::new(q, w, w), false);
    v.iter_mut().for_each(|x| *x *= *x);
    v
}

/// The network's outputs f (N x C) on `x` and, for each (delta, s) of `settings`, the
/// diagonal of their variance under the Kronecker-factored posterior with prior precision
/// delta and GGN factor s (1 / sigma^2 or 1): the backward passes once for all settings.
pub fn predict_kron_many<R: Real>(
    net: &mut Net<R>,
    x: &Features<R>,
    factors: &[KronFactor],
    settings: &[(f64, f64)],
) -> Result<(Mat<f64>, Vec<Mat<f64>>), NnError> {
    let layers = dense_layers(net, None)?;
    let fits = layers.len() == factors.len()
        && layers
            .iter()
            .zip(factors)
            .all(|(&(li, n_in, n_out), f)| f.layer == li && f.fits(n_in, n_out));
    if !fits {
        return Err(NnError::Model(
            "the Kronecker-factored posterior does not fit the network's dense layers".into(),
        ));
    }
    let (n, c) = (x.rows(), net.spec.n_out);
    let mut f_mu = Mat::zeros(n, c);
    let mut f_vars: Vec<Mat<f64>> = settings.iter().map(|_| Mat::zeros(n, c)).collect();
    let mut gather = Gather::default();
    let idx: Vec<usize> = (0..n).collect();
    let mut buf = Vec::new();
    for s in (0..n).step_by(CHUNK) {
        let e = (s + CHUNK).min(n);
        let m = e - s;
        gather.fill_x(x, &idx[s..e]);
        let out = net.forward_eval(gather.batch());
        for (d, o) in f_mu.data[s * c..e * c].iter_mut().zip(&out.data) {
            *d = o.f64();
        }
        // (Q_A^T a_i)^2 per layer: m x n_in
        let mut v2 = Vec::with_capacity(factors.len());
        for f in factors {
            layer_input(net, gather.batch(), f.layer, &mut buf);
            v2.push(rotated_squares(&buf, m, &f.a_vectors, f.n_in));
        }
        // (Q_B^T g_ic)^2 per output and layer: m x n_out
        let mut u2: Vec<Vec<Vec<f64>>> = Vec::with_capacity(c);
        for k in 0..c {
            let mut gy = Mat::zeros(m, c);
            (0..m).for_each(|r| gy.data[r * c + k] = R::of(1.0));
            net.backward(gather.batch(), &gy);
            let mut per_layer = Vec::with_capacity(factors.len());
            for f in factors {
                layer_grad(net, f.layer, &gy, &mut buf);
                per_layer.push(rotated_squares(&buf, m, &f.b_vectors, f.n_out));
            }
            u2.push(per_layer);
        }
        let mut t = Vec::new();
        for (&(delta, h), fv) in settings.iter().zip(f_vars.iter_mut()) {
            for (l, f) in factors.iter().enumerate() {
                // q[i, o] = 1 / (l_A[i] l_B[o] s + delta); the bias's 1 / (l_B[o] s + delta)
                let mut q = vec![0.0; f.n_in * f.n_out];
                for (i, la) in f.a_values.iter().enumerate() {
                    for (o, lb) in f.b_values.iter().enumerate() {
                        q[i * f.n_out + o] = 1.0 / (la * lb * h + delta);
                    }
                }
                let qb: Vec<f64> = f.b_values.iter().map(|lb| 1.0 / (lb * h + delta)).collect();
                t.resize(m * f.n_out, 0.0);
                matmul(
                    &mut t,
                    View::new(&v2[l], m, f.n_in),
                    View::new(&q, f.n_in, f.n_out),
                    false,
                );
                for (k, per_layer) in u2.iter().enumerate() {
                    let u = &per_layer[l];
                    for r in 0..m {
                        let row = r * f.n_out..(r + 1) * f.n_out;
                        let v: f64 = u[row.clone()]
                            .iter()
                            .zip(&t[row])
                            .zip(&qb)
                            .map(|((a, b), q0)| a * (b + q0))
                            .sum();
                        fv.data[(s + r) * c + k] += v;
                    }
                }
            }
        }
    }
    Ok((f_mu, f_vars))
}
