//! `occam explain`: exact SHAP for a linear run (importance.csv, attributions.csv that sum to
//! f(x) - base), permutation importance for a network run, grouped permutation on the
//! hidden-structure data ranking the truth first, integrated gradients of a CNN (exact on
//! every row, heat maps in the report) and of an MLP (the fixed Captum rules), the report's
//! sections, and bad input as a usage error naming the flag.

mod common;
use common::{datasets, fails_naming, json, ok, tmp};

fn csv(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn shap_on_a_linear_run_writes_attributions_that_sum_to_the_prediction() {
    let dir = tmp("explain-shap");
    let run = dir.join("cv");
    let data = datasets("diabetes_regression.csv");
    ok(&[
        "linear",
        "cv",
        &data,
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let out = dir.join("ex");
    let o = ok(&[
        "explain",
        run.to_str().unwrap(),
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.contains("exact linear SHAP"), "{o}");
    let imp = csv(&out.join("importance.csv"));
    assert_eq!(imp[0], ["feature", "importance", "se"]);
    let vals: Vec<f64> = imp[1..].iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(
        vals.windows(2).all(|w| w[0] >= w[1]),
        "most important first"
    );
    let att = csv(&out.join("attributions.csv"));
    assert_eq!(att.len(), 443, "a header and a row per data row");
    assert_eq!(att[0].len(), 10);
    let e = json(&out.join("explain.json"));
    assert_eq!(e["method"], "shap");
    assert!(e["completeness_error"].as_f64().unwrap() < 1e-12);
    // the sum of a row's values is f(x) - base: compare with occam predict
    let pred = dir.join("pred.csv");
    ok(&[
        "predict",
        run.to_str().unwrap(),
        &data,
        "--out",
        pred.to_str().unwrap(),
    ]);
    let f: Vec<f64> = csv(&pred)[1..]
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    let base = e["base_value"].as_f64().unwrap();
    for (i, row) in att[1..].iter().enumerate() {
        let s: f64 = row.iter().map(|v| v.parse::<f64>().unwrap()).sum();
        assert!(
            (s - (f[i] - base)).abs() < 1e-9 * f[i].abs().max(1.0),
            "row {i}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in ["id=\"run\"", "id=\"importance\"", "id=\"rows\""] {
        assert!(html.contains(id), "report lacks {id}");
    }
    assert_eq!(json(&out.join("manifest.json"))["kind"], "explain");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn permutation_explains_a_network_run() {
    let dir = tmp("explain-net");
    let run = dir.join("net");
    ok(&[
        "train",
        "builtin:pima",
        "--hidden",
        "16",
        "--epochs",
        "30",
        "--seed",
        "3",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let out = dir.join("ex");
    let data = datasets("pima_indians_diabetes.csv");
    let o = ok(&[
        "explain",
        run.to_str().unwrap(),
        &data,
        "--out",
        out.to_str().unwrap(),
        "--repeats",
        "3",
    ]);
    assert!(
        o.contains("permutation importance") && o.contains("baseline accuracy"),
        "{o}"
    );
    let imp = csv(&out.join("importance.csv"));
    assert_eq!(imp.len(), 9);
    assert_eq!(imp[1][0], "glucose", "glucose matters most: {imp:?}");
    assert!(!out.join("attributions.csv").exists());
    fails_naming(
        &[
            "explain",
            run.to_str().unwrap(),
            &data,
            "--out",
            dir.join("x").to_str().unwrap(),
            "--method",
            "shap",
        ],
        "--method",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn integrated_gradients_explain_a_cnn_exactly_with_heat_maps() {
    let dir = tmp("explain-ig-cnn");
    let run = dir.join("cnn");
    ok(&[
        "train",
        "builtin:digits",
        "--model",
        "cnn",
        "--conv",
        "6:3:2",
        "--epochs",
        "2",
        "--seed",
        "4",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let data = datasets("digits_8x8.csv");
    let out = dir.join("ig");
    let o = ok(&[
        "explain",
        run.to_str().unwrap(),
        &data,
        "--method",
        "ig",
        "--rows",
        "0,7",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        o.contains("integrated gradients") && o.contains("baseline: zeros"),
        "{o}"
    );
    let att = csv(&out.join("attributions.csv"));
    assert_eq!(att.len(), 1798, "a header and a row per image");
    assert_eq!(att[0].len(), 64);
    assert_eq!(att[0][0], "pixel_0_0");
    let e = json(&out.join("explain.json"));
    assert_eq!(e["method"], "ig");
    assert!(e["completeness_error"].as_f64().unwrap() < 1e-9);
    assert!(e["gradient"]["quadrature"]
        .as_str()
        .unwrap()
        .contains("kinks"));
    assert_eq!(e["grid"], serde_json::json!([1, 8, 8]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("heat map"), "the rows are drawn as heat maps");
    // two rows, each an input and an attribution panel of 64 cells
    assert!(html.matches("<rect").count() >= 2 * 2 * 64);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn integrated_gradients_of_an_mlp_at_captums_fixed_rules_and_bad_settings() {
    let dir = tmp("explain-ig-mlp");
    let run = dir.join("net");
    ok(&[
        "train",
        "builtin:pima",
        "--hidden",
        "8",
        "--activation",
        "tanh",
        "--epochs",
        "20",
        "--seed",
        "3",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let data = datasets("pima_indians_diabetes.csv");
    let r = run.to_str().unwrap();
    let out = dir.join("fixed");
    let o = ok(&[
        "explain",
        r,
        &data,
        "--method",
        "ig",
        "--ig-tol",
        "off",
        "--quadrature",
        "riemann_middle",
        "--steps",
        "200",
        "--out",
        out.to_str().unwrap(),
        "--no-report",
    ]);
    assert!(o.contains("explained: logit"), "{o}");
    let e = json(&out.join("explain.json"));
    assert_eq!(e["gradient"]["quadrature"], "riemann_middle");
    assert_eq!(e["gradient"]["steps"], serde_json::json!([200.0, 200]));
    assert_eq!(e["gradient"]["baseline"], "training means");
    // second order at 200 points: complete to well under 1e-3
    assert!(e["completeness_error"].as_f64().unwrap() < 1e-3);
    let att = csv(&out.join("attributions.csv"));
    assert_eq!(att.len(), 769);
    for (method, what) in [
        ("gradxinput", "gradient x input"),
        ("smoothgrad", "SmoothGrad"),
    ] {
        let o = ok(&[
            "explain",
            r,
            &data,
            "--method",
            method,
            "--out",
            dir.join(method).to_str().unwrap(),
            "--no-report",
        ]);
        assert!(o.contains(what), "{o}");
        assert_eq!(csv(&dir.join(method).join("attributions.csv")).len(), 769);
    }
    let bad = dir.join("bad");
    let b = bad.to_str().unwrap();
    for (flag, value) in [
        ("--ig-tol", "0"),
        ("--ig-tol", "loose"),
        ("--quadrature", "simpson"),
        ("--baseline", "median"),
        ("--steps", "0"),
        ("--class", "yes"),
    ] {
        fails_naming(
            &[
                "explain", r, &data, "--method", "ig", "--out", b, flag, value,
            ],
            flag,
        );
    }
    assert!(!bad.exists(), "a failed run leaves no folder");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn integrated_gradients_explain_a_forecaster_over_its_windows() {
    let dir = tmp("explain-ig-forecast");
    let run = dir.join("co2");
    ok(&[
        "train",
        "builtin:co2",
        "--model",
        "lstm",
        "--time-column",
        "date",
        "--window",
        "8",
        "--horizon",
        "2",
        "--missing",
        "interpolate",
        "--epochs",
        "3",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let data = datasets("co2_mauna_loa_weekly.csv");
    let out = dir.join("ig");
    let o = ok(&[
        "explain",
        run.to_str().unwrap(),
        &data,
        "--method",
        "ig",
        "--horizon-step",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.contains("the forecast 2 step(s) after the window"), "{o}");
    let att = csv(&out.join("attributions.csv"));
    // 8 steps of (co2_ppm, observed), oldest first
    assert_eq!(att[0].len(), 16);
    assert_eq!(att[0][0], "co2_ppm@t-7");
    assert_eq!(att[0][15], "observed@t-0");
    assert!(att.len() > 2000, "a row per window: {}", att.len());
    let e = json(&out.join("explain.json"));
    // an LSTM is smooth: adaptive panels, each window complete within the tolerance
    assert!(e["completeness_error"].as_f64().unwrap() <= 1e-3);
    assert_eq!(e["grid"], serde_json::json!([1, 8, 2]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("heat map"));
    let r = run.to_str().unwrap();
    let bad = dir.join("bad");
    let b = bad.to_str().unwrap();
    for (args, flag) in [
        (&["--horizon-step", "3"][..], "--horizon-step"),
        (&["--baseline", "zero"][..], "--baseline"),
        (&["--background", &data][..], "--background"),
    ] {
        let mut all = vec!["explain", r, &data, "--method", "ig", "--out", b];
        all.extend_from_slice(args);
        fails_naming(&all, flag);
    }
    fails_naming(
        &["explain", r, &data, "--method", "permutation", "--out", b],
        "--method",
    );
    assert!(!bad.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn integrated_gradients_explain_a_text_network_by_the_terms_present() {
    let dir = tmp("explain-ig-text");
    let run = dir.join("words");
    ok(&[
        "train",
        "builtin:sentences",
        "--model",
        "text",
        "--text-head",
        "mlp",
        "--epochs",
        "2",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    // the first 120 sentences
    let all = std::fs::read_to_string(datasets("sentence_polarity.csv")).unwrap();
    let some: Vec<&str> = all.lines().take(121).collect();
    let data = dir.join("some.csv");
    std::fs::write(&data, some.join("\n") + "\n").unwrap();
    let out = dir.join("ig");
    let o = ok(&[
        "explain",
        run.to_str().unwrap(),
        data.to_str().unwrap(),
        "--method",
        "ig",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.contains("baseline: zeros"), "the empty document: {o}");
    let e = json(&out.join("explain.json"));
    assert!(
        e["completeness_error"].as_f64().unwrap() < 1e-9,
        "exact (ReLU)"
    );
    let att = csv(&out.join("attributions.csv"));
    assert_eq!(att.len(), 121);
    // only the terms of these sentences are columns, each present in some sentence
    let vocab = e["feature_names"].as_array().unwrap().len();
    assert_eq!(att[0].len(), vocab);
    assert!(vocab > 300 && vocab < 2000, "{vocab} terms");
    assert!(att[0].iter().any(|t| t == "the"));
    fails_naming(
        &[
            "explain",
            run.to_str().unwrap(),
            data.to_str().unwrap(),
            "--method",
            "permutation",
            "--out",
            dir.join("bad").to_str().unwrap(),
        ],
        "--method",
    );
    fails_naming(
        &[
            "explain",
            run.to_str().unwrap(),
            data.to_str().unwrap(),
            "--method",
            "ig",
            "--baseline",
            "mean",
            "--out",
            dir.join("bad").to_str().unwrap(),
        ],
        "--baseline",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn grouped_permutation_ranks_the_hidden_structure_first() {
    let dir = tmp("explain-hidden");
    let run = dir.join("cv");
    let data = format!(
        "{}/../../datasets/synthetic/hidden_structure.csv.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    ok(&[
        "linear",
        "cv",
        &data,
        "--target",
        "y",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let out = dir.join("ex");
    ok(&[
        "explain",
        run.to_str().unwrap(),
        &data,
        "--method",
        "permutation",
        "--group-corr",
        "0.8",
        "--repeats",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    let imp = csv(&out.join("importance.csv"));
    let top: Vec<&str> = imp[1..10].iter().map(|r| r[0].as_str()).collect();
    assert!(top.contains(&"g0009+g0069"), "{top:?}");
    for f in [
        "g0157", "g0586", "g0604", "g0683", "g0772", "g0977", "g0800", "g0142",
    ] {
        assert!(top.contains(&f), "{f} not in the top 9: {top:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_a_usage_error_naming_the_flag() {
    let dir = tmp("explain-bad");
    let run = dir.join("cv");
    let data = datasets("diabetes_regression.csv");
    ok(&[
        "linear",
        "cv",
        &data,
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let out = dir.join("ex");
    let o = out.to_str().unwrap();
    let r = run.to_str().unwrap();
    fails_naming(
        &["explain", r, &data, "--out", o, "--method", "ig"],
        "--method",
    );
    fails_naming(
        &[
            "explain",
            r,
            &data,
            "--out",
            o,
            "--method",
            "permutation",
            "--repeats",
            "0",
        ],
        "--repeats",
    );
    fails_naming(
        &[
            "explain",
            r,
            &data,
            "--out",
            o,
            "--method",
            "permutation",
            "--group-corr",
            "2",
        ],
        "--group-corr",
    );
    fails_naming(
        &[
            "explain",
            r,
            &datasets("pima_indians_diabetes.csv"),
            "--out",
            o,
        ],
        "bmi",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
