//! Stability selection (Meinshausen & Bühlmann 2010, with Shah & Samworth's complementary
//! pairs) of a linear model's features ([`Stability`]) or a network's input features
//! ([`NetworkStability`]), a relaxed (unpenalized) refit on the stable features, and that
//! refit against a baseline on held-out rows. Each returns a [`StabilityFit`]: the typed
//! result the report renders and the per-feature table (stability.csv).

use crate::error::{Error, Result};
use crate::estimator::{Selection, Selector};
use crate::linear::Linear;
use crate::mlp::{engine_data, n_outputs, scaling, Mlp};
use crate::results::{
    HeldOut, LassoPoint, Metrics, Rows, SelectResult, StabilityChoice, StableCluster,
};
use occam_core::rng::Rng;
use occam_core::{metrics, split, Dataset};
use occam_linear::predict::{coef_at, predict_class, predict_response};
use occam_linear::{cross_validate, fit_path, CvConfig, Family, Measure, PathConfig};
use occam_nn::regularize::{LayerPenalty, LayerSelect};
use occam_select::{stability_selection, StabilityConfig, StabilityResult};
use rayon::prelude::*;
use std::fmt::Write as _;

/// One feature's line of stability.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilityRow {
    /// The feature.
    pub feature: String,
    /// Its largest selection probability over the lambda range.
    pub probability: f64,
    /// The largest lambda from which it stays above the threshold (linear), or the L1
    /// strength (network), when it is stable.
    pub stable_from: Option<f64>,
    /// Whether it is selected.
    pub selected: bool,
}

/// A finished stability selection.
#[derive(Clone, Debug)]
pub struct StabilityFit {
    /// The result (summary.json).
    pub result: SelectResult,
    /// Every feature, largest probability first.
    pub rows: Vec<StabilityRow>,
    /// The selection itself (linear): lambda range, probabilities, clusters.
    pub selection: Option<StabilityResult>,
}

/// The summary the CLI prints: how the selection ran, the stable features with their
/// probabilities, the clusters, and the held-out comparison.
impl std::fmt::Display for StabilityFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.result;
        if let Some(s) = &self.selection {
            writeln!(
                f,
                "stability selection: {} path fits on half-samples of {} rows, {:.2} s",
                s.fits,
                r.rows.train / 2,
                r.fit_seconds
            )?;
            writeln!(
                f,
                "lambda range: {:.5} .. {:.5} ({} lambdas), q = {:.1} features per half (target {}), threshold {}",
                s.lambda[0], s.lambda[s.last], s.last + 1, s.q_lambda, s.q_target, s.threshold
            )?;
            writeln!(
                f,
                "{} stable features (expected false selections <= {:.2}):",
                r.selected_features.len(),
                r.error_bound
            )?;
        } else {
            writeln!(
                f,
                "network stability selection: {} fits of hidden {:?} with L1 {} on the first layer, {:.2} s",
                r.fits,
                r.chosen.hidden.clone().unwrap_or_default(),
                r.chosen.l1.unwrap_or(f64::NAN),
                r.fit_seconds
            )?;
            writeln!(
                f,
                "q = {:.1} input features kept per half; {} stable (expected false selections <= {:.2}):",
                r.q_lambda,
                r.selected_features.len(),
                r.error_bound
            )?;
        }
        for (name, p) in r.selected_features.iter().zip(&r.selection_probability) {
            writeln!(f, "  {name:<24} probability {p:.2}")?;
        }
        for c in r.clusters.iter().filter(|c| c.stable) {
            writeln!(
                f,
                "cluster {}: any member selected with probability {:.2}, stable: all members kept; \
                 of the {} single half-sample lasso fits at the end of the range, {} kept exactly one member, {} all",
                c.members.join(" + "),
                c.probability,
                c.half_fits,
                c.half_fits_one_member,
                c.half_fits_all_members
            )?;
        }
        let others = r.clusters.iter().filter(|c| !c.stable).count();
        if others > 0 {
            writeln!(
                f,
                "{others} other clusters of correlated features are below the threshold; see summary.json"
            )?;
        }
        let h = &r.held_out;
        if let (Some(reg), Some(base)) = (&h.regularized, &h.baseline) {
            writeln!(f, "held-out ({} rows):", r.rows.test)?;
            writeln!(f, "  {:<12} {reg}", "regularized")?;
            if let Some(l) = &r.lasso_1se {
                writeln!(f, "  {:<12} {}", "lasso_1se", l.metrics)?;
            }
            writeln!(f, "  {:<12} {base}", "baseline")?;
        }
        Ok(())
    }
}

