//! Adversarial examples and adversarial training: FGSM (Goodfellow, Shlens & Szegedy 2015,
//! one step of `eps` along the sign of the input gradient; for the L2 ball the gradient
//! direction, Miyato et al.'s FGM), PGD (Madry, Makelov, Schmidt, Tsipras & Vladu 2018:
//! a random start in the ball, then steps of `step_size` along the sign (L-infinity) or the
//! normalized gradient (L2), each projected back onto the ball around the clean row), and
//! the robust accuracy of a classifier under PGD with restarts.
//!
//! Perturbations live in the network's input space (for standardized features: standardized
//! units), inside the ball and inside the valid input range, per feature, of the training
//! rows ([`Bounds`]: for images scaled to [0, 1], the pixel range). The attacks maximize
//! the training loss with the network in evaluation mode (dropout off, batch norm on its
//! running statistics), as torchattacks does with a model in eval mode.

use crate::error::{NnError, Result};
use crate::loss::Loss;
use crate::mat::{Batch, Mat};
use crate::net::Net;
use crate::real::Real;
use crate::trainer::Trainer;
use occam_core::rng::Rng;

/// The ball the perturbations stay in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    Linf,
    L2,
}

impl Norm {
    pub fn parse(s: &str) -> Option<Norm> {
        match s {
            "linf" | "inf" => Some(Norm::Linf),
            "l2" => Some(Norm::L2),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Norm::Linf => "linf",
            Norm::L2 => "l2",
        }
    }
}

/// An attack: FGSM when `steps` is 0 (one step of `eps`, no random start), else PGD with
/// `steps` steps of `step_size`, from a random start in the ball unless `random_start` is
/// off (then from the clean row, as torchattacks' `PGD(random_start=False)`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attack {
    pub eps: f64,
    pub norm: Norm,
    pub steps: usize,
    pub step_size: f64,
    #[serde(default = "yes")]
    pub random_start: bool,
}

fn yes() -> bool {
    true
}

impl Attack {
    pub fn fgsm(eps: f64, norm: Norm) -> Attack {
        Attack {
            eps,
            norm,
            steps: 0,
            step_size: eps,
            random_start: false,
        }
    }

    /// PGD with `steps` steps of Madry et al.'s size 2.5 eps / steps.
    pub fn pgd(eps: f64, norm: Norm, steps: usize) -> Attack {
        Attack {
            eps,
            norm,
            steps,
            step_size: 2.5 * eps / steps.max(1) as f64,
            random_start: true,
        }
    }

    pub fn name(&self) -> String {
        match self.steps {
            0 => "fgsm".into(),
            k => format!("pgd-{k}"),
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(NnError::config(
                "adv_epsilon",
                format!("{} must be a finite number > 0", self.eps),
            ));
        }
        if !(self.step_size.is_finite() && self.step_size > 0.0) {
            return Err(NnError::config(
                "adv_step_size",
                format!("{} must be a finite number > 0", self.step_size),
            ));
        }
        Ok(())
    }
}

/// The valid input range, per feature (column), in the network's input units.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bounds {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl Bounds {
    /// The per-column minimum and maximum of `x`'s rows.
    pub fn of<R: Real>(x: &Mat<R>) -> Bounds {
        let mut lo = vec![f64::INFINITY; x.cols];
        let mut hi = vec![f64::NEG_INFINITY; x.cols];
        for i in 0..x.rows {
            for (j, v) in x.row(i).iter().enumerate() {
                lo[j] = lo[j].min(v.f64());
                hi[j] = hi[j].max(v.f64());
            }
        }
        Bounds { lo, hi }
    }

    /// The same range on every one of `cols` features.
    pub fn uniform(cols: usize, lo: f64, hi: f64) -> Bounds {
        Bounds {
            lo: vec![lo; cols],
            hi: vec![hi; cols],
        }
    }
}

/// The gradient of the mean loss at `x` with respect to `x`, the network in evaluation mode;
/// leaves it in `grad` (`x`'s shape).
fn input_grad<R: Real>(net: &mut Net<R>, loss: Loss, x: &Mat<R>, y: &[R], grad: &mut Mat<R>) {
    let mut g = Mat::default();
    let out = net.forward_eval(Batch::Dense(x));
    loss.value_grad(out, y, &mut g);
    grad.assign(net.backward_to_input(Batch::Dense(x), &g));
}

