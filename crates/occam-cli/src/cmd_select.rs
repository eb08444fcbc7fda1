//! `occam select DATA --stability --out RUN_DIR`: stability selection (occam-select) on a
//! training split, a relaxed (unpenalized) refit on the stable features, and the held-out
//! comparison against the least-penalized fit on all features (the baseline) and the
//! lasso at lambda.1se. Writes summary.json and stability.csv.

use crate::cmd_linear::{load_data, path_config};
use crate::flags::{DataFlags, LinearFlags};
use crate::output;
use anyhow::Result;
use occam::results::{
    HeldOut, LassoPoint, Metrics, Rows, SelectResult, StabilityChoice, StableCluster,
};
use occam_core::{metrics, split, Dataset};
use occam_linear::predict::{coef_at, predict_class, predict_response};
use occam_linear::{cross_validate, fit_path, CvConfig, Family, Measure, PathConfig};
use occam_select::{stability_selection, StabilityConfig};
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

/// Options of the network fits for `--model mlp` (penalty on the first layer only).
fn mlp_options(a: &SelectArgs, l1: Option<f64>, seed: u64) -> crate::flags_nn::TrainOptions {
    crate::flags_nn::TrainOptions {
        hidden: Some(a.hidden.clone()),
        l1,
        penalty_layers: Some("first".into()),
        epochs: Some(a.epochs),
        lr: Some(a.lr),
        no_restore_best: Some(true),
        seed: Some(seed),
        ..Default::default()
    }
}

/// Trains the network of `o` on `rows` of `d` (no validation); returns the trainer.
fn fit_mlp(
    d: &Dataset,
    rows: &[usize],
    o: &crate::flags_nn::TrainOptions,
) -> Result<occam_nn::Trainer<f32>> {
    use crate::nn_setup::{engine_data, preprocess};
    let sub = d.subset(rows);
    let pre = preprocess(&sub, true);
    let n_out = crate::nn_setup::n_outputs(d);
    let est = crate::nn_setup::estimator(o)?;
    let spec = est.spec(d.nfeatures(), n_out)?;
    let mut cfg = est.train_config(d.task)?;
    cfg.batch_size = cfg.batch_size.min(rows.len());
    let mut tr = occam_nn::Trainer::new(occam_nn::Net::new(&spec, cfg.seed), cfg)?;
    tr.fit(&engine_data(&sub, &pre), None, &mut |_| Ok(()))?;
    Ok(tr)
}

