//! Variational dropout on a dense layer's weights, trained with the local reparameterization
//! trick: the weights are Gaussian, `w_ij ~ N(theta_ij, sigma2_ij)`, and instead of a weight
//! draw per step each pre-activation is drawn from its exact marginal,
//! `y_bj = (x theta + b)_bj + sqrt(sum_i x_bi^2 sigma2_ij) eps_bj` with `eps ~ N(0, 1)` fresh
//! per row and unit (Kingma, Salimans & Welling 2015, section 2.3). The objective is the mean
//! data loss plus `KL(q || p) / N` (N training rows; the negative ELBO per row).
//!
//! Two parameterizations ([`VdKind`]):
//!
//! - **Sparse** (Molchanov, Ashukha & Vetrov 2017): one `log sigma2` per weight (additive
//!   reparameterization, so the gradient of theta does not carry the noise's variance);
//!   `log alpha = log sigma2 - log theta^2` is unbounded, the KL to the log-uniform prior is
//!   their approximation `k1 sigmoid(k2 + k3 log alpha) - 0.5 log(1 + 1/alpha) - k1`
//!   (negated), and weights with `log alpha > 3` are removed: the evaluation pass uses theta
//!   with them set to zero, and [`Variational::prune`] makes those zeros exact at the end of
//!   training. `log alpha` is clipped to [-10, 10] where it enters the KL and the pruning
//!   test (as the authors' code does); initial `log sigma2` is -10.
//! - **Learned rates** (Kingma et al. 2015, "variational dropout B" with adaptive alpha):
//!   `sigma2_ij = alpha theta_ij^2` with one `log alpha` per layer (`Layer`) or per input unit
//!   of the layer (`Unit`: the unit whose outgoing weights share the noise, so for the first
//!   layer one rate per input feature); `alpha` is kept <= 1 (projected after every step) and
//!   the KL is their cubic approximation `-(0.5 log alpha + c1 alpha + c2 alpha^2 +
//!   c3 alpha^3)` per weight, up to a constant. The dropout rate that Gaussian noise of
//!   variance alpha stands for is `p = alpha / (1 + alpha)`; the initial rate is 0.1.
//!
//! A convolution carries the sparse kind on its kernel (`[c_out, c_in k k]`, one `log
//! sigma2` per tap): the same reparameterization per output pixel, the variance being the
//! convolution of the squared input with sigma2 (`conv2d.rs`); this type then holds its
//! parameter and the element-wise parts (log alpha, KL, pruning).

use crate::mat::{matmul, parallel_elementwise, Batch, Mat, View, ELEMENTWISE_SPLIT};
use crate::param::{Param, ParamKind};
use crate::real::Real;
use occam_core::rng::Rng;
use rayon::prelude::*;

/// Which variational dropout a dense layer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VdKind {
    /// One variance per weight, unbounded alpha, pruning at log alpha > 3 (Molchanov 2017).
    Sparse,
    /// One learned dropout rate per layer (Kingma 2015).
    Layer,
    /// One learned dropout rate per input unit of the layer (Kingma 2015).
    Unit,
}

impl VdKind {
    pub fn name(self) -> &'static str {
        match self {
            VdKind::Sparse => "sparse",
            VdKind::Layer => "layer",
            VdKind::Unit => "unit",
        }
    }

    /// Parses `sparse`, `layer` or `unit`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sparse" => Some(VdKind::Sparse),
            "layer" => Some(VdKind::Layer),
            "unit" => Some(VdKind::Unit),
            _ => None,
        }
    }
}