/// Row `i` of `adv` moved back into the ball of radius `eps` around row `i` of `x`, then into
/// the bounds.
fn project<R: Real>(adv: &mut Mat<R>, x: &Mat<R>, a: &Attack, b: &Bounds) {
    for i in 0..x.rows {
        let (xr, ar) = (x.row(i), adv.row_mut(i));
        match a.norm {
            Norm::Linf => {
                for (v, &c) in ar.iter_mut().zip(xr) {
                    let d = (v.f64() - c.f64()).clamp(-a.eps, a.eps);
                    *v = R::of(c.f64() + d);
                }
            }
            Norm::L2 => {
                let n: f64 = ar
                    .iter()
                    .zip(xr)
                    .map(|(v, c)| (v.f64() - c.f64()).powi(2))
                    .sum::<f64>()
                    .sqrt();
                if n > a.eps {
                    let s = a.eps / n;
                    for (v, &c) in ar.iter_mut().zip(xr) {
                        *v = R::of(c.f64() + (v.f64() - c.f64()) * s);
                    }
                }
            }
        }
        for (j, v) in ar.iter_mut().enumerate() {
            *v = R::of(v.f64().clamp(b.lo[j], b.hi[j]));
        }
    }
}

/// One ascent step of size `size` along the sign (L-infinity) or the row-normalized
/// gradient (L2).
fn ascend<R: Real>(adv: &mut Mat<R>, grad: &Mat<R>, norm: Norm, size: f64) {
    for i in 0..adv.rows {
        let g = grad.row(i);
        let scale = match norm {
            Norm::Linf => size,
            Norm::L2 => {
                let n = g.iter().map(|v| v.f64().powi(2)).sum::<f64>().sqrt();
                if n > 0.0 {
                    size / n
                } else {
                    0.0
                }
            }
        };
        for (v, &d) in adv.row_mut(i).iter_mut().zip(g) {
            let step = match norm {
                Norm::Linf => d.f64().signum() * f64::from(d.f64() != 0.0),
                Norm::L2 => d.f64(),
            };
            *v = R::of(v.f64() + scale * step);
        }
    }
}

/// The adversarial rows of `x` (targets `y`, the loss the network trains on) under `a`,
/// inside `bounds`; PGD's random start is drawn from `rng`.
pub fn perturb<R: Real>(
    net: &mut Net<R>,
    loss: Loss,
    x: &Mat<R>,
    y: &[R],
    a: &Attack,
    bounds: &Bounds,
    rng: &mut Rng,
) -> Mat<R> {
    let mut adv = x.clone();
    let mut grad = Mat::default();
    if a.steps == 0 {
        input_grad(net, loss, x, y, &mut grad);
        ascend(&mut adv, &grad, a.norm, a.eps);
        project(&mut adv, x, a, bounds);
        return adv;
    }
    // random start: uniform in the L-infinity ball; for L2 a random direction at a radius
    // uniform in [0, eps] (torchattacks' PGDL2)
    for i in (0..x.rows).filter(|_| a.random_start) {
        let row = adv.row_mut(i);
        match a.norm {
            Norm::Linf => row
                .iter_mut()
                .for_each(|v| *v = R::of(v.f64() + a.eps * (2.0 * rng.uniform() - 1.0))),
            Norm::L2 => {
                let d: Vec<f64> = (0..row.len()).map(|_| rng.normal()).collect();
                let n = d.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
                let r = a.eps * rng.uniform();
                for (v, dv) in row.iter_mut().zip(&d) {
                    *v = R::of(v.f64() + r * dv / n);
                }
            }
        }
    }
    project(&mut adv, x, a, bounds);
    for _ in 0..a.steps {
        input_grad(net, loss, &adv, y, &mut grad);
        ascend(&mut adv, &grad, a.norm, a.step_size);
        project(&mut adv, x, a, bounds);
    }
    adv
}

