//! `occam path DATA --out RUN_DIR`: the LassoNet regularization path of a network (occam-nn
//! `lassonet.rs`) on dense or sparse data: per lambda the validation loss (with its standard
//! error over validation rows) and the active features, the lambda at which each feature
//! leaves, a choice by the one-SE rule (the sparsest point within one SE of the best) or the
//! best validation loss, and the chosen network against the dense fit on held-out rows.

use crate::cmd_train::load_dataset;
use crate::flags_nn::TrainOptions;
use crate::{nn_setup, output};
use anyhow::Result;
use occam::lassonet::NetworkPath;

#[derive(clap::Args, Debug)]
pub struct PathArgs {
    #[command(flatten)]
    pub input: crate::flags::NetworkData,
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
    #[command(flatten)]
    pub run: crate::flags::RunFlags,
}

pub fn run(a: &PathArgs) -> Result<()> {
    if a.epochs_per_point == 0 {
        anyhow::bail!(occam_core::DataError::param(
            "--epochs-per-point",
            "must be at least 1"
        ));
    }
    output::check_new_run(&a.run.out, occam::RunKind::NetworkPath, a.run.force)?;
    let o = nn_setup::merge(&a.input.opts, a.input.config.as_deref())?;
    nn_setup::set_threads(o.threads)?;
    nn_setup::in_pool(|| run_in_pool(a, o))
}

fn run_in_pool(a: &PathArgs, o: TrainOptions) -> Result<()> {
    let rule = occam::Rule::parse(&a.rule).map_err(|_| {
        occam_core::DataError::param("--rule", format!("'{}' is not min or 1se", a.rule))
    })?;
    if !(a.multiplier > 1.0 && a.lambda_start > 0.0 && a.hier_m > 0.0) {
        anyhow::bail!(occam_core::DataError::param(
            "--multiplier/--lambda-start/--hier-m",
            "need multiplier > 1, lambda-start > 0, hier-m > 0"
        ));
    }
    let d = load_dataset(&a.input.data, &o, None)?;
    o.only_train_networks("a network path")?;
    let mut network = o.mlp()?;
    network.seed = o.seed.unwrap_or(0);
    network.val_fraction = o.val_fraction.unwrap_or(0.2);
    let est = NetworkPath {
        network,
        lambda_start: a.lambda_start,
        multiplier: a.multiplier,
        hier_m: a.hier_m,
        epochs_dense: a.epochs_dense,
        epochs_per_point: a.epochs_per_point,
        path_patience: a.path_patience,
        max_points: a.max_points,
        rule,
        test_fraction: o.test_fraction.unwrap_or(0.2),
    };
    println!(
        "occam path: LassoNet on {} rows x {} features{}, hidden {:?}",
        d.nrows(),
        d.nfeatures(),
        if d.x.is_sparse() { " (sparse)" } else { "" },
        est.network.hidden.clone().unwrap_or_else(|| vec![32])
    );
    let spin = crate::progress::spinner("path");
    let fit = est.fit(&d, |p| {
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
    let fit = fit.map_err(|e| match e.param() {
        Some("val_fraction") => anyhow::Error::from(crate::UserError(
            "the network path needs a validation split (--val-fraction > 0)".into(),
        )),
        _ => e.into(),
    })?;
    let s = &fit.result;
    let mut run = output::new_run(&a.run.out, occam::RunKind::NetworkPath, a.run.force)?;
    run.write("path.csv", fit.path_csv().as_bytes())?;
    run.write("features.csv", fit.features_csv().as_bytes())?;
    run.write_json("summary.json", s)?;
    if !a.run.no_report {
        crate::cmd_report::write(&a.run.out, &a.run.out.join("report.html"))?;
    }
    print!("{s}");
    println!("wrote {}", a.run.out.display());
    Ok(())
}
