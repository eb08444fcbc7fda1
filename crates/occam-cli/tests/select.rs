//! `occam select --stability` on the synthetic hidden-structure set: the stable features are
//! the true ones (support F1 >= 0.9), the summary carries the chosen settings, the error
//! bound, CV of the refit, and the held-out baseline-vs-regularized comparison, in which the
//! refit on the stable features beats the least-penalized fit on all 1000 features; both
//! versions (linear, with the correlated pair as one cluster, and network) keep both members
//! of the correlated pair, where most single lasso fits keep one.

mod common;
use common::*;

/// Runs `occam select` on the synthetic set; returns (stdout, summary, folder).
fn select(name: &str, extra: &[&str]) -> (String, serde_json::Value, std::path::PathBuf) {
    let dir = tmp(name);
    let (data, _, _) = synthetic();
    let mut args = vec!["select", data.as_str(), "--target", "y", "--stability"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", dir.to_str().unwrap()]);
    let (out, err, code) = occam(&args);
    assert_eq!(code, Some(0), "{out}{err}");
    let s = json(&dir.join("summary.json"));
    (out, s, dir)
}

#[test]
fn stability_selection_finds_the_true_features_and_beats_the_baseline_held_out() {
    let (out, s, dir) = select("linear", &["--seed", "3"]);
    assert!(
        out.contains("stable features (expected false selections <="),
        "{out}"
    );
    let (_, truth, pair) = synthetic();
    let found = strings(&s["selected_features"]);
    let f1 = support_f1(&found, &truth);
    assert!(f1 >= 0.9, "support F1 {f1}: {found:?}");
    // The correlated pair is one cluster, selected as a whole: both members are kept, while
    // most single lasso fits (one per half-sample, at the end of the lambda range) keep one.
    assert!(
        pair.iter().all(|p| found.contains(p)),
        "both of {pair:?}: {found:?}"
    );
    let c = &s["clusters"][0];
    let mut members = strings(&c["members"]);
    members.sort();
    assert_eq!(members, pair, "{}", s["clusters"]);
    assert_eq!(c["stable"], true);
    let (one, fits) = (
        c["half_fits_one_member"].as_u64().unwrap(),
        c["half_fits"].as_u64().unwrap(),
    );
    assert!(
        2 * one > fits,
        "{one} of {fits} single lasso fits kept exactly one member"
    );
    let member_p: Vec<f64> = c["member_probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        member_p.iter().any(|&p| p < 0.6),
        "on their own, one member's probability stays below the threshold: {member_p:?}"
    );
    // Without clusters (plain stability selection) that member is lost.
    let (_, plain, pdir) = select("linear-plain", &["--seed", "3", "--no-clusters"]);
    let pf = strings(&plain["selected_features"]);
    assert!(!pair.iter().all(|p| pf.contains(p)), "{pf:?}");
    std::fs::remove_dir_all(&pdir).unwrap();
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
    let (_, s, dir) = select(
        "mlp",
        &[
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
        ],
    );
    let (_, truth, pair) = synthetic();
    let found = strings(&s["selected_features"]);
    let f1 = support_f1(&found, &truth);
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
