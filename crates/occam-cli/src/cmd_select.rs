//! `occam select DATA --stability --out RUN_DIR`: stability selection (occam-select) on a
//! training split, a relaxed (unpenalized) refit on the stable features, and the held-out
//! comparison against the least-penalized fit on all features (the baseline) and the
//! lasso at lambda.1se. Writes summary.json and stability.csv.

use crate::cmd_linear::{load_data, path_config};
use crate::flags::{DataFlags, LinearFlags};
use crate::{output, UserError};
use anyhow::Result;
use occam_core::{metrics, split, Dataset};
use occam_linear::predict::{coef_at, predict_class, predict_response};
use occam_linear::{cross_validate, fit_path, CvConfig, Family, Measure, PathConfig};
use occam_select::{stability_selection, StabilityConfig};
use serde_json::{json, Value};
use std::fmt::Write as _;
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
    /// Share of rows held out for the comparison.
    #[arg(long, default_value_t = 0.25)]
    pub test_fraction: f64,
    /// Seed for the split and the subsamples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run folder: summary.json and stability.csv.
    #[arg(long)]
    pub out: PathBuf,
}

/// Held-out metrics of coefficients (a0, beta) on `test`.
fn held_out(family: Family, test: &Dataset, a0: &[f64], beta: &[Vec<f64>]) -> Value {
    let mu = predict_response(family, &test.x, a0, beta);
    match family {
        Family::Gaussian => {
            let mse = metrics::mse(&mu[0], &test.y);
            json!({ "mse": mse, "rmse": mse.sqrt(), "r2": metrics::r2(&mu[0], &test.y) })
        }
        Family::Poisson => json!({
            "mean_deviance": test.y.iter().zip(&mu[0]).map(|(&y, &m)| metrics::poisson_dev(y, m)).sum::<f64>() / test.y.len() as f64,
            "mae": metrics::mae(&mu[0], &test.y),
        }),
        Family::Binomial | Family::Multinomial => {
            let truth: Vec<usize> = test.y.iter().map(|&v| v as usize).collect();
            let acc = metrics::accuracy(&predict_class(family, &mu), &truth);
            if family == Family::Binomial {
                json!({ "accuracy": acc, "auc": metrics::auc(&mu[0], &test.y), "log_loss": metrics::log_loss(&mu[0], &test.y) })
            } else {
                json!({ "accuracy": acc })
            }
        }
    }
}

/// Coefficients of the unpenalized refit on the columns `cols` of `train` (the relaxed fit at
/// the path's smallest lambda), expanded back to all p features.
fn refit(train: &Dataset, cols: &[usize], base: &PathConfig) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let p = train.nfeatures();
    let xs = train.x.select_cols(cols);
    let mut c = base.clone();
    c.penalty_factor = None;
    let fit = fit_path(&xs, &train.y, &c, Some(0.0))?;
    let r = fit.relaxed.as_ref().expect("relaxed fit requested");
    let l = fit.lambda.len() - 1;
    let a0 = r.a0[l].clone();
    let beta = r
        .beta
        .iter()
        .map(|bk| {
            let mut full = vec![0.0; p];
            for (k, &j) in cols.iter().enumerate() {
                full[j] = bk[l][k];
            }
            full
        })
        .collect();
    Ok((a0, beta))
}