impl StabilityFit {
    /// The selection: every feature's largest selection probability, kept when stable.
    pub fn selection_of(&self, feature_names: &[String]) -> Selection {
        let mut support = vec![false; feature_names.len()];
        let mut scores = vec![0.0; feature_names.len()];
        for r in &self.rows {
            if let Some(j) = feature_names.iter().position(|f| *f == r.feature) {
                support[j] = r.selected;
                scores[j] = r.probability;
            }
        }
        Selection {
            feature_names: feature_names.to_vec(),
            support,
            scores,
        }
    }
    /// Writes the selection's run files into `run`: stability.csv and summary.json, what
    /// `occam report` reads.
    pub fn save(&self, run: &mut crate::RunFolder) -> Result<()> {
        run.write("stability.csv", self.csv().as_bytes())?;
        run.write_json("summary.json", &self.result)
    }

    /// stability.csv: feature, max_probability, stable_from_lambda, selected.
    pub fn csv(&self) -> String {
        let mut csv = String::from("feature,max_probability,stable_from_lambda,selected\n");
        for r in &self.rows {
            let from = r.stable_from.map_or(String::new(), |l| l.to_string());
            let _ = writeln!(csv, "{},{},{from},{}", r.feature, r.probability, r.selected);
        }
        csv
    }
}

/// The split both selections use: stratified for classification.
fn split_rows(d: &Dataset, test_fraction: f64, seed: u64) -> Result<split::Split> {
    let classes = d.task.is_classification().then_some(&d.y[..]);
    Ok(split::train_val_test(
        d.nrows(),
        classes,
        0.0,
        test_fraction,
        seed,
    )?)
}

fn check_threshold(threshold: f64, pairs: usize) -> Result<()> {
    if !(threshold > 0.5 && threshold <= 1.0) {
        return Err(Error::param_err(
            "threshold",
            format!("{threshold} is not in (0.5, 1]"),
        ));
    }
    if pairs == 0 {
        return Err(Error::param_err("pairs", "must be at least 1"));
    }
    Ok(())
}

/// Stability selection of a penalized GLM's features.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `linear` | `Linear::default()` | the path: family, alpha, lambdas |
/// | `pairs` | 50 | complementary pairs of half-samples (2 x pairs path fits) |
/// | `weakness` | 0.8 | randomized-lasso penalty factors drawn from {weakness, 1} |
/// | `q` | ceil(sqrt(0.8 p)) | features selected per half over the lambda range |
/// | `threshold` | 0.6 | selection-probability threshold, in (0.5, 1] |
/// | `cluster_corr` | Some(0.8) | correlated features (|r| at least this) selected as a cluster; `None`: each on its own |
/// | `test_fraction` | 0.25 | rows held out for the comparison |
/// | `seed` | 0 | the split and the subsamples |
#[derive(Clone, Debug)]
pub struct Stability {
    /// The path.
    pub linear: Linear,
    /// Complementary pairs of half-samples.
    pub pairs: usize,
    /// Randomized-lasso weakness.
    pub weakness: f64,
    /// Features per half over the lambda range.
    pub q: Option<usize>,
    /// The selection-probability threshold.
    pub threshold: f64,
    /// Cluster stability selection at this |r|.
    pub cluster_corr: Option<f64>,
    /// Rows held out for the comparison.
    pub test_fraction: f64,
    /// The seed.
    pub seed: u64,
}

impl Default for Stability {
    fn default() -> Self {
        Stability {
            linear: Linear::default(),
            pairs: 50,
            weakness: 0.8,
            q: None,
            threshold: 0.6,
            cluster_corr: Some(0.8),
            test_fraction: 0.25,
            seed: 0,
        }
    }
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
/// the path's smallest lambda), expanded back to all p features. With no columns, the null
/// model: the intercept at the top of the path, where every coefficient is zero.
fn refit(train: &Dataset, cols: &[usize], base: &PathConfig) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let p = train.nfeatures();
    let mut c = base.clone();
    c.penalty_factor = None;
    if cols.is_empty() {
        // One point, lambda_max with every feature penalized: the intercept alone (neither
        // the user's lambdas nor an unpenalized feature may put a coefficient in it).
        c.lambda = None;
        c.nlambda = 1;
        let fit = fit_path(&train.x, &train.y, &c, None)?;
        return Ok((fit.a0[0].clone(), vec![vec![0.0; p]; fit.beta.len()]));
    }
    let xs = train.x.select_cols(cols);
    let fit = fit_path(&xs, &train.y, &c, Some(0.0))?;
    let r = fit
        .relaxed
        .as_ref()
        .ok_or_else(|| Error::param_err("relax", "the refit returned no relaxed fit"))?;
    let l = fit.lambda.len() - 1;
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
    Ok((r.a0[l].clone(), beta))
}

