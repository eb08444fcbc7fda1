//! Every numeric option of every command, given values it must refuse (out of range, not
//! finite, not an integer, not a number), and every option with a fixed set of values given
//! one outside it: each is exit code 2 with a short message that
//! names the option, never a panic, and never a run. All of them aim `--out ... --force` at
//! one folder that holds an earlier run, which is byte-identical afterwards: a refused run
//! loses nothing.

mod common;
use common::{occam, ELECTRICITY, INSTEVAL};
use std::collections::BTreeMap;
use std::path::Path;

/// One epoch.
const ONE: &[&str] = &["--epochs", "1"];

/// The commands, each with the arguments that make it run on embedded data.
fn command(kind: &str) -> Vec<&'static str> {
    match kind {
        "mlp" => vec!["train", "builtin:pima", "--epochs", "1"],
        "cnn" => vec!["train", "builtin:digits", "--model", "cnn", "--epochs", "1"],
        "lstm" => {
            let series = ["--features", "off_peak", "--missing", "interpolate"];
            [
                &["train", "builtin:electricity", "--model", "lstm"],
                ELECTRICITY,
                &series,
                ONE,
            ]
            .concat()
        }
        "text" => vec!["train", "builtin:sentences", "--model", "text"],
        "rec" => [INSTEVAL, &["--target", "rating"], ONE].concat(),
        "path" => vec!["linear", "path", "builtin:diabetes"],
        "cv" => vec!["linear", "cv", "builtin:diabetes"],
        "select" => vec!["select", "builtin:diabetes", "--stability"],
        "netpath" => vec!["path", "builtin:diabetes", "--epochs-dense", "1"],
        "tune" => vec![
            "tune",
            "builtin:pima",
            "--space",
            "{space}",
            "--epochs",
            "1",
        ],
        other => panic!("no command {other}"),
    }
}

