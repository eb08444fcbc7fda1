//! `occam tune DATA --space space.toml --out RUN_DIR`: k-fold cross-validation of network
//! configs drawn by grid, random or TPE search (occam-select), the median pruning rule, every
//! trial recorded in RUN_DIR/trials.jsonl (a rerun with the same out dir resumes), the choice
//! by the best mean (`--rule min`) or the one-standard-error rule (`--rule 1se`), and the
//! chosen network against the same network without regularization on held-out rows; the
//! chosen network is saved as model.safetensors + model.json for `occam predict`.

use crate::cmd_train::load_dataset;
use crate::flags_nn::TrainOptions;
use crate::nn_setup;
use crate::UserError;
use anyhow::Result;
use occam::tune::{Journal, Tune};
use occam_core::{split, Dataset};
use occam_select::search::Trial;
use occam_select::space::{DimSpec, Space};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct TuneArgs {
    #[command(flatten)]
    pub input: crate::flags::NetworkData,
    /// The search space (TOML: [l1] log = [1e-4, 1e-1], [dropout] range = [0, 0.5], ...).
    #[arg(long)]
    pub space: PathBuf,
    /// grid | random | tpe.
    #[arg(long, default_value = "tpe")]
    pub search: String,
    /// Number of trials (a grid stops when exhausted).
    #[arg(long, default_value_t = 40)]
    pub trials: usize,
    /// accuracy | f1 | roc_auc | log_loss | r2 | rmse | mae | loss [default: accuracy for
    /// classification, rmse for regression, poisson_deviance for counts].
    #[arg(long)]
    pub metric: Option<String>,
    /// min (best mean) | 1se (the most regularized within one SE of the best).
    #[arg(long, default_value = "1se")]
    pub rule: String,
    /// Prune a trial whose fold validation loss is above the median of earlier trials.
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub run: crate::flags::RunFlags,
}

fn read_space(path: &std::path::Path) -> Result<Space> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UserError(format!("cannot read {}: {e}", path.display())))?;
    let specs: BTreeMap<String, DimSpec> = toml::from_str(&text)
        .map_err(|e| UserError(format!("{}: {}", path.display(), e.message())))?;
    Space::from_specs(&specs).map_err(|e| UserError(format!("{}: {e}", path.display())).into())
}

pub fn run(a: &TuneArgs) -> Result<()> {
    let o = nn_setup::merge(&a.input.opts, a.input.config.as_deref())?;
    nn_setup::set_threads(o.threads)?;
    nn_setup::in_pool(|| run_in_pool(a, o))
}