impl Stability {
    /// Splits `d`, selects on the training rows, and compares the relaxed refit on the stable
    /// features with the least penalized fit on all features (the baseline) and the lasso
    /// at lambda.1se on the held-out rows.
    pub fn fit(&self, d: &Dataset) -> Result<StabilityFit> {
        crate::estimator::validate_data(d)?;
        check_threshold(self.threshold, self.pairs)?;
        let mut lin = self.linear.clone();
        lin.relax = None;
        let base = lin.path_config(d)?;
        let s = split_rows(d, self.test_fraction, self.seed)?;
        let train = d.subset(&s.train);
        let test = (!s.test.is_empty()).then(|| d.subset(&s.test));
        let cfg = StabilityConfig {
            pairs: self.pairs,
            weakness: self.weakness,
            q: self.q,
            threshold: self.threshold,
            seed: self.seed,
            cluster_corr: self.cluster_corr,
        };
        let t0 = std::time::Instant::now();
        let r = stability_selection(&train.x, &train.y, &base, &cfg)?;
        let secs = t0.elapsed().as_secs_f64();
        let name = |j: usize| train.feature_names[j].clone();
        let cv5 = |x: &occam_core::Matrix, measure: Measure| -> Result<occam_linear::CvFit> {
            let cv = CvConfig {
                folds: 5,
                foldid: None,
                measure,
                seed: self.seed,
            };
            Ok(cross_validate(x, &train.y, &base, &cv)?)
        };
        // CV of the refit on the stable features (selection ran once on the training rows,
        // so this is optimistic).
        let (cv_mean, cv_se) = if r.selected.is_empty() {
            (None, None)
        } else {
            let measure = if base.family == Family::Gaussian {
                Measure::Mse
            } else {
                Measure::Deviance
            };
            let cv = cv5(&train.x.select_cols(&r.selected), measure)?;
            let l = cv.cvm.len() - 1;
            (Some(cv.cvm[l]), Some(cv.cvsd[l]))
        };
        let lasso_cv = cv5(&train.x, Measure::Deviance)?;
        let mut result = SelectResult {
            method: "stability".into(),
            model: None,
            chosen: StabilityChoice {
                pairs: self.pairs,
                q: r.q_target as f64,
                threshold: self.threshold,
                weakness: Some(self.weakness),
                lambda_range: Some([r.lambda[0], r.lambda[r.last]]),
                family: Some(base.family.name().into()),
                alpha: Some(base.alpha),
                l1: None,
                hidden: None,
                epochs: None,
            },
            rule: format!(
                "max selection probability over the lambda range >= {}",
                self.threshold
            ),
            selected_features: r.selected.iter().map(|&j| name(j)).collect(),
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
                    members: c.members.iter().map(|&j| name(j)).collect(),
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
            // The CV's own full-data path is the baseline's path too.
            let full = &lasso_cv.fit;
            let (a0, beta) = refit(&train, &r.selected, &base)?;
            let last = full.lambda.len() - 1;
            let base_beta: Vec<Vec<f64>> = full.beta.iter().map(|b| b[last].clone()).collect();
            let (la0, lbeta) = coef_at(full, lasso_cv.lambda_1se);
            result.held_out = HeldOut {
                regularized: Some(held_out(base.family, test, &a0, &beta)),
                baseline: Some(held_out(base.family, test, &full.a0[last], &base_beta)),
                baseline_note: Some(format!(
                    "baseline: the fit on all {} features at the path's smallest lambda ({:.3e}, the least penalized); regularized: the unpenalized refit on the {} stable features",
                    train.nfeatures(), full.lambda[last], r.selected.len()
                )),
            };
            result.lasso_1se = Some(LassoPoint {
                metrics: held_out(base.family, test, &la0, &lbeta),
                features: (0..train.nfeatures())
                    .filter(|&j| lbeta.iter().any(|b| b[j] != 0.0))
                    .map(name)
                    .collect(),
            });
        }
        let mut order: Vec<usize> = (0..train.nfeatures()).collect();
        order.sort_by(|&x, &y| r.max_prob[y].total_cmp(&r.max_prob[x]).then(x.cmp(&y)));
        let rows = order
            .into_iter()
            .map(|j| StabilityRow {
                feature: name(j),
                probability: r.max_prob[j],
                stable_from: r.stable_from[j],
                selected: r.selected.contains(&j),
            })
            .collect();
        Ok(StabilityFit {
            result,
            rows,
            selection: Some(r),
        })
    }
}

