//! The pages of a trained network, a forecaster and a recommender.

use super::{epoch_rows, num, opt, plot, section, Result};
use crate::html::{esc, paragraph, pre, table};
use crate::plots::{self, WeightSet};
use crate::Page;
use occam::results::{DenseWeights, ForecastRun, NetworkRun, RatingScores, RecommenderRun};

fn metrics_rows(r: &occam::results::NetworkResult) -> Vec<Vec<String>> {
    let (val, test) = (r.val_metrics.as_ref(), r.test_metrics.as_ref());
    let mut names: Vec<&String> = Vec::new();
    for m in [val, test].into_iter().flatten() {
        for n in m.0.keys() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.sort();
    names
        .iter()
        .map(|n| {
            vec![
                n.to_string(),
                opt(val.and_then(|m| m.get(n))),
                opt(test.and_then(|m| m.get(n))),
            ]
        })
        .collect()
}

pub(super) fn page(label: &str, r: &NetworkRun) -> Result<Page> {
    let (s, meta) = (&r.result, &r.meta);
    let names = &meta.feature_names;
    let data_rows = vec![
        vec!["task".into(), meta.task.name().to_string()],
        vec!["target".into(), meta.target_name.clone()],
        vec!["input features".into(), names.len().to_string()],
        vec![
            "hidden layers".into(),
            serde_json::to_string(&meta.spec.hidden).unwrap_or_default(),
        ],
        vec!["parameters".into(), s.n_params.to_string()],
        vec![
            "epochs run (best)".into(),
            format!(
                "{} ({})",
                s.epochs_run,
                s.best_epoch.map_or("-".into(), |b| b.to_string())
            ),
        ],
        vec!["stopped early".into(), s.stopped_early.to_string()],
        vec!["fit seconds".into(), num(s.fit_seconds)],
    ];
    let mut secs = vec![
        section("data", "Data and model", table(&["", ""], &data_rows)),
        section(
            "metrics",
            "Metrics",
            table(&["metric", "validation", "test"], &metrics_rows(s)),
        ),
    ];
    let cmp_html = match &s.comparison {
        Some(c) => {
            let rows: Vec<Vec<String>> = c
                .regularized
                .iter()
                .map(|(k, v)| {
                    vec![
                        k.clone(),
                        num(v.mean),
                        opt(c.baseline.get(k).map(|b| b.mean)),
                    ]
                })
                .collect();
            format!(
                "{}{}",
                paragraph(&format!(
                    "The same architecture trained the same way without any penalty, dropout or early stopping, scored on the {} rows; means over {} seed(s).",
                    c.held_out, c.repeats
                )),
                table(&["metric", "regularized", "unregularized"], &rows)
            )
        }
        None => paragraph("No baseline in this run (train with --baseline to compare against the same network without regularization)."),
    };
    secs.push(section("baseline", "Baseline vs regularized", cmp_html));
    secs.push(section(
        "curves",
        "Learning curves",
        plot(plots::learning_curves(&epoch_rows(&r.epochs), s.best_epoch), "Training and validation loss per epoch, the penalty term as its own line, the best (early-stopping) epoch marked; below, the validation metric.")?,
    ));
    let mut wh = String::new();
    for (i, DenseWeights { name, out, inp, w }) in r.weights.iter().enumerate() {
        let set = [WeightSet {
            label: format!("layer {i}"),
            weights: w,
        }];
        wh.push_str(&plot(
            plots::weight_histograms(&format!("Weights of dense layer {i} ({inp} -> {out})"), &set, 60),
            &format!("{name}: distribution of the non-zero weights; the exact-zero count is in the legend."),
        )?);
    }
    secs.push(section("weights", "Weight distributions", wh));
    if let (true, Some(DenseWeights { out, inp, w, .. })) =
        (meta.spec.conv.is_empty(), r.weights.first())
    {
        let norms: Vec<f64> = (0..*inp)
            .map(|j| {
                (0..*out)
                    .map(|o| w[o * inp + j].powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        let kept = norms.iter().filter(|n| **n > 0.0).count();
        let mut html = paragraph(&format!(
            "{kept} of {inp} input features have a non-zero first-layer column."
        ));
        html.push_str(&plot(
            plots::bar_chart("Input features by first-layer weight norm", names, &norms, kept.clamp(1, 30), None, "L2 norm of the feature's first-layer weights"),
            "The 30 input features with the largest first-layer weight norms (a feature with norm 0 is out of the model).",
        )?);
        if kept < *inp && kept <= 200 {
            let list: Vec<&str> = (0..*inp)
                .filter(|&j| norms[j] > 0.0)
                .filter_map(|j| names.get(j).map(String::as_str))
                .collect();
            html.push_str(&format!("<p>Kept: {}</p>", esc(&list.join(", "))));
        }
        secs.push(section("selected", "Selected features", html));
    }
    if !s.evidence.is_empty() {
        secs.push(section(
            "evidence",
            "L2 from the evidence",
            evidence_html(&s.evidence)?,
        ));
    }
    if let Some(v) = &s.variational {
        secs.push(section(
            "variational",
            "Variational dropout",
            variational_html(v)?,
        ));
    }
    if let Some(r) = &s.robustness {
        secs.push(section("robustness", "Robustness", robustness_html(r)?));
    }
    if let Some(p) = &s.privacy {
        secs.push(section("privacy", "Privacy (DP-SGD)", privacy_html(p)?));
    }
    if let Some(u) = &s.uncertainty {
        secs.push(section(
            "uncertainty",
            "Uncertainty",
            uncertainty_html(u, &meta.target_name)?,
        ));
    }
    secs.push(section("config", "Configuration", pre(&r.config)));
    Ok(Page {
        title: format!("occam train: {label}"),
        subtitle: format!(
            "{} network, {} input features",
            meta.task.name(),
            names.len()
        ),
        sections: secs,
    })
}

pub(super) fn recommender(label: &str, r: &RecommenderRun) -> Result<Page> {
    let s = &r.result;
    let row = |name: &str, v: &RatingScores| -> Vec<String> {
        vec![
            name.to_string(),
            opt(v.train_rmse),
            num(v.val_rmse),
            num(v.test.rmse),
            num(v.test.mae),
        ]
    };
    let rows = vec![
        row("global mean", &s.baselines.global_mean),
        row("user + item biases", &s.baselines.user_item_bias),
        row(
            &format!("factorisation, L2 {}", opt(s.regularized.l2)),
            &s.regularized,
        ),
        row("factorisation, no regularization", &s.unregularized),
    ];
    let mut secs = vec![section(
        "baseline",
        "Baselines vs regularized",
        table(
            &[
                "model",
                "train RMSE",
                "validation RMSE",
                "test RMSE",
                "test MAE",
            ],
            &rows,
        ),
    )];
    let mut html = String::new();
    for (name, rows) in &r.curves {
        html.push_str(&plot(
            plots::learning_curves(&epoch_rows(rows), None),
            &format!("{name}: train RMSE (as 'train loss') and validation RMSE per epoch."),
        )?);
    }
    secs.push(section("curves", "Learning curves", html));
    let config = serde_json::to_string_pretty(&s.config).map_err(|e| e.to_string())?;
    secs.push(section("config", "Configuration", pre(&config)));
    Ok(Page {
        title: format!("occam recommender: {label}"),
        subtitle: format!("{} users x {} items", s.users, s.items),
        sections: secs,
    })
}

/// The page of an `occam train --model lstm|gru` run: the series and its windows, the
/// forecast against the seasonal-naive and last-value baselines, the test period plotted,
/// learning curves and the configuration.
pub(super) fn forecast(label: &str, r: &ForecastRun) -> Result<Page> {
    let s = &r.result;
    let (se, w) = (&s.series, &s.windows);
    let gaps = serde_json::to_value(se.gaps)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let data = table(
        &["", ""],
        &[
            vec!["target".into(), s.target.clone()],
            vec![
                "steps".into(),
                format!(
                    "{} from {} to {}, every {} s",
                    se.steps, se.first, se.last, se.step_seconds
                ),
            ],
            vec![
                "missing values".into(),
                format!(
                    "{} ({} missing time stamps); handled by: {gaps}",
                    se.missing, se.missing_time_stamps
                ),
            ],
            vec![
                "windows".into(),
                format!(
                    "{} steps in, forecast 1..{} ahead, season {}; {} train / {} validation / {} test; left out: {} (missing input), {} (missing target)",
                    w.window, w.horizon, w.season, w.train, w.validation, w.test,
                    w.left_out_missing_input, w.left_out_missing_target
                ),
            ],
            vec![
                "split by time".into(),
                format!(
                    "validation from {}, test from {}",
                    se.validation_starts, se.test_starts
                ),
            ],
        ],
    );
    let mut rows = Vec::new();
    for (part, p) in [
        ("validation", &s.scores.validation),
        ("test", &s.scores.test),
    ] {
        for (name, e) in [
            (s.model.as_str(), &p.model),
            ("seasonal naive", &p.seasonal_naive),
            ("last value", &p.last_value),
        ] {
            rows.push(vec![
                part.to_string(),
                name.to_string(),
                num(e.rmse),
                num(e.mae),
                e.n.to_string(),
            ]);
        }
    }
    let horizon = w.horizon;
    let mut scores = table(&["part", "forecast", "RMSE", "MAE", "windows"], &rows);
    scores.push_str(&paragraph(&format!(
        "Scored at step {horizon} on the windows whose seasonal-naive value is observed. \
         Training RMSE at step {horizon}: {}. Beats seasonal naive on test: {}.",
        num(s.train_model.rmse),
        s.beats_seasonal_naive
    )));
    let mut secs = vec![
        section("data", "Series and windows", data),
        section("baseline", "Forecast vs baselines", scores),
    ];
    if let Some(c) = &s.comparison {
        let rows = vec![
            vec!["rmse".into(), num(c.regularized.rmse), num(c.baseline.rmse)],
            vec!["mae".into(), num(c.regularized.mae), num(c.baseline.mae)],
        ];
        secs.push(section(
            "comparison",
            "Regularized vs unregularized",
            table(
                &[
                    "test metric",
                    "regularized",
                    "no penalty, dropout or early stopping",
                ],
                &rows,
            ),
        ));
    }
    // The test period: actual, forecast and seasonal naive at the scored horizon.
    let first_time = r.test.first().map_or("", |t| t.time.as_str());
    let x: Vec<f64> = (0..r.test.len()).map(|i| i as f64).collect();
    let col =
        |f: fn(&occam::results::ForecastRow) -> f64| -> Vec<f64> { r.test.iter().map(f).collect() };
    secs.push(section(
        "forecast",
        "Test period",
        plot(
            plots::forecast(
                &format!("Forecast {horizon} step(s) ahead"),
                &x,
                &[
                    ("actual", col(|t| t.actual)),
                    (s.model.as_str(), col(|t| t.forecast)),
                    ("seasonal naive", col(|t| t.seasonal_naive)),
                ],
                &format!("scored test window (from {first_time})"),
                &s.target,
            ),
            "Every scored test window in time order (forecasts.csv holds them with their times).",
        )?,
    ));
    if let Some(u) = &s.uncertainty {
        let what = format!("test windows, {horizon} step(s) ahead");
        let mut html = paragraph("MC dropout: 100 stochastic passes (dropout, recurrent and variational dropout on; seed 0), the passes' spread plus the validation RMSE at the horizon as observation noise.");
        html.push_str(&intervals_html(u, "MC dropout", &what, &s.target)?);
        secs.push(section("uncertainty", "Forecast uncertainty", html));
    }
    secs.push(section(
        "curves",
        "Learning curves",
        plot(
            plots::learning_curves(&epoch_rows(&r.epochs), s.best_epoch),
            "Training and validation loss (scaled units) per epoch; the panel shows the validation RMSE in the series' units over all steps ahead.",
        )?,
    ));
    secs.push(section("config", "Configuration", pre(&r.config)));
    Ok(Page {
        title: format!("occam {} forecast: {label}", s.model),
        subtitle: format!("{}, {horizon} step(s) ahead", s.target),
        sections: secs,
    })
}

/// The Laplace approximation's hyperparameters and its calibration on the held-out rows:
/// interval coverage and predictive bands (regression), reliability of the moderated
/// against the plain probabilities (classes).
fn uncertainty_html(u: &occam::results::Uncertainty, target: &str) -> Result<String> {
    let mut rows = vec![
        vec!["method".into(), u.method.clone()],
        vec!["prior precision".into(), num(u.prior_precision)],
        vec!["log marginal likelihood".into(), num(u.log_marglik)],
        vec![
            "effective parameters".into(),
            format!("{} of {}", num(u.effective_params), u.n_params),
        ],
    ];
    if let Some(sd) = u.noise_sd {
        rows.push(vec!["noise sd".into(), num(sd)]);
    }
    let mut html = table(&["", ""], &rows);
    if let Some(r) = &u.regression {
        let rows = format!("{} {} rows", u.rows, u.held_out);
        html.push_str(&intervals_html(r, "Laplace", &rows, target)?);
    }
    if let Some(c) = &u.classes {
        html.push_str(&table(
            &["probabilities", "NLL", "ECE"],
            &[
                vec![
                    "Laplace (probit-moderated)".into(),
                    num(c.nll_moderated),
                    num(c.ece_moderated),
                ],
                vec!["network (plain)".into(), num(c.nll_plain), num(c.ece_plain)],
            ],
        ));
        let pts = |b: &[(f64, f64, usize)]| b.iter().map(|&(x, y, _)| (x, y)).collect();
        html.push_str(&plot(
            plots::calibration(
                &format!("Reliability on the {} {} rows", u.rows, u.held_out),
                &[
                    ("Laplace (moderated)", pts(&c.reliability_moderated)),
                    ("network (plain)", pts(&c.reliability_plain)),
                ],
                "confidence (predicted class's probability)",
                "accuracy",
            ),
            "Rows binned by the predicted class's probability (10 bins): mean confidence against accuracy; on the diagonal the probabilities are calibrated, below it overconfident.",
        )?);
    }
    Ok(html)
}

/// Central predictive intervals on held-out rows (`what`: "1000 test rows"): the coverage
/// table and calibration plot, and the rows with their 90% bands.
fn intervals_html(
    r: &occam::results::IntervalCheck,
    method: &str,
    what: &str,
    target: &str,
) -> Result<String> {
    let cov: Vec<Vec<String>> = r
        .coverage
        .iter()
        .map(|(l, c)| vec![format!("{:.0}%", 100.0 * l), format!("{:.1}%", 100.0 * c)])
        .collect();
    let mut html = paragraph(&format!(
        "On the {what}: log-likelihood {} per row, RMSE {}.",
        num(r.log_lik),
        num(r.rmse)
    ));
    html.push_str(&table(&["nominal", "observed coverage"], &cov));
    html.push_str(&plot(
        plots::calibration(
            "Coverage of central predictive intervals",
            &[(method, r.coverage.clone())],
            "nominal level",
            "share of held-out rows inside",
        ),
        "Each point: the share of held-out rows inside mean ± z sd for the nominal level; on the diagonal the intervals are calibrated, below it too narrow.",
    )?);
    let z = occam::results::z_of(0.9);
    let lo: Vec<f64> = r.mean.iter().zip(&r.sd).map(|(m, s)| m - z * s).collect();
    let hi: Vec<f64> = r.mean.iter().zip(&r.sd).map(|(m, s)| m + z * s).collect();
    html.push_str(&plot(
        plots::bands(
            "Held-out rows and their 90% predictive intervals",
            &r.mean,
            &lo,
            &hi,
            &r.observed,
            "90% interval",
            target,
        ),
        &format!(
            "{} held-out rows ordered by the predicted {target}: the prediction, its 90% interval (shaded) and the observed value.",
            r.mean.len()
        ),
    )?);
    Ok(html)
}

/// The per-tensor L2 strengths learned from the evidence: their course over the updates
/// (log10) and the last update's values.
fn evidence_html(log: &[occam::results::EvidenceLog]) -> Result<String> {
    let last = log.last().expect("non-empty");
    let x: Vec<f64> = log.iter().map(|e| e.epoch as f64).collect();
    let series: Vec<(&str, Vec<f64>)> = last
        .l2
        .iter()
        .enumerate()
        .map(|(g, (name, _))| {
            let v = log
                .iter()
                .map(|e| e.l2.get(g).map_or(f64::NAN, |(_, l)| l.log10()))
                .collect();
            (name.as_str(), v)
        })
        .collect();
    let rows: Vec<Vec<String>> = last
        .l2
        .iter()
        .zip(&last.prior_precision)
        .map(|((name, l2), d)| vec![name.clone(), format!("{l2:.4e}"), num(*d)])
        .collect();
    let mut html = paragraph(&format!(
        "{} updates; at the last (epoch {}) the log marginal likelihood of the diagonal-GGN Laplace was {} and the noise sd (network units) {}.",
        log.len(),
        last.epoch,
        num(last.log_marglik),
        num(last.sigma_noise)
    ));
    html.push_str(&table(&["tensor", "L2", "prior precision"], &rows));
    html.push_str(&plot(
        plots::forecast(
            "L2 strengths learned from the evidence",
            &x,
            &series,
            "epoch",
            "log10 L2",
        ),
        "Each weight and bias tensor's coupled L2 strength at every evidence update (the prior precision that maximizes the Laplace evidence, rescaled to the training objective).",
    )?);
    Ok(html)
}

/// What variational dropout learned: zeros per layer, the log alpha histograms against the
/// pruning threshold (sparse), the learned dropout rates (per layer or per unit).
fn variational_html(v: &occam::results::VariationalResult) -> Result<String> {
    let (z, t) = v.sparsity();
    let sparse = v.kind == "sparse";
    let mut html = paragraph(&format!(
        "Variational dropout ({}) on every dense layer{}: {z} of {t} weights exactly zero ({:.1}%); the KL term per training row is {}{}.",
        v.kind,
        if sparse { " and convolution" } else { "" },
        100.0 * z as f64 / t.max(1) as f64,
        num(v.kl_per_row),
        if sparse { "" } else { " (Kingma et al.'s approximation, up to an additive constant)" }
    ));
    let rows: Vec<Vec<String>> = v
        .layers
        .iter()
        .map(|l| {
            let mean = match l.rates.len() {
                0 => "-".to_string(),
                n => format!("{:.4}", l.rates.iter().sum::<f64>() / n as f64),
            };
            vec![
                format!("{} {}", l.kind, l.layer),
                l.zeros.to_string(),
                l.total.to_string(),
                format!("{:.1}%", 100.0 * l.zeros as f64 / l.total.max(1) as f64),
                mean,
            ]
        })
        .collect();
    html.push_str(&table(
        &[
            "layer",
            "zeros",
            "weights",
            "sparsity",
            "mean learned dropout rate",
        ],
        &rows,
    ));
    if sparse {
        let layers: Vec<(String, Vec<usize>)> = v
            .layers
            .iter()
            .map(|l| (format!("{} {}", l.kind, l.layer), l.counts.clone()))
            .collect();
        html.push_str(&plot(
            plots::log_alpha("log alpha of the kept weights", &v.layers[0].edges, &layers, Some(v.threshold)),
            "Per dense layer, the distribution of log alpha = log sigma^2 - log theta^2 over the weights still in the model; weights above the threshold were set to exactly zero (clipped to [-10, 10]).",
        )?);
    }
    for l in v.layers.iter().filter(|l| l.rates.len() > 1) {
        let names: Vec<String> = if l.unit_names.len() == l.rates.len() {
            l.unit_names.clone()
        } else {
            (0..l.rates.len()).map(|i| format!("unit {i}")).collect()
        };
        // the units the layer keeps most (lowest rate) on top: bars of 1 - rate
        let keep: Vec<f64> = l.rates.iter().map(|r| 0.5 - r).collect();
        html.push_str(&plot(
            plots::bar_chart(&format!("Dense layer {}: learned dropout rates", l.layer), &names, &keep, keep.len().min(30), None, "0.5 - dropout rate (longer bar: the unit is kept more)"),
            "The 30 input units with the lowest learned Gaussian dropout rate p = alpha / (1 + alpha) (at most 0.5); a unit whose rate reaches 0.5 carries mostly noise.",
        )?);
    }
    if v.kind == "layer" {
        let names: Vec<String> = v
            .layers
            .iter()
            .map(|l| format!("layer {}", l.layer))
            .collect();
        let rates: Vec<f64> = v
            .layers
            .iter()
            .map(|l| l.rates.first().copied().unwrap_or(f64::NAN))
            .collect();
        html.push_str(&plot(
            plots::bar_chart("Learned dropout rate per layer", &names, &rates, rates.len(), None, "dropout rate alpha / (1 + alpha)"),
            "One Gaussian dropout rate per dense layer, learned with the weights (Kingma et al. 2015).",
        )?);
    }
    Ok(html)
}

/// What DP-SGD spent: the mechanism, the guarantee, and epsilon after each epoch (the
/// accountant rerun at every epoch's step count).
fn privacy_html(p: &occam::privacy::PrivacySpent) -> Result<String> {
    let client = p.unit == occam::privacy::PrivacyUnit::Client;
    // a history entry is an epoch of 1 / q steps, or one federated round
    let per_epoch = if client {
        1
    } else {
        (1.0 / p.sample_rate).round().max(1.0) as u64
    };
    let epochs = p.steps / per_epoch;
    let (c, sd, q) = (
        num(p.max_grad_norm),
        num(p.noise_multiplier),
        num(p.sample_rate),
    );
    let (mechanism, unit, covered) = if client {
        (
            format!("Client-level DP-FedAvg: each round clipped every taking-part client's update (its weights minus the global ones) to L2 norm {c}, added Gaussian noise of sd {sd} x {c} to the sum and took the clients as a Poisson sample of the {} clients at rate {q}. After {} rounds", p.rows, p.steps),
            "one client's rows",
            "rounds' updates",
        )
    } else {
        (
            format!("DP-SGD: each step clipped every row's gradient to L2 norm {c}, added Gaussian noise of sd {sd} x {c} to the sum and took its rows as a Poisson sample of the {} training rows at rate {q}. After {} steps", p.rows, p.steps),
            "one training row",
            "gradient steps",
        )
    };
    let mut html = paragraph(&format!(
        "{mechanism} the {} accountant gives ({}, {})-differential privacy for {unit} added or removed{}. The guarantee covers the {covered}; statistics computed from the training rows without noise (standardization, a regression target's scale) are not covered.",
        p.accountant.to_uppercase(),
        num(p.epsilon),
        num(p.delta),
        p.target_epsilon
            .map_or(String::new(), |t| format!(" (the noise was chosen for epsilon {})", num(t)))
    ));
    let rows = vec![
        vec!["epsilon".into(), num(p.epsilon)],
        vec!["delta".into(), num(p.delta)],
        vec!["noise multiplier".into(), num(p.noise_multiplier)],
        vec!["max grad norm".into(), num(p.max_grad_norm)],
        vec!["sample rate".into(), num(p.sample_rate)],
        vec!["steps".into(), p.steps.to_string()],
    ];
    html.push_str(&table(&["", "value"], &rows));
    if epochs >= 2 && p.noise_multiplier > 0.0 {
        let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
        let eps: Vec<f64> = (1..=epochs)
            .map(|e| {
                occam::privacy::epsilon(
                    p.noise_multiplier,
                    p.sample_rate,
                    e * per_epoch,
                    p.delta,
                    occam::privacy::Accountant::parse(&p.accountant, "accountant")
                        .unwrap_or_default(),
                )
                .map_or(f64::NAN, |g| g.epsilon)
            })
            .collect();
        html.push_str(&plot(
            plots::forecast("Privacy spent", &x, &[("epsilon", eps)], "epoch", "epsilon"),
            "Epsilon at the run's delta after each epoch.",
        )?);
    }
    Ok(html)
}

/// Clean and robust accuracy against the attack's radius.
fn robustness_html(r: &occam::robust::Robustness) -> Result<String> {
    let mut html = paragraph(&format!(
        "{} ({} ball, {} random start(s) per row) on the {} {} rows, inside the training rows' range per feature{}. A row counts as robust when it is classified right clean and after every start.",
        r.attack.to_uppercase(),
        r.norm,
        r.restarts,
        r.rows,
        r.split,
        r.trained_with
            .as_ref()
            .map_or(String::new(), |t| format!("; the network was trained adversarially ({t})"))
    ));
    let rows: Vec<Vec<String>> = r
        .points
        .iter()
        .map(|p| {
            vec![
                num(p.epsilon),
                num(p.clean_accuracy),
                num(p.robust_accuracy),
            ]
        })
        .collect();
    html.push_str(&table(
        &["epsilon", "clean accuracy", "robust accuracy"],
        &rows,
    ));
    if r.points.len() >= 2 {
        let x: Vec<f64> = r.points.iter().map(|p| p.epsilon).collect();
        let series = [
            ("clean", r.points.iter().map(|p| p.clean_accuracy).collect()),
            (
                "robust",
                r.points.iter().map(|p| p.robust_accuracy).collect(),
            ),
        ];
        html.push_str(&plot(
            plots::forecast("Accuracy under attack", &x, &series, "epsilon", "accuracy"),
            "Clean and robust accuracy against the attack's radius.",
        )?);
    }
    Ok(html)
}