/// (command, option, values it must refuse).
const TABLE: &[(&str, &str, &[&str])] = &[
    ("mlp", "--epochs", &["0", "-1", "1.5", "x"]),
    ("mlp", "--batch-size", &["0", "-4", "nan"]),
    ("mlp", "--lr", &["0", "-0.1", "nan", "inf"]),
    ("mlp", "--momentum", &["-0.5", "1", "2", "nan"]),
    ("mlp", "--dropout", &["-0.1", "1", "nan", "x"]),
    ("mlp", "--dropconnect", &["-0.1", "1", "inf"]),
    ("mlp", "--l1", &["-1", "nan", "inf"]),
    ("mlp", "--l2", &["-1", "nan", "inf"]),
    ("mlp", "--weight-decay", &["-1", "nan"]),
    ("mlp", "--group-lasso", &["-1", "nan"]),
    ("mlp", "--group-lasso-neurons", &["-1", "inf"]),
    (
        "mlp",
        "--elastic-net",
        &["0.1", "0.1,2", "-1,0.5", "nan,0.5"],
    ),
    ("mlp", "--patience", &["0", "-2"]),
    ("mlp", "--min-delta", &["-1", "nan"]),
    ("mlp", "--clip-norm", &["0", "-1", "nan"]),
    ("mlp", "--clip-value", &["0", "-1", "inf"]),
    ("mlp", "--val-fraction", &["-0.1", "1", "nan"]),
    ("mlp", "--test-fraction", &["-0.1", "1", "inf"]),
    ("mlp", "--threads", &["0", "-1"]),
    ("mlp", "--repeats", &["0"]),
    ("mlp", "--hidden", &["16,0", "-3", "x"]),
    (
        "mlp",
        "--schedule",
        &["step:0:2", "cosine:-1", "plateau:2:3", "warp"],
    ),
    ("mlp", "--penalty-layers", &["9", "-1", "x"]),
    ("mlp", "--seed", &["-1", "x"]),
    ("cnn", "--spatial-dropout", &["-0.1", "1"]),
    ("cnn", "--image", &["1,9,9", "0,8,8", "x"]),
    ("cnn", "--conv", &["0:3", "8:0", "8:3:0", "x"]),
    ("lstm", "--window", &["0", "-1"]),
    ("lstm", "--horizon", &["0", "-1"]),
    ("lstm", "--season", &["0"]),
    ("lstm", "--units", &["0", "-8"]),
    ("lstm", "--recurrent-dropout", &["-0.1", "1", "nan"]),
    ("lstm", "--recurrent-l2", &["-1", "nan"]),
    ("text", "--ngram", &["0", "-1"]),
    ("text", "--min-df", &["0"]),
    ("text", "--max-features", &["0"]),
    ("text", "--alpha", &["-0.1", "1.5", "nan"]),
    ("text", "--folds", &["1", "0"]),
    ("rec", "--factors", &["0", "-1"]),
    ("rec", "--lr", &["0", "nan"]),
    ("rec", "--l2", &["-1", "nan"]),
    ("path", "--alpha", &["-0.1", "1.5", "nan"]),
    ("path", "--nlambda", &["0", "-1"]),
    ("path", "--lambda-min-ratio", &["0", "1", "-1", "nan"]),
    ("path", "--lambda", &["-1", "nan", "0.1,x"]),
    ("path", "--tol", &["0", "-1", "nan"]),
    ("path", "--gap-tol", &["0", "1", "nan"]),
    ("path", "--gamma", &["-0.5", "2"]),
    ("cv", "--folds", &["1", "0", "-3"]),
    ("cv", "--seed", &["-1"]),
    ("select", "--pairs", &["0", "-1"]),
    ("select", "--weakness", &["0", "1.5", "nan"]),
    ("select", "--threshold", &["0.4", "1.5", "nan"]),
    ("select", "--q", &["0", "-1"]),
    ("select", "--cluster-corr", &["-0.1", "1.5", "nan"]),
    ("select", "--test-fraction", &["-0.2", "1", "nan"]),
    ("netpath", "--multiplier", &["1", "0.5", "nan"]),
    ("netpath", "--lambda-start", &["0", "-1", "nan"]),
    ("netpath", "--hier-m", &["0", "-1"]),
    ("netpath", "--epochs-per-point", &["0"]),
    ("netpath", "--path-patience", &["0"]),
    ("netpath", "--max-points", &["0"]),
    ("tune", "--trials", &["0", "-1"]),
    ("tune", "--folds", &["1", "0"]),
    // Options with a fixed set of values.
    ("mlp", "--activation", &["swish"]),
    ("mlp", "--optimizer", &["rmsprop"]),
    ("mlp", "--loss", &["huber:-1", "hinge"]),
    ("mlp", "--l1-mode", &["soft"]),
    ("mlp", "--missing", &["guess"]),
    ("mlp", "--task", &["ranking"]),
    ("mlp", "--nesterov", &["maybe"]),
    ("mlp", "--model", &["forest"]),
    ("lstm", "--missing", &["mean"]),
    ("lstm", "--time-column", &["no_such_column"]),
    ("text", "--text-head", &["cnn"]),
    ("path", "--family", &["gamma"]),
    ("cv", "--measure", &["r2"]),
    ("cv", "--rule", &["2se"]),
    ("cv", "--nlambda", &["0"]),
    ("select", "--model", &["forest"]),
    ("tune", "--search", &["bayes"]),
    ("tune", "--rule", &["max"]),
    ("tune", "--metric", &["f2"]),
    ("netpath", "--rule", &["max"]),
];

/// Every file of a folder, by name.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_numeric_option_refuses_bad_values_and_loses_nothing() {
    let dir = common::tmp("bad-values");
    let space = dir.join("space.toml");
    std::fs::write(&space, "[l1]\nlog = [1e-4, 1e-2]\n").unwrap();
    let earlier = dir.join("earlier");
    let e = earlier.to_str().unwrap();
    let (o, err, c) = occam(&["linear", "cv", "builtin:diabetes", "--out", e]);
    assert_eq!(c, Some(0), "{o}{err}");
    let before = snapshot(&earlier);
    let mut cases = 0;
    let mut wrong = Vec::new();
    for (kind, option, values) in TABLE {
        for value in *values {
            let mut args: Vec<String> = command(kind)
                .iter()
                .map(|a| a.replace("{space}", space.to_str().unwrap()))
                .collect();
            args.extend([format!("{option}={value}"), "--out".into(), e.into()]);
            args.push("--force".into());
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let (_, err, code) = occam(&refs);
            cases += 1;
            let flag = option.trim_start_matches('-');
            let ok = code == Some(2)
                && !err.contains("panicked")
                && err.len() < 1500
                && err.contains(flag);
            if !ok {
                wrong.push(format!("{kind} {option}={value}: exit {code:?}: {err}"));
            }
            if snapshot(&earlier) != before {
                let names: Vec<String> = snapshot(&earlier).into_keys().collect();
                panic!("{kind} {option}={value} changed the earlier run (now {names:?}): {err}");
            }
        }
    }
    assert!(cases >= 180, "{cases} cases");
    assert!(
        wrong.is_empty(),
        "{} of {cases} bad values not refused as they should be:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        snapshot(&earlier),
        before,
        "a refused run changed the earlier run"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