/// The predicted class of each output row: the argmax for several outputs, `z > 0` for one
/// logit.
fn classes<R: Real>(out: &Mat<R>) -> Vec<usize> {
    (0..out.rows)
        .map(|i| {
            let r = out.row(i);
            if r.len() == 1 {
                usize::from(r[0].f64() > 0.0)
            } else {
                crate::mat::argmax(r)
            }
        })
        .collect()
}

/// Clean and robust accuracy of a classifier: the share of rows predicted right, and the
/// share predicted right on the clean row and on the adversarial row of every one of
/// `restarts` runs of `a` (a row counts as broken once any run breaks it). Rows in chunks of
/// 256; restart r of chunk c draws from `Rng::stream(seed, c * restarts + r)`.
#[allow(clippy::too_many_arguments)]
pub fn robust_accuracy<R: Real>(
    net: &mut Net<R>,
    loss: Loss,
    x: &Mat<R>,
    y: &[R],
    a: &Attack,
    restarts: usize,
    bounds: &Bounds,
    seed: u64,
) -> Result<(f64, f64)> {
    if !matches!(loss, Loss::BceLogits | Loss::SoftmaxCe) {
        return Err(NnError::config(
            "robust_eval",
            "robust accuracy is for classifiers (bce_logits or softmax_ce)",
        ));
    }
    a.validate()?;
    let (n, chunk) = (x.rows, 256);
    let (mut clean, mut robust) = (0usize, 0usize);
    for (c, start) in (0..n).step_by(chunk).enumerate() {
        let end = (start + chunk).min(n);
        let xc = Mat::from_vec(
            end - start,
            x.cols,
            x.data[start * x.cols..end * x.cols].to_vec(),
        );
        let yc = &y[start..end];
        let truth: Vec<usize> = yc.iter().map(|v| v.f64() as usize).collect();
        let pred = classes(net.forward_eval(Batch::Dense(&xc)));
        let mut ok: Vec<bool> = pred.iter().zip(&truth).map(|(p, t)| p == t).collect();
        clean += ok.iter().filter(|&&o| o).count();
        for r in 0..restarts.max(1) {
            let mut rng = Rng::stream(seed, (c * restarts.max(1) + r) as u64);
            let adv = perturb(net, loss, &xc, yc, a, bounds, &mut rng);
            let pa = classes(net.forward_eval(Batch::Dense(&adv)));
            for ((o, p), t) in ok.iter_mut().zip(&pa).zip(&truth) {
                *o &= p == t;
            }
        }
        robust += ok.iter().filter(|&&o| o).count();
    }
    let n = n.max(1) as f64;
    Ok((clean as f64 / n, robust as f64 / n))
}

/// Adversarial training: every step trains on the batch's adversarial rows under `attack`
/// with weight `weight` and on its clean rows with weight `1 - weight` (1: Madry et al.'s
/// adversarial rows only; 0.5: Goodfellow et al.'s even mix of FGSM and clean rows). With
/// `trades = Some(beta)`, TRADES instead (Zhang, Yu, Jiao, Xing, El Ghaoui & Jordan 2019):
/// the loss is the clean rows' loss plus beta times the mean KL divergence from the clean
/// rows' predicted distribution to the adversarial rows', whose rows `attack` finds by
/// maximizing that KL (from a start 0.001 N(0, 1) off the clean row); `weight` is unused.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adversarial {
    pub attack: Attack,
    pub weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trades: Option<f64>,
}

impl Adversarial {
    pub fn validate(&self) -> Result<()> {
        self.attack.validate()?;
        if let Some(b) = self.trades {
            if !(b.is_finite() && b > 0.0) {
                return Err(NnError::config(
                    "adv_beta",
                    format!("{b} must be a finite number > 0"),
                ));
            }
            if self.attack.steps == 0 {
                return Err(NnError::config(
                    "adv_steps",
                    "TRADES needs PGD steps (>= 1)",
                ));
            }
        }
        if !(self.weight > 0.0 && self.weight <= 1.0) {
            return Err(NnError::config(
                "adv_weight",
                format!("{} is not in (0, 1]", self.weight),
            ));
        }
        Ok(())
    }
}

