//! Task metrics from network outputs: classification (log-loss, accuracy, precision, recall,
//! F1 — macro-averaged over classes for multiclass — and ROC AUC for binary), regression
//! (RMSE, MAE, R^2 on the original scale) and counts (RMSE, MAE, mean Poisson deviance).

use crate::loss::sigmoid;
use crate::mat::Mat;
use crate::real::Real;
use occam_core::metrics as m;
use occam_core::Task;

/// Class probabilities (binary: P(class 1)) or predictions on the original scale, per row.
pub fn predictions<R: Real>(task: Task, out: &Mat<R>, y_scale: Option<(f64, f64)>) -> Mat<f64> {
    let mut p = Mat::zeros(out.rows, out.cols);
    for i in 0..out.rows {
        let (o, r) = (out.row(i), p.row_mut(i));
        match task {
            Task::Binary => r[0] = sigmoid(o[0]).f64(),
            Task::Multiclass => {
                let mx = o.iter().fold(f64::NEG_INFINITY, |a, v| a.max(v.f64()));
                let s: f64 = o.iter().map(|v| (v.f64() - mx).exp()).sum();
                for (rv, ov) in r.iter_mut().zip(o) {
                    *rv = (ov.f64() - mx).exp() / s;
                }
            }
            Task::Counts => r[0] = o[0].f64().exp(),
            Task::Regression => {
                let (mu, sd) = y_scale.unwrap_or((0.0, 1.0));
                for (rv, ov) in r.iter_mut().zip(o) {
                    *rv = ov.f64() * sd + mu;
                }
            }
        }
    }
    p
}

/// Metrics of predictions `p` (from `predictions`) against targets `y` (original scale).
pub fn task_metrics(task: Task, p: &Mat<f64>, y: &[f64]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    match task {
        Task::Binary => {
            let prob: Vec<f64> = (0..p.rows).map(|i| p.row(i)[0]).collect();
            let pred: Vec<usize> = prob.iter().map(|&q| usize::from(q >= 0.5)).collect();
            let truth: Vec<usize> = y.iter().map(|&v| v as usize).collect();
            out.push(("log_loss".into(), m::log_loss(&prob, y)));
            out.push(("accuracy".into(), m::accuracy(&pred, &truth)));
            let (pr, rc, f1) = prf(&pred, &truth, 1);
            out.push(("precision".into(), pr));
            out.push(("recall".into(), rc));
            out.push(("f1".into(), f1));
            out.push(("roc_auc".into(), m::auc(&prob, y)));
        }
        Task::Multiclass => {
            let k = p.cols;
            let truth: Vec<usize> = y.iter().map(|&v| v as usize).collect();
            let pred: Vec<usize> = (0..p.rows).map(|i| crate::mat::argmax(p.row(i))).collect();
            let ll = truth
                .iter()
                .enumerate()
                .map(|(i, &c)| -p.row(i)[c].clamp(1e-15, 1.0).ln())
                .sum::<f64>()
                / truth.len() as f64;
            out.push(("log_loss".into(), ll));
            out.push(("accuracy".into(), m::accuracy(&pred, &truth)));
            let per: Vec<(f64, f64, f64)> = (0..k).map(|c| prf(&pred, &truth, c)).collect();
            let avg = |f: fn(&(f64, f64, f64)) -> f64| per.iter().map(f).sum::<f64>() / k as f64;
            out.push(("precision".into(), avg(|t| t.0)));
            out.push(("recall".into(), avg(|t| t.1)));
            out.push(("f1".into(), avg(|t| t.2)));
        }
        Task::Regression | Task::Counts => {
            let pred: Vec<f64> = p.data.clone();
            out.push(("rmse".into(), m::mse(&pred, y).sqrt()));
            out.push(("mae".into(), m::mae(&pred, y)));
            if task == Task::Regression {
                out.push(("r2".into(), m::r2(&pred, y)));
            } else {
                let dev = pred
                    .iter()
                    .zip(y)
                    .map(|(&mu, &t)| m::poisson_dev(t, mu.max(1e-300)))
                    .sum::<f64>()
                    / y.len() as f64;
                out.push(("poisson_deviance".into(), dev));
            }
        }
    }
    out
}

/// Precision, recall and F1 of class `c` (0 where undefined, as scikit-learn's zero_division=0).
fn prf(pred: &[usize], truth: &[usize], c: usize) -> (f64, f64, f64) {
    let tp = pred
        .iter()
        .zip(truth)
        .filter(|(p, t)| **p == c && **t == c)
        .count() as f64;
    let pp = pred.iter().filter(|p| **p == c).count() as f64;
    let ap = truth.iter().filter(|t| **t == c).count() as f64;
    let pr = if pp > 0.0 { tp / pp } else { 0.0 };
    let rc = if ap > 0.0 { tp / ap } else { 0.0 };
    let f1 = if pr + rc > 0.0 {
        2.0 * pr * rc / (pr + rc)
    } else {
        0.0
    };
    (pr, rc, f1)
}
