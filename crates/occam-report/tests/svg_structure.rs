//! Golden tests on the structure of the SVG plots (not their pixels): axes and their titles,
//! one polyline per drawn series, marker lines with their labels, legends with counts.

use occam_report::plots::{self, EpochRow, WeightSet};

/// Polylines by stroke width: series are 2, markers 3, axes and ticks 1.
fn polylines(svg: &str, width: u32) -> Vec<&str> {
    svg.split('<')
        .filter(|e| e.starts_with("polyline") && e.contains(&format!("stroke-width=\"{width}\"")))
        .collect()
}

fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().to_string()
        })
        .collect()
}

fn stroke(e: &str) -> String {
    let i = e.find("stroke=\"").unwrap() + 8;
    e[i..i + 7].to_string()
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[test]
fn coefficient_path_has_axes_one_polyline_per_nonzero_coefficient_labels_and_df() {
    let lambda: Vec<f64> = (0..20).map(|i| (-(i as f64) * 0.3).exp()).collect();
    let beta = vec![
        (0..20)
            .map(|i| (i as f64 - 3.0).max(0.0) * 0.1)
            .collect::<Vec<_>>(),
        (0..20)
            .map(|i| -((i as f64 - 8.0).max(0.0)) * 0.05)
            .collect(),
        vec![0.0; 20], // never enters: not drawn
        (0..20).map(|i| if i > 15 { 0.01 } else { 0.0 }).collect(),
    ];
    let names: Vec<String> = ["glucose", "mass", "insulin", "age"]
        .map(String::from)
        .to_vec();
    let df: Vec<usize> = (0..20)
        .map(|i| usize::from(i > 3) + usize::from(i > 8) + usize::from(i > 15))
        .collect();
    let svg = plots::coefficient_path(&lambda, &beta, &names, &df).unwrap();
    assert!(svg.starts_with("<svg"));
    assert_eq!(
        polylines(&svg, 2).len(),
        3,
        "one polyline per coefficient that enters"
    );
    assert!(polylines(&svg, 1).len() >= 2, "two axes");
    let t = texts(&svg);
    for want in [
        "log(lambda)",
        "coefficient (original scale)",
        "Coefficient path",
        "glucose",
        "mass",
        "age",
        "df",
        "3",
    ] {
        assert!(t.iter().any(|x| x == want), "missing text {want}: {t:?}");
    }
    assert!(
        !t.iter().any(|x| x == "insulin"),
        "a zero coefficient is not labelled"
    );
}

/// The y of each `<text>` element whose body is one of `names`.
fn label_ys(svg: &str, names: &[String]) -> Vec<f64> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim();
            if !names.iter().any(|n| n == body) {
                return None;
            }
            let i = t.find(" y=\"").unwrap() + 4;
            let j = i + t[i..].find('"').unwrap();
            t[i..j].parse().ok()
        })
        .collect()
}

#[test]
fn coefficient_path_labels_do_not_overlap_when_paths_end_together() {
    // twelve coefficients ending within a hair of each other
    let lambda: Vec<f64> = (0..30).map(|i| (-(i as f64) * 0.2).exp()).collect();
    let beta: Vec<Vec<f64>> = (0..12)
        .map(|j| {
            (0..30)
                .map(|i| {
                    (i as f64 - j as f64).max(0.0) * 0.01 + 0.001 * j as f64 * f64::from(i > j)
                })
                .collect()
        })
        .collect();
    let names: Vec<String> = (0..12).map(|j| format!("feature_{j}")).collect();
    let df: Vec<usize> = (0..30).map(|i| i.min(12)).collect();
    let svg = plots::coefficient_path(&lambda, &beta, &names, &df).unwrap();
    let mut ys = label_ys(&svg, &names);
    assert_eq!(ys.len(), 12, "every label drawn");
    ys.sort_by(f64::total_cmp);
    for w in ys.windows(2) {
        assert!(w[1] - w[0] >= 12.0, "labels overlap: {ys:?}");
    }
    assert!(polylines(&svg, 2).len() == 12, "the series are unchanged");
}

#[test]
fn cv_curve_marks_lambda_min_and_1se() {
    let lambda: Vec<f64> = (0..30).map(|i| (-(i as f64) * 0.2).exp()).collect();
    let cvm: Vec<f64> = (0..30)
        .map(|i| 1.0 + ((i as f64) - 18.0).powi(2) / 200.0)
        .collect();
    let cvsd = vec![0.05; 30];
    let svg = plots::cv_curve(&lambda, &cvm, &cvsd, 18, 12, "deviance").unwrap();
    let markers = polylines(&svg, 3);
    assert_eq!(markers.len(), 2, "two marker lines");
    let colors: Vec<String> = markers.iter().map(|m| stroke(m)).collect();
    assert!(colors.contains(&hex(plots::MIN_COLOR)) && colors.contains(&hex(plots::SE_COLOR)));
    let t = texts(&svg);
    for want in ["lambda.min", "lambda.1se", "log(lambda)", "deviance"] {
        assert!(t.iter().any(|x| x == want), "missing {want}");
    }
    assert_eq!(svg.matches("<circle").count(), 30, "one point per lambda");
    assert_eq!(
        polylines(&svg, 1)
            .iter()
            .filter(|p| stroke(p) == "#A0A0A0")
            .count(),
        30,
        "one error bar per lambda"
    );
}