impl<R: Real> Trainer<R> {
    /// One step of adversarial training on the dense batch `x`: the adversarial rows from the
    /// current weights, then one optimizer step on `weight` times their mean loss plus
    /// `1 - weight` times the clean rows' (returned).
    pub(crate) fn adversarial_step(
        &mut self,
        x: &Mat<R>,
        y: &[R],
        lr: f64,
        rng: &mut Rng,
        adv: Adversarial,
    ) -> Option<f64> {
        let own;
        let bounds = match &self.adversarial_bounds {
            Some(b) => b,
            None => {
                own = Bounds::of(x);
                &own
            }
        };
        let loss_kind = self.cfg.loss;
        if let Some(beta) = adv.trades {
            let xa = trades_perturb(&mut self.net, x, &adv.attack, bounds, rng);
            return self.trades_step(x, &xa, y, beta, lr, rng);
        }
        let xa = perturb(&mut self.net, loss_kind, x, y, &adv.attack, bounds, rng);
        if adv.weight >= 1.0 {
            let out = self.net.forward_train(Batch::Dense(&xa), rng);
            let loss = loss_kind.value_grad(out, y, &mut self.grad);
            if !loss.is_finite() {
                return None;
            }
            self.net.backward(Batch::Dense(&xa), &self.grad);
            self.update(lr);
            return Some(loss);
        }
        let (b, w) = (x.rows, adv.weight);
        let (both, oc, oa) = self.forward_both(x, &xa, rng);
        let k = oc.cols;
        let (mut gc, mut ga) = (Mat::default(), Mat::default());
        let lc = loss_kind.value_grad(&oc, y, &mut gc);
        let la = loss_kind.value_grad(&oa, y, &mut ga);
        let loss = (1.0 - w) * lc + w * la;
        if !loss.is_finite() {
            return None;
        }
        self.grad.resize(2 * b, k);
        let (c, a) = (R::of(1.0 - w), R::of(w));
        for (d, &g) in self.grad.data[..b * k].iter_mut().zip(&gc.data) {
            *d = g * c;
        }
        for (d, &g) in self.grad.data[b * k..].iter_mut().zip(&ga.data) {
            *d = g * a;
        }
        self.net.backward(Batch::Dense(&both), &self.grad);
        self.update(lr);
        Some(loss)
    }

    /// One training pass over the clean rows `x` and then the adversarial rows `xa` as one
    /// batch: (that batch, the clean rows' outputs, the adversarial rows' outputs).
    fn forward_both(&mut self, x: &Mat<R>, xa: &Mat<R>, rng: &mut Rng) -> (Mat<R>, Mat<R>, Mat<R>) {
        let b = x.rows;
        let mut both = Mat::zeros(2 * b, x.cols);
        both.data[..b * x.cols].copy_from_slice(&x.data);
        both.data[b * x.cols..].copy_from_slice(&xa.data);
        let out = self.net.forward_train(Batch::Dense(&both), rng);
        let k = out.cols;
        let half =
            |part: usize| Mat::from_vec(b, k, out.data[part * b * k..(part + 1) * b * k].to_vec());
        let (c, a) = (half(0), half(1));
        (both, c, a)
    }

    /// One TRADES step on clean rows `x` and their adversarial rows `xa`: the clean rows'
    /// loss plus `beta` times the mean KL(p(x) || p(xa)), through one training pass over both.
    pub(crate) fn trades_step(
        &mut self,
        x: &Mat<R>,
        xa: &Mat<R>,
        y: &[R],
        beta: f64,
        lr: f64,
        rng: &mut Rng,
    ) -> Option<f64> {
        let b = x.rows;
        let (both, zp, zq) = self.forward_both(x, xa, rng);
        let k = zp.cols;
        let mut gc = Mat::default();
        let lc = self.cfg.loss.value_grad(&zp, y, &mut gc);
        let (mut gp, mut gq) = (Mat::zeros(b, k), Mat::zeros(b, k));
        let kl = kl_rows(&zp, &zq, Some(&mut gp), &mut gq, beta / b as f64);
        let loss = lc + beta * kl / b as f64;
        if !loss.is_finite() {
            return None;
        }
        self.grad.resize(2 * b, k);
        for ((d, &c), &p) in self.grad.data[..b * k]
            .iter_mut()
            .zip(&gc.data)
            .zip(&gp.data)
        {
            *d = c + p;
        }
        self.grad.data[b * k..].copy_from_slice(&gq.data);
        self.net.backward(Batch::Dense(&both), &self.grad);
        self.update(lr);
        Some(loss)
    }
}

