//! `occam select --stability` on the synthetic hidden-structure set: the stable features are
//! the true ones (support F1 >= 0.9), the summary carries the chosen settings, the error
//! bound, CV of the refit, and the held-out baseline-vs-regularized comparison, in which the
//! refit on the stable features beats the least-penalized fit on all 1000 features.

use std::process::Command;

#[test]
fn stability_selection_finds_the_true_features_and_beats_the_baseline_held_out() {
    let dir = std::env::temp_dir().join(format!("occam-select-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/synthetic/hidden_structure.csv.gz"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_occam"))
        .args([
            "select",
            data,
            "--target",
            "y",
            "--stability",
            "--seed",
            "3",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("stable features (expected false selections <="),
        "{stdout}"
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let truth_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/synthetic/hidden_structure_truth.json"
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(truth_path).unwrap()).unwrap();
    let truth: Vec<&str> = truth["true_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let found: Vec<&str> = s["selected_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let tp = found.iter().filter(|f| truth.contains(f)).count() as f64;
    let f1 = 2.0 * tp / (found.len() + truth.len()) as f64;
    assert!(f1 >= 0.9, "support F1 {f1}: {found:?}");
    for key in [
        "chosen",
        "rule",
        "cv_mean",
        "cv_se",
        "error_bound",
        "baseline",
        "regularized",
        "lasso_1se",
    ] {
        assert!(!s[key].is_null(), "summary.{key} missing");
    }
    let mse = |k: &str| s[k]["mse"].as_f64().unwrap();
    assert!(
        mse("regularized") < mse("baseline"),
        "refit {} vs baseline {}",
        mse("regularized"),
        mse("baseline")
    );
    let csv = std::fs::read_to_string(dir.join("stability.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1001, "one row per feature");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for id in ["run", "selected", "baseline"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(
        html.contains(">\nthreshold\n<"),
        "the selection-probability chart marks the threshold"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn network_stability_selection_keeps_the_true_features_and_both_members_of_the_pair() {
    let dir = std::env::temp_dir().join(format!("occam-select-mlp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/synthetic/hidden_structure.csv.gz"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_occam"))
        .args([
            "select",
            data,
            "--target",
            "y",
            "--stability",
            "--model",
            "mlp",
            "--l1",
            "0.2",
            "--epochs",
            "300",
            "--pairs",
            "25",
            "--test-fraction",
            "0.2",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let truth_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/synthetic/hidden_structure_truth.json"
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(truth_path).unwrap()).unwrap();
    let pair: Vec<&str> = truth["correlated_pair"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let truth: Vec<&str> = truth["true_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let found: Vec<&str> = s["selected_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let tp = found.iter().filter(|f| truth.contains(f)).count() as f64;
    let f1 = 2.0 * tp / (found.len() + truth.len()) as f64;
    assert!(f1 >= 0.9, "support F1 {f1}: {found:?}");
    assert!(
        pair.iter().all(|p| found.contains(p)),
        "both of {pair:?} kept: {found:?}"
    );
    assert_eq!(s["model"], "mlp");
    let r2 = |k: &str| s[k]["r2"].as_f64().unwrap();
    assert!(
        r2("regularized") > r2("baseline"),
        "refit on stable inputs {} vs all inputs {}",
        r2("regularized"),
        r2("baseline")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