/// Weights with log alpha above this are removed (Molchanov et al. 2017).
pub const PRUNE_LOG_ALPHA: f64 = 3.0;
/// |log alpha| is clipped here in the sparse KL and the pruning test.
pub const LOG_ALPHA_CLIP: f64 = 10.0;
const INIT_LOG_SIGMA2: f64 = -10.0;
/// Molchanov et al.'s KL approximation constants.
const K1: f64 = 0.63576;
const K2: f64 = 1.87320;
const K3: f64 = 1.48695;
/// Kingma et al.'s cubic KL approximation constants.
const C1: f64 = 1.16145124;
const C2: f64 = -1.50204118;
const C3: f64 = 0.58629921;
/// Added to theta^2 under the log and to the variance under the square root.
const TINY: f64 = 1e-8;

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// The sparse KL of one weight at (clipped) log alpha `la`. Its derivative,
/// `-k1 k3 s (1 - s) - 0.5 sigmoid(-la)` with `s = sigmoid(k2 + k3 la)`, is in
/// [`Variational::add_kl_grad`].
fn sparse_kl(la: f64) -> f64 {
    let c = la.clamp(-LOG_ALPHA_CLIP, LOG_ALPHA_CLIP);
    K1 - K1 * sigmoid(K2 + K3 * c) + 0.5 * (-c).exp().ln_1p()
}

/// Kingma's KL per weight (up to a constant) and its derivative in log alpha.
fn rate_kl(la: f64) -> (f64, f64) {
    let a = la.exp();
    let kl = -(0.5 * la + C1 * a + C2 * a * a + C3 * a * a * a);
    let d = -(0.5 + C1 * a + 2.0 * C2 * a * a + 3.0 * C3 * a * a * a);
    (kl, d)
}

/// The variational part of a dense layer `[n_in, n_out]` and its buffers.
#[derive(Clone, Debug)]
pub struct Variational<R> {
    pub kind: VdKind,
    /// `log sigma2` per weight `[n_in, n_out]` (sparse), or `log alpha`: `[1]` (layer) or
    /// `[n_in]` (unit).
    pub param: Param<R>,
    n_in: usize,
    n_out: usize,
    /// sigma2 per weight in the last training pass.
    sig2: Vec<R>,
    /// The squared input of the last training pass (dense input).
    x2: Mat<R>,
    /// The standard normal draws and the pre-activation sd, `[batch, n_out]`.
    eps: Vec<R>,
    sd: Vec<R>,
    var: Mat<R>,
    gvar: Mat<R>,
    gsig2: Vec<R>,
    tmp: Mat<R>,
}

impl<R: Real> Variational<R> {
    /// The variational part of the dense layer at position `index`.
    pub fn new(kind: VdKind, index: usize, n_in: usize, n_out: usize) -> Self {
        let (name, shape, init) = match kind {
            VdKind::Sparse => ("log_sigma2", vec![n_in, n_out], INIT_LOG_SIGMA2),
            VdKind::Layer => ("log_alpha", vec![1], (0.1f64 / 0.9).ln()),
            VdKind::Unit => ("log_alpha", vec![n_in], (0.1f64 / 0.9).ln()),
        };
        let len = shape.iter().product();
        Variational {
            kind,
            param: Param::new(
                format!("layers.{index}.{name}"),
                ParamKind::Variational,
                shape,
                vec![R::of(init); len],
            ),
            n_in,
            n_out,
            sig2: Vec::new(),
            x2: Mat::default(),
            eps: Vec::new(),
            sd: Vec::new(),
            var: Mat::default(),
            gvar: Mat::default(),
            gsig2: Vec::new(),
            tmp: Mat::default(),
        }
    }

    /// Under a learned rate, the index of input unit `i`'s `log alpha` in the parameter.
    fn slot(kind: VdKind, i: usize) -> usize {
        match kind {
            VdKind::Unit => i,
            _ => 0,
        }
    }

    /// The log alpha of input unit `i` under a learned rate.
    fn rate_log_alpha(&self, i: usize) -> f64 {
        self.param.value[Self::slot(self.kind, i)].f64()
    }

    /// log alpha per weight `[n_in, n_out]` (sparse: clipped to +-10).
    pub fn log_alpha(&self, theta: &[R]) -> Vec<f64> {
        match self.kind {
            VdKind::Sparse => theta
                .iter()
                .zip(&self.param.value)
                .map(|(&t, &ls)| {
                    let t = t.f64();
                    (ls.f64() - (t * t + TINY).ln()).clamp(-LOG_ALPHA_CLIP, LOG_ALPHA_CLIP)
                })
                .collect(),
            _ => (0..self.n_in * self.n_out)
                .map(|k| self.rate_log_alpha(k / self.n_out.max(1)))
                .collect(),
        }
    }

