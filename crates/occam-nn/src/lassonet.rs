//! LassoNet (Lemhadri, Ruan, Abraham & Tibshirani 2021, JMLR): a network with a linear skip
//! connection, output = MLP(x) + x Theta, trained along a path of lambdas with the penalty
//! lambda * sum_j ||Theta_j||_2 and the hierarchy |W_jk| <= M ||Theta_j|| on the first layer,
//! enforced by the Hier-Prox operator after every optimizer step (their Algorithm 2, with
//! step lr * lambda, the uniform step the paper uses). A feature leaves the model when its
//! skip weights reach zero; its first-layer row goes with it.
//!
//! The path starts from the dense fit (lambda = 0), then multiplies lambda by
//! `multiplier` at each point, warm-started from the previous weights, until no feature is
//! left (or `max_points`). At each point training runs until the validation loss has not
//! improved for `patience` epochs (at most `epochs_per_point`).

use crate::data::{Data, Gather};
use crate::layer::{Dense, Layer};
use crate::loss::Loss;
use crate::mat::{Batch, Mat};
use crate::net::{MlpSpec, Net};
use crate::optim::{Optimizer, OptimizerKind};
use crate::param::Param;
use crate::real::Real;
use occam_core::rng::Rng;

/// Settings of a LassoNet path.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `m` | 10 | hierarchy multiplier M |
/// | `lambda_start` | 1e-3 | first positive lambda (times the loss scale) |
/// | `multiplier` | 1.25 | lambda grows by this factor per point |
/// | `epochs_dense` | 100 | epochs of the dense (lambda = 0) fit |
/// | `epochs_per_point` | 20 | at most this many epochs per lambda |
/// | `patience` | 5 | epochs without validation improvement that end a point |
/// | `max_points` | 200 | path length limit |
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PathSettings {
    pub m: f64,
    pub lambda_start: f64,
    pub multiplier: f64,
    pub epochs_dense: usize,
    pub epochs_per_point: usize,
    pub patience: usize,
    pub max_points: usize,
    pub lr: f64,
    pub batch_size: usize,
    pub seed: u64,
}

impl Default for PathSettings {
    fn default() -> Self {
        PathSettings {
            m: 10.0,
            lambda_start: 1e-3,
            multiplier: 1.25,
            epochs_dense: 100,
            epochs_per_point: 20,
            patience: 5,
            max_points: 200,
            lr: 1e-3,
            batch_size: 32,
            seed: 0,
        }
    }
}

/// One point of the path.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PathPoint {
    pub lambda: f64,
    pub val_loss: f64,
    pub epochs: usize,
    /// Indices of the features still in the model.
    pub active: Vec<usize>,
}

/// The network with its skip connection.
#[derive(Clone, Debug)]
pub struct LassoNet<R> {
    pub net: Net<R>,
    /// `[p, n_out]`, no bias (the network's output bias serves both).
    pub skip: Dense<R>,
}

/// Hier-Prox for one feature: `theta` (its skip weights, one per output) and `w` (its
/// first-layer row, one per hidden unit), with threshold `t` = step * lambda and multiplier
/// `m`. Afterwards ||theta|| <= ... and every |w_k| <= m ||theta||; theta = 0 implies w = 0.
pub fn hier_prox<R: Real>(theta: &mut [R], w: &mut [R], t: f64, m: f64) {
    let tn = theta.iter().map(|v| v.f64() * v.f64()).sum::<f64>().sqrt();
    let mut a: Vec<f64> = w.iter().map(|v| v.f64().abs()).collect();
    a.sort_by(|x, y| y.total_cmp(x));
    let k = a.len();
    let mut csum = 0.0;
    let mut wm = 0.0;
    for mi in 0..=k {
        if mi > 0 {
            csum += a[mi - 1];
        }
        let cand = m / (1.0 + mi as f64 * m * m) * (tn + m * csum - t).max(0.0);
        let upper = if mi == 0 { f64::INFINITY } else { a[mi - 1] };
        let lower = if mi == k { 0.0 } else { a[mi] };
        if cand >= lower && cand <= upper {
            wm = cand;
            break;
        }
    }
    // theta_new = (wm / m) * theta / ||theta||
    let scale = if tn > 0.0 { wm / m / tn } else { 0.0 };
    theta.iter_mut().for_each(|v| *v = R::of(v.f64() * scale));
    w.iter_mut().for_each(|v| {
        let x = v.f64();
        *v = R::of(x.signum() * x.abs().min(wm));
    });
}

