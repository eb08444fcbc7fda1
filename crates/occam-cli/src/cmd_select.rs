//! `occam select DATA --stability --out RUN_DIR`: stability selection (occam-select) on a
//! training split, a relaxed (unpenalized) refit on the stable features, and the held-out
//! comparison against the least-penalized fit on all features (the baseline) and the
//! lasso at lambda.1se. Writes summary.json and stability.csv.

use crate::cmd_linear::{linear_config, load_data, path_config};
use crate::flags::{DataFlags, LinearFlags};
use crate::output;
use anyhow::Result;
use occam::select::{NetworkStability, Stability, StabilityFit};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SelectArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub linear: LinearFlags,
    /// Stability selection (the method this command runs).
    #[arg(long, required = true)]
    pub stability: bool,
    /// Complementary pairs of half-samples (2 x pairs path fits).
    #[arg(long, default_value_t = 50)]
    pub pairs: usize,
    /// Randomized-lasso weakness: penalty factors drawn from {weakness, 1}; 1 = plain lasso.
    #[arg(long, default_value_t = 0.8)]
    pub weakness: f64,
    /// Average number of features selected per half-sample over the lambda range
    /// [default: ceil(sqrt(0.8 p))].
    #[arg(long)]
    pub q: Option<usize>,
    /// Selection-probability threshold pi_thr, in (0.5, 1].
    #[arg(long, default_value_t = 0.6)]
    pub threshold: f64,
    /// Cluster stability selection: features selected in some half whose every pair is
    /// correlated at least this much (|r|) form clusters; a cluster is selected as a whole
    /// (linear model).
    #[arg(long, default_value_t = 0.8)]
    pub cluster_corr: f64,
    /// Every feature on its own (plain stability selection; no clusters).
    #[arg(long)]
    pub no_clusters: bool,
    /// Share of rows held out for the comparison.
    #[arg(long, default_value_t = 0.25)]
    pub test_fraction: f64,
    /// Seed for the split and the subsamples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// linear (penalized GLM path) | mlp (the network's input layer, L1 by proximal step).
    #[arg(long, default_value = "linear")]
    pub model: String,
    /// mlp: hidden layer widths.
    #[arg(long, value_delimiter = ',', default_value = "16")]
    pub hidden: Vec<usize>,
    /// mlp: L1 strength on the first layer.
    #[arg(long, default_value_t = 0.03)]
    pub l1: f64,
    /// mlp: epochs per half-sample fit.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// mlp: learning rate (Adam).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Do not write RUN_DIR/report.html.
    #[arg(long)]
    pub no_report: bool,
    /// Replace a run already in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Run folder: summary.json and stability.csv.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(a: &SelectArgs) -> Result<()> {
    output::check_new_run(&a.out, occam::RunKind::Select, a.force)?;
    let d = load_data(&a.data)?;
    let fit = match a.model.as_str() {
        "linear" => {
            path_config(&a.linear, &d)?;
            let est = Stability {
                linear: linear_config(&a.linear, &d)?,
                pairs: a.pairs,
                weakness: a.weakness,
                q: a.q,
                threshold: a.threshold,
                cluster_corr: (!a.no_clusters).then_some(a.cluster_corr),
                test_fraction: a.test_fraction,
                seed: a.seed,
            };
            let fit = est.fit(&d)?;
            print_linear(&fit, a);
            fit
        }
        "mlp" => {
            let defaults = NetworkStability::default();
            let est = NetworkStability {
                network: occam::Mlp {
                    hidden: Some(a.hidden.clone()),
                    epochs: a.epochs,
                    lr: Some(a.lr),
                    ..defaults.network
                },
                l1: a.l1,
                pairs: a.pairs,
                threshold: a.threshold,
                test_fraction: a.test_fraction,
                seed: a.seed,
            };
            let fit = crate::nn_setup::in_pool(|| Ok::<_, anyhow::Error>(est.fit(&d)?))?;
            let r = &fit.result;
            println!(
                "network stability selection: {} fits of hidden {:?} with L1 {} on the first layer, {:.2} s",
                r.fits, a.hidden, a.l1, r.fit_seconds
            );
            println!(
                "q = {:.1} input features kept per half; {} stable (expected false selections <= {:.2}):",
                r.q_lambda,
                r.selected_features.len(),
                r.error_bound
            );
            print_selected(&fit);
            fit
        }
        s => {
            return Err(occam_core::DataError::param(
                "--model",
                format!("'{s}' is not linear or mlp"),
            )
            .into())
        }
    };
    let h = &fit.result.held_out;
    if let (Some(reg), Some(base)) = (&h.regularized, &h.baseline) {
        println!("held-out ({} rows):", fit.result.rows.test);
        println!("  {:<12} {reg}", "regularized");
        if let Some(l) = &fit.result.lasso_1se {
            println!("  {:<12} {}", "lasso_1se", l.metrics);
        }
        println!("  {:<12} {base}", "baseline");
    }
    let mut run = output::new_run(&a.out, occam::RunKind::Select, a.force)?;
    run.write("stability.csv", fit.csv().as_bytes())?;
    run.write_json("summary.json", &fit.result)?;
    if !a.no_report {
        crate::cmd_report::write(&a.out, &a.out.join("report.html"))?;
    }
    println!("wrote {}", a.out.display());
    Ok(())
}

fn print_selected(fit: &StabilityFit) {
    let r = &fit.result;
    for (name, p) in r.selected_features.iter().zip(&r.selection_probability) {
        println!("  {name:<24} probability {p:.2}");
    }
}

fn print_linear(fit: &StabilityFit, a: &SelectArgs) {
    let r = &fit.result;
    if let Some(s) = &fit.selection {
        println!(
            "stability selection: {} path fits on half-samples of {} rows, {:.2} s",
            s.fits,
            r.rows.train / 2,
            r.fit_seconds
        );
        println!(
            "lambda range: {:.5} .. {:.5} ({} lambdas), q = {:.1} features per half (target {}), threshold {}",
            s.lambda[0], s.lambda[s.last], s.last + 1, s.q_lambda, s.q_target, s.threshold
        );
    }
    println!(
        "{} stable features (expected false selections <= {:.2}):",
        r.selected_features.len(),
        r.error_bound
    );
    print_selected(fit);
    for c in r.clusters.iter().filter(|c| c.stable) {
        println!(
            "cluster {} (|r| >= {}): any member selected with probability {:.2}, stable: all members kept; \
             of the {} single half-sample lasso fits at the end of the range, {} kept exactly one member, {} all",
            c.members.join(" + "),
            a.cluster_corr,
            c.probability,
            c.half_fits,
            c.half_fits_one_member,
            c.half_fits_all_members
        );
    }
    let others = r.clusters.iter().filter(|c| !c.stable).count();
    if others > 0 {
        println!(
            "{others} other clusters of correlated features (|r| >= {}) are below the threshold; see summary.json",
            a.cluster_corr
        );
    }
}