pub fn run(a: &SelectArgs) -> Result<()> {
    let d = load_data(&a.data)?;
    let base = path_config(&a.linear, &d)?;
    let classes = d.task.is_classification().then_some(&d.y[..]);
    let s = split::train_val_test(d.nrows(), classes, 0.0, a.test_fraction, a.seed)?;
    let train = d.subset(&s.train);
    let test = (!s.test.is_empty()).then(|| d.subset(&s.test));
    let cfg = StabilityConfig {
        pairs: a.pairs,
        weakness: a.weakness,
        q: a.q,
        threshold: a.threshold,
        seed: a.seed,
    };
    let t0 = std::time::Instant::now();
    let r = stability_selection(&train.x, &train.y, &base, &cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    let names: Vec<&String> = r
        .selected
        .iter()
        .map(|&j| &train.feature_names[j])
        .collect();
    println!(
        "stability selection: {} path fits on half-samples of {} rows, {:.2} s",
        r.fits,
        train.nrows() / 2,
        secs
    );
    println!(
        "lambda range: {:.5} .. {:.5} ({} lambdas), q = {:.1} features per half (target {}), threshold {}",
        r.lambda[0], r.lambda[r.last], r.last + 1, r.q_lambda, r.q_target, r.threshold
    );
    println!(
        "{} stable features (expected false selections <= {:.2}):",
        names.len(),
        r.error_bound
    );
    for &j in &r.selected {
        println!(
            "  {:<24} probability {:.2}",
            train.feature_names[j], r.max_prob[j]
        );
    }
    std::fs::create_dir_all(&a.out)
        .map_err(|e| UserError(format!("cannot create the folder {}: {e}", a.out.display())))?;
    let mut csv = String::from("feature,max_probability,stable_from_lambda,selected\n");
    let mut order: Vec<usize> = (0..train.nfeatures()).collect();
    order.sort_by(|&x, &y| r.max_prob[y].total_cmp(&r.max_prob[x]).then(x.cmp(&y)));
    for j in order {
        let _ = writeln!(
            csv,
            "{},{},{},{}",
            train.feature_names[j],
            r.max_prob[j],
            r.stable_from[j].map_or(String::new(), |l| l.to_string()),
            r.selected.contains(&j)
        );
    }
    output::write_atomic(&a.out.join("stability.csv"), csv.as_bytes())?;

    // CV of the refit on the stable features (selection ran once on the training rows, so
    // this is optimistic), the baseline and the held-out comparison.
    let (cv_mean, cv_se) = if r.selected.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let xs = train.x.select_cols(&r.selected);
        let measure = if base.family == Family::Gaussian {
            Measure::Mse
        } else {
            Measure::Deviance
        };
        let cv = cross_validate(
            &xs,
            &train.y,
            &base,
            &CvConfig {
                folds: 5,
                foldid: None,
                measure,
                seed: a.seed,
            },
        )?;
        let l = cv.cvm.len() - 1;
        (json!(cv.cvm[l]), json!(cv.cvsd[l]))
    };
    let full = fit_path(&train.x, &train.y, &base, None)?;
    let lasso_cv = cross_validate(
        &train.x,
        &train.y,
        &base,
        &CvConfig {
            folds: 5,
            foldid: None,
            measure: Measure::Deviance,
            seed: a.seed,
        },
    )?;
    let mut summary = json!({
        "method": "stability",
        "chosen": { "pairs": a.pairs, "weakness": a.weakness, "q": r.q_target, "threshold": a.threshold,
                    "lambda_range": [r.lambda[0], r.lambda[r.last]], "family": base.family.name(), "alpha": base.alpha },
        "rule": format!("max selection probability over the lambda range >= {}", a.threshold),
        "selected_features": names,
        "selection_probability": r.selected.iter().map(|&j| r.max_prob[j]).collect::<Vec<_>>(),
        "q_lambda": r.q_lambda,
        "error_bound": r.error_bound,
        "cv_mean": cv_mean,
        "cv_se": cv_se,
        "cv_note": "5-fold CV of the unpenalized refit on the stable features; selection used all training rows, so it is optimistic",
        "fits": r.fits,
        "fit_seconds": secs,
        "rows": { "train": train.nrows(), "test": s.test.len() },
    });
    if let Some(test) = &test {
        let (a0, beta) = refit(&train, &r.selected, &base)?;
        let last = full.lambda.len() - 1;
        let base_a0: Vec<f64> = full.a0[last].clone();
        let base_beta: Vec<Vec<f64>> = full.beta.iter().map(|b| b[last].clone()).collect();
        let (la0, lbeta) = coef_at(&lasso_cv.fit, lasso_cv.lambda_1se);
        summary["regularized"] = held_out(base.family, test, &a0, &beta);
        summary["baseline"] = held_out(base.family, test, &base_a0, &base_beta);
        summary["lasso_1se"] = held_out(base.family, test, &la0, &lbeta);
        summary["baseline_note"] = json!(format!(
            "baseline: the fit on all {} features at the path's smallest lambda ({:.3e}, the least penalized); regularized: the unpenalized refit on the {} stable features",
            train.nfeatures(), full.lambda[last], names.len()
        ));
        println!("held-out ({} rows):", test.nrows());
        for key in ["regularized", "lasso_1se", "baseline"] {
            println!("  {key:<12} {}", summary[key]);
        }
    }
    output::write_json(&a.out.join("summary.json"), &summary)?;
    crate::cmd_report::write(&a.out, &a.out.join("report.html"))?;
    println!("wrote {}", a.out.display());
    Ok(())
}