fn run_in_pool(a: &TuneArgs, o: TrainOptions) -> Result<()> {
    if a.trials == 0 {
        anyhow::bail!(occam_core::DataError::param(
            "--trials",
            "must be at least 1"
        ));
    }
    let space = read_space(&a.space)?;
    let method = occam::parse::search_method(&a.search)?;
    if !matches!(a.rule.as_str(), "min" | "1se") {
        anyhow::bail!(occam_core::DataError::param(
            "--rule",
            format!("'{}' is not min or 1se", a.rule)
        ));
    }
    // Every dimension must be a network parameter: checked before the run folder exists.
    let names = space.dims.iter().map(|(n, _)| (n.clone(), 1.0)).collect();
    o.only_train_networks("a search (its trials train many models on the same rows)")?;
    occam::tune::Tunable::with_params(&o.mlp()?, &names)?;
    let d = load_dataset(&a.input.data, &o, None)?;
    let metric = a
        .metric
        .clone()
        .unwrap_or_else(|| occam::tune::default_metric(d.task).into());
    occam::tune::check_metric(&metric, &d)?;
    let seed = o.seed.unwrap_or(0);
    let classes = d.task.is_classification().then_some(&d.y[..]);
    let s = split::train_val_test(
        d.nrows(),
        classes,
        0.0,
        o.test_fraction.unwrap_or(0.2),
        seed,
    )?;
    let train = d.subset(&s.train);
    let ycls = train.task.is_classification().then_some(&train.y[..]);
    // --folds is shared with `occam train --model text` (default 10 there); tune's default is 5.
    let folds = o.folds.unwrap_or(5);
    // The folds are drawn again by the search; this checks them before the run folder exists.
    split::kfold(train.nrows(), folds, ycls, seed)?;
    // The resolved setup; a rerun must match it to resume.
    let setup = json!({ "data": a.input.data, "options": o, "space": std::fs::read_to_string(&a.space)?, "search": a.search,
        "folds": folds, "metric": metric, "rule": a.rule, "prune": a.prune, "seed": seed });
    let setup_text = serde_json::to_string_pretty(&setup)?;
    // A folder with an earlier search of the same setup resumes it; --force starts afresh.
    let resumable = !a.run.force
        && occam::RunFolder::open(&a.run.out).is_ok_and(|r| r.kind() == occam::RunKind::Tune);
    let mode = match (a.run.force, resumable) {
        (true, _) => occam::Mode::Force,
        (false, true) => occam::Mode::Resume,
        (false, false) => occam::Mode::New,
    };
    let mut run = occam::RunFolder::create(&a.run.out, occam::RunKind::Tune, mode)?;
    let (journal, trials) = Journal::open(&run, &setup_text, mode != occam::Mode::Resume)?;
    if !trials.is_empty() {
        let path = journal.path().display();
        println!("resuming: {} trials recorded in {path}", trials.len());
    }
    println!(
        "occam tune: {} search, {} trials, {}-fold CV by {} on {} training rows ({} held out)",
        a.search,
        a.trials,
        folds,
        metric,
        train.nrows(),
        s.test.len()
    );
    let bar = crate::progress::bar(a.trials as u64, "trials");
    if let Some(b) = &bar {
        b.set_position(trials.len() as u64);
    }
    let base = o.mlp()?;
    let tune = Tune {
        estimator: base.clone(),
        space,
        method,
        trials: a.trials,
        folds,
        metric: Some(metric.clone()),
        prune: a.prune,
        seed,
        rule: occam::Rule::parse(&a.rule)?,
    };
    let trials = tune.search(&train, trials, &mut |trials| {
        let t = &trials[trials.len() - 1];
        let shown: Vec<String> = t
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v:.4}"))
            .collect();
        let msg = if t.pruned {
            format!("trial {:>3}: {} pruned", t.index + 1, shown.join(" "))
        } else {
            format!(
                "trial {:>3}: {} {metric} {:.4} ± {:.4}, {:.0} features",
                t.index + 1,
                shown.join(" "),
                t.mean,
                t.se,
                t.features_kept
            )
        };
        crate::progress::line(&bar, &msg);
        if let Some(b) = &bar {
            b.inc(1);
        }
        journal.write(trials)
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    finish(&mut run, a, &o, &tune, &d, &train, &s, &trials)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    run: &mut occam::RunFolder,
    a: &TuneArgs,
    o: &TrainOptions,
    tune: &Tune<occam::Mlp>,
    d: &Dataset,
    train: &Dataset,
    s: &split::Split,
    trials: &[Trial],
) -> Result<()> {
    let test = (!s.test.is_empty()).then(|| d.subset(&s.test));
    let mut fit = tune
        .finish(d, train, test.as_ref(), trials)
        .map_err(|e| match e.param() {
            Some("trials") => UserError("no trial completed (all pruned?)".into()).into(),
            _ => anyhow::Error::from(e),
        })?;
    fit.result.chosen.options = serde_json::to_value(o)?;
    fit.save(run, trials)?;
    let summary = &fit.result;
    if !a.run.no_report {
        crate::cmd_report::write(&a.run.out, &a.run.out.join("report.html"))?;
    }
    print!("{summary}");
    println!("wrote {}", a.run.out.display());
    Ok(())
}