impl<R: Real> LassoNet<R> {
    pub fn new(spec: &MlpSpec, seed: u64) -> Self {
        assert!(
            !spec.hidden.is_empty(),
            "LassoNet needs at least one hidden layer"
        );
        let net = Net::new(spec, seed);
        let mut skip = Dense::from_params(
            usize::MAX,
            spec.n_in,
            spec.n_out,
            vec![R::zero(); spec.n_in * spec.n_out],
            vec![R::zero(); spec.n_out],
        );
        skip.weight.name = "skip.weight".into();
        skip.bias.name = "skip.bias".into();
        LassoNet { net, skip }
    }

    fn params_mut(&mut self) -> Vec<&mut Param<R>> {
        let mut p = self.net.params_mut();
        p.push(&mut self.skip.weight);
        p
    }

    /// Eval-mode outputs.
    pub fn forward_eval(&mut self, x: Batch<R>) -> Mat<R> {
        let mut out = self.net.forward_eval(x).clone();
        self.skip.forward_eval(x);
        out.data
            .iter_mut()
            .zip(&self.skip.out.data)
            .for_each(|(a, b)| *a += *b);
        out
    }

    /// Features whose skip weights are not all zero.
    pub fn active(&self) -> Vec<usize> {
        let k = self.skip.n_out;
        (0..self.skip.n_in)
            .filter(|&j| {
                self.skip.weight.value[j * k..(j + 1) * k]
                    .iter()
                    .any(|v| *v != R::zero())
            })
            .collect()
    }

    fn first_mut(&mut self) -> &mut Dense<R> {
        match &mut self.net.layers[0] {
            Layer::Dense(d) => d,
            _ => unreachable!("an MLP starts with a dense layer"),
        }
    }

    /// Zeroes the skip weights and first-layer rows of the features not in `keep`.
    pub fn restrict(&mut self, keep: &[bool]) {
        let k = self.skip.n_out;
        for (j, &on) in keep.iter().enumerate() {
            if !on {
                self.skip.weight.value[j * k..(j + 1) * k]
                    .iter_mut()
                    .for_each(|v| *v = R::zero());
            }
        }
        let first = self.first_mut();
        let h = first.n_out;
        for (j, &on) in keep.iter().enumerate() {
            if !on {
                first.weight.value[j * h..(j + 1) * h]
                    .iter_mut()
                    .for_each(|v| *v = R::zero());
            }
        }
    }

    /// Hier-Prox on every feature with threshold t.
    pub fn prox(&mut self, t: f64, m: f64) {
        let (k, h) = (self.skip.n_out, self.first_mut().n_out);
        let mut theta = std::mem::take(&mut self.skip.weight.value);
        let first = self.first_mut();
        for j in 0..first.n_in {
            hier_prox(
                &mut theta[j * k..(j + 1) * k],
                &mut first.weight.value[j * h..(j + 1) * h],
                t,
                m,
            );
        }
        self.skip.weight.value = theta;
    }
}

fn val_loss<R: Real>(
    model: &mut LassoNet<R>,
    loss: Loss,
    val: &Data<R>,
    gather: &mut Gather<R>,
) -> f64 {
    let idx: Vec<usize> = (0..val.rows()).collect();
    gather.fill(val, &idx);
    let out = model.forward_eval(gather.batch());
    let mut g = Mat::default();
    loss.value_grad(&out, &gather.y, &mut g)
}

/// What every point of a path trains on.
struct Setting<'a, R> {
    loss: Loss,
    train: &'a Data<R>,
    val: &'a Data<R>,
    s: &'a PathSettings,
}

/// Trains `model` at penalty `lambda` (0 = dense) until the validation loss stalls; returns
/// (best validation loss, epochs run), keeping the weights of the best epoch. Features outside
/// `keep` (when given) are held at zero.
fn fit_point<R: Real>(
    model: &mut LassoNet<R>,
    opt: &mut Optimizer<R>,
    ctx: &Setting<'_, R>,
    (lambda, epochs, stream): (f64, usize, u64),
    keep: Option<&[bool]>,
) -> (f64, usize) {
    let Setting {
        loss,
        train,
        val,
        s,
    } = *ctx;
    let mut gather = Gather::default();
    let mut grad = Mat::default();
    let n = train.rows();
    let bs = s.batch_size.min(n).max(1);
    // The best epoch of this point's training (the weights before it are not a candidate:
    // the penalty must act at every point of the path).
    let mut best = (f64::INFINITY, model.clone());
    let mut bad = 0;
    let mut run = 0;
    for e in 0..epochs {
        run = e + 1;
        let mut rng = Rng::stream(s.seed, stream * 100_000 + e as u64);
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        for chunk in order.chunks(bs) {
            gather.fill(train, chunk);
            let x = gather.batch();
            let out = {
                let o = model.net.forward_train(x, &mut rng).clone();
                model.skip.forward_train(x, &mut rng);
                let mut o = o;
                o.data
                    .iter_mut()
                    .zip(&model.skip.out.data)
                    .for_each(|(a, b)| *a += *b);
                o
            };
            loss.value_grad(&out, &gather.y, &mut grad);
            model.net.backward(x, &grad);
            model.skip.backward(x, &grad, false);
            opt.step(&mut model.params_mut(), s.lr);
            if lambda > 0.0 {
                model.prox(s.lr * lambda, s.m);
            }
            if let Some(k) = keep {
                model.restrict(k);
            }
        }
        let v = val_loss(model, loss, val, &mut gather);
        if v < best.0 {
            best = (v, model.clone());
            bad = 0;
        } else {
            bad += 1;
            if bad >= s.patience {
                break;
            }
        }
    }
    *model = best.1;
    (best.0, run)
}

