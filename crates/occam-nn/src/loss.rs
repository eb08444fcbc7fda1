//! Losses, each the mean over the batch as PyTorch's default `reduction="mean"`, with the
//! gradient with respect to the network output written beside the value:
//!
//! | loss | per element | targets |
//! |---|---|---|
//! | `Mse` | (z - y)^2 | y, same shape as z |
//! | `Huber` | 0.5 r^2 if abs(r) <= delta, else delta (abs(r) - delta/2) | y, same shape as z |
//! | `BceLogits` | max(z,0) - z y + log(1 + exp(-abs(z))) | y in {0,1}, one per row |
//! | `SoftmaxCe` | `logsumexp(z) - z[y]` (mean over rows) | class index per row |
//! | `PoissonNll` | exp(z) - y z (z is the log rate) | count per row |

use crate::mat::Mat;
use crate::real::Real;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "name")]
pub enum Loss {
    Mse,
    Huber { delta: f64 },
    BceLogits,
    SoftmaxCe,
    PoissonNll,
}

impl Loss {
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::Huber { .. } => "huber",
            Loss::BceLogits => "bce_logits",
            Loss::SoftmaxCe => "softmax_ce",
            Loss::PoissonNll => "poisson_nll",
        }
    }

    /// Mean loss of `pred` against `target`; writes d loss / d pred into `grad` (same shape).
    pub fn value_grad<R: Real>(self, pred: &Mat<R>, target: &[R], grad: &mut Mat<R>) -> f64 {
        grad.resize(pred.rows, pred.cols);
        let (b, k) = (pred.rows, pred.cols);
        let z = &pred.data;
        let g = &mut grad.data;
        let mut total = 0.0f64;
        match self {
            Loss::Mse | Loss::Huber { .. } => {
                assert_eq!(target.len(), z.len(), "{}: target shape", self.name());
                let n = R::of(z.len() as f64);
                let delta = match self {
                    Loss::Huber { delta } => delta,
                    _ => f64::INFINITY,
                };
                for i in 0..z.len() {
                    let r = z[i] - target[i];
                    let a = r.f64().abs();
                    if a <= delta {
                        total += 0.5 * a * a * if delta.is_finite() { 1.0 } else { 2.0 };
                        g[i] = if delta.is_finite() { r } else { r + r } / n;
                    } else {
                        total += delta * (a - 0.5 * delta);
                        g[i] = R::of(delta * r.f64().signum()) / n;
                    }
                }
                total / z.len() as f64
            }
            Loss::BceLogits | Loss::PoissonNll => {
                assert_eq!(k, 1, "{} needs one output per row", self.name());
                assert_eq!(target.len(), b, "{}: target length", self.name());
                let n = R::of(b as f64);
                for i in 0..b {
                    let (zi, yi) = (z[i], target[i]);
                    if self == Loss::BceLogits {
                        let zf = zi.f64();
                        total += zf.max(0.0) - zf * yi.f64() + (-zf.abs()).exp().ln_1p();
                        g[i] = (sigmoid(zi) - yi) / n;
                    } else {
                        let mu = zi.exp();
                        total += mu.f64() - yi.f64() * zi.f64();
                        g[i] = (mu - yi) / n;
                    }
                }
                total / b as f64
            }
            Loss::SoftmaxCe => {
                assert_eq!(target.len(), b, "softmax_ce: target length");
                let n = R::of(b as f64);
                for i in 0..b {
                    let row = &z[i * k..(i + 1) * k];
                    let c = target[i].f64() as usize;
                    assert!(c < k, "softmax_ce: class {c} out of range for {k} outputs");
                    let m = row.iter().copied().fold(R::neg_infinity(), R::max);
                    let s: R = row.iter().map(|&v| (v - m).exp()).sum();
                    total += (m + s.ln() - row[c]).f64();
                    let gr = &mut g[i * k..(i + 1) * k];
                    for j in 0..k {
                        gr[j] = (row[j] - m).exp() / s / n;
                    }
                    gr[c] -= R::one() / n;
                }
                total / b as f64
            }
        }
    }
}

/// 1/(1 + exp(-z)), stable for large |z|.
pub fn sigmoid<R: Real>(z: R) -> R {
    if z >= R::zero() {
        R::one() / (R::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (R::one() + e)
    }
}
