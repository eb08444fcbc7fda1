//! The pages of a search (`occam tune`), a stability selection (`occam select`) and a
//! LassoNet path (`occam path`).

use super::{comparison_table, names_or_count, num, opt, plot, section, Result};
use crate::html::{paragraph, pre, table};
use crate::plots;
use crate::Page;
use occam::results::{HeldOut, NetworkPathRun, SelectRun, TrialPick, TuneRun};

fn held_out_section(h: &HeldOut) -> crate::Section {
    section(
        "baseline",
        "Baseline vs regularized",
        comparison_table(
            h.regularized.as_ref(),
            h.baseline.as_ref(),
            h.baseline_note.as_deref().unwrap_or(""),
        ),
    )
}

pub(super) fn tune(label: &str, r: &TuneRun) -> Result<Page> {
    let s = &r.result;
    let metric = &s.metric;
    let higher = occam_select::search::higher_is_better(metric);
    let points: Vec<plots::TrialPoint> = r
        .trials
        .iter()
        .map(|t| plots::TrialPoint {
            index: t.index,
            score: t.mean,
            params: t.params.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            pruned: t.pruned,
        })
        .collect();
    let pick = |rule: &str, t: &TrialPick| -> Vec<String> {
        vec![
            rule.to_string(),
            t.trial.to_string(),
            t.params
                .iter()
                .map(|(a, b)| format!("{a}={}", num(*b)))
                .collect::<Vec<_>>()
                .join(", "),
            format!("{} ± {}", num(t.cv_mean), num(t.cv_se)),
            num(t.features_kept),
        ]
    };
    let mut html = table(
        &[
            "rule",
            "trial",
            "config",
            &format!("CV {metric}"),
            "features kept",
        ],
        &[pick("min", &s.min), pick("one_se", &s.one_se)],
    );
    html.push_str(&paragraph(&format!(
        "Chosen by --rule {}: trial {}; {} trials, {} pruned.",
        s.rule, s.chosen.trial, s.trials, s.pruned
    )));
    let mut secs = vec![
        section("metrics", "Chosen configuration", html),
        held_out_section(&s.held_out),
    ];
    let mut sh = plot(
        plots::search_history(&points, metric, higher),
        "Mean CV score of each trial, and the best so far.",
    )?;
    let names: Vec<String> = points
        .first()
        .map(|p| p.params.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    for n in names {
        let log = matches!(n.as_str(), "l1" | "l2" | "weight_decay" | "lr");
        sh.push_str(&plot(
            plots::score_vs_param(&points, &n, metric, log),
            &format!("Mean CV score against {n}."),
        )?);
    }
    secs.push(section("search", "Search", sh));
    let sel = &s.selected_features;
    secs.push(section(
        "selected",
        "Selected features",
        paragraph(&format!(
            "{} input features kept by the chosen network: {}",
            sel.len(),
            names_or_count(sel)
        )),
    ));
    secs.push(section("config", "Configuration", pre(&r.setup)));
    Ok(Page {
        title: format!("occam tune: {label}"),
        subtitle: format!("{} trials by CV {metric}", r.trials.len()),
        sections: secs,
    })
}

pub(super) fn select(label: &str, r: &SelectRun) -> Result<Page> {
    let s = &r.result;
    let c = &s.chosen;
    let (names, probs): (Vec<String>, Vec<f64>) = r.probabilities.iter().cloned().unzip();
    let rows = vec![
        vec![
            "pairs (half-sample fits)".into(),
            format!("{} ({})", c.pairs, s.fits),
        ],
        vec!["weakness".into(), opt(c.weakness)],
        vec![
            "q target / q on the range".into(),
            format!("{} / {}", num(c.q), num(s.q_lambda)),
        ],
        vec!["threshold".into(), num(c.threshold)],
        vec![
            "expected false selections at most".into(),
            num(s.error_bound),
        ],
    ];
    let mut secs = vec![section(
        "run",
        "Stability selection",
        table(&["setting", "value"], &rows),
    )];
    let sel = &s.selected_features;
    let mut html = paragraph(&format!(
        "{} stable features: {}",
        sel.len(),
        sel.join(", ")
    ));
    html.push_str(&plot(
        plots::bar_chart(
            "Selection probability",
            &names,
            &probs,
            30,
            Some(c.threshold),
            "largest selection probability over the lambda range",
        ),
        "The 30 features with the largest selection probabilities; the marker is the threshold.",
    )?);
    if !s.clusters.is_empty() {
        let rows: Vec<Vec<String>> = s
            .clusters
            .iter()
            .map(|c| {
                vec![
                    c.members.join(" + "),
                    num(c.probability),
                    c.member_probabilities
                        .iter()
                        .map(|p| num(*p))
                        .collect::<Vec<_>>()
                        .join(" / "),
                    c.stable.to_string(),
                    format!("{} of {}", c.half_fits_one_member, c.half_fits),
                ]
            })
            .collect();
        html.push_str(&paragraph(
            "Correlated features selected as one cluster (any member selected counts for the cluster; a stable cluster keeps all its members):",
        ));
        html.push_str(&table(
            &[
                "cluster",
                "probability",
                "members on their own",
                "stable",
                "single lasso fits keeping one member",
            ],
            &rows,
        ));
    }
    secs.push(section("selected", "Selected features", html));
    secs.push(held_out_section(&s.held_out));
    Ok(Page {
        title: format!("occam select: {label}"),
        subtitle: "stability selection".into(),
        sections: secs,
    })
}

pub(super) fn network_path(label: &str, r: &NetworkPathRun) -> Result<Page> {
    let s = &r.result;
    let col =
        |f: fn(&occam::results::PathPoint) -> f64| -> Vec<f64> { r.path.iter().map(f).collect() };
    let feats: Vec<usize> = r.path.iter().map(|p| p.features).collect();
    let run = vec![
        vec!["chosen lambda".into(), num(s.chosen.lambda)],
        vec![
            "features at the chosen lambda".into(),
            s.chosen.features.to_string(),
        ],
        vec!["rule".into(), s.rule.clone()],
        vec![
            "relaxed validation loss".into(),
            format!("{} ± {}", num(s.cv_mean), num(s.cv_se)),
        ],
        vec!["path points".into(), s.points.to_string()],
        vec![
            "hidden layers".into(),
            serde_json::to_string(&s.chosen.hidden).unwrap_or_default(),
        ],
    ];
    let mut secs = vec![
        section("run", "Path", table(&["", ""], &run)),
        section(
            "path",
            "Validation loss and features along the path",
            plot(
                plots::network_path(
                    &col(|p| p.lambda),
                    &col(|p| p.val_loss),
                    &col(|p| p.relaxed_val_loss),
                    &feats,
                    s.chosen.point,
                ),
                "Validation loss of the penalized fit and of the relaxed refit on its features, against log(lambda); below, the features still in the model.",
            )?,
        ),
    ];
    let (names, leave): (Vec<String>, Vec<f64>) = r
        .leave
        .iter()
        .take(30)
        .filter_map(|(n, l)| l.map(|l| (n.clone(), l.ln())))
        .unzip();
    let sel = &s.selected_features;
    let mut html = paragraph(&format!(
        "{} features at the chosen lambda: {}",
        sel.len(),
        names_or_count(sel)
    ));
    html.push_str(&plot(
        plots::bar_chart(
            "The features that stay longest",
            &names,
            &leave,
            30,
            None,
            "log(lambda) at which the feature leaves",
        ),
        "The 30 features that leave the model last, by the lambda at which they leave.",
    )?);
    secs.push(section("selected", "Selected features", html));
    secs.push(held_out_section(&s.held_out));
    Ok(Page {
        title: format!("occam path: {label}"),
        subtitle: "LassoNet regularization path".into(),
        sections: secs,
    })
}
