//! `occam report RUN_DIR [RUN_DIR ...]`: reads a run folder (from `occam train`, or a linear
//! path/CV folder with path.json or cv.json) and writes RUN_DIR/report.html, one
//! self-contained page. Several folders: a comparison page (first-layer weight distributions
//! overlaid, metrics side by side) written to `--out`.

use crate::{output, UserError};
use anyhow::{Context, Result};
use occam_report::html::{esc, figure, paragraph, pre, table};
use occam_report::plots::{self, EpochRow, WeightSet};
use occam_report::{Page, Section};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Run folder(s): from `occam train`, or with cv.json / path.json from `occam linear`.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Where to write the page (default RUN_DIR/report.html; required for several runs).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write every plot as PNG into a `plots` folder beside the page.
    #[arg(long)]
    pub png: bool,
}

/// Rasterizes the plots of a written page into DIR/plots/figure-NN.png; returns how many.
fn write_pngs(page: &Path) -> Result<usize> {
    let html = std::fs::read_to_string(page)?;
    let dir = page.parent().unwrap_or(Path::new(".")).join("plots");
    std::fs::create_dir_all(&dir)
        .map_err(|e| UserError(format!("cannot create {}: {e}", dir.display())))?;
    if !occam_report::png::fonts_available() {
        eprintln!(
            "warning: no system font found; the PNGs have no text (install fonts-dejavu-core)"
        );
    }
    let svgs = occam_report::png::svgs_in(&html);
    for (i, svg) in svgs.iter().enumerate() {
        let png = occam_report::png::svg_to_png(svg, 2.0).map_err(|e| anyhow::anyhow!(e))?;
        output::write_atomic(&dir.join(format!("figure-{:02}.png", i + 1)), &png)?;
    }
    Ok(svgs.len())
}

pub(crate) fn read_json(p: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| UserError(format!("{}: not valid JSON ({e})", p.display())).into())
}

pub(crate) fn section(id: &str, title: &str, html: String) -> Section {
    Section {
        id: id.into(),
        title: title.into(),
        html,
    }
}

pub(crate) fn fmt(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x}"),
        Some(x) => format!("{x:.4}"),
        None => v.to_string().trim_matches('"').to_string(),
    }
}

pub(crate) fn plot(svg: Result<String, String>, caption: &str) -> Result<String> {
    Ok(figure(&svg.map_err(|e| anyhow::anyhow!(e))?, caption))
}

pub fn run(a: &ReportArgs) -> Result<()> {
    if a.runs.len() > 1 {
        let out = a.out.clone().ok_or_else(|| {
            UserError("several run folders make a comparison page: give --out FILE.html".into())
        })?;
        let page = compare(&a.runs)?;
        output::write_atomic(&out, page.as_bytes())?;
        println!("wrote {}", out.display());
        if a.png {
            println!("wrote {} PNG plots", write_pngs(&out)?);
        }
        return Ok(());
    }
    let dir = &a.runs[0];
    let out = a.out.clone().unwrap_or_else(|| dir.join("report.html"));
    write(dir, &out)?;
    println!("wrote {}", out.display());
    if a.png {
        println!("wrote {} PNG plots", write_pngs(&out)?);
    }
    Ok(())
}

/// The end of a run: RUN_DIR/report.html unless `no_report`, and the folder's name.
pub fn finish_run(dir: &Path, no_report: bool) -> Result<()> {
    if !no_report {
        let report = dir.join("report.html");
        write(dir, &report)?;
        println!("wrote {}", report.display());
    }
    println!("wrote {}", dir.display());
    Ok(())
}

/// The report page of a run folder, chosen by the run kind its manifest records.
fn page_of(dir: &Path, kind: occam::RunKind) -> Result<String> {
    use occam::RunKind as K;
    match kind {
        K::Tune => crate::report_pages::tune_page(dir),
        K::Mlp => network_page(dir),
        K::Forecast => crate::report_pages::forecast_page(dir),
        K::Recommender => crate::report_pages::recommender_page(dir),
        K::NetworkPath => crate::report_pages::network_path_page(dir),
        K::Select => crate::report_pages::select_page(dir),
        K::LinearCv | K::Text => linear_page(dir, &read_json(&dir.join("cv.json"))?),
        K::LinearPath => linear_page(dir, &read_json(&dir.join("path.json"))?),
    }
}

