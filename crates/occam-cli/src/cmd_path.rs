//! `occam path DATA --out RUN_DIR`: the LassoNet regularization path of a network (occam-nn
//! `lassonet.rs`) on dense or sparse data: per lambda the validation loss (with its standard
//! error over validation rows) and the active features, the lambda at which each feature
//! leaves, a choice by the one-SE rule (the sparsest point within one SE of the best) or the
//! best validation loss, and the chosen network against the dense fit on held-out rows.

use crate::cmd_train::load_dataset;
use crate::flags_nn::TrainOptions;
use crate::nn_setup::{self, engine_data, preprocess};
use crate::{output, UserError};
use anyhow::Result;
use occam::results::{HeldOut, Metrics, NetworkPathResult, PathChoice, Rows};
use occam_core::split;
use occam_nn::lassonet::{lassonet_path, relax, LassoNet, PathSettings};
use occam_nn::metrics::{predictions, task_metrics};
use occam_nn::{Data, Gather, Loss, Mat};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct PathArgs {
    /// CSV with a header, libsvm (optionally .gz), or builtin:NAME.
    pub data: String,
    #[command(flatten)]
    pub opts: TrainOptions,
    /// TOML file with training options (flags win).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// First positive lambda.
    #[arg(long, default_value_t = 1.0)]
    pub lambda_start: f64,
    /// Lambda grows by this factor per point.
    #[arg(long, default_value_t = 1.25)]
    pub multiplier: f64,
    /// Hierarchy multiplier M (|W_jk| <= M ||theta_j||).
    #[arg(long, default_value_t = 10.0)]
    pub hier_m: f64,
    /// Epochs of the dense fit (lambda = 0).
    #[arg(long, default_value_t = 100)]
    pub epochs_dense: usize,
    /// At most this many epochs per lambda.
    #[arg(long, default_value_t = 20)]
    pub epochs_per_point: usize,
    /// Epochs without validation improvement that end a point.
    #[arg(long, default_value_t = 5)]
    pub path_patience: usize,
    /// Path length limit.
    #[arg(long, default_value_t = 200)]
    pub max_points: usize,
    /// 1se (sparsest point within one SE of the best validation loss) | min.
    #[arg(long, default_value = "1se")]
    pub rule: String,
    /// Do not write RUN_DIR/report.html.
    #[arg(long)]
    pub no_report: bool,
    /// Replace a run already in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Run folder: path.csv, features.csv, summary.json.
    #[arg(long)]
    pub out: PathBuf,
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

pub fn run(a: &PathArgs) -> Result<()> {
    if a.epochs_per_point == 0 {
        anyhow::bail!(occam_core::DataError::param(
            "--epochs-per-point",
            "must be at least 1"
        ));
    }
    output::check_new_run(&a.out, occam::RunKind::NetworkPath, a.force)?;
    let o = nn_setup::merge(&a.opts, a.config.as_deref())?;
    nn_setup::set_threads(o.threads)?;
    nn_setup::in_pool(|| run_in_pool(a, o))
}

fn run_in_pool(a: &PathArgs, o: TrainOptions) -> Result<()> {
    if !matches!(a.rule.as_str(), "min" | "1se") {
        anyhow::bail!(occam_core::DataError::param(
            "--rule",
            format!("'{}' is not min or 1se", a.rule)
        ));
    }
    if !(a.multiplier > 1.0 && a.lambda_start > 0.0 && a.hier_m > 0.0) {
        anyhow::bail!(occam_core::DataError::param(
            "--multiplier/--lambda-start/--hier-m",
            "need multiplier > 1, lambda-start > 0, hier-m > 0"
        ));
    }
    let d = load_dataset(&a.data, &o, None)?;
    let seed = o.seed.unwrap_or(0);
    let classes = d.task.is_classification().then_some(&d.y[..]);
    let s = split::train_val_test(
        d.nrows(),
        classes,
        o.val_fraction.unwrap_or(0.2),
        o.test_fraction.unwrap_or(0.2),
        seed,
    )?;
    if s.validation.is_empty() {
        anyhow::bail!(UserError(
            "the network path needs a validation split (--val-fraction > 0)".into()
        ));
    }
    let train_ds = d.subset(&s.train);
    let pre = preprocess(&train_ds, !o.no_standardize.unwrap_or(false));
    let train = engine_data(&train_ds, &pre);
    let val = engine_data(&d.subset(&s.validation), &pre);
    let test = (!s.test.is_empty()).then(|| engine_data(&d.subset(&s.test), &pre));
    let n_out = nn_setup::n_outputs(&d);
    let est = nn_setup::estimator(&o)?;
    let mut spec = est.spec(d.nfeatures(), n_out)?;
    if spec.hidden.is_empty() {
        spec.hidden = vec![32];
    }
    let cfg = est.train_config(d.task)?;
    let settings = PathSettings {
        m: a.hier_m,
        lambda_start: a.lambda_start,
        multiplier: a.multiplier,
        epochs_dense: a.epochs_dense,
        epochs_per_point: a.epochs_per_point,
        patience: a.path_patience,
        max_points: a.max_points,
        lr: cfg.lr,
        batch_size: cfg.batch_size,
        seed,
    };
    println!(
        "occam path: LassoNet on {} rows x {} features{} ({} train / {} validation / {} test), hidden {:?}",
        d.nrows(), d.nfeatures(), if d.x.is_sparse() { " (sparse)" } else { "" }, s.train.len(), s.validation.len(), s.test.len(), spec.hidden
    );
    let t0 = std::time::Instant::now();
    let spin = crate::progress::spinner("path");
    let (points, mut models) = lassonet_path(&spec, cfg.loss, &train, &val, &settings, |p| {
        let msg = format!(
            "lambda {:<10.4e} val loss {:.4}  {:>6} features  ({} epochs)",
            p.lambda,
            p.val_loss,
            p.active.len(),
            p.epochs
        );
        crate::progress::line(&spin, &msg);
        if let Some(b) = &spin {
            b.set_message(format!("{} features left", p.active.len()));
        }
    });
    if let Some(b) = spin {
        b.finish_and_clear();
    }
    let secs = t0.elapsed().as_secs_f64();
    // The rule compares relaxed fits (each point's active set refitted without penalty): the
    // penalized weights at a point are shrunk, so their loss understates a sparse model.
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
        .expect("a path has points");
    let limit = se[best].0 + se[best].1;
    let chosen = if a.rule == "min" {
        best
    } else {
        (0..points.len())
            .filter(|&i| se[i].0 <= limit && !points[i].active.is_empty())
            .min_by_key(|&i| (points[i].active.len(), usize::MAX - i))
            .unwrap_or(best)
    };
    // Each feature leaves at the first lambda from which it is never active again.
    let p = d.nfeatures();
    let mut last_active: Vec<Option<usize>> = vec![None; p];
    for (k, pt) in points.iter().enumerate() {
        for &j in &pt.active {
            last_active[j] = Some(k);
        }
    }
    let leave: Vec<Option<f64>> = last_active
        .iter()
        .map(|l| l.and_then(|k| points.get(k + 1)).map(|q| q.lambda))
        .collect();
    let mut run = output::new_run(&a.out, occam::RunKind::NetworkPath, a.force)?;
    let mut csv = String::from("lambda,val_loss,relaxed_val_loss,relaxed_val_se,features,epochs\n");
    for (pt, (m, e)) in points.iter().zip(&se) {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{}",
            pt.lambda,
            pt.val_loss,
            m,
            e,
            pt.active.len(),
            pt.epochs
        );
    }
    run.write("path.csv", csv.as_bytes())?;
    let mut fcsv = String::from("feature,leave_lambda,in_chosen\n");
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&x, &y| {
        leave[y]
            .unwrap_or(f64::INFINITY)
            .total_cmp(&leave[x].unwrap_or(f64::INFINITY))
            .then(x.cmp(&y))
    });
    for j in order {
        let _ = writeln!(
            fcsv,
            "{},{},{}",
            d.feature_names[j],
            leave[j].map_or(String::new(), |l| l.to_string()),
            points[chosen].active.binary_search(&j).is_ok()
        );
    }
    run.write("features.csv", fcsv.as_bytes())?;
    let selected: Vec<String> = points[chosen]
        .active
        .iter()
        .map(|&j| d.feature_names[j].clone())
        .collect();
    let mut summary = NetworkPathResult {
        method: "lassonet".into(),
        chosen: PathChoice {
            point: chosen,
            lambda: points[chosen].lambda,
            features: selected.len(),
            hidden: spec.hidden.clone(),
            m: a.hier_m,
        },
        cv_mean: se[chosen].0,
        cv_se: se[chosen].1,
        cv_note: "validation loss of the relaxed fit at the chosen lambda and its standard error over validation rows (one split, not k-fold)".into(),
        rule: a.rule.clone(),
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
        summary.held_out = HeldOut {
            regularized: Some(held_out(&mut relaxed[chosen], cfg.loss, t)),
            baseline: Some(held_out(&mut models[0], cfg.loss, t)),
            baseline_note: Some("baseline: the dense fit (lambda = 0) of the same network with its skip connection; regularized: the relaxed refit on the chosen point's features; penalized: the chosen point's own (shrunk) weights".into()),
        };
        summary.penalized = Some(held_out(&mut models[chosen], cfg.loss, t));
    }
    run.write_json("summary.json", &summary)?;
    if !a.no_report {
        crate::cmd_report::write(&a.out, &a.out.join("report.html"))?;
    }
    println!(
        "chosen by --rule {}: lambda {:.4e}, {} features, validation loss {:.4} ± {:.4}",
        a.rule,
        points[chosen].lambda,
        summary.selected_features.len(),
        se[chosen].0,
        se[chosen].1
    );
    if let (Some(r), Some(b)) = (&summary.held_out.regularized, &summary.held_out.baseline) {
        println!("held out: regularized {r}\n          baseline    {b}");
    }
    println!("wrote {}", a.out.display());
    Ok(())
}