    /// The learned dropout rates `alpha / (1 + alpha)`: one (layer), one per input unit
    /// (unit); empty for the sparse kind (its rates are per weight, see [`Self::log_alpha`]).
    pub fn rates(&self) -> Vec<f64> {
        match self.kind {
            VdKind::Sparse => Vec::new(),
            _ => self.param.value.iter().map(|v| sigmoid(v.f64())).collect(),
        }
    }

    /// Whether weight `k` is removed (sparse kind: exact zero, or log alpha > 3).
    pub fn removed(&self, theta: &[R], k: usize) -> bool {
        if self.kind != VdKind::Sparse {
            return false;
        }
        let t = theta[k].f64();
        t == 0.0 || self.param.value[k].f64() - (t * t + TINY).ln() > PRUNE_LOG_ALPHA
    }

    /// The weights the evaluation pass uses: theta with the removed weights set to zero.
    pub fn eval_weights(&self, theta: &[R], out: &mut Vec<R>) {
        out.clear();
        out.extend(theta.iter().enumerate().map(|(k, &t)| {
            if self.removed(theta, k) {
                R::zero()
            } else {
                t
            }
        }));
    }

    /// Sets the removed weights to exactly zero (end of training).
    pub fn prune(&self, theta: &mut [R]) {
        for k in 0..theta.len() {
            if self.removed(theta, k) {
                theta[k] = R::zero();
            }
        }
    }

    /// sigma2 per weight of the sparse kind into `out` (0 for an exact zero: a removed
    /// weight).
    pub fn sparse_sigma2(&self, theta: &[R], out: &mut Vec<R>) {
        out.clear();
        out.resize(theta.len(), R::zero());
        let one = |o: &mut [R], t: &[R], ls: &[R]| {
            for ((o, &t), &ls) in o.iter_mut().zip(t).zip(ls) {
                *o = if t == R::zero() { R::zero() } else { ls.exp() };
            }
        };
        if parallel_elementwise(theta.len()) {
            out.par_chunks_mut(ELEMENTWISE_SPLIT)
                .zip(theta.par_chunks(ELEMENTWISE_SPLIT))
                .zip(self.param.value.par_chunks(ELEMENTWISE_SPLIT))
                .for_each(|((o, t), ls)| one(o, t, ls));
        } else {
            one(out, theta, &self.param.value);
        }
    }

    fn fill_sigma2(&mut self, theta: &[R]) {
        match self.kind {
            VdKind::Sparse => {
                let mut s = std::mem::take(&mut self.sig2);
                self.sparse_sigma2(theta, &mut s);
                self.sig2 = s;
            }
            _ => {
                self.sig2.clear();
                for i in 0..self.n_in {
                    let a = R::of(self.rate_log_alpha(i).exp());
                    let row = &theta[i * self.n_out..(i + 1) * self.n_out];
                    self.sig2.extend(row.iter().map(|&t| a * t * t));
                }
            }
        }
    }

    /// Forgets the last draw (an evaluation pass ran since).
    pub fn clear_sample(&mut self) {
        self.eps.clear();
    }

    /// Whether the last pass drew noise for a batch of `rows` rows.
    pub fn sampled(&self, rows: usize) -> bool {
        !self.eps.is_empty() && self.eps.len() == rows * self.n_out
    }