/// Writes the report of one run folder to `out`.
pub fn write(dir: &Path, out: &Path) -> Result<()> {
    if let Ok(run) = occam::RunFolder::open(dir) {
        let page = page_of(dir, run.kind())?;
        return output::write_atomic(out, page.as_bytes());
    }
    // A folder from before the manifest: recognised by its files. A tune folder also holds
    // the chosen model, so it is recognised first.
    let page = if dir.join("trials.jsonl").exists() && dir.join("summary.json").exists() {
        crate::report_pages::tune_page(dir)?
    } else if dir.join("summary.json").exists() && dir.join("model.json").exists() {
        network_page(dir)?
    } else if crate::cmd_forecast::is_run(dir) {
        crate::report_pages::forecast_page(dir)?
    } else if dir.join("recommendations.csv").exists() && dir.join("epochs.csv").exists() {
        crate::report_pages::recommender_page(dir)?
    } else if dir.join("features.csv").exists() && dir.join("path.csv").exists() {
        crate::report_pages::network_path_page(dir)?
    } else if dir.join("stability.csv").exists() && dir.join("summary.json").exists() {
        crate::report_pages::select_page(dir)?
    } else if dir.join("cv.json").exists() {
        linear_page(dir, &read_json(&dir.join("cv.json"))?)?
    } else if dir.join("path.json").exists() {
        linear_page(dir, &read_json(&dir.join("path.json"))?)?
    } else {
        anyhow::bail!(UserError(format!(
            "{}: not a run folder (no summary.json + model.json from `occam train`, forecasts.csv from `occam train --model lstm|gru`, trials.jsonl from `occam tune`, stability.csv from `occam select`, or cv.json / path.json from `occam linear`)",
            dir.display()
        )));
    };
    output::write_atomic(out, page.as_bytes())
}

/// beta as [feature][lambda] for a one-response fit (the first class of a multinomial).
fn beta_by_feature(v: &Value) -> Vec<Vec<f64>> {
    let rows = v["beta"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<f64>> = if rows
        .first()
        .and_then(|r| r.get(0))
        .is_some_and(|x| x.is_array())
    {
        // multinomial: [class][lambda][feature]; show class 1
        rows[0]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(nums)
            .collect()
    } else {
        rows.iter().map(nums).collect()
    };
    let p = rows.first().map_or(0, |r| r.len());
    (0..p)
        .map(|j| rows.iter().map(|r| r[j]).collect())
        .collect()
}

pub(crate) fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default()
}

pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn linear_page(dir: &Path, v: &Value) -> Result<String> {
    let lambda = nums(&v["lambda"]);
    let names = strings(&v["feature_names"]);
    let df: Vec<usize> = nums(&v["df"]).iter().map(|d| *d as usize).collect();
    let beta = beta_by_feature(v);
    let mut secs = Vec::new();
    let mut run = vec![
        vec!["family".into(), fmt(&v["family"])],
        vec!["alpha".into(), fmt(&v["alpha"])],
        vec!["rows".into(), fmt(&v["n"])],
        vec!["features".into(), names.len().to_string()],
        vec!["target".into(), fmt(&v["target"])],
        vec!["lambdas".into(), lambda.len().to_string()],
        vec!["fit seconds".into(), fmt(&v["fit_seconds"])],
    ];
    let is_cv = v.get("cvm").is_some();
    if is_cv {
        run.push(vec!["measure".into(), fmt(&v["measure"])]);
    }
    secs.push(section("run", "Run", table(&["setting", "value"], &run)));
    if is_cv {
        let (imin, i1se) = (
            v["index_min"].as_u64().unwrap_or(1) as usize - 1,
            v["index_1se"].as_u64().unwrap_or(1) as usize - 1,
        );
        let cvm = nums(&v["cvm"]);
        let cvsd = nums(&v["cvsd"]);
        let rows: Vec<Vec<String>> = [("lambda.min", imin), ("lambda.1se", i1se)]
            .iter()
            .map(|&(n, i)| {
                vec![
                    n.into(),
                    format!("{:.6}", lambda[i]),
                    df[i].to_string(),
                    format!("{:.4} ± {:.4}", cvm[i], cvsd[i]),
                ]
            })
            .collect();
        let mut html = table(
            &[
                "choice",
                "lambda",
                "features",
                &format!("CV {}", fmt(&v["measure"])),
            ],
            &rows,
        );
        html.push_str(&plot(
            plots::cv_curve(&lambda, &cvm, &cvsd, imin, i1se, &fmt(&v["measure"])),
            "Mean CV error ± 1 SE against log(lambda); marker lines at lambda.min and lambda.1se.",
        )?);
        secs.push(section("metrics", "Cross-validation", html));
        // The least penalized fit on the path stands in for the unregularized baseline (with
        // p >> n an unpenalized GLM is not defined), scored by the same cross-validation.
        let last = lambda.len() - 1;
        let held = &v["held_out"];
        let mut rows = vec![
            vec![
                "least penalized (smallest lambda)".into(),
                format!("{:.6}", lambda[last]),
                df[last].to_string(),
                format!("{:.4} ± {:.4}", cvm[last], cvsd[last]),
            ],
            vec![
                "lambda.1se".into(),
                format!("{:.6}", lambda[i1se]),
                df[i1se].to_string(),
                format!("{:.4} ± {:.4}", cvm[i1se], cvsd[i1se]),
            ],
        ];
        if let Some(h) = held.get("lambda.1se") {
            rows[1].push(format!("{} (held out)", fmt(&h["accuracy"])));
            rows[0].push(String::new());
        }
        let head = [
            "model",
            "lambda",
            "features",
            &format!("CV {}", fmt(&v["measure"])),
            "accuracy",
        ];
        let n = rows[0].len();
        secs.push(section(
            "baseline",
            "Baseline vs regularized",
            table(&head[..n], &rows),
        ));
        let coef: Vec<f64> = beta.iter().map(|b| b[i1se]).collect();
        let sel: Vec<String> = strings(&v["selected_1se"]);
        let mut html = paragraph(&format!(
            "{} features at lambda.1se: {}",
            sel.len(),
            sel.join(", ")
        ));
        let nz = coef.iter().filter(|c| **c != 0.0).count();
        html.push_str(&plot(
            plots::bar_chart(
                "Coefficients at lambda.1se",
                &names,
                &coef,
                nz.clamp(1, 30),
                None,
                "coefficient (original scale)",
            ),
            "Non-zero coefficients at lambda.1se, largest first.",
        )?);
        secs.push(section("selected", "Selected features", html));
    }
    if let Ok(words) = std::fs::read_to_string(dir.join("words.csv")) {
        let w: Vec<(String, f64)> = words
            .lines()
            .skip(1)
            .filter_map(|l| {
                l.rsplit_once(',')
                    .and_then(|(t, v)| v.parse::<f64>().ok().map(|v| (t.to_string(), v)))
            })
            .collect();
        let pos: Vec<&(String, f64)> = w.iter().filter(|e| e.1 > 0.0).take(20).collect();
        let neg: Vec<&(String, f64)> = w.iter().rev().filter(|e| e.1 < 0.0).take(20).collect();
        let rows: Vec<Vec<String>> = (0..pos.len().max(neg.len()))
            .map(|i| {
                let cell = |v: &[&(String, f64)]| {
                    v.get(i)
                        .map_or(String::new(), |e| format!("{} ({:+.3})", e.0, e.1))
                };
                vec![(i + 1).to_string(), cell(&pos), cell(&neg)]
            })
            .collect();
        secs.push(section(
            "words",
            "Words with the largest weights",
            table(&["", "positive", "negative"], &rows),
        ));
    }
    secs.push(section(
        "path",
        "Coefficient path",
        plot(plots::coefficient_path(&lambda, &beta, &names, &df), "Each coefficient against log(lambda); the number of non-zero coefficients along the top.")?,
    ));
    Ok(Page {
        title: format!("occam linear: {}", dir.display()),
        subtitle: format!(
            "{} {} path on {} rows",
            fmt(&v["family"]),
            if is_cv {
                "cross-validated"
            } else {
                "regularization"
            },
            fmt(&v["n"])
        ),
        sections: secs,
    }
    .render())
}

