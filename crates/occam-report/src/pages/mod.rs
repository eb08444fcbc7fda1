//! The report page of every run kind, built from the typed results of `occam::results`
//! ([`RunResult`]); [`render`] picks the page by the kind, [`compare`] overlays several
//! network runs.

mod bayes;
mod explain;
mod linear;
mod network;
mod search;

use crate::html::{figure, table};
use crate::plots::{self, EpochRow, WeightSet};
use crate::{Page, Section};
use occam::results::{Epoch, Metrics, NetworkRun, RunResult};

/// A page could not be drawn (a plot failed).
pub type Result<T> = std::result::Result<T, String>;

/// The page of one run; `label` (the folder) titles it.
pub fn render(label: &str, run: &RunResult) -> Result<String> {
    let page = match run {
        RunResult::Linear(r) => linear::page(label, r)?,
        RunResult::Network(r) => network::page(label, r)?,
        RunResult::Tune(r) => search::tune(label, r)?,
        RunResult::Select(r) => search::select(label, r)?,
        RunResult::NetworkPath(r) => search::network_path(label, r)?,
        RunResult::Recommender(r) => network::recommender(label, r)?,
        RunResult::Forecast(r) => network::forecast(label, r)?,
        RunResult::Bayes(r) => bayes::page(label, r)?,
        RunResult::Explain(r) => explain::page(label, r)?,
    };
    Ok(page.render())
}

pub(crate) fn section(id: &str, title: &str, html: String) -> Section {
    Section {
        id: id.into(),
        title: title.into(),
        html,
    }
}

/// A number as the tables show it: integers plainly, others to four decimals.
pub(crate) fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e9 {
        format!("{x}")
    } else {
        format!("{x:.4}")
    }
}

/// An optional number; "-" when absent.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), num)
}

pub(crate) fn plot(svg: Result<String>, caption: &str) -> Result<String> {
    Ok(figure(&svg?, caption))
}

/// A list of names, or "(more than 200)".
pub(crate) fn names_or_count(names: &[String]) -> String {
    if names.len() <= 200 {
        names.join(", ")
    } else {
        "(more than 200)".into()
    }
}

pub(crate) fn epoch_rows(epochs: &[Epoch]) -> Vec<EpochRow> {
    epochs
        .iter()
        .map(|e| EpochRow {
            epoch: e.epoch,
            train_loss: e.train_loss,
            val_loss: e.val_loss,
            penalty: e.penalty,
            metric: e.metric.clone(),
        })
        .collect()
}

/// Held-out metrics of the regularized and baseline models side by side.
pub(crate) fn comparison_table(
    reg: Option<&Metrics>,
    base: Option<&Metrics>,
    note: &str,
) -> String {
    let Some(reg) = reg.filter(|m| !m.0.is_empty()) else {
        return crate::html::paragraph(
            "No held-out rows (set --test-fraction above 0 for the comparison).",
        );
    };
    let rows: Vec<Vec<String>> = reg
        .0
        .iter()
        .map(|(k, v)| vec![k.clone(), num(*v), opt(base.and_then(|b| b.get(k)))])
        .collect();
    format!(
        "{}{}",
        table(&["metric", "regularized", "baseline"], &rows),
        crate::html::paragraph(note)
    )
}

/// First-layer weight distributions of several network runs overlaid, and their metrics;
/// each run is (label, run).
pub fn compare(runs: &[(String, NetworkRun)]) -> Result<String> {
    let mut rows = Vec::new();
    let mut sets = Vec::new();
    for (label, r) in runs {
        let w: &[f64] = r.weights.first().map_or(&[], |t| &t.w);
        let zeros = w.iter().filter(|v| **v == 0.0).count();
        let s = &r.result;
        rows.push(vec![
            label.clone(),
            format!("{zeros} / {}", w.len()),
            s.input_features_kept.len().to_string(),
            opt(s.val_metrics.as_ref().and_then(|m| m.get("accuracy"))),
            opt(s.val_loss),
        ]);
        sets.push(WeightSet {
            label: label.clone(),
            weights: w,
        });
    }
    let secs = vec![
        section(
            "overlay",
            "First-layer weights",
            plot(
                plots::weight_histograms("First-layer weights by run", &sets, 80),
                "Non-zero first-layer weights of each run; the legend counts the exact zeros.",
            )?,
        ),
        section(
            "metrics",
            "Runs",
            table(
                &[
                    "run",
                    "exact zeros (first layer)",
                    "input features kept",
                    "validation accuracy",
                    "validation loss",
                ],
                &rows,
            ),
        ),
    ];
    Ok(Page {
        title: "occam: runs compared".into(),
        subtitle: format!("{} runs", runs.len()),
        sections: secs,
    }
    .render())
}
