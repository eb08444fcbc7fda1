//! `occam demo`: the main job on the embedded Pima diabetes data — an L1-logistic path with
//! 10-fold CV on a stratified 75% training split, the features selected at lambda.1se, and
//! accuracy on the 25% held out. The run folder keeps the model, so `occam predict` uses it.

use crate::flags::DemoArgs;
use crate::{load, output};
use anyhow::Result;
use occam::results::{CvResult, HeldOutPoint};
use occam::{Linear, LinearCv, RunKind};
use occam_core::{metrics, split, CsvOptions};
use occam_linear::predict::{coef_at, predict_class, predict_response};
use occam_linear::{Family, Measure};

pub fn run(a: &DemoArgs) -> Result<()> {
    let src = load::resolve("builtin:pima")?;
    let d = load::dataset(&src, &CsvOptions::default(), None)?;
    println!(
        "occam demo: which measurements predict diabetes? (Pima Indians, {} women, {} features)",
        d.nrows(),
        d.nfeatures()
    );
    let s = split::train_val_test(d.nrows(), Some(&d.y), 0.0, 0.25, a.seed)?;
    let train = d.subset(&s.train);
    let test = d.subset(&s.test);
    let counts = train.class_counts();
    println!(
        "stratified split (seed {}): {} training rows ({}/{}), {} held out",
        a.seed,
        train.nrows(),
        counts[0],
        counts[1],
        test.nrows()
    );
    // Rerunning the demo replaces its own earlier run, never another kind of run.
    let again = occam::RunFolder::open(&a.out).is_ok_and(|r| r.kind() == RunKind::LinearCv);
    output::check_new_run(&a.out, RunKind::LinearCv, again)?;
    let est = LinearCv {
        path: Linear {
            family: Some(Family::Binomial),
            ..Linear::default()
        },
        folds: 10,
        measure: Measure::Deviance,
        seed: a.seed,
        ..LinearCv::default()
    };
    let (model, cv) = est.fit_cv(&train)?;
    println!(
        "L1-logistic (lasso) path: {} lambdas, 10-fold CV by binomial deviance in {:.2} s",
        cv.fit.lambda.len(),
        cv.fit_seconds
    );
    let mut v = CvResult::new(&cv, &train);
    println!("order of entry: {}", v.path.entry_order());
    let truth: Vec<usize> = test.y.iter().map(|&v| v as usize).collect();
    let mut held_out = std::collections::BTreeMap::new();
    for (name, l) in [("lambda.min", cv.index_min), ("lambda.1se", cv.index_1se)] {
        let (a0, beta) = coef_at(&cv.fit, cv.fit.lambda[l]);
        let mu = predict_response(Family::Binomial, &test.x, &a0, &beta);
        let acc = metrics::accuracy(&predict_class(Family::Binomial, &mu), &truth);
        let auc = metrics::auc(&mu[0], &test.y);
        println!(
            "{name} = {:.5}: CV deviance {:.4} ± {:.4}, {} features, held-out accuracy {:.1}%, AUC {:.3}",
            cv.fit.lambda[l],
            cv.cvm[l],
            cv.cvsd[l],
            cv.fit.df[l],
            100.0 * acc,
            auc
        );
        println!("  selected: {}", v.path.describe_selected(l));
        held_out.insert(
            name.into(),
            HeldOutPoint {
                lambda: cv.fit.lambda[l],
                accuracy: acc,
                auc,
                df: cv.fit.df[l],
            },
        );
    }
    v.held_out = Some(held_out);
    v.split_seed = Some(a.seed);
    let mut run = output::new_run(&a.out, RunKind::LinearCv, again)?;
    run.write_json("cv.json", &v)?;
    model.save(&mut run)?;
    println!(
        "wrote {} and the model at lambda.1se (`occam predict {} DATA`)",
        run.path("cv.json").display(),
        a.out.display()
    );
    let report = a.out.join("report.html");
    crate::cmd_report::write(&a.out, &report)?;
    println!("report: {}", report.display());
    Ok(())
}