#[test]
fn learning_curves_draw_train_validation_penalty_and_the_best_epoch() {
    let rows: Vec<EpochRow> = (1..=20)
        .map(|e| EpochRow {
            epoch: e,
            train_loss: 1.0 / e as f64,
            val_loss: Some(0.5 + (e as f64 - 12.0).powi(2) / 300.0),
            penalty: 0.1,
            metric: Some(("accuracy".into(), 0.7 + e as f64 / 100.0)),
        })
        .collect();
    let svg = plots::learning_curves(&rows, Some(12)).unwrap();
    // 3 series + 3 legend samples + the metric panel's series
    assert_eq!(polylines(&svg, 2).len(), 7);
    assert_eq!(polylines(&svg, 3).len(), 1, "the best-epoch marker");
    let t = texts(&svg);
    for want in [
        "train loss",
        "validation loss",
        "penalty",
        "best epoch",
        "epoch",
        "validation accuracy",
    ] {
        assert!(t.iter().any(|x| x == want), "missing {want}: {t:?}");
    }
}

#[test]
fn weight_histograms_overlay_runs_with_exact_zero_counts_in_the_legend() {
    let dense: Vec<f64> = (0..1000).map(|i| ((i as f64) * 0.37).sin() * 0.1).collect();
    let mut sparse = dense.clone();
    for (i, w) in sparse.iter_mut().enumerate() {
        if i % 10 != 0 {
            *w = 0.0;
        }
    }
    let sets = [
        WeightSet {
            label: "L2".into(),
            weights: &dense,
        },
        WeightSet {
            label: "L1".into(),
            weights: &sparse,
        },
    ];
    let svg = plots::weight_histograms("First layer", &sets, 40).unwrap();
    assert_eq!(
        polylines(&svg, 2).len(),
        4,
        "a step line and a legend sample per run"
    );
    let t = texts(&svg);
    let zeros_dense = dense.iter().filter(|w| **w == 0.0).count();
    assert!(
        t.contains(&format!("L2: {zeros_dense} of 1000 exactly zero")),
        "{t:?}"
    );
    let zeros_sparse = sparse.iter().filter(|w| **w == 0.0).count();
    assert!(zeros_sparse >= 900);
    assert!(
        t.contains(&format!("L1: {zeros_sparse} of 1000 exactly zero")),
        "{t:?}"
    );
}

#[test]
fn bar_chart_sorts_by_magnitude_and_marks_the_threshold() {
    let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let svg = plots::bar_chart(
        "Selection probability",
        &names,
        &[0.2, 0.9, 0.55, 0.7],
        3,
        Some(0.6),
        "probability",
    )
    .unwrap();
    let t = texts(&svg);
    let pos = |n: &str| t.iter().position(|x| x == n);
    assert!(pos("a").is_none(), "only the top 3 are drawn");
    assert!(
        pos("b").unwrap() < pos("d").unwrap() && pos("d").unwrap() < pos("c").unwrap(),
        "largest first"
    );
    assert_eq!(
        svg.matches("<rect").count() - 1,
        3,
        "three bars (plus the background)"
    );
    assert_eq!(polylines(&svg, 3).len(), 1);
    assert!(t.iter().any(|x| x == "threshold"));
}

#[test]
fn forecast_plot_draws_each_series_and_breaks_lines_at_missing_values() {
    let x: Vec<f64> = (0..30).map(|i| i as f64).collect();
    let actual: Vec<f64> = x
        .iter()
        .map(|&i| if i == 12.0 { f64::NAN } else { (i * 0.4).sin() })
        .collect();
    let fc: Vec<f64> = x.iter().map(|&i| (i * 0.4).sin() + 0.1).collect();
    let naive: Vec<f64> = x.iter().map(|&i| ((i - 6.0) * 0.4).sin()).collect();
    let svg = plots::forecast(
        "Test period",
        &x,
        &[("actual", actual), ("lstm", fc), ("seasonal naive", naive)],
        "step",
        "kWh",
    )
    .unwrap();
    let lines = polylines(&svg, 2);
    // actual is broken in two by its missing value; the forecasts are whole; then one
    // legend sample per series.
    assert_eq!(lines.len(), 4 + 3, "{}", lines.len());
    assert_eq!(stroke(lines[0]), hex(plots::PALETTE[0]));
    assert_eq!(stroke(lines[1]), hex(plots::PALETTE[0]));
    assert_eq!(stroke(lines[2]), hex(plots::PALETTE[1]));
    let t = texts(&svg);
    for want in [
        "Test period",
        "step",
        "kWh",
        "actual",
        "lstm",
        "seasonal naive",
    ] {
        assert!(t.iter().any(|s| s == want), "missing text {want}: {t:?}");
    }
}

