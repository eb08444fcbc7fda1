//! `occam explain RUN DATA --out DIR`: explains the model of a run folder on DATA
//! (`occam::explain`): exact SHAP values for linear and Bayesian linear runs, permutation
//! importance (optionally grouped by correlated clusters) for any model on feature columns,
//! integrated gradients, gradient x input and SmoothGrad for networks (MLP, CNN, LSTM/GRU).
//! Writes an `explain` run folder: explain.json, importance.csv (`feature,importance,se`,
//! most important first), attributions.csv (per-row methods: a row per data row, a column
//! per feature) and report.html.

use crate::flags::ExplainArgs;
use crate::{load, output, UserError};
use anyhow::Result;
use occam::explain::{self, Baseline, ExplainOptions, Method, Quadrature};
use occam::{HandleUnknown, Model, RunKind};

pub fn run(a: &ExplainArgs) -> Result<()> {
    let unknown = HandleUnknown::parse(&a.handle_unknown, "--handle-unknown")?;
    let mut model = Model::load(&a.run)?;
    let linear = matches!(model, Model::Linear(_) | Model::Bayes(_));
    let method = match &a.method {
        Some(m) => Method::parse(m)?,
        None if linear => Method::Shap,
        None if matches!(model, Model::Forecaster(_)) => Method::Ig,
        None => Method::Permutation,
    };
    match (&mut model, a.lambda) {
        (Model::Linear(m), Some(s)) => m.set_lambda(s)?,
        (Model::Linear(m), None) if m.lambda.is_none() => anyhow::bail!(UserError(format!(
            "{} holds a path fitted without cross-validation: give the lambda to explain, \
             --lambda VALUE",
            a.run.display()
        ))),
        (_, Some(_)) => {
            anyhow::bail!(UserError("--lambda applies to linear models only".into()))
        }
        _ => {}
    }
    output::check_new_run(&a.out, RunKind::Explain, a.force)?;
    let src = load::resolve(&a.data)?;
    let opts = |method, background| -> Result<ExplainOptions> {
        let tol = match a.ig_tol.as_str() {
            "off" => None,
            t => match t.parse::<f64>() {
                Ok(v) if v > 0.0 && v.is_finite() => Some(v),
                _ => anyhow::bail!(UserError(format!(
                    "--ig-tol: '{t}' is neither a number > 0 nor off"
                ))),
            },
        };
        let quadrature = Quadrature::parse(&a.quadrature).ok_or_else(|| {
            UserError(format!(
                "--quadrature: '{}' is not one of gausslegendre, riemann_left, riemann_right, \
                 riemann_middle, riemann_trapezoid",
                a.quadrature
            ))
        })?;
        Ok(ExplainOptions {
            method,
            repeats: a.repeats,
            seed: a.seed,
            group_corr: a.group_corr,
            background,
            class: a.class.clone(),
            rows: a.rows.clone(),
            baseline: Baseline::parse(&a.baseline)?,
            steps: a.steps,
            quadrature,
            tol,
            samples: a.samples,
            noise: a.noise,
            horizon_step: a.horizon_step,
        })
    };
    if let Model::Forecaster(m) = &model {
        if a.background.is_some() {
            anyhow::bail!(UserError(
                "--background: a forecaster's baseline is the flat window at each window's \
                 center"
                    .into()
            ));
        }
        let t = src.table()?;
        let e = explain::explain_forecast(m, &t, &opts(method, None)?)?;
        return finish(a, e);
    }
    let (x, y) = model.features(&src, unknown)?;
    let background = match &a.background {
        Some(b) => {
            let bsrc = load::resolve(b)?;
            let (bx, _) = model.features(&bsrc, unknown)?;
            Some(explain::column_means(&bx))
        }
        None => None,
    };
    let e = explain::explain(&model, &x, y.as_deref(), &opts(method, background)?)?;
    finish(a, e)
}

/// Writes the run folder and the report of `e`, and prints its summary.
fn finish(a: &ExplainArgs, e: occam::explain::Explanation) -> Result<()> {
    let mut run = output::new_run(&a.out, RunKind::Explain, a.force)?;
    run.write("importance.csv", e.importance_csv().as_bytes())?;
    if let Some(csv) = e.attributions_csv() {
        run.write("attributions.csv", csv.as_bytes())?;
    }
    run.write_json("explain.json", &e)?;
    println!(
        "{} on {} rows of {}: {} features{}",
        match e.method {
            Method::Shap => "exact linear SHAP",
            Method::Permutation => "permutation importance",
            Method::Ig => "integrated gradients",
            Method::GradXInput => "gradient x input",
            Method::SmoothGrad => "SmoothGrad x input",
        },
        e.n,
        a.data,
        e.feature_names.len(),
        match (e.baseline_score, &e.score) {
            (Some(s), Some(name)) => format!(", baseline {name} {s:.4}"),
            _ => String::new(),
        }
    );
    if let Some(g) = &e.gradient {
        println!("explained: {}; baseline: {}", g.output, g.baseline);
        if let Some((mean, most)) = g.steps {
            println!("gradient evaluations per row: mean {mean:.0}, most {most}");
        }
    }
    if let Some(c) = e.completeness_error {
        let reference = if e.method == Method::Ig {
            "f(baseline)"
        } else {
            "f(background)"
        };
        println!("completeness: each row's values sum to f(x) - {reference} within {c:.1e}");
        if let Some(g) = e.gradient.as_ref().filter(|g| g.rows_over_tol > 0) {
            println!(
                "warning: {} rows stayed above the tolerance at the step limit",
                g.rows_over_tol
            );
        }
    }
    println!("{:<32} {:>12} {:>10}", "feature", "importance", "se");
    for r in e.importance.iter().take(15) {
        println!("{:<32} {:>12.6} {:>10.6}", r.feature, r.importance, r.se);
    }
    if a.no_report {
        println!("wrote {}", run.dir().display());
        return Ok(());
    }
    let report = run.path("report.html");
    crate::cmd_report::write(run.dir(), &report)?;
    println!("wrote {}", report.display());
    Ok(())
}