    /// Adds the noise of the local reparameterization to `out` (which holds `x theta + b`).
    pub fn sample(&mut self, x: Batch<R>, theta: &[R], out: &mut Mat<R>, rng: &mut Rng) {
        self.fill_sigma2(theta);
        let (b, n) = (x.rows(), self.n_out);
        self.var.resize(b, n);
        match x {
            Batch::Dense(m) => {
                self.x2.resize(m.rows, m.cols);
                self.x2
                    .data
                    .iter_mut()
                    .zip(&m.data)
                    .for_each(|(s, &v)| *s = v * v);
                matmul(
                    &mut self.var.data,
                    View::of(&self.x2),
                    View::new(&self.sig2, self.n_in, n),
                    false,
                );
            }
            Batch::Sparse(s) => {
                self.var.data.iter_mut().for_each(|v| *v = R::zero());
                for i in 0..s.rows {
                    let (idx, val) = s.row(i);
                    let o = &mut self.var.data[i * n..(i + 1) * n];
                    for (&j, &v) in idx.iter().zip(val) {
                        let sr = &self.sig2[j as usize * n..(j as usize + 1) * n];
                        o.iter_mut().zip(sr).for_each(|(a, &s2)| *a += v * v * s2);
                    }
                }
            }
        }
        self.eps.clear();
        self.eps.extend((0..b * n).map(|_| R::of(rng.normal())));
        self.sd.clear();
        self.sd
            .extend(self.var.data.iter().map(|&v| (v + R::of(TINY)).sqrt()));
        out.data
            .iter_mut()
            .zip(self.eps.iter().zip(&self.sd))
            .for_each(|(o, (&e, &s))| *o += e * s);
    }

    /// Backward of the noise term after [`Self::sample`] on the same input: fills this
    /// part's gradient, adds the noise's share to `theta_grad` (learned rates) and, when
    /// given, to the input gradient `grad_in` (which already holds `gy theta^T`).
    pub fn backward(
        &mut self,
        x: Batch<R>,
        gy: &Mat<R>,
        theta: &[R],
        theta_grad: &mut [R],
        grad_in: Option<&mut Mat<R>>,
    ) {
        let n = self.n_out;
        let half = R::of(0.5);
        self.gvar.resize(gy.rows, n);
        self.gvar
            .data
            .iter_mut()
            .zip(&gy.data)
            .zip(self.eps.iter().zip(&self.sd))
            .for_each(|((g, &gy), (&e, &s))| *g = gy * e * half / s);
        self.gsig2.clear();
        self.gsig2.resize(self.n_in * n, R::zero());
        match x {
            Batch::Dense(_) => matmul(
                &mut self.gsig2,
                View::of(&self.x2).t(),
                View::of(&self.gvar),
                false,
            ),
            Batch::Sparse(s) => {
                for i in 0..s.rows {
                    let (idx, val) = s.row(i);
                    let g = self.gvar.row(i);
                    for (&j, &v) in idx.iter().zip(val) {
                        let row = &mut self.gsig2[j as usize * n..(j as usize + 1) * n];
                        row.iter_mut().zip(g).for_each(|(r, &gk)| *r += v * v * gk);
                    }
                }
            }
        }
        let grad = &mut self.param.grad;
        grad.iter_mut().for_each(|v| *v = R::zero());
        match self.kind {
            // sigma2 = exp(log sigma2)
            VdKind::Sparse => grad
                .iter_mut()
                .zip(self.gsig2.iter().zip(&self.sig2))
                .for_each(|(g, (&gs, &s2))| *g = gs * s2),
            // sigma2 = alpha theta^2: d/d log alpha = sigma2, d/d theta = 2 alpha theta
            kind => {
                for i in 0..self.n_in {
                    let slot = Self::slot(kind, i);
                    let a = R::of(self.param.value[slot].f64().exp());
                    let mut acc = R::zero();
                    for j in i * n..(i + 1) * n {
                        acc += self.gsig2[j] * self.sig2[j];
                        theta_grad[j] += self.gsig2[j] * R::of(2.0) * a * theta[j];
                    }
                    grad[slot] += acc;
                }
            }
        }
        if let (Some(gi), Batch::Dense(m)) = (grad_in, x) {
            // d var / d x_bi = 2 x_bi sum_j sigma2_ij gvar_bj
            self.tmp.resize(gy.rows, self.n_in);
            matmul(
                &mut self.tmp.data,
                View::of(&self.gvar),
                View::new(&self.sig2, self.n_in, n).t(),
                false,
            );
            gi.data
                .iter_mut()
                .zip(&self.tmp.data)
                .zip(&m.data)
                .for_each(|((g, &t), &xv)| *g += R::of(2.0) * xv * t);
        }
    }

