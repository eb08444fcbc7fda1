//! `occam linear path` and `occam linear cv`: flags -> PathConfig / CvConfig -> fit -> table
//! on stdout and JSON with glmnet's field names.

use crate::flags::{DataFlags, LinearCvArgs, LinearFlags, LinearPathArgs};
use crate::{load, output, UserError};
use anyhow::{bail, Result};
use occam::results::{CvResult, LinearResult};
use occam::{Linear, LinearCv, LinearModel, Rule, RunKind};
use occam_core::{DataError, Dataset};
use occam_linear::{CvConfig, Family, Measure, PathConfig, PathFit};
use std::path::Path;

/// Loads the data set named by the flags.
pub fn load_data(f: &DataFlags) -> Result<Dataset> {
    let opts = f.csv_options()?;
    let src = load::resolve(&f.data)?;
    load::dataset(&src, &opts, f.vocab.as_deref())
}

/// Reads numbers from a file, one per line (or `name,number`), with errors naming the line.
fn read_numbers(path: &Path, what: &str) -> Result<Vec<(Option<String>, f64)>> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, num) = match line.rsplit_once(',') {
            Some((n, v)) => (Some(n.trim().to_string()), v.trim()),
            None => (None, line),
        };
        let v: f64 = num
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| DataError::Malformed {
                path: path.to_path_buf(),
                line: k as u64 + 1,
                detail: format!("'{num}' is not a number ({what})"),
            })?;
        out.push((name, v));
    }
    Ok(out)
}

/// Stage 2 of the linear flags: the facade's path settings for this data set (validated
/// by `Linear::path_config`).
pub fn linear_config(f: &LinearFlags, d: &Dataset) -> Result<Linear> {
    let family = match &f.family {
        Some(s) => Some(Family::parse(s)?),
        None => None,
    };
    if let Some(why) = occam::family_mismatch(family.unwrap_or(Family::for_task(d.task)), d) {
        bail!(UserError(format!("--family {why}")));
    }
    let penalty_factor = match &f.penalty_factor {
        Some(p) => {
            let rows = read_numbers(p, "penalty factor")?;
            Some(if rows.iter().all(|(n, _)| n.is_some()) {
                let mut pf = vec![1.0; d.nfeatures()];
                for (name, v) in rows {
                    let name = name.unwrap();
                    let j = d
                        .feature_names
                        .iter()
                        .position(|f| *f == name)
                        .ok_or_else(|| {
                            UserError(format!("{}: no feature named '{name}'", p.display()))
                        })?;
                    pf[j] = v;
                }
                pf
            } else {
                rows.into_iter().map(|(_, v)| v).collect()
            })
        }
        None => None,
    };
    Ok(Linear {
        family,
        alpha: f.alpha,
        nlambda: f.nlambda,
        lambda_min_ratio: f.lambda_min_ratio,
        lambda: f.lambda.clone(),
        penalty_factor,
        standardize: !f.no_standardize,
        intercept: !f.no_intercept,
        tol: f.tol,
        gap_tol: f.gap_tol,
        grouped: f.grouped,
        relax: f.relax.then_some(f.gamma),
    })
}

/// Stage 2 of the linear flags as the solver's validated PathConfig (the commands that call
/// occam-linear directly: tune, select, text).
pub fn path_config(f: &LinearFlags, d: &Dataset) -> Result<PathConfig> {
    let mut lin = linear_config(f, d)?;
    if !(0.0..=1.0).contains(&f.gamma) {
        bail!(DataError::param(
            "--gamma",
            format!("{} is not in [0, 1]", f.gamma)
        ));
    }
    lin.relax = None;
    Ok(lin.path_config(d)?)
}

fn print_warnings(fit: &PathFit) {
    for w in &fit.warnings {
        eprintln!("warning: {w}");
    }
}

pub fn path(a: &LinearPathArgs) -> Result<()> {
    let d = load_data(&a.data)?;
    let lin = linear_config(&a.linear, &d)?;
    let cfg = lin.path_config(&d)?;
    check_run(a.out.as_deref(), RunKind::LinearPath, a.force)?;
    let bar = crate::progress::bar(
        cfg.lambda.as_ref().map_or(cfg.nlambda, |l| l.len()) as u64,
        "lambdas",
    );
    let tick = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let fit = occam_linear::fit_path_with_progress(&d.x, &d.y, &cfg, lin.relax, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let fit = fit?;
    // The result files first: a reader that closes stdout early (`| head`) must not lose them.
    let pj = LinearResult::new(&fit, &d);
    if let Some(p) = &a.json {
        output::write_json(p, &pj)?;
    }
    let model = LinearModel::from_path(&d, fit.clone(), None);
    let report = finish_run(
        a.out.as_deref(),
        RunKind::LinearPath,
        a.force,
        ("path.json", &pj),
        &model,
        a.no_report,
    )?;
    println!(
        "{} path, alpha {}, {} rows x {} features{}: {} lambdas in {:.3} s",
        cfg.family.name(),
        cfg.alpha,
        d.nrows(),
        d.nfeatures(),
        if d.x.is_sparse() { " (sparse)" } else { "" },
        fit.lambda.len(),
        fit.fit_seconds
    );
    print!("{pj}");
    let order = pj.entry_order();
    println!("order of entry: {order}");
    print_warnings(&fit);
    if let Some(p) = &a.json {
        println!("wrote {}", p.display());
    }
    if let Some(r) = report {
        println!("wrote {}", r.display());
    }
    Ok(())
}

/// Stage 2 of the CV flags.
pub fn cv_config(a: &LinearCvArgs, cfg: &PathConfig, n: usize) -> Result<CvConfig> {
    let foldid = match &a.foldid {
        Some(p) => {
            let rows = read_numbers(p, "fold id")?;
            if rows.len() != n {
                bail!(DataError::param(
                    "--foldid",
                    format!("{} has {} fold ids for {n} rows", p.display(), rows.len())
                ));
            }
            let mut ids = Vec::with_capacity(n);
            for (k, (_, v)) in rows.iter().enumerate() {
                if v.fract() != 0.0 || *v < 1.0 {
                    bail!(DataError::param(
                        "--foldid",
                        format!("entry {} is {v}; fold ids are 1, 2, ..., K", k + 1)
                    ));
                }
                ids.push(*v as usize - 1);
            }
            Some(ids)
        }
        None => None,
    };
    Ok(CvConfig {
        folds: a.folds,
        foldid,
        measure: Measure::parse(&a.measure, cfg.family)?,
        seed: a.seed,
    })
}

pub fn cv(a: &LinearCvArgs) -> Result<()> {
    let d = load_data(&a.data)?;
    let lin = linear_config(&a.linear, &d)?;
    let cfg = lin.path_config(&d)?;
    let cvc = cv_config(a, &cfg, d.nrows())?;
    let est = LinearCv {
        path: lin,
        folds: cvc.folds,
        foldid: cvc.foldid,
        measure: cvc.measure,
        seed: cvc.seed,
        rule: Rule::parse(&a.rule)?,
    };
    check_run(a.out.as_deref(), RunKind::LinearCv, a.force)?;
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
    if let Some(p) = &a.json {
        output::write_json(p, &cj)?;
    }
    let report = finish_run(
        a.out.as_deref(),
        RunKind::LinearCv,
        a.force,
        ("cv.json", &cj),
        &model,
        a.no_report,
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
    if let Some(p) = &a.json {
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
    model: &LinearModel,
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
