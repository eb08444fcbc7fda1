//! The LassoNet regularization path of a network (Lemhadri et al. 2021; occam-nn
//! `lassonet.rs`) on dense or sparse data: per lambda the validation loss and the active
//! features, a relaxed (unpenalized) refit on each point's features, the lambda at which
//! each feature leaves, a choice by the one-SE rule (the sparsest point within one SE of the
//! best relaxed validation loss) or the best, and the chosen network against the dense fit
//! on held-out rows.

use crate::error::{Error, Result};
use crate::estimator::{Selection, Selector};
use crate::linear::Rule;
use crate::mlp::{engine_data, n_outputs, scaling, Mlp};
use crate::results::{HeldOut, Metrics, NetworkPathResult, PathChoice, Rows};
use occam_core::{split, Dataset};
use occam_nn::lassonet::{lassonet_path, relax, LassoNet, PathSettings};
use occam_nn::metrics::{predictions, task_metrics};
use occam_nn::{Data, Gather, Loss, Mat};
use std::fmt::Write as _;

pub use occam_nn::lassonet::PathPoint;

/// The path's settings.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `network` | `Mlp::default()`, hidden `[32]` when none | the network: widths, learning rate, batch size, seed, fractions |
/// | `lambda_start` | 1.0 | the first positive lambda |
/// | `multiplier` | 1.25 | lambda grows by this factor per point |
/// | `hier_m` | 10 | hierarchy multiplier M (\|W_jk\| <= M \|\|theta_j\|\|) |
/// | `epochs_dense` | 100 | epochs of the dense fit (lambda = 0) |
/// | `epochs_per_point` | 20 | at most this many epochs per lambda |
/// | `path_patience` | 5 | epochs without validation improvement that end a point |
/// | `max_points` | 200 | path length limit |
/// | `rule` | `Rule::OneSe` | sparsest point within one SE of the best, or the best |
/// | `test_fraction` | 0.2 | rows held out for the comparison (validation: `network.val_fraction`) |
#[derive(Clone, Debug)]
pub struct NetworkPath {
    /// The network.
    pub network: Mlp,
    /// The first positive lambda.
    pub lambda_start: f64,
    /// Lambda grows by this factor per point.
    pub multiplier: f64,
    /// The hierarchy multiplier M.
    pub hier_m: f64,
    /// Epochs of the dense fit.
    pub epochs_dense: usize,
    /// At most this many epochs per lambda.
    pub epochs_per_point: usize,
    /// Epochs without validation improvement that end a point.
    pub path_patience: usize,
    /// Path length limit.
    pub max_points: usize,
    /// How the point is chosen.
    pub rule: Rule,
    /// Rows held out for the comparison.
    pub test_fraction: f64,
}

impl Default for NetworkPath {
    fn default() -> Self {
        NetworkPath {
            network: Mlp::default(),
            lambda_start: 1.0,
            multiplier: 1.25,
            hier_m: 10.0,
            epochs_dense: 100,
            epochs_per_point: 20,
            path_patience: 5,
            max_points: 200,
            rule: Rule::OneSe,
            test_fraction: 0.2,
        }
    }
}

/// A finished path.
#[derive(Clone, Debug)]
pub struct NetworkPathFit {
    /// The result (summary.json).
    pub result: NetworkPathResult,
    /// The points, in lambda order.
    pub points: Vec<PathPoint>,
    /// The relaxed refit's validation loss and its standard error at each point.
    pub relaxed: Vec<(f64, f64)>,
    /// Per feature, the lambda at which it leaves for good (`None`: never in the path).
    pub leave: Vec<Option<f64>>,
    /// The feature names.
    pub feature_names: Vec<String>,
}

impl NetworkPathFit {
    /// path.csv: one row per point.
    pub fn path_csv(&self) -> String {
        let mut csv =
            String::from("lambda,val_loss,relaxed_val_loss,relaxed_val_se,features,epochs\n");
        for (pt, (m, e)) in self.points.iter().zip(&self.relaxed) {
            let _ = writeln!(
                csv,
                "{},{},{m},{e},{},{}",
                pt.lambda,
                pt.val_loss,
                pt.active.len(),
                pt.epochs
            );
        }
        csv
    }

