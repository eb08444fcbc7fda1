//! The report pages of `occam tune`, `occam select`, `occam path` (LassoNet) and recommender
//! run folders; `cmd_report.rs` picks the page by the files a folder holds.

use crate::cmd_report::{fmt, plot, read_json, section, strings};
use anyhow::Result;
use occam_report::html::{paragraph, pre, table};
use occam_report::plots::{self, EpochRow};
use occam_report::Page;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Held-out metrics of the regularized and baseline models side by side.
fn comparison_table(s: &Value) -> String {
    let keys: Vec<String> = s["regularized"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if keys.is_empty() {
        return paragraph("No held-out rows (set --test-fraction above 0 for the comparison).");
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| vec![k.clone(), fmt(&s["regularized"][k]), fmt(&s["baseline"][k])])
        .collect();
    format!(
        "{}{}",
        table(&["metric", "regularized", "baseline"], &rows),
        paragraph(s["baseline_note"].as_str().unwrap_or(""))
    )
}

pub(crate) fn tune_page(dir: &Path) -> Result<String> {
    let s = read_json(&dir.join("summary.json"))?;
    let text = std::fs::read_to_string(dir.join("trials.jsonl"))?;
    let trials: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let metric = s["metric"].as_str().unwrap_or("score").to_string();
    let higher = crate::cmd_tune::higher_is_better(&metric);
    let points: Vec<plots::TrialPoint> = trials
        .iter()
        .map(|t| plots::TrialPoint {
            index: t["index"].as_u64().unwrap_or(0) as usize,
            score: t["mean"].as_f64().unwrap_or(f64::NAN),
            params: t["params"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
                        .collect()
                })
                .unwrap_or_default(),
            pruned: t["pruned"].as_bool().unwrap_or(false),
        })
        .collect();
    let mut secs = Vec::new();
    let pick = |k: &str| -> Vec<String> {
        vec![
            k.to_string(),
            fmt(&s[k]["trial"]),
            s[k]["params"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(a, b)| format!("{a}={}", fmt(b)))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            format!("{} ± {}", fmt(&s[k]["cv_mean"]), fmt(&s[k]["cv_se"])),
            fmt(&s[k]["features_kept"]),
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
        &[pick("min"), pick("one_se")],
    );
    html.push_str(&paragraph(&format!(
        "Chosen by --rule {}: trial {}; {} trials, {} pruned.",
        fmt(&s["rule"]),
        fmt(&s["chosen"]["trial"]),
        fmt(&s["trials"]),
        fmt(&s["pruned"])
    )));
    secs.push(section("metrics", "Chosen configuration", html));
    secs.push(section(
        "baseline",
        "Baseline vs regularized",
        comparison_table(&s),
    ));
    let mut sh = plot(
        plots::search_history(&points, &metric, higher),
        "Mean CV score of each trial, and the best so far.",
    )?;
    let names: Vec<String> = points
        .first()
        .map(|p| p.params.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    for n in names {
        let log = matches!(n.as_str(), "l1" | "l2" | "weight_decay" | "lr");
        sh.push_str(
            &plot(
                plots::score_vs_param(&points, &n, &metric, log),
                &format!("Mean CV score against {n}."),
            )
            .map_err(|e| anyhow::anyhow!(e))?,
        );
    }
    secs.push(section("search", "Search", sh));
    let sel = strings(&s["selected_features"]);
    secs.push(section(
        "selected",
        "Selected features",
        paragraph(&format!(
            "{} input features kept by the chosen network: {}",
            sel.len(),
            if sel.len() <= 200 {
                sel.join(", ")
            } else {
                "(more than 200)".into()
            }
        )),
    ));
    secs.push(section(
        "config",
        "Configuration",
        pre(&std::fs::read_to_string(dir.join("tune.json")).unwrap_or_default()),
    ));
    Ok(Page {
        title: format!("occam tune: {}", dir.display()),
        subtitle: format!("{} trials by CV {metric}", trials.len()),
        sections: secs,
    }
    .render())
}

pub(crate) fn select_page(dir: &Path) -> Result<String> {
    let s = read_json(&dir.join("summary.json"))?;
    let csv = std::fs::read_to_string(dir.join("stability.csv"))?;
    let (mut names, mut probs) = (Vec::new(), Vec::new());
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() >= 2 {
            names.push(f[0].to_string());
            probs.push(f[1].parse::<f64>().unwrap_or(0.0));
        }
    }
    let thr = s["chosen"]["threshold"].as_f64();
    let mut secs = Vec::new();
    let rows = vec![
        vec![
            "pairs (half-sample fits)".into(),
            format!("{} ({})", fmt(&s["chosen"]["pairs"]), fmt(&s["fits"])),
        ],
        vec!["weakness".into(), fmt(&s["chosen"]["weakness"])],
        vec![
            "q target / q on the range".into(),
            format!("{} / {}", fmt(&s["chosen"]["q"]), fmt(&s["q_lambda"])),
        ],
        vec!["threshold".into(), fmt(&s["chosen"]["threshold"])],
        vec![
            "expected false selections at most".into(),
            fmt(&s["error_bound"]),
        ],
    ];
    secs.push(section(
        "run",
        "Stability selection",
        table(&["setting", "value"], &rows),
    ));
    let sel = strings(&s["selected_features"]);
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
            thr,
            "largest selection probability over the lambda range",
        ),
        "The 30 features with the largest selection probabilities; the marker is the threshold.",
    )?);
    let clusters = s["clusters"].as_array().cloned().unwrap_or_default();
    if !clusters.is_empty() {
        let rows: Vec<Vec<String>> = clusters
            .iter()
            .map(|c| {
                vec![
                    strings(&c["members"]).join(" + "),
                    fmt(&c["probability"]),
                    c["member_probabilities"]
                        .as_array()
                        .map(|v| v.iter().map(fmt).collect::<Vec<_>>().join(" / "))
                        .unwrap_or_default(),
                    fmt(&c["stable"]),
                    format!(
                        "{} of {}",
                        fmt(&c["half_fits_one_member"]),
                        fmt(&c["half_fits"])
                    ),
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
    secs.push(section(
        "baseline",
        "Baseline vs regularized",
        comparison_table(&s),
    ));
    Ok(Page {
        title: format!("occam select: {}", dir.display()),
        subtitle: "stability selection".into(),
        sections: secs,
    }
    .render())
}

pub(crate) fn network_path_page(dir: &Path) -> Result<String> {
    let s = read_json(&dir.join("summary.json"))?;
    let text = std::fs::read_to_string(dir.join("path.csv"))?;
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let col = |i: usize| -> Vec<f64> { rows.iter().map(|r| r[i]).collect() };
    let feats: Vec<usize> = col(4).iter().map(|v| *v as usize).collect();
    let chosen = s["chosen"]["point"].as_u64().unwrap_or(0) as usize;
    let mut secs = Vec::new();
    let run = vec![
        vec!["chosen lambda".into(), fmt(&s["chosen"]["lambda"])],
        vec![
            "features at the chosen lambda".into(),
            fmt(&s["chosen"]["features"]),
        ],
        vec!["rule".into(), fmt(&s["rule"])],
        vec![
            "relaxed validation loss".into(),
            format!("{} ± {}", fmt(&s["cv_mean"]), fmt(&s["cv_se"])),
        ],
        vec!["path points".into(), fmt(&s["points"])],
        vec!["hidden layers".into(), s["chosen"]["hidden"].to_string()],
    ];
    secs.push(section("run", "Path", table(&["", ""], &run)));
    secs.push(section(
        "path",
        "Validation loss and features along the path",
        plot(plots::network_path(&col(0), &col(1), &col(2), &feats, chosen), "Validation loss of the penalized fit and of the relaxed refit on its features, against log(lambda); below, the features still in the model.")?,
    ));
    let ftext = std::fs::read_to_string(dir.join("features.csv"))?;
    let (mut names, mut leave) = (Vec::new(), Vec::new());
    for l in ftext.lines().skip(1).take(30) {
        let f: Vec<&str> = l.split(',').collect();
        if let Some(v) = f.get(1).and_then(|v| v.parse::<f64>().ok()) {
            names.push(f[0].to_string());
            leave.push(v.ln());
        }
    }
    let sel = strings(&s["selected_features"]);
    let mut html = paragraph(&format!(
        "{} features at the chosen lambda: {}",
        sel.len(),
        if sel.len() <= 200 {
            sel.join(", ")
        } else {
            "(more than 200)".into()
        }
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
    secs.push(section(
        "baseline",
        "Baseline vs regularized",
        comparison_table(&s),
    ));
    Ok(Page {
        title: format!("occam path: {}", dir.display()),
        subtitle: "LassoNet regularization path".into(),
        sections: secs,
    }
    .render())
}

pub(crate) fn recommender_page(dir: &Path) -> Result<String> {
    let s = read_json(&dir.join("summary.json"))?;
    let text = std::fs::read_to_string(dir.join("epochs.csv"))?;
    let mut curves: BTreeMap<String, Vec<EpochRow>> = BTreeMap::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() == 4 {
            curves.entry(f[0].to_string()).or_default().push(EpochRow {
                epoch: f[1].parse().unwrap_or(0),
                train_loss: f[2].parse().unwrap_or(f64::NAN),
                val_loss: f[3].parse().ok(),
                penalty: 0.0,
                metric: None,
            });
        }
    }
    let row = |name: &str, v: &Value| -> Vec<String> {
        vec![
            name.to_string(),
            v.get("train_rmse").map_or("-".into(), fmt),
            fmt(&v["val_rmse"]),
            fmt(&v["test"]["rmse"]),
            fmt(&v["test"]["mae"]),
        ]
    };
    let rows = vec![
        row("global mean", &s["baselines"]["global_mean"]),
        row("user + item biases", &s["baselines"]["user_item_bias"]),
        row(
            &format!("factorisation, L2 {}", fmt(&s["regularized"]["l2"])),
            &s["regularized"],
        ),
        row("factorisation, no regularization", &s["unregularized"]),
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
    for (name, rows) in &curves {
        html.push_str(&plot(
            plots::learning_curves(rows, None),
            &format!("{name}: train RMSE (as 'train loss') and validation RMSE per epoch."),
        )?);
    }
    secs.push(section("curves", "Learning curves", html));
    secs.push(section(
        "config",
        "Configuration",
        pre(&serde_json::to_string_pretty(&s["config"])?),
    ));
    Ok(Page {
        title: format!("occam recommender: {}", dir.display()),
        subtitle: format!("{} users x {} items", fmt(&s["users"]), fmt(&s["items"])),
        sections: secs,
    }
    .render())
}

/// The page of an `occam train --model lstm|gru` run: the series and its windows, the
/// forecast against the seasonal-naive and last-value baselines, the test period plotted,
/// learning curves and the configuration.
pub(crate) fn forecast_page(dir: &Path) -> Result<String> {
    let s = read_json(&dir.join("summary.json"))?;
    let model = s["model"].as_str().unwrap_or("model").to_string();
    let (se, w) = (&s["series"], &s["windows"]);
    let data = table(
        &["", ""],
        &[
            vec!["target".into(), fmt(&s["target"])],
            vec![
                "steps".into(),
                format!(
                    "{} from {} to {}, every {} s",
                    fmt(&se["steps"]),
                    fmt(&se["first"]),
                    fmt(&se["last"]),
                    fmt(&se["step_seconds"])
                ),
            ],
            vec![
                "missing values".into(),
                format!(
                    "{} ({} missing time stamps); handled by: {}",
                    fmt(&se["missing"]),
                    fmt(&se["missing_time_stamps"]),
                    fmt(&se["gaps"])
                ),
            ],
            vec![
                "windows".into(),
                format!(
                    "{} steps in, forecast 1..{} ahead, season {}; {} train / {} validation / {} test; left out: {} (missing input), {} (missing target)",
                    fmt(&w["window"]),
                    fmt(&w["horizon"]),
                    fmt(&w["season"]),
                    fmt(&w["train"]),
                    fmt(&w["validation"]),
                    fmt(&w["test"]),
                    fmt(&w["left_out_missing_input"]),
                    fmt(&w["left_out_missing_target"])
                ),
            ],
            vec![
                "split by time".into(),
                format!(
                    "validation from {}, test from {}",
                    fmt(&se["validation_starts"]),
                    fmt(&se["test_starts"])
                ),
            ],
        ],
    );
    let mut rows = Vec::new();
    for part in ["validation", "test"] {
        let p = &s["scores"][part];
        for (name, key) in [
            (model.as_str(), "model"),
            ("seasonal naive", "seasonal_naive"),
            ("last value", "last_value"),
        ] {
            rows.push(vec![
                part.to_string(),
                name.to_string(),
                fmt(&p[key]["rmse"]),
                fmt(&p[key]["mae"]),
                fmt(&p[key]["n"]),
            ]);
        }
    }
    let horizon = fmt(&w["horizon"]);
    let mut scores = table(&["part", "forecast", "RMSE", "MAE", "windows"], &rows);
    scores.push_str(&paragraph(&format!(
        "Scored at step {horizon} on the windows whose seasonal-naive value is observed. \
         Training RMSE at step {horizon}: {}. Beats seasonal naive on test: {}.",
        fmt(&s["train_model"]["rmse"]),
        fmt(&s["beats_seasonal_naive"])
    )));
    let mut secs = vec![
        section("data", "Series and windows", data),
        section("baseline", "Forecast vs baselines", scores),
    ];
    if let Some(c) = s.get("comparison") {
        let rows = ["rmse", "mae"]
            .iter()
            .map(|k| {
                vec![
                    k.to_string(),
                    fmt(&c["regularized"][k]),
                    fmt(&c["baseline"][k]),
                ]
            })
            .collect::<Vec<_>>();
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
    let text = std::fs::read_to_string(dir.join("forecasts.csv"))?;
    let (mut actual, mut fc, mut naive) = (Vec::new(), Vec::new(), Vec::new());
    let mut first_time = String::new();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() == 7 && f[1] == "test" {
            if first_time.is_empty() {
                first_time = f[0].to_string();
            }
            let num = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
            actual.push(num(3));
            fc.push(num(4));
            naive.push(num(5));
        }
    }
    let x: Vec<f64> = (0..actual.len()).map(|i| i as f64).collect();
    let target = s["target"].as_str().unwrap_or("value").to_string();
    secs.push(section(
        "forecast",
        "Test period",
        plot(
            plots::forecast(
                &format!("Forecast {horizon} step(s) ahead"),
                &x,
                &[
                    ("actual", actual),
                    (model.as_str(), fc),
                    ("seasonal naive", naive),
                ],
                &format!("scored test window (from {first_time})"),
                &target,
            ),
            "Every scored test window in time order (forecasts.csv holds them with their times).",
        )?,
    ));
    let rows = crate::cmd_report::epochs(dir)?;
    secs.push(section(
        "curves",
        "Learning curves",
        plot(
            plots::learning_curves(&rows, s["best_epoch"].as_u64().map(|b| b as usize)),
            "Training and validation loss (scaled units) per epoch; the panel shows the validation RMSE in the series' units over all steps ahead.",
        )?,
    ));
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
    secs.push(section("config", "Configuration", pre(&config)));
    Ok(Page {
        title: format!("occam {model} forecast: {}", dir.display()),
        subtitle: format!("{target}, {horizon} step(s) ahead"),
        sections: secs,
    }
    .render())
}
