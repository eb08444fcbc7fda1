//! Helpers shared by the CLI tests: running the binary, scratch folders, and the synthetic
//! hidden-structure set's truth with the support F1 the selection tests score against.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Runs `occam args`: (stdout, stderr, exit code).
pub fn occam(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_occam"))
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// Runs `occam args`, which must succeed; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let (o, e, c) = occam(args);
    assert_eq!(c, Some(0), "{args:?}\n{o}\n{e}");
    o
}

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A fresh, empty scratch folder for this test process.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("occam-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A file of the repository's datasets/ folder.
pub fn datasets(file: &str) -> String {
    format!("{}/../../datasets/{file}", env!("CARGO_MANIFEST_DIR"))
}

pub fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The JSON header of a safetensors file (tensor names -> dtype, shape, offsets).
pub fn safetensors_header(path: &std::path::Path) -> Value {
    let st = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(st[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&st[8..8 + n]).unwrap()
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// The synthetic hidden-structure set and its truth (true features, correlated pair).
pub fn synthetic() -> (String, Vec<String>, Vec<String>) {
    let t = json(std::path::Path::new(&datasets(
        "synthetic/hidden_structure_truth.json",
    )));
    (
        datasets("synthetic/hidden_structure.csv.gz"),
        strings(&t["true_features"]),
        strings(&t["correlated_pair"]),
    )
}

/// Support F1 of `found` against `truth`.
pub fn support_f1(found: &[String], truth: &[String]) -> f64 {
    let tp = found.iter().filter(|f| truth.contains(f)).count() as f64;
    2.0 * tp / (found.len() + truth.len()) as f64
}

/// Runs `occam args`, which must fail as a usage error (exit code 2) whose message contains
/// `names` (the flag or value at fault); returns the message.
pub fn fails_naming(args: &[&str], names: &str) -> String {
    let (_, e, c) = occam(args);
    assert_eq!(c, Some(2), "{args:?}: {e}");
    assert!(e.contains(names), "{args:?}: {e}");
    e
}

/// `occam train` on the InstEval ratings as a recommender (append the options).
pub const INSTEVAL: &[&str] = &[
    "train",
    "builtin:insteval",
    "--model",
    "recommender",
    "--user",
    "student",
    "--item",
    "lecturer",
];

/// The electricity series' time and target columns, for a forecaster.
pub const ELECTRICITY: &[&str] = &[
    "--time-column",
    "hour_ending_local",
    "--target",
    "consumption_kwh",
];

/// `occam train` on the InstEval ratings as a recommender, into `out`, plus `extra` flags.
pub fn recommender<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [INSTEVAL, extra, &["--out", out]].concat()
}

/// A small L1-ready network on the colon genes: hidden 32, 300 epochs, 35% validation rows,
/// two threads (the sparsity tests add their penalty and `--out`).
pub const COLON: &[&str] = &[
    "builtin:colon",
    "--hidden",
    "32",
    "--epochs",
    "300",
    "--val-fraction",
    "0.35",
    "--threads",
    "2",
];

/// The fields every search result (tune, path, select) has, checked present.
pub fn assert_choice_fields(s: &Value, more: &[&str]) {
    let keys = [
        "chosen",
        "cv_mean",
        "cv_se",
        "rule",
        "selected_features",
        "baseline",
        "regularized",
    ];
    for key in keys.iter().chain(more) {
        assert!(!s[key].is_null(), "summary.{key} missing");
    }
}

/// The last line of `occam privacy epsilon` for noise multiplier `sigma` (exit 0 asserted):
/// `epsilon=<value>` parsed.
pub fn privacy_epsilon(sigma: f64, rate: &str, steps: &str, delta: &str, accountant: &str) -> f64 {
    let s = sigma.to_string();
    let (o, e, c) = occam(&[
        "privacy",
        "epsilon",
        "--noise-multiplier",
        &s,
        "--sample-rate",
        rate,
        "--steps",
        steps,
        "--delta",
        delta,
        "--accountant",
        accountant,
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let last = o.trim().lines().last().unwrap_or_default();
    let v = last
        .strip_prefix("epsilon=")
        .unwrap_or_else(|| panic!("{o}"));
    v.parse().unwrap()
}