    /// features.csv: each feature with the lambda at which it leaves, the last to leave first.
    pub fn features_csv(&self) -> String {
        let chosen = &self.points[self.result.chosen.point].active;
        let leave = &self.leave;
        let mut order: Vec<usize> = (0..leave.len()).collect();
        order.sort_by(|&x, &y| {
            leave[y]
                .unwrap_or(f64::INFINITY)
                .total_cmp(&leave[x].unwrap_or(f64::INFINITY))
                .then(x.cmp(&y))
        });
        let mut csv = String::from("feature,leave_lambda,in_chosen\n");
        for j in order {
            let _ = writeln!(
                csv,
                "{},{},{}",
                self.feature_names[j],
                leave[j].map_or(String::new(), |l| l.to_string()),
                chosen.binary_search(&j).is_ok()
            );
        }
        csv
    }
}

/// Mean loss over rows and its standard error.
fn loss_se(model: &mut LassoNet<f32>, loss: Loss, d: &Data<f32>) -> (f64, f64) {
    let mut g = Gather::default();
    let idx: Vec<usize> = (0..d.rows()).collect();
    g.fill(d, &idx);
    let out = model.forward_eval(g.batch());
    let w = d.y_width();
    let mut per = Vec::with_capacity(d.rows());
    let mut gr = Mat::default();
    for i in 0..d.rows() {
        let o = Mat::from_vec(1, out.cols, out.row(i).to_vec());
        per.push(loss.value_grad(&o, &g.y[i * w..(i + 1) * w], &mut gr));
    }
    let n = per.len() as f64;
    let m = per.iter().sum::<f64>() / n;
    let sd = (per.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    (m, sd / n.sqrt())
}

/// Held-out metrics of `model` (in the target's units) and its loss.
fn held_out(model: &mut LassoNet<f32>, loss: Loss, d: &Data<f32>) -> Metrics {
    let mut g = Gather::default();
    let idx: Vec<usize> = (0..d.rows()).collect();
    g.fill(d, &idx);
    let out = model.forward_eval(g.batch());
    let p = predictions(d.task, &out, d.y_scale);
    let y: Vec<f64> = match d.y_scale {
        Some((mu, sd)) => d.y.iter().map(|v| *v as f64 * sd + mu).collect(),
        None => d.y.iter().map(|v| *v as f64).collect(),
    };
    let loss = loss_se(model, loss, d).0;
    task_metrics(d.task, &p, &y)
        .into_iter()
        .chain([("loss".to_string(), loss)])
        .collect()
}

impl NetworkPath {
    fn validate(&self) -> Result<()> {
        let checks = [
            ("multiplier", self.multiplier > 1.0, "must be above 1"),
            ("lambda_start", self.lambda_start > 0.0, "must be positive"),
            ("hier_m", self.hier_m > 0.0, "must be positive"),
            (
                "epochs_per_point",
                self.epochs_per_point > 0,
                "must be at least 1",
            ),
            ("max_points", self.max_points > 0, "must be at least 1"),
            (
                "path_patience",
                self.path_patience > 0,
                "must be at least 1",
            ),
        ];
        for (param, ok, why) in checks {
            if !ok {
                return Err(Error::param_err(param, why));
            }
        }
        Ok(())
    }

    /// Fits the path on a split of `d`; `on_point` sees each point as it is reached.
    pub fn fit(&self, d: &Dataset, on_point: impl FnMut(&PathPoint)) -> Result<NetworkPathFit> {
        self.validate()?;
        crate::estimator::validate_data(d)?;
        let net = &self.network;
        let classes = d.task.is_classification().then_some(&d.y[..]);
        let s = split::train_val_test(
            d.nrows(),
            classes,
            net.val_fraction,
            self.test_fraction,
            net.seed,
        )?;
        if s.validation.is_empty() {
            return Err(Error::param_err(
                "val_fraction",
                "the network path needs validation rows (above 0)",
            ));
        }
        let train_ds = d.subset(&s.train);
        let pre = scaling(&train_ds, net.standardize);
        let train = engine_data(&train_ds, &pre);
        let val = engine_data(&d.subset(&s.validation), &pre);
        let test = (!s.test.is_empty()).then(|| engine_data(&d.subset(&s.test), &pre));
        let mut spec = net.spec(d.nfeatures(), n_outputs(d))?;
        if spec.hidden.is_empty() {
            spec.hidden = vec![32];
        }
        let cfg = net.train_config(d.task)?;
        let settings = PathSettings {
            m: self.hier_m,
            lambda_start: self.lambda_start,
            multiplier: self.multiplier,
            epochs_dense: self.epochs_dense,
            epochs_per_point: self.epochs_per_point,
            patience: self.path_patience,
            max_points: self.max_points,
            lr: cfg.lr,
            batch_size: cfg.batch_size,
            seed: net.seed,
        };
        let t0 = std::time::Instant::now();
        let (points, mut models) =
            lassonet_path(&spec, cfg.loss, &train, &val, &settings, on_point);
        let secs = t0.elapsed().as_secs_f64();
        // The rule compares relaxed fits (each point's active set refitted without penalty):
        // the penalized weights at a point are shrunk, so their loss understates a sparse model.
        let mut relaxed: Vec<LassoNet<f32>> = points
            .iter()
            .zip(&models)
            .enumerate()
            .map(|(i, (pt, m))| relax(m, &pt.active, cfg.loss, &train, &val, &settings, i as u64).1)
            .collect();
        let se: Vec<(f64, f64)> = relaxed
            .iter_mut()
            .map(|m| loss_se(m, cfg.loss, &val))
            .collect();
        let best = (0..points.len())
            .min_by(|&i, &j| se[i].0.total_cmp(&se[j].0))
            .ok_or_else(|| Error::param_err("max_points", "the path has no point"))?;
        let limit = se[best].0 + se[best].1;
        let chosen = match self.rule {
            Rule::Min => best,
            Rule::OneSe => (0..points.len())
                .filter(|&i| se[i].0 <= limit && !points[i].active.is_empty())
                .min_by_key(|&i| (points[i].active.len(), usize::MAX - i))
                .unwrap_or(best),
        };
        // Each feature leaves at the first lambda from which it is never active again.
        let mut last_active: Vec<Option<usize>> = vec![None; d.nfeatures()];
        for (k, pt) in points.iter().enumerate() {
            for &j in &pt.active {
                last_active[j] = Some(k);
            }
        }
        let leave = last_active
            .iter()
            .map(|l| l.and_then(|k| points.get(k + 1)).map(|q| q.lambda))
            .collect();
        let selected: Vec<String> = points[chosen]
            .active
            .iter()
            .map(|&j| d.feature_names[j].clone())
            .collect();
        let mut result = NetworkPathResult {
            method: "lassonet".into(),
            chosen: PathChoice {
                point: chosen,
                lambda: points[chosen].lambda,
                features: selected.len(),
                hidden: spec.hidden.clone(),
                m: self.hier_m,
            },
            cv_mean: se[chosen].0,
            cv_se: se[chosen].1,
            cv_note: "validation loss of the relaxed fit at the chosen lambda and its standard error over validation rows (one split, not k-fold)".into(),
            rule: match self.rule {
                Rule::Min => "min",
                Rule::OneSe => "1se",
            }
            .into(),
            selected_features: selected,
            points: points.len(),
            path_seconds: secs,
            rows: Rows {
                train: s.train.len(),
                validation: Some(s.validation.len()),
                test: s.test.len(),
            },
            held_out: HeldOut::default(),
            penalized: None,
        };
        if let Some(t) = &test {
            result.held_out = HeldOut {
                regularized: Some(held_out(&mut relaxed[chosen], cfg.loss, t)),
                baseline: Some(held_out(&mut models[0], cfg.loss, t)),
                baseline_note: Some("baseline: the dense fit (lambda = 0) of the same network with its skip connection; regularized: the relaxed refit on the chosen point's features; penalized: the chosen point's own (shrunk) weights".into()),
            };
            result.penalized = Some(held_out(&mut models[chosen], cfg.loss, t));
        }
        Ok(NetworkPathFit {
            result,
            points,
            relaxed: se,
            leave,
            feature_names: d.feature_names.clone(),
        })
    }
}

/// The features of the chosen point, scored by the lambda at which each leaves the path.
impl Selector for NetworkPath {
    fn select(&self, d: &Dataset) -> Result<Selection> {
        let fit = self.fit(d, |_| {})?;
        let kept = &fit.result.selected_features;
        Ok(Selection {
            feature_names: fit.feature_names.clone(),
            support: fit.feature_names.iter().map(|f| kept.contains(f)).collect(),
            scores: fit.leave.iter().map(|l| l.unwrap_or(0.0)).collect(),
        })
    }
}