/// Stability selection of a network's input features: on each half of `pairs` random
/// splits, the network with L1 on its first layer (a proximal step, so rows reach exact
/// zero) is trained once; a feature is selected in a half when its first-layer row is not
/// all zero. One strength, so the lambda range is {l1}.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `network` | hidden `[16]`, 100 epochs, last weights | the network (its penalty is replaced) |
/// | `l1` | 0.03 | L1 strength on the first layer |
/// | `pairs` | 50 | complementary pairs of half-samples |
/// | `threshold` | 0.6 | selection-probability threshold, in (0.5, 1] |
/// | `test_fraction` | 0.25 | rows held out for the comparison |
/// | `seed` | 0 | the split, the subsamples and the networks |
#[derive(Clone, Debug)]
pub struct NetworkStability {
    /// The network.
    pub network: Mlp,
    /// L1 strength on the first layer.
    pub l1: f64,
    /// Complementary pairs of half-samples.
    pub pairs: usize,
    /// The selection-probability threshold.
    pub threshold: f64,
    /// Rows held out for the comparison.
    pub test_fraction: f64,
    /// The seed.
    pub seed: u64,
}

impl Default for NetworkStability {
    fn default() -> Self {
        NetworkStability {
            network: Mlp {
                hidden: Some(vec![16]),
                epochs: 100,
                restore_best: false,
                ..Mlp::default()
            },
            l1: 0.03,
            pairs: 50,
            threshold: 0.6,
            test_fraction: 0.25,
            seed: 0,
        }
    }
}

impl NetworkStability {
    /// The network with L1 `l1` on its first layer only (0: no penalty), seeded.
    fn network(&self, l1: f64, seed: u64) -> Mlp {
        let mut m = self.network.clone();
        m.penalty.default = LayerPenalty {
            l1,
            ..LayerPenalty::default()
        };
        m.penalty.layers = LayerSelect::First;
        m.penalty.overrides.clear();
        m.seed = seed;
        m
    }

    /// Trains `m` on `rows` of `d` (no validation rows); returns the trainer.
    fn train(&self, m: &Mlp, d: &Dataset, rows: &[usize]) -> Result<occam_nn::Trainer<f32>> {
        let sub = d.subset(rows);
        let pre = scaling(&sub, m.standardize);
        let spec = m.spec(d.nfeatures(), n_outputs(d))?;
        let mut cfg = m.train_config(d.task)?;
        cfg.batch_size = cfg.batch_size.min(rows.len());
        cfg.patience = None;
        let mut tr = occam_nn::Trainer::new(occam_nn::Net::new(&spec, cfg.seed), cfg)?;
        tr.fit(&engine_data(&sub, &pre), None, &mut |_| Ok(()))?;
        Ok(tr)
    }