/// The relaxed fit of a path point: the same network trained on without penalty (from the
/// point's weights, with a fresh optimizer), the features outside the point's active set held
/// at zero. Returns its validation loss and the model.
pub fn relax<R: Real>(
    point_model: &LassoNet<R>,
    active: &[usize],
    loss: Loss,
    train: &Data<R>,
    val: &Data<R>,
    s: &PathSettings,
    stream: u64,
) -> (f64, LassoNet<R>) {
    let mut model = point_model.clone();
    let mut keep = vec![false; model.skip.n_in];
    active.iter().for_each(|&j| keep[j] = true);
    let mut opt = Optimizer::new(OptimizerKind::adam(), &model.params_mut());
    let (v, _) = fit_point(
        &mut model,
        &mut opt,
        &Setting {
            loss,
            train,
            val,
            s,
        },
        (0.0, s.epochs_dense, 1_000_000 + stream),
        Some(&keep),
    );
    (v, model)
}

/// The whole path: the dense fit, then increasing lambdas until no feature is left. Returns
/// the points and the model (weights) at each point, the dense fit first (lambda 0).
pub fn lassonet_path<R: Real>(
    spec: &MlpSpec,
    loss: Loss,
    train: &Data<R>,
    val: &Data<R>,
    s: &PathSettings,
    mut on_point: impl FnMut(&PathPoint),
) -> (Vec<PathPoint>, Vec<LassoNet<R>>) {
    let ctx = Setting {
        loss,
        train,
        val,
        s,
    };
    let mut model = LassoNet::new(spec, s.seed);
    let mut opt = Optimizer::new(OptimizerKind::adam(), &model.params_mut());
    let (v, e) = fit_point(&mut model, &mut opt, &ctx, (0.0, s.epochs_dense, 0), None);
    let mut points = vec![PathPoint {
        lambda: 0.0,
        val_loss: v,
        epochs: e,
        active: model.active(),
    }];
    on_point(&points[0]);
    let mut models = vec![model.clone()];
    let mut lambda = s.lambda_start;
    for k in 1..=s.max_points {
        let (v, e) = fit_point(
            &mut model,
            &mut opt,
            &ctx,
            (lambda, s.epochs_per_point, k as u64),
            None,
        );
        let p = PathPoint {
            lambda,
            val_loss: v,
            epochs: e,
            active: model.active(),
        };
        on_point(&p);
        let done = p.active.is_empty();
        points.push(p);
        models.push(model.clone());
        if done {
            break;
        }
        lambda *= s.multiplier;
    }
    (points, models)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hier_prox_enforces_the_hierarchy_and_zeroes_weak_features() {
        // A hidden weight above M |theta| is pulled down and theta up until they meet
        // (worked by hand from Algorithm 2: m = 1, w_1 = (2 + 3 - 0.1) / 2 = 2.45).
        let (mut th, mut w) = (vec![2.0f64], vec![0.5, -3.0, 0.1]);
        hier_prox(&mut th, &mut w, 0.1, 1.0);
        assert!((th[0] - 2.45).abs() < 1e-12, "{th:?}");
        assert_eq!(w, vec![0.5, -2.45, 0.1]);
        assert!(w.iter().all(|v| v.abs() <= th[0] + 1e-12));
        // A weak feature: everything goes to exactly zero.
        let (mut th, mut w) = (vec![0.01f64, -0.01], vec![0.02, -0.01]);
        hier_prox(&mut th, &mut w, 0.5, 10.0);
        assert!(th.iter().all(|v| *v == 0.0) && w.iter().all(|v| *v == 0.0));
        // t = 0 and a feasible point: unchanged.
        let (mut th, mut w) = (vec![1.0f64], vec![0.3, -0.2]);
        hier_prox(&mut th, &mut w, 0.0, 1.0);
        assert!(
            (th[0] - 1.0).abs() < 1e-12 && (w[0] - 0.3).abs() < 1e-12 && (w[1] + 0.2).abs() < 1e-12
        );
    }
}