/// Stability selection of the network's input features: on each half of `pairs` random
/// splits, the network with L1 (proximal, first layer) is trained once; a feature is selected
/// in a half when its first-layer row is not all zero. One strength, so Lambda = {l1}.
fn mlp_stability(train: &Dataset, a: &SelectArgs) -> Result<(Vec<f64>, f64)> {
    use occam_core::rng::Rng;
    use rayon::prelude::*;
    let n = train.nrows();
    let p = train.nfeatures();
    let half = n / 2;
    let sets: Vec<Vec<bool>> = (0..a.pairs)
        .into_par_iter()
        .map(|b| -> Result<Vec<Vec<bool>>> {
            let mut rng = Rng::stream(a.seed, b as u64);
            let mut rows: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut rows);
            let mut out = Vec::new();
            for (h, part) in [&rows[..half], &rows[half..2 * half]]
                .into_iter()
                .enumerate()
            {
                let mut idx = part.to_vec();
                idx.sort_unstable();
                let tr = fit_mlp(
                    train,
                    &idx,
                    &mlp_options(a, Some(a.l1), a.seed ^ (2 * b + h) as u64),
                )?;
                let mut kept = vec![false; p];
                tr.net.dense()[0]
                    .active_inputs()
                    .into_iter()
                    .for_each(|j| kept[j] = true);
                out.push(kept);
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let m = sets.len() as f64;
    let prob: Vec<f64> = (0..p)
        .map(|j| sets.iter().filter(|s| s[j]).count() as f64 / m)
        .collect();
    let q = sets
        .iter()
        .map(|s| s.iter().filter(|b| **b).count() as f64)
        .sum::<f64>()
        / m;
    Ok((prob, q))
}

/// Held-out metrics of coefficients (a0, beta) on `test`.
fn held_out(family: Family, test: &Dataset, a0: &[f64], beta: &[Vec<f64>]) -> Metrics {
    let mu = predict_response(family, &test.x, a0, beta);
    let (m, y) = (&mu[0], &test.y);
    let named: Vec<(&str, f64)> = match family {
        Family::Gaussian => {
            let mse = metrics::mse(m, y);
            vec![
                ("mse", mse),
                ("rmse", mse.sqrt()),
                ("r2", metrics::r2(m, y)),
            ]
        }
        Family::Poisson => {
            let dev = y
                .iter()
                .zip(m)
                .map(|(&y, &m)| metrics::poisson_dev(y, m))
                .sum::<f64>();
            vec![
                ("mean_deviance", dev / y.len() as f64),
                ("mae", metrics::mae(m, y)),
            ]
        }
        Family::Binomial | Family::Multinomial => {
            let truth: Vec<usize> = y.iter().map(|&v| v as usize).collect();
            let acc = metrics::accuracy(&predict_class(family, &mu), &truth);
            if family == Family::Binomial {
                let (auc, ll) = (metrics::auc(m, y), metrics::log_loss(m, y));
                vec![("accuracy", acc), ("auc", auc), ("log_loss", ll)]
            } else {
                vec![("accuracy", acc)]
            }
        }
    };
    named.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
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
    output::check_new_run(&a.out, occam::RunKind::Select, a.force)?;
    match a.model.as_str() {
        "linear" => run_linear(a),
        "mlp" => crate::nn_setup::in_pool(|| run_mlp(a)),
        s => Err(
            occam_core::DataError::param("--model", format!("'{s}' is not linear or mlp")).into(),
        ),
    }
}

fn run_mlp(a: &SelectArgs) -> Result<()> {
    if !(a.threshold > 0.5 && a.threshold <= 1.0) || a.pairs == 0 {
        anyhow::bail!(occam_core::DataError::param(
            "--threshold/--pairs",
            "need threshold in (0.5, 1] and pairs >= 1"
        ));
    }
    let d = load_data(&a.data)?;
    let classes = d.task.is_classification().then_some(&d.y[..]);
    let s = split::train_val_test(d.nrows(), classes, 0.0, a.test_fraction, a.seed)?;
    let train = d.subset(&s.train);
    let t0 = std::time::Instant::now();
    let (prob, q) = mlp_stability(&train, a)?;
    let secs = t0.elapsed().as_secs_f64();
    let p = train.nfeatures();
    let mut selected: Vec<usize> = (0..p).filter(|&j| prob[j] >= a.threshold).collect();
    selected.sort_by(|&x, &y| prob[y].total_cmp(&prob[x]).then(x.cmp(&y)));
    let bound = q * q / ((2.0 * a.threshold - 1.0) * p as f64);
    let names: Vec<&String> = selected.iter().map(|&j| &train.feature_names[j]).collect();
    println!("network stability selection: {} fits of hidden {:?} with L1 {} on the first layer, {:.2} s", 2 * a.pairs, a.hidden, a.l1, secs);
    println!("q = {q:.1} input features kept per half; {} stable (expected false selections <= {bound:.2}):", names.len());
    for &j in &selected {
        println!(
            "  {:<24} probability {:.2}",
            train.feature_names[j], prob[j]
        );
    }
    let mut run = output::new_run(&a.out, occam::RunKind::Select, a.force)?;
    let mut csv = String::from("feature,max_probability,stable_from_lambda,selected\n");
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&x, &y| prob[y].total_cmp(&prob[x]).then(x.cmp(&y)));
    for j in order {
        let sel = prob[j] >= a.threshold;
        let _ = writeln!(
            csv,
            "{},{},{},{}",
            train.feature_names[j],
            prob[j],
            if sel { a.l1.to_string() } else { String::new() },
            sel
        );
    }
    run.write("stability.csv", csv.as_bytes())?;
    let mut summary = SelectResult {
        method: "stability".into(),
        model: Some("mlp".into()),
        chosen: StabilityChoice {
            pairs: a.pairs,
            q,
            threshold: a.threshold,
            weakness: None,
            lambda_range: None,
            family: None,
            alpha: None,
            l1: Some(a.l1),
            hidden: Some(a.hidden.clone()),
            epochs: Some(a.epochs),
        },
        rule: format!("selection probability >= {} at L1 = {}", a.threshold, a.l1),
        selected_features: names.iter().map(|n| n.to_string()).collect(),
        selection_probability: selected.iter().map(|&j| prob[j]).collect(),
        q_lambda: q,
        error_bound: bound,
        cv_mean: None,
        cv_se: None,
        cv_note: "no cross-validation for the network stability run; see the held-out comparison"
            .into(),
        fits: 2 * a.pairs,
        fit_seconds: secs,
        rows: Rows {
            train: train.nrows(),
            validation: None,
            test: s.test.len(),
        },
        clusters: Vec::new(),
        held_out: HeldOut::default(),
        lasso_1se: None,
    };
    if !s.test.is_empty() && !selected.is_empty() {
        // Relaxed refit: the same network without penalty on the stable features only; the
        // baseline: the same network without penalty on all features.
        let all: Vec<usize> = (0..train.nrows()).collect();
        let score = |cols: Option<&[usize]>| -> Result<Metrics> {
            let (tr_ds, te_ds) = match cols {
                Some(c) => {
                    let mut t = train.clone();
                    t.x = t.x.select_cols(c);
                    t.feature_names = c.iter().map(|&j| train.feature_names[j].clone()).collect();
                    let mut e = d.subset(&s.test);
                    e.x = e.x.select_cols(c);
                    e.feature_names = t.feature_names.clone();
                    (t, e)
                }
                None => (train.clone(), d.subset(&s.test)),
            };
            let mut tr = fit_mlp(&tr_ds, &all, &mlp_options(a, None, a.seed))?;
            let pre = crate::nn_setup::preprocess(&tr_ds, true);
            let (loss, m) = tr.evaluate(&crate::nn_setup::engine_data(&te_ds, &pre));
            Ok(m.into_iter().chain([("loss".to_string(), loss)]).collect())
        };
        let (reg, base) = (score(Some(&selected))?, score(None)?);
        println!(
            "held-out ({} rows):\n  regularized {reg}\n  baseline    {base}",
            s.test.len()
        );
        summary.held_out = HeldOut {
            regularized: Some(reg),
            baseline: Some(base),
            baseline_note: Some("baseline: the same network without penalty on all features; regularized: the same network without penalty on the stable features only".into()),
        };
    }
    run.write_json("summary.json", &summary)?;
    if !a.no_report {
        crate::cmd_report::write(&a.out, &a.out.join("report.html"))?;
    }
    println!("wrote {}", a.out.display());
    Ok(())
}

fn run_linear(a: &SelectArgs) -> Result<()> {
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
        cluster_corr: (!a.no_clusters).then_some(a.cluster_corr),
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
    let cluster_names = |c: &occam_select::Cluster| -> Vec<String> {
        c.members
            .iter()
            .map(|&j| train.feature_names[j].clone())
            .collect()
    };
    let others = r.clusters.iter().filter(|c| !c.stable).count();
    for c in r.clusters.iter().filter(|c| c.stable) {
        println!(
            "cluster {} (|r| >= {}): any member selected with probability {:.2}{}; \
             of the {} single half-sample lasso fits at the end of the range, {} kept exactly one member, {} all",
            cluster_names(c).join(" + "),
            a.cluster_corr,
            c.max_prob,
            if c.stable { ", stable: all members kept" } else { "" },
            r.fits,
            c.fits_one_member,
            c.fits_all_members
        );
    }
    if others > 0 {
        println!(
            "{others} other clusters of correlated features (|r| >= {}) are below the threshold; see summary.json",
            a.cluster_corr
        );
    }
    let mut run = output::new_run(&a.out, occam::RunKind::Select, a.force)?;
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
    run.write("stability.csv", csv.as_bytes())?;

    // CV of the refit on the stable features (selection ran once on the training rows, so
    // this is optimistic), the baseline and the held-out comparison.
    let (cv_mean, cv_se) = if r.selected.is_empty() {
        (None, None)
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
        (Some(cv.cvm[l]), Some(cv.cvsd[l]))
    };
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
    // The CV's own full-data path is the baseline's path too.
    let full = &lasso_cv.fit;
    let mut summary = SelectResult {
        method: "stability".into(),
        model: None,
        chosen: StabilityChoice {
            pairs: a.pairs,
            q: r.q_target as f64,
            threshold: a.threshold,
            weakness: Some(a.weakness),
            lambda_range: Some([r.lambda[0], r.lambda[r.last]]),
            family: Some(base.family.name().into()),
            alpha: Some(base.alpha),
            l1: None,
            hidden: None,
            epochs: None,
        },
        rule: format!("max selection probability over the lambda range >= {}", a.threshold),
        selected_features: names.iter().map(|n| n.to_string()).collect(),
        selection_probability: r.selected.iter().map(|&j| r.max_prob[j]).collect(),
        q_lambda: r.q_lambda,
        error_bound: r.error_bound,
        cv_mean,
        cv_se,
        cv_note: "5-fold CV of the unpenalized refit on the stable features; selection used all training rows, so it is optimistic".into(),
        fits: r.fits,
        fit_seconds: secs,
        rows: Rows {
            train: train.nrows(),
            validation: None,
            test: s.test.len(),
        },
        clusters: r
            .clusters
            .iter()
            .map(|c| StableCluster {
                members: cluster_names(c),
                probability: c.max_prob,
                stable: c.stable,
                member_probabilities: c.members.iter().map(|&j| r.max_prob[j]).collect(),
                half_fits: r.fits,
                half_fits_one_member: c.fits_one_member,
                half_fits_all_members: c.fits_all_members,
                half_fits_no_member: c.fits_no_member,
            })
            .collect(),
        held_out: HeldOut::default(),
        lasso_1se: None,
    };
    if let Some(test) = &test {
        let (a0, beta) = refit(&train, &r.selected, &base)?;
        let last = full.lambda.len() - 1;
        let base_a0: Vec<f64> = full.a0[last].clone();
        let base_beta: Vec<Vec<f64>> = full.beta.iter().map(|b| b[last].clone()).collect();
        let (la0, lbeta) = coef_at(&lasso_cv.fit, lasso_cv.lambda_1se);
        let kept: Vec<String> = (0..train.nfeatures())
            .filter(|&j| lbeta.iter().any(|b| b[j] != 0.0))
            .map(|j| train.feature_names[j].clone())
            .collect();
        let (reg, lasso, bl) = (
            held_out(base.family, test, &a0, &beta),
            held_out(base.family, test, &la0, &lbeta),
            held_out(base.family, test, &base_a0, &base_beta),
        );
        println!("held-out ({} rows):", test.nrows());
        for (key, m) in [
            ("regularized", &reg),
            ("lasso_1se", &lasso),
            ("baseline", &bl),
        ] {
            println!("  {key:<12} {m}");
        }
        summary.held_out = HeldOut {
            regularized: Some(reg),
            baseline: Some(bl),
            baseline_note: Some(format!(
                "baseline: the fit on all {} features at the path's smallest lambda ({:.3e}, the least penalized); regularized: the unpenalized refit on the {} stable features",
                train.nfeatures(), full.lambda[last], names.len()
            )),
        };
        summary.lasso_1se = Some(LassoPoint {
            metrics: lasso,
            features: kept,
        });
    }
    run.write_json("summary.json", &summary)?;
    if !a.no_report {
        crate::cmd_report::write(&a.out, &a.out.join("report.html"))?;
    }
    println!("wrote {}", a.out.display());
    Ok(())
}