    /// Per feature the share of half-sample fits that keep it, and the mean kept per fit.
    fn probabilities(&self, train: &Dataset) -> Result<(Vec<f64>, f64)> {
        let (n, p) = (train.nrows(), train.nfeatures());
        let half = n / 2;
        let sets: Vec<Vec<bool>> = (0..self.pairs)
            .into_par_iter()
            .map(|b| -> Result<Vec<Vec<bool>>> {
                let mut rng = Rng::stream(self.seed, b as u64);
                let mut rows: Vec<usize> = (0..n).collect();
                rng.shuffle(&mut rows);
                let mut out = Vec::new();
                for (h, part) in [&rows[..half], &rows[half..2 * half]]
                    .into_iter()
                    .enumerate()
                {
                    let mut idx = part.to_vec();
                    idx.sort_unstable();
                    let m = self.network(self.l1, self.seed ^ (2 * b + h) as u64);
                    let tr = self.train(&m, train, &idx)?;
                    let mut kept = vec![false; p];
                    for j in tr.net.dense()[0].active_inputs() {
                        kept[j] = true;
                    }
                    out.push(kept);
                }
                Ok(out)
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let m = sets.len() as f64;
        let prob = (0..p)
            .map(|j| sets.iter().filter(|s| s[j]).count() as f64 / m)
            .collect();
        let q = sets
            .iter()
            .map(|s| s.iter().filter(|&&k| k).count() as f64)
            .sum::<f64>()
            / m;
        Ok((prob, q))
    }

    /// Splits `d`, selects on the training rows, and compares the network without penalty
    /// on the stable features with the same network on all features on the held-out rows.
    pub fn fit(&self, d: &Dataset) -> Result<StabilityFit> {
        crate::estimator::validate_data(d)?;
        check_threshold(self.threshold, self.pairs)?;
        let s = split_rows(d, self.test_fraction, self.seed)?;
        let train = d.subset(&s.train);
        let t0 = std::time::Instant::now();
        let (prob, q) = self.probabilities(&train)?;
        let secs = t0.elapsed().as_secs_f64();
        let p = train.nfeatures();
        let mut selected: Vec<usize> = (0..p).filter(|&j| prob[j] >= self.threshold).collect();
        selected.sort_by(|&x, &y| prob[y].total_cmp(&prob[x]).then(x.cmp(&y)));
        let name = |j: usize| train.feature_names[j].clone();
        let mut result = SelectResult {
            method: "stability".into(),
            model: Some("mlp".into()),
            chosen: StabilityChoice {
                pairs: self.pairs,
                q,
                threshold: self.threshold,
                weakness: None,
                lambda_range: None,
                family: None,
                alpha: None,
                l1: Some(self.l1),
                hidden: self.network.hidden.clone(),
                epochs: Some(self.network.epochs),
            },
            rule: format!(
                "selection probability >= {} at L1 = {}",
                self.threshold, self.l1
            ),
            selected_features: selected.iter().map(|&j| name(j)).collect(),
            selection_probability: selected.iter().map(|&j| prob[j]).collect(),
            q_lambda: q,
            error_bound: q * q / ((2.0 * self.threshold - 1.0) * p as f64),
            cv_mean: None,
            cv_se: None,
            cv_note:
                "no cross-validation for the network stability run; see the held-out comparison"
                    .into(),
            fits: 2 * self.pairs,
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
            let all: Vec<usize> = (0..train.nrows()).collect();
            let free = self.network(0.0, self.seed);
            let score = |cols: Option<&[usize]>| -> Result<Metrics> {
                let (mut tr_ds, mut te_ds) = (train.clone(), d.subset(&s.test));
                if let Some(c) = cols {
                    tr_ds.x = tr_ds.x.select_cols(c);
                    tr_ds.feature_names = c.iter().map(|&j| name(j)).collect();
                    te_ds.x = te_ds.x.select_cols(c);
                    te_ds.feature_names = tr_ds.feature_names.clone();
                }
                let mut tr = self.train(&free, &tr_ds, &all)?;
                let pre = scaling(&tr_ds, free.standardize);
                Ok(crate::network::held_out_metrics(
                    &mut tr,
                    &engine_data(&te_ds, &pre),
                ))
            };
            result.held_out = HeldOut {
                regularized: Some(score(Some(&selected))?),
                baseline: Some(score(None)?),
                baseline_note: Some("baseline: the same network without penalty on all features; regularized: the same network without penalty on the stable features only".into()),
            };
        }
        let mut order: Vec<usize> = (0..p).collect();
        order.sort_by(|&x, &y| prob[y].total_cmp(&prob[x]).then(x.cmp(&y)));
        let rows = order
            .into_iter()
            .map(|j| StabilityRow {
                feature: name(j),
                probability: prob[j],
                stable_from: (prob[j] >= self.threshold).then_some(self.l1),
                selected: prob[j] >= self.threshold,
            })
            .collect();
        Ok(StabilityFit {
            result,
            rows,
            selection: None,
        })
    }
}

impl Selector for Stability {
    fn select(&self, d: &Dataset) -> Result<Selection> {
        Ok(self.fit(d)?.selection_of(&d.feature_names))
    }
}

impl Selector for NetworkStability {
    fn select(&self, d: &Dataset) -> Result<Selection> {
        Ok(self.fit(d)?.selection_of(&d.feature_names))
    }
}