#[test]
fn bar_chart_with_errors_draws_three_whisker_lines_per_bar() {
    let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let values = [0.5, -0.3, 0.2, 0.0];
    // black two-point polylines inside the plot area (axes and their ticks touch its edges)
    let black = |svg: &str| {
        svg.split('<')
            .filter(|e| e.starts_with("polyline") && e.contains("stroke=\"#000000\""))
            .filter(|e| {
                let i = e.find("points=\"").unwrap() + 8;
                let pts: Vec<i32> = e[i..i + e[i..].find('"').unwrap()]
                    .split([' ', ','])
                    .filter(|t| !t.is_empty())
                    .map(|t| t.parse().unwrap())
                    .collect();
                pts.len() == 4 && pts[1].min(pts[3]) > 40 && pts[1].max(pts[3]) < 380
            })
            .count()
    };
    let with = plots::bar_chart_with_errors("t", &names, &values, &[0.1, 0.05, 0.02, 0.0], 4, "x")
        .unwrap();
    let without = plots::bar_chart_with_errors("t", &names, &values, &[0.0; 4], 4, "x").unwrap();
    // a horizontal whisker and two end ticks for each bar with a non-zero interval
    assert_eq!(black(&without), 0);
    assert_eq!(black(&with), 9);
    assert!(texts(&with).iter().any(|t| t == "a"));
}

#[test]
fn calibration_draws_the_ideal_diagonal_as_a_marker_and_one_line_per_series() {
    let a = vec![(0.1, 0.15), (0.5, 0.52), (0.9, 0.88)];
    let b = vec![(0.3, 0.5), (0.7, 0.9)];
    let svg = plots::calibration(
        "Coverage",
        &[("Laplace", a), ("MC dropout", b)],
        "nominal level",
        "observed",
    )
    .unwrap();
    let markers = polylines(&svg, 3);
    assert_eq!(markers.len(), 1, "the diagonal");
    // two series, then a legend sample for the diagonal and each series
    let lines = polylines(&svg, 2);
    assert_eq!(lines.len(), 2 + 3, "{}", lines.len());
    assert_eq!(stroke(lines[0]), hex(plots::PALETTE[0]));
    assert_eq!(stroke(lines[1]), hex(plots::PALETTE[1]));
    assert_eq!(svg.matches("<circle").count(), 5, "one dot per point");
    let t = texts(&svg);
    for want in [
        "Coverage",
        "nominal level",
        "observed",
        "ideal",
        "Laplace",
        "MC dropout",
    ] {
        assert!(t.iter().any(|s| s == want), "missing text {want}: {t:?}");
    }
}

#[test]
fn bands_shade_the_interval_and_dot_every_observed_value() {
    let mean = vec![3.0, 1.0, 2.0, 5.0];
    let lo: Vec<f64> = mean.iter().map(|m| m - 1.0).collect();
    let hi: Vec<f64> = mean.iter().map(|m| m + 1.5).collect();
    let obs = vec![3.5, 0.2, 2.1, 7.0];
    let svg = plots::bands("Held out", &mean, &lo, &hi, &obs, "90% interval", "y").unwrap();
    assert_eq!(svg.matches("<polygon").count(), 1, "one band");
    // the prediction, then its legend sample
    assert_eq!(polylines(&svg, 2).len(), 2);
    assert_eq!(
        svg.matches("<circle").count(),
        4 + 1,
        "observed rows and the legend dot"
    );
    let t = texts(&svg);
    for want in ["Held out", "90% interval", "prediction", "observed", "y"] {
        assert!(t.iter().any(|s| s == want), "missing text {want}: {t:?}");
    }
    assert!(plots::bands("x", &mean, &lo[..3], &hi, &obs, "b", "y").is_err());
}

#[test]
fn log_alpha_histograms_step_per_layer_with_the_threshold_as_a_marker() {
    let edges: Vec<f64> = (0..=40).map(|i| -10.0 + 0.5 * i as f64).collect();
    let layers = vec![
        (
            "dense 0".to_string(),
            (0..40).map(|i| i % 7).collect::<Vec<usize>>(),
        ),
        (
            "dense 1".to_string(),
            (0..40).map(|i| (i * 3) % 5).collect(),
        ),
    ];
    let svg = plots::log_alpha("log alpha", &edges, &layers, Some(3.0)).unwrap();
    assert_eq!(polylines(&svg, 3).len(), 1, "the threshold");
    // two step lines, then a legend sample for the threshold and each layer
    let lines = polylines(&svg, 2);
    assert_eq!(lines.len(), 2 + 3);
    assert_eq!(stroke(lines[0]), hex(plots::PALETTE[0]));
    assert_eq!(stroke(lines[1]), hex(plots::PALETTE[1]));
    // a step line holds 2 points per bin plus both ends
    assert_eq!(lines[0].matches(',').count(), 2 * 40 + 2);
    let t = texts(&svg);
    for want in [
        "dense 0",
        "dense 1",
        "pruning threshold 3",
        "log alpha (kept weights)",
    ] {
        assert!(t.iter().any(|s| s == want), "{want} in {t:?}");
    }
    assert!(plots::log_alpha("x", &edges[..5], &layers, None).is_err());
}