    /// The KL term of this layer (sparse: to the log-uniform prior; learned rates: up to a
    /// constant).
    pub fn kl(&self, theta: &[R]) -> f64 {
        match self.kind {
            VdKind::Sparse => self.log_alpha(theta).iter().map(|&la| sparse_kl(la)).sum(),
            _ => (0..self.n_in)
                .map(|i| rate_kl(self.rate_log_alpha(i)).0 * self.n_out as f64)
                .sum(),
        }
    }

    /// Adds `scale` times the KL's gradient to this part's gradient and to `theta_grad`.
    /// The sparse kind's loop runs once per weight and step, so it is split across threads
    /// and computed in `R` (f32 in training).
    pub fn add_kl_grad(&mut self, theta: &[R], theta_grad: &mut [R], scale: f64) {
        match self.kind {
            VdKind::Sparse => {
                let one = |g: &mut [R], tg: &mut [R], t: &[R], ls: &[R]| {
                    let (k1k3, k2, k3) = (R::of(K1 * K3), R::of(K2), R::of(K3));
                    let (lo, hi) = (R::of(-LOG_ALPHA_CLIP), R::of(LOG_ALPHA_CLIP));
                    let (half, tiny, s) = (R::of(0.5), R::of(TINY), R::of(scale));
                    for (((g, tg), &t), &ls) in g.iter_mut().zip(tg).zip(t).zip(ls) {
                        let t2 = t * t + tiny;
                        let la = ls - t2.ln();
                        if la <= lo || la >= hi {
                            continue; // the clip is active: no gradient
                        }
                        let sg = R::one() / (R::one() + (-(k2 + k3 * la)).exp());
                        let d = -(k1k3 * sg * (R::one() - sg)) - half / (R::one() + la.exp());
                        *g += s * d;
                        // d log alpha / d theta = -2 theta / (theta^2 + tiny)
                        *tg += s * d * (-(t + t) / t2);
                    }
                };
                let (g, ls) = (&mut self.param.grad, &self.param.value);
                if parallel_elementwise(theta.len()) {
                    g.par_chunks_mut(ELEMENTWISE_SPLIT)
                        .zip(theta_grad.par_chunks_mut(ELEMENTWISE_SPLIT))
                        .zip(theta.par_chunks(ELEMENTWISE_SPLIT))
                        .zip(ls.par_chunks(ELEMENTWISE_SPLIT))
                        .for_each(|(((g, tg), t), ls)| one(g, tg, t, ls));
                } else {
                    one(g, theta_grad, theta, ls);
                }
            }
            kind => {
                for i in 0..self.n_in {
                    let slot = Self::slot(kind, i);
                    let d = rate_kl(self.param.value[slot].f64()).1;
                    self.param.grad[slot] += R::of(scale * d * self.n_out as f64);
                }
            }
        }
    }

    /// Keeps learned rates' alpha <= 1 (Kingma et al.'s constraint; a no-op when sparse).
    pub fn project(&mut self) {
        if self.kind != VdKind::Sparse {
            self.param
                .value
                .iter_mut()
                .for_each(|v| *v = v.min(R::zero()));
        }
    }
}

/// A layer's weight, bias and, under variational dropout, its parameter (dense and
/// convolution layers list their parameters so).
pub fn with_noise<'a, R>(
    weight: &'a Param<R>,
    bias: &'a Param<R>,
    vd: &'a Option<Variational<R>>,
) -> Vec<&'a Param<R>> {
    let mut v = vec![weight, bias];
    v.extend(vd.as_ref().map(|d| &d.param));
    v
}

/// [`with_noise`], mutable.
pub fn with_noise_mut<'a, R>(
    weight: &'a mut Param<R>,
    bias: &'a mut Param<R>,
    vd: &'a mut Option<Variational<R>>,
) -> Vec<&'a mut Param<R>> {
    let mut v = vec![weight, bias];
    v.extend(vd.as_mut().map(|d| &mut d.param));
    v
}
