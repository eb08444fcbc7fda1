//! `occam linear path`, `occam linear cv` and `occam linear bayes`: flags (the facade's
//! `occam::options`) -> `Linear` / `LinearCv` / `BayesLinear` -> fit -> table on stdout and
//! JSON (glmnet's field names for the paths).

use crate::flags::{LinearBayesArgs, LinearCvArgs, LinearPathArgs};
use crate::output;
use anyhow::Result;
use occam::options::LinearOptions;
use occam::results::{BayesResult, CvResult, LinearResult};
use occam::{Estimator, Fitted, Linear, LinearModel, RunKind};
use occam_core::Dataset;
use occam_linear::{PathConfig, PathFit};
use std::path::Path;

/// The path estimator of the options for `d`; a family that does not fit the target is a
/// usage error of the command line (`--family binomial` on a one-value target).
pub fn linear(f: &LinearOptions, d: &Dataset) -> Result<Linear> {
    f.linear(d).map_err(|e| match e {
        occam::Error::Param { param, detail } if param == "family" => {
            crate::UserError(format!("--family {detail}")).into()
        }
        other => other.into(),
    })
}

/// The linear options as the solver's validated PathConfig, without relaxation (the
/// commands that call occam-linear directly: select, text).
pub fn path_config(f: &LinearOptions, d: &Dataset) -> Result<PathConfig> {
    let mut lin = linear(f, d)?;
    lin.relax = None;
    Ok(lin.path_config(d)?)
}

fn print_warnings(fit: &PathFit) {
    for w in &fit.warnings {
        eprintln!("warning: {w}");
    }
}

pub fn path(a: &LinearPathArgs) -> Result<()> {
    let mut d = a.data.load()?;
    let lin = linear(&a.linear, &d)?;
    let cfg = lin.path_config(&d)?;
    check_run(a.output.out.as_deref(), RunKind::LinearPath, a.output.force)?;
    let bar = crate::progress::bar(
        cfg.lambda.as_ref().map_or(cfg.nlambda, |l| l.len()) as u64,
        "lambdas",
    );
    let tick = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
        true
    };
    // The fit takes X (a dense X is standardized in place, not copied: the path holds X
    // once); what the results need of it is taken first.
    let feature_sd = occam::results::column_sd(&d.x);
    let (nrows, nfeatures, sparse) = (d.nrows(), d.nfeatures(), d.x.is_sparse());
    let x = std::mem::replace(
        &mut d.x,
        occam_core::Matrix::Dense(occam_core::DenseMatrix::zeros(0, 0)),
    );
    let fit = occam_linear::fit_path_owned(x, &d.y, &cfg, lin.relax, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut fit = fit?;
    // The result files first: a reader that closes stdout early (`| head`) must not lose them.
    let pj = LinearResult::with_feature_sd(&fit, &d, feature_sd);
    if let Some(p) = &a.output.json {
        output::write_json(p, &pj)?;
    }
    // The model takes the fit (a dense path of a wide design is worth not copying).
    let (nlambda, fit_seconds) = (fit.lambda.len(), fit.fit_seconds);
    let warnings = std::mem::take(&mut fit.warnings);
    let model = LinearModel::from_path(&d, fit, None);
    let report = finish_run(
        a.output.out.as_deref(),
        RunKind::LinearPath,
        a.output.force,
        ("path.json", &pj),
        &model,
        a.output.no_report,
    )?;
    println!(
        "{} path, alpha {}, {} rows x {} features{}: {} lambdas in {:.3} s",
        cfg.family.name(),
        cfg.alpha,
        nrows,
        nfeatures,
        if sparse { " (sparse)" } else { "" },
        nlambda,
        fit_seconds
    );
    print!("{pj}");
    let order = pj.entry_order();
    println!("order of entry: {order}");
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if let Some(p) = &a.output.json {
        println!("wrote {}", p.display());
    }
    if let Some(r) = report {
        println!("wrote {}", r.display());
    }
    Ok(())
}