/// metrics.csv rows, with the first of accuracy / r2 / rmse as the panel metric.
pub(crate) fn epochs(dir: &Path) -> Result<Vec<EpochRow>> {
    let p = dir.join("metrics.csv");
    let text =
        std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n);
    let metric = ["val_accuracy", "val_r2", "val_rmse"]
        .iter()
        .find_map(|m| col(m).map(|i| (m.trim_start_matches("val_").to_string(), i)));
    let (ie, it, iv, ip) = (
        col("epoch"),
        col("train_loss"),
        col("val_loss"),
        col("penalty"),
    );
    let mut rows = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let num = |i: Option<usize>| i.and_then(|i| f.get(i)).and_then(|s| s.parse::<f64>().ok());
        rows.push(EpochRow {
            epoch: num(ie).unwrap_or(0.0) as usize,
            train_loss: num(it).unwrap_or(f64::NAN),
            val_loss: num(iv),
            penalty: num(ip).unwrap_or(0.0),
            metric: metric
                .as_ref()
                .and_then(|(n, i)| num(Some(*i)).map(|v| (n.clone(), v))),
        });
    }
    Ok(rows)
}

/// One dense layer's weights as saved: `[out, in]` row-major.
struct DenseWeights {
    name: String,
    out: usize,
    inp: usize,
    w: Vec<f64>,
}

/// Dense weight matrices of a saved model, in layer order.
fn dense_weights(dir: &Path) -> Result<Vec<DenseWeights>> {
    let bytes = std::fs::read(dir.join("model.safetensors"))
        .with_context(|| format!("cannot read {}/model.safetensors", dir.display()))?;
    let mut t: Vec<_> = occam_nn::tensors::decode::<f64>(&bytes)?
        .into_iter()
        .filter(|t| t.name.ends_with(".weight") && t.shape.len() == 2)
        .collect();
    let idx = |n: &str| {
        n.split('.')
            .nth(1)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0)
    };
    t.sort_by_key(|x| idx(&x.name));
    Ok(t.into_iter()
        .map(|x| DenseWeights {
            out: x.shape[0],
            inp: x.shape[1],
            name: x.name,
            w: x.data,
        })
        .collect())
}

