//! The page of an explanation (`occam explain`): global importance with error bars beside
//! the selected features and their order of entry, and the attributions of chosen rows.

use super::{num, plot, section, Result};
use crate::html::{paragraph, table};
use crate::plots;
use crate::Page;
use occam::explain::{Explanation, Method};

/// The z of a central 95% normal interval.
const Z95: f64 = 1.959_963_984_540_054;

pub(super) fn page(label: &str, e: &Explanation) -> Result<Page> {
    let method = match e.method {
        Method::Shap => "exact linear SHAP (mean |value| over rows)",
        Method::Permutation => "permutation importance (mean score drop over repeats)",
        Method::Ig => "integrated gradients (mean |attribution| over rows)",
        Method::GradXInput => "gradient x input (mean |attribution| over rows)",
        Method::SmoothGrad => "SmoothGrad x input (mean |attribution| over rows)",
    };
    let mut setting = vec![
        vec!["method".into(), method.to_string()],
        vec!["rows".into(), e.n.to_string()],
        vec!["features".into(), e.feature_names.len().to_string()],
    ];
    if let (Some(s), Some(name)) = (e.baseline_score, &e.score) {
        setting.push(vec![format!("baseline {name}"), num(s)]);
        setting.push(vec![
            "repeats, seed".into(),
            format!("{}, {}", e.repeats, e.seed),
        ]);
    }
    if let Some(c) = e.group_corr {
        setting.push(vec!["grouped at |r| >=".into(), num(c)]);
    }
    if let Some(g) = &e.gradient {
        setting.push(vec!["output explained".into(), g.output.clone()]);
        if e.method != Method::GradXInput {
            setting.push(vec!["baseline".into(), g.baseline.clone()]);
        }
        if let Some(q) = &g.quadrature {
            setting.push(vec!["quadrature".into(), q.clone()]);
        }
        if let Some(t) = g.tol {
            setting.push(vec!["completeness tolerance".into(), format!("{t:.0e}")]);
        }
        if let Some((mean, most)) = g.steps {
            setting.push(vec![
                "gradient evaluations per row (mean, most)".into(),
                format!("{mean:.0}, {most}"),
            ]);
        }
        if g.rows_over_tol > 0 {
            setting.push(vec![
                "rows over the tolerance (step limit reached)".into(),
                g.rows_over_tol.to_string(),
            ]);
        }
        if let Some((s, noise)) = g.noise {
            setting.push(vec![
                "noisy copies, noise sd (fraction of range)".into(),
                format!("{s}, {}", num(noise)),
            ]);
        }
    }
    if let Some(b) = e.base_value {
        let what = if e.method == Method::Ig {
            "f at the baseline"
        } else {
            "f at the background means"
        };
        setting.push(vec![what.into(), num(b)]);
    }
    if let Some(c) = e.completeness_error {
        setting.push(vec![
            "completeness: max |sum of values - (f(x) - base)|, relative".into(),
            format!("{c:.1e}"),
        ]);
    }
    if let Some(c) = &e.class {
        setting.push(vec!["class explained".into(), c.clone()]);
    }
    let mut secs = vec![section(
        "run",
        "Run",
        table(&["setting", "value"], &setting),
    )];

    let names: Vec<String> = e.importance.iter().map(|r| r.feature.clone()).collect();
    let values: Vec<f64> = e.importance.iter().map(|r| r.importance).collect();
    let half: Vec<f64> = e.importance.iter().map(|r| Z95 * r.se).collect();
    let shown = values.iter().filter(|v| **v != 0.0).count().clamp(1, 25);
    let mut html = plot(
        plots::bar_chart_with_errors(
            "Importance",
            &names,
            &values,
            &half,
            shown,
            match e.method {
                Method::Shap => "mean |SHAP value| (link scale), 95% interval",
                Method::Permutation => "score drop when shuffled, 95% interval",
                _ => "mean |attribution| (output units), 95% interval",
            },
        ),
        "Global importance, largest first, with ± 1.96 standard errors.",
    )?;
    let entry = |f: &str| -> String {
        e.selected
            .iter()
            .position(|s| s == f)
            .map_or("-".into(), |k| (k + 1).to_string())
    };
    let rows: Vec<Vec<String>> = e
        .importance
        .iter()
        .filter(|r| r.importance != 0.0 || r.se != 0.0)
        .take(30)
        .map(|r| {
            let order: Vec<String> = r.members.iter().map(|m| entry(m)).collect();
            let mut row = vec![
                r.feature.clone(),
                format!("{:.4}", r.importance),
                format!("{:.4}", r.se),
            ];
            if !e.selected.is_empty() {
                row.push(order.join("+"));
            }
            row
        })
        .collect();
    if !e.selected.is_empty() {
        html.push_str(&paragraph(&format!(
            "The model selected {} features; 'entry' is each one's order of entry along the \
             path (1 = first in), '-' a feature the model does not use.",
            e.selected.len()
        )));
    }
    let head: &[&str] = if e.selected.is_empty() {
        &["feature", "importance", "se"]
    } else {
        &["feature", "importance", "se", "entry"]
    };
    html.push_str(&table(head, &rows));
    secs.push(section(
        "importance",
        "Importance beside the selection",
        html,
    ));

    if !e.rows_shown.is_empty() {
        let (unit, sums) = match e.method {
            Method::Shap => (
                "SHAP value (link scale)",
                "they sum to f(x) - f(background)",
            ),
            Method::Ig => (
                "integrated gradient (output units)",
                "they sum to f(x) - f(baseline)",
            ),
            _ => ("attribution (output units)", "a local, first-order account"),
        };
        let mut html = String::new();
        for (row, vals) in &e.rows_shown {
            let input = e.inputs_shown.iter().find(|(i, _)| i == row);
            if let (Some(grid), Some((_, input))) = (e.grid, input) {
                html.push_str(&plot(
                    plots::heat_maps(&format!("Row {row}"), grid, input, vals),
                    &format!(
                        "Row {row} (0-based): its input (left) and its attributions as a heat \
                         map (right, summed over channels); {sums}."
                    ),
                )?);
                continue;
            }
            html.push_str(&plot(
                plots::bar_chart(
                    &format!("Row {row}"),
                    &e.feature_names,
                    vals,
                    vals.iter().filter(|v| **v != 0.0).count().clamp(1, 15),
                    None,
                    unit,
                ),
                &format!("The values of row {row} (0-based), largest in magnitude first: {sums}."),
            )?);
        }
        secs.push(section("rows", "Attributions of chosen rows", html));
    }
    Ok(Page {
        title: format!("occam explain: {label}"),
        subtitle: format!("{method} on {} rows", e.n),
        sections: secs,
    })
}
