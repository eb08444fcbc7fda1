//! `occam linear bayes`: Bayesian ridge and ARD from the command line give scikit-learn's
//! coefficients, alpha and lambda (the fixtures of occam-linear's tests/fixtures/bayes, made
//! by gen_bayes.py there), the run folder's model predicts scikit-learn's mean and
//! standard deviation through `occam predict`, the report draws its sections, and bad input
//! is a usage error naming the flag, with an earlier run left as it was.

mod common;
use common::{datasets, fails_naming, floats, json, occam, tmp};
use std::path::Path;

fn fixture(name: &str) -> serde_json::Value {
    json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../occam-linear/tests/fixtures/bayes/{name}.json")),
    )
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-12))
        .fold(0.0, f64::max)
}

fn check(case: &str, extra: &[&str]) {
    let f = fixture(case);
    let dir = tmp(&format!("bayes-{case}"));
    let run = dir.join("run");
    let data = datasets("diabetes_regression.csv");
    let mut args = vec![
        "linear",
        "bayes",
        data.as_str(),
        "--out",
        run.to_str().unwrap(),
    ];
    args.extend(extra);
    let (o, e, c) = occam(&args);
    assert_eq!(c, Some(0), "{o}{e}");
    assert!(o.contains("evidence updates"), "{o}");
    assert_eq!(json(&run.join("manifest.json"))["kind"], "bayes");
    let res = json(&run.join("bayes.json"));
    assert!(
        max_rel(&floats(&res["coef"]), &floats(&f["coef"])) <= 1e-6,
        "{case}: coef"
    );
    assert!(
        max_rel(
            &[res["alpha"].as_f64().unwrap()],
            &[f["alpha"].as_f64().unwrap()]
        ) <= 1e-6
    );
    assert!(
        max_rel(&floats(&res["lambda"]), &floats(&f["lambda_"])) <= 1e-6,
        "{case}: lambda"
    );
    assert_eq!(res["n_iter"], f["n_iter"]);
    // occam predict: the posterior mean and the predictive sd of every row
    let pred = dir.join("pred.csv");
    let (o, e, c) = occam(&[
        "predict",
        run.to_str().unwrap(),
        &data,
        "--out",
        pred.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let text = std::fs::read_to_string(&pred).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "predicted_disease_progression,std_disease_progression"
    );
    let (mean, sd): (Vec<f64>, Vec<f64>) = lines
        .map(|l| {
            let mut it = l.split(',').map(|v| v.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .unzip();
    assert!(
        max_rel(&mean, &floats(&f["mean"])) <= 1e-6,
        "{case}: predicted mean"
    );
    assert!(
        max_rel(&sd, &floats(&f["std"])) <= 1e-6,
        "{case}: predictive sd"
    );
    // the report's sections
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    for id in [
        "id=\"run\"",
        "id=\"selected\"",
        "id=\"evidence\"",
        "id=\"metrics\"",
    ] {
        assert!(html.contains(id), "{case}: report lacks {id}");
    }
    assert!(html.contains("Posterior coefficients") && html.contains("Log marginal likelihood"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bayesian_ridge_equals_scikit_learn_on_diabetes() {
    check("ridge_diabetes", &[]);
}

#[test]
fn ard_equals_scikit_learn_on_diabetes() {
    check("ard_diabetes", &["--ard"]);
}

#[test]
fn ard_report_lists_the_precisions() {
    let dir = tmp("bayes-ard-report");
    let run = dir.join("run");
    let data = datasets("diabetes_regression.csv");
    let (o, e, c) = occam(&[
        "linear",
        "bayes",
        &data,
        "--ard",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("id=\"precisions\"") && html.contains("log10 lambda"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_a_usage_error_and_an_earlier_run_is_kept() {
    let dir = tmp("bayes-bad");
    let run = dir.join("run");
    let data = datasets("diabetes_regression.csv");
    let out = run.to_str().unwrap();
    fails_naming(&["linear", "bayes", &data, "--max-iter", "0"], "--max-iter");
    fails_naming(&["linear", "bayes", &data, "--alpha-1", "-1"], "--alpha-1");
    fails_naming(
        &["linear", "bayes", &data, "--ard", "--lambda-init", "2"],
        "--lambda-init",
    );
    fails_naming(
        &["linear", "bayes", &datasets("pima_indians_diabetes.csv")],
        "numeric target",
    );
    let (o, e, c) = occam(&["linear", "bayes", &data, "--out", out]);
    assert_eq!(c, Some(0), "{o}{e}");
    let before = std::fs::read(run.join("bayes.json")).unwrap();
    // a failing run into the same folder with --force leaves the earlier run as it was
    fails_naming(
        &[
            "linear",
            "bayes",
            &data,
            "--threshold-lambda",
            "0",
            "--out",
            out,
            "--force",
        ],
        "--threshold-lambda",
    );
    assert_eq!(std::fs::read(run.join("bayes.json")).unwrap(), before);
    // and without --force the folder is refused
    let (_, e, c) = occam(&["linear", "bayes", &data, "--out", out]);
    assert_eq!(c, Some(2), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
