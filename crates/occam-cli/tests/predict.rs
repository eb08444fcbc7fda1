//! `occam predict` on the models of the estimator layer: a linear CV run predicts glmnet's
//! `predict(cv, newx, s = "lambda.1se")` (fixtures by `fixtures/glmnet_predict/gen_predict.R`),
//! and a network trained on raw rows with a categorical column and missing cells predicts the
//! same values from the raw rows as the run recorded for its held-out rows.

mod common;
use common::{datasets, fails_naming, floats, json, occam, tmp};
use std::path::Path;

fn fixture(name: &str) -> serde_json::Value {
    json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/glmnet_predict/{name}.json")),
    )
}

/// Column `col` of a CSV file's rows (after the header) as numbers.
fn csv_column(path: &Path, col: usize) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect()
}

/// The sd column of diabetes predictions with a spread (442 rows, the header checked).
fn sd_column(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("predicted_disease_progression,std_disease_progression")
    );
    let sds = csv_column(path, 1);
    assert_eq!(sds.len(), 442);
    sds
}

/// `occam linear cv DATA --foldid F --out RUN`, then `occam predict RUN DATA`, against glmnet.
fn check_linear_cv_predict(case: &str, builtin: &str, file: &str) {
    let f = fixture(case);
    let dir = tmp(&format!("predict-{case}"));
    let folds: Vec<String> = floats(&f["foldid"]).iter().map(|v| v.to_string()).collect();
    let fold_file = dir.join("folds.txt");
    std::fs::write(&fold_file, folds.join("\n")).unwrap();
    let run = dir.join("run");
    let (o, e, c) = occam(&[
        "linear",
        "cv",
        builtin,
        "--foldid",
        fold_file.to_str().unwrap(),
        "--tol",
        "1e-14",
        "--gap-tol",
        "1e-12",
        "--no-report",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let cv = json(&run.join("cv.json"));
    let l1se = f["lambda_1se"].as_f64().unwrap();
    assert!((cv["lambda_1se"].as_f64().unwrap() - l1se).abs() <= 1e-10 * l1se);
    let manifest = json(&run.join("manifest.json"));
    assert_eq!(manifest["kind"], "linear-cv");
    for (rule, key) in [(None, "predict_1se"), (Some("min"), "predict_min")] {
        let pred = dir.join(format!("{key}.csv"));
        let mut args = vec![
            "predict",
            run.to_str().unwrap(),
            file,
            "--out",
            pred.to_str().unwrap(),
        ];
        let lmin = f["lambda_min"].as_f64().unwrap().to_string();
        if rule.is_some() {
            args.extend(["--lambda", lmin.as_str()]);
        }
        let (o, e, c) = occam(&args);
        assert_eq!(c, Some(0), "{o}{e}");
        let got = csv_column(&pred, 0);
        let want = floats(&f[key]);
        assert_eq!(got.len(), want.len());
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // Printed for BENCHMARKS.md (`-- --nocapture`).
        eprintln!("{case} {key}: max |occam - glmnet| = {worst:.1e}");
        assert!(
            worst <= 1e-8,
            "{case} {key}: max |occam - glmnet| = {worst:e}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn linear_cv_run_predicts_glmnets_lambda_1se_on_diabetes() {
    check_linear_cv_predict(
        "diabetes_gaussian",
        "builtin:diabetes",
        &datasets("diabetes_regression.csv"),
    );
}

#[test]
fn linear_cv_run_predicts_glmnets_probabilities_on_pima() {
    check_linear_cv_predict(
        "pima_binomial",
        "builtin:pima",
        &datasets("pima_indians_diabetes.csv"),
    );
}

#[test]
fn linear_path_run_needs_a_lambda_and_an_existing_run_is_kept() {
    let dir = tmp("predict-path");
    let run = dir.join("run");
    let r = run.to_str().unwrap();
    let (o, e, c) = occam(&["linear", "path", "builtin:diabetes", "--out", r]);
    assert_eq!(c, Some(0), "{o}{e}");
    let before = std::fs::read(run.join("path.json")).unwrap();
    let diabetes = datasets("diabetes_regression.csv");
    fails_naming(&["predict", r, &diabetes], "--lambda");
    let (o, e, c) = occam(&["predict", r, &diabetes, "--lambda", "1.5"]);
    assert_eq!(c, Some(0), "{e}");
    assert_eq!(o.lines().count(), 443);
    // A second run into the same folder is refused, and the first is untouched.
    let second = |force: bool| {
        let mut args = vec!["linear", "path", "builtin:diabetes", "--alpha", "0.5"];
        if force {
            args.push("--force");
        }
        args.extend(["--out", r]);
        occam(&args)
    };
    let (_, e, c) = second(false);
    assert_eq!(c, Some(2));
    assert!(
        e.contains("error[run-folder]") && e.contains("--force"),
        "{e}"
    );
    assert_eq!(std::fs::read(run.join("path.json")).unwrap(), before);
    let (_, e, c) = second(true);
    assert_eq!(c, Some(0), "{e}");
    assert_ne!(std::fs::read(run.join("path.json")).unwrap(), before);
    // An edited coefficient file is refused.
    let st = run.join("linear.safetensors");
    let mut bytes = std::fs::read(&st).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&st, bytes).unwrap();
    let (_, e, c) = occam(&["predict", r, &diabetes, "--lambda", "1.5"]);
    assert_eq!(c, Some(2));
    assert!(
        e.contains("error[bad-model]") && e.contains("has changed"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// datasets/synthetic/pima_city.csv (Pima with a categorical `city` and missing cells) as
/// rows of cells.
fn pima_city_rows() -> Vec<Vec<String>> {
    std::fs::read_to_string(datasets("synthetic/pima_city.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn network_with_categorical_and_missing_predicts_its_held_out_rows_from_raw_csv() {
    let dir = tmp("predict-categorical");
    let data = datasets("synthetic/pima_city.csv");
    let rows = pima_city_rows();
    let run = dir.join("run");
    let r = run.to_str().unwrap();
    let (o, e, c) = occam(&[
        "train",
        &data,
        "--categorical",
        "city",
        "--missing",
        "mean",
        "--test-fraction",
        "0.25",
        "--hidden",
        "8",
        "--epochs",
        "20",
        "--no-report",
        "--out",
        r,
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let recorded = std::fs::read_to_string(run.join("test_predictions.csv")).unwrap();
    let held: Vec<(usize, f64)> = recorded
        .lines()
        .skip(1)
        .map(|l| {
            let mut it = l.split(',');
            (
                it.next().unwrap().parse().unwrap(),
                it.next().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(held.len(), 192);
    // The held-out rows as raw CSV: target column left out, missing cells kept.
    let mut raw = vec![rows[0][..rows[0].len() - 1].join(",")];
    for &(i, _) in &held {
        raw.push(rows[i + 1][..rows[i + 1].len() - 1].join(","));
    }
    assert!(raw.iter().any(|l| l.contains(",,") || l.starts_with(',')));
    let raw_path = dir.join("raw.csv");
    std::fs::write(&raw_path, raw.join("\n") + "\n").unwrap();
    let out = dir.join("pred.csv");
    let (o, e, c) = occam(&[
        "predict",
        r,
        raw_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let got = csv_column(&out, 0);
    for (g, (i, want)) in got.iter().zip(&held) {
        assert!((g - want).abs() <= 1e-6, "row {i}: {g} vs {want}");
    }
    // An unseen category: a clear error naming the column and value, or zeros when asked.
    let unseen = dir.join("unseen.csv");
    let mut first = rows[2][..rows[2].len() - 1].to_vec();
    first[0] = "paris".into();
    std::fs::write(&unseen, format!("{}\n{}\n", raw[0], first.join(","))).unwrap();
    let (_, e, c) = occam(&["predict", r, unseen.to_str().unwrap()]);
    assert_eq!(c, Some(2));
    assert!(
        e.contains("error[unknown-category]") && e.contains("'city'") && e.contains("'paris'"),
        "{e}"
    );
    let (o, e, c) = occam(&[
        "predict",
        r,
        unseen.to_str().unwrap(),
        "--handle-unknown",
        "zeros",
    ]);
    assert_eq!(c, Some(0), "{e}");
    assert_eq!(o.lines().count(), 2, "{o}");
    // The preprocessing is verified: an edited imputation value is refused.
    let pj = run.join("preprocess.json");
    let text = std::fs::read_to_string(&pj).unwrap();
    std::fs::write(&pj, text.replacen("\"impute\": ", "\"impute\": 1", 1)).unwrap();
    fails_naming(
        &["predict", r, raw_path.to_str().unwrap()],
        "error[bad-model]",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mc_dropout_predicts_a_mean_and_a_spread_and_refuses_what_has_no_dropout() {
    let dir = tmp("predict-mc");
    let run = dir.join("net");
    common::ok(&[
        "train",
        "builtin:diabetes",
        "--hidden",
        "16",
        "--dropout",
        "0.2",
        "--epochs",
        "20",
        "--out",
        run.to_str().unwrap(),
        "--no-report",
    ]);
    let data = common::datasets("diabetes_regression.csv");
    let out = dir.join("mc.csv");
    let args = |seed: &'static str, out: &std::path::Path| {
        vec![
            "predict".to_string(),
            run.to_str().unwrap().into(),
            data.clone(),
            "--mc-samples".into(),
            "30".into(),
            "--seed".into(),
            seed.into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ]
    };
    let a: Vec<String> = args("3", &out);
    common::ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let text = std::fs::read_to_string(&out).unwrap();
    let sds = sd_column(&out);
    assert!(sds.iter().all(|s| *s > 0.0));
    let again = dir.join("again.csv");
    let b: Vec<String> = args("3", &again);
    common::ok(&b.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(text, std::fs::read_to_string(&again).unwrap(), "seeded");
    // no dropout, one pass, a linear run: usage errors naming the flag
    let plain = dir.join("plain");
    common::ok(&[
        "train",
        "builtin:diabetes",
        "--hidden",
        "4",
        "--epochs",
        "2",
        "--out",
        plain.to_str().unwrap(),
        "--no-report",
    ]);
    for (model, n) in [(&plain, "10"), (&run, "1")] {
        common::fails_naming(
            &["predict", model.to_str().unwrap(), &data, "--mc-samples", n],
            "--mc-samples",
        );
    }
    let cv = dir.join("cv");
    common::ok(&[
        "linear",
        "cv",
        &data,
        "--out",
        cv.to_str().unwrap(),
        "--no-report",
    ]);
    common::fails_naming(
        &["predict", cv.to_str().unwrap(), &data, "--mc-samples", "10"],
        "--mc-samples",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn laplace_networks_predict_a_standard_deviation_and_other_commands_refuse_the_flag() {
    let dir = tmp("predict-laplace");
    let run = dir.join("net");
    common::ok(&[
        "train",
        "builtin:diabetes",
        "--hidden",
        "16",
        "--laplace",
        "--epochs",
        "30",
        "--test-fraction",
        "0.25",
        "--out",
        run.to_str().unwrap(),
    ]);
    // summary.json and the report carry the held-out calibration
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    let u = &summary["uncertainty"];
    assert_eq!(u["held_out"], "test");
    assert_eq!(u["rows"], 111);
    assert_eq!(u["regression"]["coverage"].as_array().unwrap().len(), 11);
    assert!(u["noise_sd"].as_f64().unwrap() > 10.0);
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    for want in [
        "id=\"uncertainty\"",
        "Coverage of central predictive intervals",
        "Held-out rows and their 90% predictive intervals",
    ] {
        assert!(html.contains(want), "report lacks {want}");
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["laplace"]["method"], "last_layer_full_ggn");
    assert_eq!(meta["laplace"]["n_params"], 17);
    assert!(run.join("laplace.safetensors").exists());
    // the held-out rows carry their sd too
    let held = std::fs::read_to_string(run.join("test_predictions.csv")).unwrap();
    assert!(held.starts_with("row,predicted_disease_progression,std_disease_progression\n"));
    let data = common::datasets("diabetes_regression.csv");
    let out = dir.join("pred.csv");
    common::ok(&[
        "predict",
        run.to_str().unwrap(),
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    let sds = sd_column(&out);
    // the noise sd (tens of units of disease progression) plus a positive model spread
    assert!(sds.iter().all(|s| *s > 10.0 && *s < 200.0), "{sds:?}");
    // a search, a network path and counts refuse it, naming the flag
    let poisson = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../occam-linear/tests/fixtures/glmnet/poisson_synth.csv");
    let counts = dir.join("counts");
    common::fails_naming(
        &[
            "train",
            poisson.to_str().unwrap(),
            "--task",
            "counts",
            "--laplace",
            "--epochs",
            "2",
            "--out",
            counts.to_str().unwrap(),
        ],
        "--laplace",
    );
    assert!(!counts.join("model.json").exists());
    let tune = dir.join("tune");
    common::fails_naming(
        &[
            "tune",
            "builtin:diabetes",
            "--laplace",
            "--trials",
            "2",
            "--out",
            tune.to_str().unwrap(),
        ],
        "--laplace",
    );
    // every parameter with the GGN's diagonal: its variances in laplace.safetensors, an sd
    // per row through `occam predict`; the structure alone, without --laplace, is refused
    let diag = dir.join("diag");
    common::ok(&[
        "train",
        "builtin:diabetes",
        "--hidden",
        "16",
        "--laplace",
        "--laplace-hessian",
        "diag",
        "--epochs",
        "30",
        "--test-fraction",
        "0.25",
        "--out",
        diag.to_str().unwrap(),
    ]);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(diag.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["laplace"]["method"], "all_diag_ggn");
    // 10 inputs x 16 + 16, then 16 + 1
    assert_eq!(meta["laplace"]["n_params"], 193);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(diag.join("summary.json")).unwrap()).unwrap();
    let method = summary["uncertainty"]["method"].as_str().unwrap();
    assert!(method.contains("all parameters, diagonal GGN"), "{method}");
    let out = dir.join("pred-diag.csv");
    common::ok(&[
        "predict",
        diag.to_str().unwrap(),
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    let sds = sd_column(&out);
    assert!(sds.iter().all(|s| *s > 10.0 && *s < 200.0), "{sds:?}");
    // every parameter with the Kronecker factors of each dense layer: the factors'
    // eigendecompositions in laplace.safetensors, an sd per row through `occam predict`; a
    // convolutional network, which the factors do not cover, is refused before training
    let kron = dir.join("kron");
    common::ok(&[
        "train",
        "builtin:diabetes",
        "--hidden",
        "16",
        "--laplace",
        "--laplace-hessian",
        "kron",
        "--epochs",
        "30",
        "--test-fraction",
        "0.25",
        "--out",
        kron.to_str().unwrap(),
    ]);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(kron.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["laplace"]["method"], "all_kron_ggn");
    assert_eq!(meta["laplace"]["n_params"], 193);
    let out = dir.join("pred-kron.csv");
    common::ok(&[
        "predict",
        kron.to_str().unwrap(),
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    let kron_sds = sd_column(&out);
    assert!(
        kron_sds.iter().all(|s| *s > 10.0 && *s < 200.0),
        "{kron_sds:?}"
    );
    assert_ne!(kron_sds, sds);
    // a damaged factors file is a clear error naming it (the manifest's hash refuses the
    // edit): the last eigenvector entry set to NaN, then the file cut short
    let lp = kron.join("laplace.safetensors");
    let mut bytes = std::fs::read(&lp).unwrap();
    let n = bytes.len();
    bytes[n - 8..].copy_from_slice(&f64::NAN.to_le_bytes());
    let args = [
        "predict",
        kron.to_str().unwrap(),
        &data,
        "--out",
        out.to_str().unwrap(),
    ];
    std::fs::write(&lp, &bytes).unwrap();
    let e = common::fails_naming(&args, "laplace.safetensors");
    assert!(e.contains("has changed"), "{e}");
    std::fs::write(&lp, &bytes[..n / 2]).unwrap();
    common::fails_naming(&args, "laplace.safetensors");
    let conv = dir.join("conv");
    common::fails_naming(
        &[
            "train",
            "builtin:digits",
            "--model",
            "cnn",
            "--conv",
            "4:3",
            "--laplace",
            "--laplace-hessian",
            "kron",
            "--epochs",
            "1",
            "--out",
            conv.to_str().unwrap(),
        ],
        "--laplace-hessian",
    );
    assert!(!conv.exists() || !conv.join("model.json").exists());
    let alone = dir.join("alone");
    common::fails_naming(
        &[
            "train",
            "builtin:diabetes",
            "--laplace-hessian",
            "diag",
            "--epochs",
            "2",
            "--out",
            alone.to_str().unwrap(),
        ],
        "--laplace-hessian",
    );
    common::fails_naming(
        &[
            "train",
            "builtin:diabetes",
            "--laplace",
            "--laplace-hessian",
            "kfac",
            "--epochs",
            "2",
            "--out",
            alone.to_str().unwrap(),
        ],
        "--laplace-hessian",
    );
    assert!(!alone.exists() || !alone.join("model.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
