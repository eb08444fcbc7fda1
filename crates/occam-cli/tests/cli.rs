//! The CLI on the real data sets: inspect, sparse loading, the demo, linear path and cv JSON,
//! and `occam train --help` grouped by model kind.

mod common;
use common::*;

#[test]
fn inspect_pima_reports_rows_features_and_classes() {
    let (out, err, code) = occam(&["data", "inspect", &datasets("pima_indians_diabetes.csv")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("rows: 768"), "{out}");
    assert!(out.contains("features: 8"), "{out}");
    assert!(out.contains("classes: 500/268"), "{out}");
}

#[test]
fn movie_reviews_load_sparse_without_densifying() {
    let (out, err, code) = occam(&[
        "data",
        "inspect",
        &datasets("movie_reviews_polarity_counts.svm.gz"),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("rows: 2000"), "{out}");
    assert!(out.contains("features: 50920"), "{out}");
    assert!(out.contains("stored values: 691990"), "{out}");
    let peak: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("peak memory: "))
        .and_then(|l| l.trim_end_matches(" MB").parse().ok())
        .expect("peak memory line");
    // a dense 2000 x 50920 f64 matrix alone would take 815 MB
    assert!(peak < 150.0, "peak memory {peak} MB");
}

#[test]
fn demo_selects_glucose_and_bmi_and_reports_accuracy() {
    let dir = std::env::temp_dir().join(format!("occam-demo-{}", std::process::id()));
    let (out, err, code) = occam(&["demo", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("lambda.1se"))
        .expect("lambda.1se line");
    assert!(line.contains("held-out accuracy"), "{line}");
    let selected = out
        .lines()
        .skip_while(|l| !l.starts_with("lambda.1se"))
        .nth(1)
        .unwrap();
    assert!(
        selected.contains("glucose") && selected.contains("mass"),
        "{selected}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cv.json")).unwrap()).unwrap();
    let acc = v["held_out"]["lambda.1se"]["accuracy"].as_f64().unwrap();
    assert!(acc > 0.7, "held-out accuracy {acc}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn linear_path_json_uses_glmnet_names_and_echoes_user_lambdas() {
    let dir = std::env::temp_dir().join(format!("occam-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("p.json");
    let (_, err, code) = occam(&[
        "linear",
        "path",
        "builtin:diabetes",
        "--lambda",
        "0.5,5,0.05",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let lam: Vec<f64> = v["lambda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(lam, [0.5, 5.0, 0.05]);
    for key in [
        "a0",
        "beta",
        "df",
        "dev_ratio",
        "feature_names",
        "fit_seconds",
    ] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    assert_eq!(v["beta"].as_array().unwrap().len(), 3);
    assert_eq!(v["beta"][0].as_array().unwrap().len(), 10);
    // a larger lambda never has more non-zero coefficients here (lasso on diabetes)
    let df: Vec<u64> = v["df"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(df[1] <= df[0] && df[0] <= df[2], "{df:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn linear_cv_writes_lambda_min_and_1se() {
    let dir = std::env::temp_dir().join(format!("occam-cv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("cv.json");
    let (out, err, code) = occam(&[
        "linear",
        "cv",
        "builtin:colon",
        "--folds",
        "5",
        "--measure",
        "class",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("lambda.1se ="), "{out}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for key in [
        "cvm",
        "cvsd",
        "lambda_min",
        "lambda_1se",
        "index_min",
        "index_1se",
    ] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    assert!(v["lambda_1se"].as_f64().unwrap() >= v["lambda_min"].as_f64().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn train_help_groups_the_options_by_model_kind() {
    let (out, err, code) = occam(&["train", "--help"]);
    assert_eq!(code, Some(0), "{err}");
    // Each heading, in order, followed by its own options before the next heading.
    let groups = [
        ("Data:", "--categorical"),
        ("Forecaster (--model lstm|gru):", "--time-column"),
        ("Images (--model cnn, idx files):", "--conv"),
        ("Recommender (--model recommender):", "--user"),
        ("Text (--model text):", "--ngram"),
        ("Network:", "--hidden"),
        ("Penalties:", "--l1"),
        ("Training:", "--epochs"),
        ("Evaluation:", "--baseline"),
    ];
    let mut from = 0;
    for (i, (head, flag)) in groups.iter().enumerate() {
        let at = from
            + out[from..]
                .find(head)
                .unwrap_or_else(|| panic!("{head} missing:\n{out}"));
        let end = groups
            .get(i + 1)
            .and_then(|(next, _)| out[at..].find(next).map(|k| at + k))
            .unwrap_or(out.len());
        assert!(
            out[at..end].contains(&format!("{flag} ")),
            "{flag} not under {head}:\n{out}"
        );
        from = at;
    }
    // The recommender's columns are not listed among the text options.
    let text = &out[out.find("Text (--model text):").unwrap()..out.find("Network:").unwrap()];
    assert!(!text.contains("--user"), "{text}");
}
