//! `occam train`, `occam predict` and the training guarantees of issue 4 on the real data:
//! exact zeros from the proximal step on colon, regularization beating the unregularized
//! network on Pima, identical model files for the same seed, bit-identical resume after
//! kill -9, clear errors for bad options, configs and mismatched prediction data.

mod common;
use common::*;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn train(dir: &Path, run: &str, args: &[&str]) -> Value {
    let out = dir.join(run);
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    let o = out.to_str().unwrap().to_string();
    all.extend_from_slice(&["--out", &o]);
    let (stdout, err, code) = occam(&all);
    assert_eq!(code, Some(0), "{stdout}\n{err}");
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn l1_by_proximal_step_zeroes_most_colon_genes_and_keeps_accuracy_subgradient_zeroes_none() {
    let dir = tmp("colon");
    let plain = train(&dir, "plain", COLON);
    let l1_args: Vec<&str> = [
        COLON,
        &[
            "--l1",
            "0.03",
            "--penalty-layers",
            "first",
            "--no-restore-best",
        ],
    ]
    .concat();
    let l1 = train(&dir, "l1", &l1_args);
    let sub_args: Vec<&str> = [&l1_args[..], &["--l1-mode", "subgradient"]].concat();
    let sub = train(&dir, "sub", &sub_args);

    let kept = l1["input_features_kept"].as_array().unwrap().len();
    assert_eq!(l1["n_input_features"], 2000);
    assert!(
        kept <= 200,
        "L1 kept {kept} of 2000 genes; want >= 90% exactly zero"
    );
    assert!(kept > 0, "L1 removed every gene");
    let zl = &l1["zeros_per_layer"][0];
    assert!(zl["zeros"].as_u64().unwrap() >= 32 * 1800, "{zl}");
    let acc = |s: &Value| s["val_metrics"]["accuracy"].as_f64().unwrap();
    assert!(
        acc(&l1) >= acc(&plain) - 0.05,
        "L1 accuracy {} vs unpenalised {}",
        acc(&l1),
        acc(&plain)
    );
    assert_eq!(plain["zeros_per_layer"][0]["zeros"], 0);
    assert_eq!(
        sub["zeros_per_layer"][0]["zeros"], 0,
        "a subgradient never lands on exact zero"
    );
    assert_eq!(sub["input_features_kept"].as_array().unwrap().len(), 2000);
    // Group lasso on input features removes whole genes: every zero is in an all-zero row.
    let g_args: Vec<&str> = [COLON, &["--group-lasso", "0.01", "--no-restore-best"]].concat();
    let g = train(&dir, "group", &g_args);
    let kept_g = g["input_features_kept"].as_array().unwrap().len();
    assert!(
        kept_g < 200 && kept_g > 0,
        "group lasso kept {kept_g} genes"
    );
    assert_eq!(
        g["zeros_per_layer"][0]["zeros"].as_u64().unwrap(),
        (2000 - kept_g as u64) * 32,
        "group lasso zeroes whole input rows only"
    );
    // The penalty is logged every epoch beside the losses and is non-zero when applied.
    let csv = std::fs::read_to_string(dir.join("l1/metrics.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let pi = header.iter().position(|h| *h == "penalty").unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 300);
    assert!(rows
        .iter()
        .all(|r| r.split(',').nth(pi).unwrap().parse::<f64>().unwrap() > 0.0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pima_elastic_net_dropout_early_stopping_beats_the_unregularized_network_over_5_seeds() {
    let dir = tmp("pima");
    let s = train(
        &dir,
        "run",
        &[
            "builtin:pima",
            "--hidden",
            "64,32",
            "--epochs",
            "200",
            "--elastic-net",
            "0.01,0.5",
            "--dropout",
            "0.3",
            "--patience",
            "20",
            "--test-fraction",
            "0.25",
            "--baseline",
            "--repeats",
            "5",
            "--threads",
            "2",
        ],
    );
    let c = &s["comparison"];
    assert_eq!(c["held_out"], "test");
    assert_eq!(c["repeats"], 5);
    let reg = c["regularized"]["log_loss"]["mean"].as_f64().unwrap();
    let base = c["baseline"]["log_loss"]["mean"].as_f64().unwrap();
    assert_eq!(
        c["baseline"]["log_loss"]["per_seed"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(
        reg < base,
        "regularized log-loss {reg} vs unregularized {base}"
    );
    for key in ["val_metrics", "test_metrics"] {
        for m in [
            "accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "log_loss",
        ] {
            assert!(s[key][m].is_number(), "{key}.{m} missing: {s}");
        }
    }
    assert!(s["epochs_run"].as_u64().unwrap() >= 1);
    assert!(s["best_epoch"].as_u64().is_some());
    assert!(s["fit_seconds"].as_f64().unwrap() > 0.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

const DETERMINISM: &[&str] = &[
    "builtin:pima",
    "--hidden",
    "16,8",
    "--epochs",
    "120",
    "--dropout",
    "0.2",
    "--dropconnect",
    "0.1",
    "--batch-norm",
    "--l1",
    "0.001",
    "--weight-decay",
    "0.01",
    "--seed",
    "7",
    "--threads",
    "2",
];

#[test]
fn same_seed_and_threads_give_identical_model_files() {
    let dir = tmp("det");
    train(&dir, "a", DETERMINISM);
    train(&dir, "b", DETERMINISM);
    for f in ["model.safetensors", "model.json"] {
        let a = std::fs::read(dir.join("a").join(f)).unwrap();
        let b = std::fs::read(dir.join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between two runs with the same seed");
    }
    let mut other: Vec<&str> = DETERMINISM.to_vec();
    let i = other.iter().position(|a| *a == "7").unwrap();
    other[i] = "8";
    train(&dir, "c", &other);
    let a = std::fs::read(dir.join("a/model.safetensors")).unwrap();
    let c = std::fs::read(dir.join("c/model.safetensors")).unwrap();
    assert!(a != c, "another seed gives other weights");
    // Batches of 128 rows without batch norm take the data-parallel path (two half-batches).
    let big: Vec<&str> = [
        "builtin:pima",
        "--hidden",
        "16",
        "--epochs",
        "30",
        "--dropout",
        "0.2",
        "--batch-size",
        "128",
        "--seed",
        "5",
        "--threads",
        "2",
    ]
    .to_vec();
    train(&dir, "d", &big);
    train(&dir, "e", &big);
    let d = std::fs::read(dir.join("d/model.safetensors")).unwrap();
    let e = std::fs::read(dir.join("e/model.safetensors")).unwrap();
    assert!(d == e, "data-parallel steps are reproducible too");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn epochs_in_checkpoint(path: &Path) -> usize {
    // The checkpoint's JSON header records the finished epochs; count them via metrics.csv,
    // which is written right after it.
    std::fs::read_to_string(path.with_file_name("metrics.csv"))
        .map(|s| s.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn kill_9_then_resume_gives_the_same_weights_as_an_uninterrupted_run() {
    let dir = tmp("resume");
    let args: Vec<&str> = [
        "builtin:colon",
        "--hidden",
        "64,32",
        "--epochs",
        "150",
        "--dropout",
        "0.2",
        "--l1",
        "0.01",
        "--patience",
        "1000",
        "--schedule",
        "cosine",
        "--seed",
        "3",
        "--threads",
        "2",
    ]
    .to_vec();
    train(&dir, "full", &args);

    let run = dir.join("killed");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_occam"));
    cmd.arg("train").args(&args).arg("--out").arg(&run);
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let ckpt = run.join("checkpoint.safetensors");
    while epochs_in_checkpoint(&ckpt) < 20 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = epochs_in_checkpoint(&ckpt);
    assert!(done < 150, "killed after {done} epochs, before the end");
    assert!(!run.join("model.safetensors").exists());

    let mut resume = args.clone();
    resume.push("--resume");
    let s = train(&dir, "killed", &resume);
    assert_eq!(s["epochs_run"], 150);
    let a = std::fs::read(dir.join("full/model.safetensors")).unwrap();
    let b = std::fs::read(run.join("model.safetensors")).unwrap();
    assert!(a == b, "resumed weights differ from the uninterrupted run");
    let ma = std::fs::read_to_string(dir.join("full/metrics.csv")).unwrap();
    let mb = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect()
    };
    let (la, lb) = (strip(&ma), strip(&mb));
    assert_eq!(la.len(), lb.len());
    if let Some(i) = (0..la.len()).find(|&i| la[i] != lb[i]) {
        panic!("metrics.csv line {i} differs:\n{}\n{}", la[i], lb[i]);
    }

    // Resuming with other options is refused, naming the recorded config.
    let mut changed = args.clone();
    let i = changed.iter().position(|a| *a == "3").unwrap();
    changed[i] = "4";
    changed.extend_from_slice(&["--resume", "--out", run.to_str().unwrap()]);
    let mut all = vec!["train"];
    all.extend_from_slice(&changed);
    let (_, err, code) = occam(&all);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--resume") && err.contains("config.toml"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn predict_checks_feature_names_and_writes_predictions() {
    let dir = tmp("predict");
    train(
        &dir,
        "m",
        &[
            "builtin:pima",
            "--hidden",
            "8",
            "--epochs",
            "5",
            "--threads",
            "2",
        ],
    );
    let model = dir.join("m");
    let pima = format!(
        "{}/../../datasets/pima_indians_diabetes.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = dir.join("pred.csv");
    let (o, err, code) = occam(&[
        "predict",
        model.to_str().unwrap(),
        &pima,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{o}{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 769);
    assert!(text.starts_with("prob_1,predicted\n"), "{}", &text[..40]);
    assert!(
        err.contains("accuracy"),
        "metrics against the target column: {err}"
    );

    // A file missing one of the model's features: named, exit 2, nothing written.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "pregnant,glucose,pressure,triceps,insulin,BMI,pedigree,age\n1,2,3,4,5,6,7,8\n",
    )
    .unwrap();
    let (_, err, code) = occam(&["predict", model.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("mass") && err.contains("not columns here"),
        "{err}"
    );
    // Wrong feature count for a libsvm file.
    let svm = dir.join("x.svm");
    std::fs::write(&svm, "1 3:1 12:0.5\n").unwrap();
    let (_, err, code) = occam(&["predict", model.to_str().unwrap(), svm.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("trained on 8 features"), "{err}");
    // Not a model folder.
    fails_naming(&["predict", dir.to_str().unwrap(), &pima], "model.json");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_training_options_and_configs_are_clear_errors_with_exit_code_2() {
    let dir = tmp("bad");
    let toml_bad = dir.join("bad.toml");
    std::fs::write(&toml_bad, "epochs = 10\nhidden = [8]\ndropout = \"lots\"\n").unwrap();
    let toml_unknown = dir.join("unknown.toml");
    std::fs::write(&toml_unknown, "epochs = 10\nlearning_rate = 0.1\n").unwrap();
    let toml_ok = dir.join("ok.toml");
    std::fs::write(
        &toml_ok,
        "epochs = 3\nhidden = [4]\nl1 = 0.5\n[[layer_penalty]]\nlayer = 1\nl2 = 0.1\n",
    )
    .unwrap();
    let out = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            vec!["--dropout".into(), "1.5".into()],
            "invalid-parameter",
            "--dropout",
        ),
        (vec!["--lr=-1".into()], "invalid-parameter", "--lr"),
        (
            vec!["--optimizer".into(), "rmsprop".into()],
            "invalid-parameter",
            "rmsprop",
        ),
        (
            vec!["--elastic-net".into(), "0.1".into()],
            "invalid-parameter",
            "LAMBDA,ALPHA",
        ),
        (
            vec!["--elastic-net".into(), "0.1,2".into()],
            "invalid-parameter",
            "alpha",
        ),
        (
            vec!["--activation".into(), "swish".into()],
            "invalid-parameter",
            "swish",
        ),
        (
            vec![
                "--patience".into(),
                "3".into(),
                "--val-fraction".into(),
                "0".into(),
            ],
            "usage",
            "--patience",
        ),
        (
            vec!["--schedule".into(), "step:x".into()],
            "invalid-parameter",
            "--schedule",
        ),
        (
            vec!["--config".into(), toml_bad.to_str().unwrap().into()],
            "usage",
            "line 3, column 11",
        ),
        (
            vec!["--config".into(), toml_unknown.to_str().unwrap().into()],
            "usage",
            "learning_rate",
        ),
    ];
    for (i, (extra, kind, says)) in cases.into_iter().enumerate() {
        let o = out(&format!("r{i}"));
        let mut args = vec!["train", "builtin:pima", "--epochs", "2", "--out", &o];
        args.extend(extra.iter().map(String::as_str));
        let (_, err, code) = occam(&args);
        assert_eq!(code, Some(2), "{extra:?}: {err}");
        assert!(err.contains(&format!("error[{kind}]")), "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?} should mention {says}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A config file works, with per-layer overrides; a flag wins over the file.
    let o = out("cfg");
    let (s, err, code) = occam(&[
        "train",
        "builtin:pima",
        "--config",
        toml_ok.to_str().unwrap(),
        "--epochs",
        "4",
        "--out",
        &o,
    ]);
    assert_eq!(code, Some(0), "{s}{err}");
    let cfg = std::fs::read_to_string(dir.join("cfg/config.toml")).unwrap();
    assert!(cfg.contains("epochs = 4"), "{cfg}");
    assert!(cfg.contains("l1 = 0.5"), "{cfg}");
    assert!(cfg.contains("l2 = 0.1"), "{cfg}");
    // The same folder again without --resume is refused: an earlier result is never replaced.
    fails_naming(
        &["train", "builtin:pima", "--epochs", "2", "--out", &o],
        "already holds a run",
    );
    // A diverging run stops with a clear message and keeps its last good checkpoint.
    let o = out("nan");
    let (_, err, code) = occam(&[
        "train",
        "builtin:diabetes",
        "--optimizer",
        "sgd",
        "--lr",
        "1e30",
        "--epochs",
        "5",
        "--no-standardize",
        "--out",
        &o,
    ]);
    // Exit code 3 (a diverged run, documented in the README), not 2 (a bad input).
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("error[diverged]") && err.contains("became"),
        "{err}"
    );
    assert!(!dir.join("nan/model.safetensors").exists());
    // A loss that explodes without becoming NaN (1e6 times the first epoch's) stops too, with
    // the checkpoint of the last good epoch on disk.
    let o = out("exploding");
    let (_, err, code) = occam(&[
        "train",
        "builtin:diabetes",
        "--optimizer",
        "sgd",
        "--lr",
        "0.5",
        "--hidden",
        "0",
        "--epochs",
        "20",
        "--out",
        &o,
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("error[diverged]") && err.contains("over 1e6 times"),
        "{err}"
    );
    assert!(
        dir.join("exploding/checkpoint.safetensors").exists(),
        "{err}"
    );
    assert!(!dir.join("exploding/model.safetensors").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--l2-evidence N`: the per-tensor L2 strengths learned from the evidence are in
/// summary.json (one entry per update), the printed summary and the report's plot; a Huber
/// loss, which has no Laplace likelihood here, is refused naming the flag.
#[test]
fn l2_from_the_evidence_is_recorded_printed_and_plotted() {
    let dir = tmp("l2-evidence");
    let s = train(
        &dir,
        "ev",
        &[
            "builtin:diabetes",
            "--hidden",
            "8",
            "--epochs",
            "20",
            "--val-fraction",
            "0",
            "--l2-evidence",
            "5",
        ],
    );
    let ev = s["evidence"].as_array().unwrap();
    let epochs: Vec<u64> = ev.iter().map(|e| e["epoch"].as_u64().unwrap()).collect();
    assert_eq!(epochs, vec![5, 10, 15, 20]);
    let l2 = ev[3]["l2"].as_array().unwrap();
    assert_eq!(l2.len(), 4);
    assert_eq!(l2[0][0], "layers.0.weight");
    assert!(l2.iter().all(|t| t[1].as_f64().unwrap() > 0.0));
    let html = std::fs::read_to_string(dir.join("ev/report.html")).unwrap();
    assert!(html.contains("L2 strengths learned from the evidence"));
    fails_naming(
        &[
            "train",
            "builtin:diabetes",
            "--loss",
            "huber",
            "--l2-evidence",
            "5",
            "--out",
            dir.join("huber").to_str().unwrap(),
        ],
        "--l2-evidence",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
