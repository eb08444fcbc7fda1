//! `occam select DATA --stability --out RUN_DIR`: stability selection (occam-select) on a
//! training split, a relaxed (unpenalized) refit on the stable features, and the held-out
//! comparison against the least-penalized fit on all features (the baseline) and the
//! lasso at lambda.1se. Writes summary.json and stability.csv.

use crate::cmd_linear::path_config;
use crate::flags::DataFlags;
use crate::output;
use anyhow::Result;
use occam::options::LinearOptions;
use occam::select::{NetworkStability, Stability};

#[derive(clap::Args, Debug)]
pub struct SelectArgs {
    #[command(flatten)]
    pub data: DataFlags,
    #[command(flatten)]
    pub linear: LinearOptions,
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
    #[command(flatten)]
    pub run: crate::flags::RunFlags,
}

pub fn run(a: &SelectArgs) -> Result<()> {
    output::check_new_run(&a.run.out, occam::RunKind::Select, a.run.force)?;
    let d = a.data.load()?;
    let fit = match a.model.as_str() {
        "linear" => {
            path_config(&a.linear, &d)?;
            let est = Stability {
                linear: crate::cmd_linear::linear(&a.linear, &d)?,
                pairs: a.pairs,
                weakness: a.weakness,
                q: a.q,
                threshold: a.threshold,
                cluster_corr: (!a.no_clusters).then_some(a.cluster_corr),
                test_fraction: a.test_fraction,
                seed: a.seed,
            };
            est.fit(&d)?
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
            crate::nn_setup::in_pool(|| Ok::<_, anyhow::Error>(est.fit(&d)?))?
        }
        s => {
            return Err(occam_core::DataError::param(
                "--model",
                format!("'{s}' is not linear or mlp"),
            )
            .into())
        }
    };
    print!("{fit}");
    let mut run = output::new_run(&a.run.out, occam::RunKind::Select, a.run.force)?;
    fit.save(&mut run)?;
    if !a.run.no_report {
        crate::cmd_report::write(&a.run.out, &a.run.out.join("report.html"))?;
    }
    println!("wrote {}", a.run.out.display());
    Ok(())
}
