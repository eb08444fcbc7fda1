//! `occam path` (LassoNet): on the synthetic hidden-structure set the chosen point's features
//! are the true ones (support F1 >= 0.9) and every feature gets the lambda at which it leaves;
//! it runs on colon (2000 dense features) and on the movie-review bag of words (50,920
//! sparse features, read as CSR and never densified); summaries carry the comparison.

mod common;
use common::*;

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(args: &[&str], out: &Path) -> (String, Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_occam"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    (stdout, s)
}

fn csv(p: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn network_path_recovers_the_hidden_structure_and_records_when_each_feature_leaves() {
    let dir = tmp("synthetic");
    let (data, _, _) = synthetic();
    let data = data.as_str();
    let (_, s) = run(
        &[
            "path",
            data,
            "--target",
            "y",
            "--hidden",
            "32",
            "--multiplier",
            "1.3",
            "--threads",
            "2",
        ],
        &dir,
    );
    let (_, truth, _) = synthetic();
    let found = strings(&s["selected_features"]);
    let f1 = support_f1(&found, &truth);
    assert!(f1 >= 0.9, "support F1 {f1}: {found:?}");
    assert_choice_fields(&s, &[]);
    let r2 = |k: &str| s[k]["r2"].as_f64().unwrap();
    assert!(
        r2("regularized") > r2("baseline"),
        "relaxed sparse fit {} vs dense {}",
        r2("regularized"),
        r2("baseline")
    );
    // Every feature leaves at some lambda (the path runs until none is left); the ten that
    // stay longest hold the truth.
    let feats = csv(&dir.join("features.csv"));
    assert_eq!(feats.len(), 1000);
    assert!(
        feats.iter().all(|f| f[1].parse::<f64>().is_ok()),
        "a leave lambda for every feature"
    );
    let last10: Vec<&str> = feats[..10].iter().map(|f| f[0].as_str()).collect();
    assert!(
        last10
            .iter()
            .filter(|f| truth.iter().any(|t| t == **f))
            .count()
            >= 9,
        "{last10:?}"
    );
    let path = csv(&dir.join("path.csv"));
    assert_eq!(path.first().unwrap()[4], "1000");
    assert_eq!(path.last().unwrap()[4], "0");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for id in ["run", "path", "selected", "baseline"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(
        html.contains(">\nchosen\n<"),
        "the chosen lambda is marked on the path plot"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn network_path_runs_on_colon_and_on_the_sparse_movie_reviews() {
    let dir = tmp("colon");
    let (_, s) = run(
        &["path", "builtin:colon", "--hidden", "16", "--threads", "2"],
        &dir,
    );
    assert!(s["regularized"]["accuracy"].is_number() && s["baseline"]["accuracy"].is_number());
    let path = csv(&dir.join("path.csv"));
    assert_eq!(path.first().unwrap()[4], "2000");
    assert_eq!(path.last().unwrap()[4], "0");
    std::fs::remove_dir_all(&dir).unwrap();

    let dir = tmp("movies");
    let (out, s) = run(
        &[
            "path",
            "builtin:movie-reviews",
            "--hidden",
            "8",
            "--epochs-dense",
            "5",
            "--epochs-per-point",
            "3",
            "--multiplier",
            "3",
            "--threads",
            "2",
        ],
        &dir,
    );
    assert!(out.contains("50920 features (sparse)"), "{out}");
    let path = csv(&dir.join("path.csv"));
    // The dense fit leaves the skip weights of words absent from the training rows at zero.
    let dense: usize = path.first().unwrap()[4].parse().unwrap();
    assert!(dense > 30_000 && dense <= 50920, "{dense}");
    assert_eq!(path.last().unwrap()[4], "0");
    assert_eq!(csv(&dir.join("features.csv")).len(), 50920);
    assert!(s["selected_features"].as_array().unwrap().len() < 50920);
    std::fs::remove_dir_all(&dir).unwrap();
}