pub fn cv(a: &LinearCvArgs) -> Result<()> {
    let d = a.data.load()?;
    let lin = linear(&a.linear, &d)?;
    let cfg = lin.path_config(&d)?;
    let est = a.cv.linear_cv(lin, &d)?;
    check_run(a.output.out.as_deref(), RunKind::LinearCv, a.output.force)?;
    let k = est
        .foldid
        .as_ref()
        .map_or(est.folds, |f| f.iter().max().map_or(0, |m| m + 1));
    let bar = crate::progress::bar(k as u64 + 1, "path fits (all rows + folds)");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let fitted = est.fit_with_progress(&d, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (model, cv) = fitted?;
    let cj = CvResult::new(&cv, &d);
    if let Some(p) = &a.output.json {
        output::write_json(p, &cj)?;
    }
    let report = finish_run(
        a.output.out.as_deref(),
        RunKind::LinearCv,
        a.output.force,
        ("cv.json", &cj),
        &model,
        a.output.no_report,
    )?;
    println!(
        "{}-fold CV of the {} path, alpha {}, {} rows x {} features: {:.3} s",
        cv.foldid.iter().max().map_or(0, |m| m + 1),
        cfg.family.name(),
        cfg.alpha,
        d.nrows(),
        d.nfeatures(),
        cv.fit_seconds
    );
    print!("{cj}");
    print_warnings(&cv.fit);
    if let Some(p) = &a.output.json {
        println!("wrote {}", p.display());
    }
    if let Some(r) = report {
        println!("wrote {}", r.display());
    }
    Ok(())
}

pub fn bayes(a: &LinearBayesArgs) -> Result<()> {
    let d = a.data.load()?;
    let est = a.bayes.bayes()?;
    check_run(a.output.out.as_deref(), RunKind::Bayes, a.output.force)?;
    let start = std::time::Instant::now();
    let model = est.fit(&d)?;
    let res = BayesResult::new(&model, &d, start.elapsed().as_secs_f64())?;
    if let Some(p) = &a.output.json {
        output::write_json(p, &res)?;
    }
    let report = finish_run(
        a.output.out.as_deref(),
        RunKind::Bayes,
        a.output.force,
        ("bayes.json", &res),
        &model,
        a.output.no_report,
    )?;
    println!(
        "{} on {} rows x {} features{}: {} evidence updates in {:.3} s",
        res.kind_name(),
        d.nrows(),
        d.nfeatures(),
        if d.x.is_sparse() { " (sparse)" } else { "" },
        res.n_iter,
        res.fit_seconds
    );
    print!("{res}");
    if let Some(p) = &a.output.json {
        println!("wrote {}", p.display());
    }
    if let Some(r) = report {
        println!("wrote {}", r.display());
    }
    Ok(())
}

/// With `--out DIR`: refuses DIR when it already holds a run (unless `force`), before any
/// work starts.
fn check_run(dir: Option<&Path>, kind: RunKind, force: bool) -> Result<()> {
    if let Some(d) = dir {
        output::check_new_run(d, kind, force)?;
    }
    Ok(())
}

/// With `--out DIR`: writes NAME (the result JSON), the model and (unless `no_report`)
/// report.html into the run folder; returns the path of what was written last.
fn finish_run(
    dir: Option<&Path>,
    kind: RunKind,
    force: bool,
    (name, v): (&str, &impl serde::Serialize),
    model: &impl Fitted,
    no_report: bool,
) -> Result<Option<std::path::PathBuf>> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    let mut run = output::new_run(dir, kind, force)?;
    let run = &mut run;
    run.write_json(name, v)?;
    model.save(run)?;
    if no_report {
        return Ok(Some(run.path(name)));
    }
    let report = run.path("report.html");
    crate::cmd_report::write(run.dir(), &report)?;
    Ok(Some(report))
}