/// The rows' predicted distributions from logits: softmax over several outputs, the
/// Bernoulli (sigmoid) of one logit, as (probabilities, log probabilities) per class.
fn distribution(z: &[f64]) -> (Vec<f64>, Vec<f64>) {
    if z.len() == 1 {
        let l1 = -(-z[0]).exp().ln_1p(); // log sigmoid
        let l0 = -z[0].exp().ln_1p();
        return (vec![l0.exp(), l1.exp()], vec![l0, l1]);
    }
    let m = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
    let logp: Vec<f64> = z.iter().map(|v| v - lse).collect();
    (logp.iter().map(|l| l.exp()).collect(), logp)
}

/// The sum over rows of KL(p || q), p from the logits `zp` and q from `zq`; writes `scale`
/// times its gradients with respect to `zq` (`q - p`) and, when asked, `zp`
/// (`p (v - sum p v)` with `v = log p - log q`; for one logit `p(1-p)(zp - zq)`).
pub fn kl_rows<R: Real>(
    zp: &Mat<R>,
    zq: &Mat<R>,
    mut gp: Option<&mut Mat<R>>,
    gq: &mut Mat<R>,
    scale: f64,
) -> f64 {
    let (b, k) = (zp.rows, zp.cols);
    gq.resize(b, k);
    if let Some(g) = gp.as_deref_mut() {
        g.resize(b, k);
    }
    let mut total = 0.0;
    for i in 0..b {
        let zpi: Vec<f64> = zp.row(i).iter().map(|v| v.f64()).collect();
        let zqi: Vec<f64> = zq.row(i).iter().map(|v| v.f64()).collect();
        let (p, lp) = distribution(&zpi);
        let (q, lq) = distribution(&zqi);
        let v: Vec<f64> = lp.iter().zip(&lq).map(|(a, b)| a - b).collect();
        let kl: f64 = p.iter().zip(&v).map(|(a, b)| a * b).sum();
        total += kl;
        if k == 1 {
            gq.data[i] = R::of(scale * (q[1] - p[1]));
            if let Some(g) = gp.as_deref_mut() {
                g.data[i] = R::of(scale * p[1] * p[0] * (zpi[0] - zqi[0]));
            }
        } else {
            for j in 0..k {
                gq.data[i * k + j] = R::of(scale * (q[j] - p[j]));
            }
            if let Some(g) = gp.as_deref_mut() {
                for j in 0..k {
                    g.data[i * k + j] = R::of(scale * p[j] * (v[j] - kl));
                }
            }
        }
    }
    total
}

/// TRADES's adversarial rows: from 0.001 N(0, 1) off each clean row, `a.steps` ascent steps
/// on KL(p(x) || p(x')) (p(x) held fixed), each projected on the ball and the bounds; the
/// network in evaluation mode.
pub fn trades_perturb<R: Real>(
    net: &mut Net<R>,
    x: &Mat<R>,
    a: &Attack,
    bounds: &Bounds,
    rng: &mut Rng,
) -> Mat<R> {
    let zp = net.forward_eval(Batch::Dense(x)).clone();
    let mut adv = x.clone();
    adv.data
        .iter_mut()
        .for_each(|v| *v = R::of(v.f64() + 0.001 * rng.normal()));
    project(&mut adv, x, a, bounds);
    let mut gq = Mat::default();
    let mut grad = Mat::default();
    for _ in 0..a.steps {
        let zq = net.forward_eval(Batch::Dense(&adv)).clone();
        kl_rows(&zp, &zq, None, &mut gq, 1.0);
        grad.assign(net.backward_to_input(Batch::Dense(&adv), &gq));
        ascend(&mut adv, &grad, a.norm, a.step_size);
        project(&mut adv, x, a, bounds);
    }
    adv
}