fn metrics_rows(s: &Value) -> Vec<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for k in ["val_metrics", "test_metrics"] {
        if let Some(m) = s[k].as_object() {
            for n in m.keys() {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
    }
    names
        .iter()
        .map(|n| {
            vec![
                n.clone(),
                s["val_metrics"].get(n).map_or("-".into(), fmt),
                s["test_metrics"].get(n).map_or("-".into(), fmt),
            ]
        })
        .collect()
}

fn network_page(dir: &Path) -> Result<String> {
    let s = read_json(&dir.join("summary.json"))?;
    let model = read_json(&dir.join("model.json"))?;
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
    let names = strings(&model["feature_names"]);
    let mut secs = Vec::new();
    let spec = &model["spec"];
    let data_rows = vec![
        vec!["task".into(), fmt(&model["task"])],
        vec!["target".into(), fmt(&model["target_name"])],
        vec!["input features".into(), names.len().to_string()],
        vec!["hidden layers".into(), spec["hidden"].to_string()],
        vec!["parameters".into(), fmt(&s["n_params"])],
        vec![
            "epochs run (best)".into(),
            format!("{} ({})", fmt(&s["epochs_run"]), fmt(&s["best_epoch"])),
        ],
        vec!["stopped early".into(), fmt(&s["stopped_early"])],
        vec!["fit seconds".into(), fmt(&s["fit_seconds"])],
    ];
    secs.push(section(
        "data",
        "Data and model",
        table(&["", ""], &data_rows),
    ));
    secs.push(section(
        "metrics",
        "Metrics",
        table(&["metric", "validation", "test"], &metrics_rows(&s)),
    ));
    let cmp = &s["comparison"];
    let cmp_html = if let Some(r) = cmp["regularized"].as_object() {
        let rows: Vec<Vec<String>> = r
            .keys()
            .map(|k| {
                vec![
                    k.clone(),
                    fmt(&cmp["regularized"][k]["mean"]),
                    fmt(&cmp["baseline"][k]["mean"]),
                ]
            })
            .collect();
        format!(
            "{}{}",
            paragraph(&format!(
                "The same architecture trained the same way without any penalty, dropout or early stopping, scored on the {} rows; means over {} seed(s).",
                fmt(&cmp["held_out"]),
                fmt(&cmp["repeats"])
            )),
            table(&["metric", "regularized", "unregularized"], &rows)
        )
    } else {
        paragraph("No baseline in this run (train with --baseline to compare against the same network without regularization).")
    };
    secs.push(section("baseline", "Baseline vs regularized", cmp_html));
    let rows = epochs(dir)?;
    let best = s["best_epoch"].as_u64().map(|b| b as usize);
    secs.push(section(
        "curves",
        "Learning curves",
        plot(plots::learning_curves(&rows, best), "Training and validation loss per epoch, the penalty term as its own line, the best (early-stopping) epoch marked; below, the validation metric.")?,
    ));
    let weights = dense_weights(dir)?;
    let mut wh = String::new();
    for (i, DenseWeights { name, out, inp, w }) in weights.iter().enumerate() {
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
    let is_cnn = spec["conv"].as_array().is_some_and(|c| !c.is_empty());
    if let (false, Some(DenseWeights { out, inp, w, .. })) = (is_cnn, weights.first()) {
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
            plots::bar_chart("Input features by first-layer weight norm", &names, &norms, kept.clamp(1, 30), None, "L2 norm of the feature's first-layer weights"),
            "The 30 input features with the largest first-layer weight norms (a feature with norm 0 is out of the model).",
        )?);
        if kept < *inp && kept <= 200 {
            let list: Vec<String> = (0..*inp)
                .filter(|&j| norms[j] > 0.0)
                .map(|j| names[j].clone())
                .collect();
            html.push_str(&format!("<p>Kept: {}</p>", esc(&list.join(", "))));
        }
        secs.push(section("selected", "Selected features", html));
    }
    secs.push(section("config", "Configuration", pre(&config)));
    Ok(Page {
        title: format!("occam train: {}", dir.display()),
        subtitle: format!(
            "{} network, {} input features",
            fmt(&model["task"]),
            names.len()
        ),
        sections: secs,
    }
    .render())
}

/// First-layer weight distributions of several runs overlaid, and their metrics.
fn compare(dirs: &[PathBuf]) -> Result<String> {
    let mut sets = Vec::new();
    let mut rows = Vec::new();
    for d in dirs {
        let s = read_json(&d.join("summary.json"))
            .with_context(|| format!("{} is not an `occam train` run", d.display()))?;
        let w = dense_weights(d)?
            .into_iter()
            .next()
            .map(|t| t.w)
            .unwrap_or_default();
        let label = d.file_name().map_or_else(
            || d.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let acc = s["val_metrics"]["accuracy"].clone();
        let zeros = w.iter().filter(|v| **v == 0.0).count();
        rows.push(vec![
            label.clone(),
            format!("{zeros} / {}", w.len()),
            fmt(&s["input_features_kept"]
                .as_array()
                .map_or(0, |a| a.len())
                .into()),
            fmt(&acc),
            fmt(&s["val_loss"]),
        ]);
        sets.push((label, w));
    }
    let ws: Vec<WeightSet> = sets
        .iter()
        .map(|(l, w)| WeightSet {
            label: l.clone(),
            weights: w,
        })
        .collect();
    let secs = vec![
        section(
            "overlay",
            "First-layer weights",
            plot(
                plots::weight_histograms("First-layer weights by run", &ws, 80),
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
        subtitle: format!("{} runs", dirs.len()),
        sections: secs,
    }
    .render())
}
