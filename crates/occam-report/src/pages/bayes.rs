//! The page of a Bayesian ridge or ARD fit: the posterior of the coefficients with their
//! intervals, the precisions learned from the evidence, the evidence per update, and how
//! the predictive distribution covers the training rows.

use super::{names_or_count, num, plot, section, Result};
use crate::html::{paragraph, table};
use crate::plots;
use crate::Page;
use occam::results::BayesResult;
use occam::BayesKind;

/// The z of a central 95% normal interval.
const Z95: f64 = 1.959_963_984_540_054;

pub(super) fn page(label: &str, r: &BayesResult) -> Result<Page> {
    let mut setting = vec![
        vec!["model".into(), r.kind_name().to_string()],
        vec!["rows".into(), r.n.to_string()],
        vec!["features".into(), r.feature_names.len().to_string()],
        vec!["target".into(), r.target.clone()],
        vec!["noise precision alpha".into(), num(r.alpha)],
        vec!["noise sd (1 / sqrt(alpha))".into(), num(r.noise_sd)],
    ];
    match r.kind {
        BayesKind::Ridge => {
            setting.push(vec!["weights' precision lambda".into(), num(r.lambda[0])])
        }
        BayesKind::Ard => setting.push(vec![
            "features kept".into(),
            format!("{} of {}", r.kept.len(), r.feature_names.len()),
        ]),
    }
    setting.push(vec!["evidence updates".into(), r.n_iter.to_string()]);
    setting.push(vec!["fit seconds".into(), num(r.fit_seconds)]);
    let mut secs = vec![section(
        "run",
        "Run",
        table(&["setting", "value"], &setting),
    )];

    let half: Vec<f64> = r.coef_sd.iter().map(|s| Z95 * s).collect();
    let shown = r.coef.iter().filter(|c| **c != 0.0).count().clamp(1, 30);
    let mut html = String::new();
    if r.kind == BayesKind::Ard {
        let pruned = r.feature_names.len() - r.kept.len();
        html.push_str(&paragraph(&if pruned == 0 {
            format!(
                "ARD kept every one of the {} features (no precision passed the threshold).",
                r.kept.len()
            )
        } else {
            format!(
                "ARD kept {} of {} features; the other {pruned} passed the precision threshold \
                 and their coefficients are exactly zero. Kept: {}",
                r.kept.len(),
                r.feature_names.len(),
                names_or_count(&r.kept)
            )
        }));
    }
    html.push_str(&plot(
        plots::bar_chart_with_errors(
            "Posterior coefficients",
            &r.feature_names,
            &r.coef,
            &half,
            shown,
            "coefficient (original scale), 95% posterior interval",
        ),
        "Posterior mean of each coefficient with its 95% interval (mean ± 1.96 posterior sd), \
         largest first.",
    )?);
    secs.push(section(
        "selected",
        "Coefficients and their uncertainty",
        html,
    ));

    if r.kind == BayesKind::Ard {
        let log_lambda: Vec<f64> = r.lambda.iter().map(|l| l.log10()).collect();
        let rows: Vec<Vec<String>> = {
            let mut idx: Vec<usize> = (0..r.lambda.len()).collect();
            idx.sort_by(|&a, &b| r.lambda[a].total_cmp(&r.lambda[b]));
            idx.iter()
                .take(30)
                .map(|&j| {
                    vec![
                        r.feature_names[j].clone(),
                        format!("{:.3e}", r.lambda[j]),
                        format!("{:.2}", log_lambda[j]),
                        num(r.coef[j]),
                    ]
                })
                .collect()
        };
        secs.push(section(
            "precisions",
            "Precisions learned per feature",
            table(&["feature", "lambda", "log10 lambda", "coefficient"], &rows),
        ));
    }

    if !r.scores.is_empty() {
        secs.push(section(
            "evidence",
            "Evidence",
            plot(
                plots::series(
                    "Log marginal likelihood",
                    &r.scores,
                    "evidence update",
                    "log marginal likelihood",
                ),
                "The log marginal likelihood (the evidence) at each update of alpha and \
                 lambda.",
            )?,
        ));
    }

    let cov = vec![
        vec!["rmse of the posterior mean".into(), num(r.train_rmse)],
        vec!["mean predictive sd".into(), num(r.mean_predictive_sd)],
        vec![
            "rows inside their 90% predictive interval".into(),
            format!("{:.1}%", 100.0 * r.coverage_90),
        ],
    ];
    secs.push(section(
        "metrics",
        "Predictive uncertainty (training rows)",
        table(&["measure", "value"], &cov),
    ));
    Ok(Page {
        title: format!("occam linear bayes: {label}"),
        subtitle: format!("{} on {} rows", r.kind_name(), r.n),
        sections: secs,
    })
}
