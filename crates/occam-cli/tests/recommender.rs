//! `occam train --model recommender` on InstEval: matrix factorisation with tuned L2 beats
//! the global-mean and user+item-bias baselines on held-out RMSE, the same model without any
//! regularization overfits (train RMSE far below validation), and every user gets 10
//! recommendations of items they have not rated.

mod common;
use common::*;

#[test]
fn insteval_recommender_with_tuned_l2_beats_the_baselines_and_the_unregularized_one_overfits() {
    let dir = tmp("rec");
    let out = dir.join("run");
    let (stdout, err, code) = occam(&recommender(out.to_str().unwrap(), &["--target", "rating"]));
    assert_eq!(code, Some(0), "{stdout}{err}");
    let s = json(&out.join("summary.json"));
    let test = |v: &serde_json::Value| v["test"]["rmse"].as_f64().unwrap();
    let (reg, mean, bias) = (
        test(&s["regularized"]),
        test(&s["baselines"]["global_mean"]),
        test(&s["baselines"]["user_item_bias"]),
    );
    assert!(
        reg < bias && bias < mean,
        "test RMSE: factorisation {reg}, bias {bias}, mean {mean}"
    );
    let u = &s["unregularized"];
    let (tr, va) = (
        u["train_rmse"].as_f64().unwrap(),
        u["val_rmse"].as_f64().unwrap(),
    );
    assert!(
        va - tr > 0.5,
        "without regularization: train {tr} vs validation {va}"
    );
    let r = &s["regularized"];
    assert!(r["val_rmse"].as_f64().unwrap() - r["train_rmse"].as_f64().unwrap() < 0.2);
    assert!(r["l2"].as_f64().unwrap() > 0.0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"baseline\">") && html.contains("user + item biases"));
    let recs = std::fs::read_to_string(out.join("recommendations.csv")).unwrap();
    assert_eq!(
        recs.lines().count(),
        1 + 10 * s["users"].as_u64().unwrap() as usize
    );
    // The saved model predicts (student, lecturer) rows; its test RMSE is the run's.
    let rows = dir.join("rows.csv");
    std::fs::write(&rows, "student,lecturer,rating\n1,1919,5\n1,nobody,3\n").unwrap();
    let r = out.to_str().unwrap();
    let (o, e, c) = occam(&["predict", r, rows.to_str().unwrap()]);
    assert_eq!(c, Some(2), "{o}{e}");
    assert!(
        e.contains("lecturer 'nobody' was not seen in training"),
        "{e}"
    );
    let (o, e, c) = occam(&[
        "predict",
        r,
        rows.to_str().unwrap(),
        "--handle-unknown",
        "zeros",
    ]);
    assert_eq!(c, Some(0), "{e}");
    assert!(o.starts_with("predicted_rating\n"), "{o}");
    assert_eq!(o.lines().count(), 3);
    let (_, e, c) = occam(&["predict", r, &datasets("insteval_ratings.csv")]);
    assert_eq!(c, Some(0), "{e}");
    assert!(e.contains("rmse"), "{e}");
    fails_naming(
        &[
            "train",
            "builtin:insteval",
            "--model",
            "recommender",
            "--out",
            dir.join("x").to_str().unwrap(),
        ],
        "--user",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn insteval_recommender_with_an_mlp_on_the_vectors_beats_the_baselines() {
    let dir = tmp("rec-mlp");
    let out = dir.join("run");
    let extra = [
        "--target",
        "rating",
        "--hidden",
        "16",
        "--l2",
        "0.01",
        "--no-report",
    ];
    let (stdout, err, code) = occam(&recommender(out.to_str().unwrap(), &extra));
    assert_eq!(code, Some(0), "{stdout}{err}");
    let s = json(&out.join("summary.json"));
    assert_eq!(s["config"]["mlp"], serde_json::json!([16]));
    let test = |v: &serde_json::Value| v["test"]["rmse"].as_f64().unwrap();
    let (reg, bias) = (
        test(&s["regularized"]),
        test(&s["baselines"]["user_item_bias"]),
    );
    assert!(
        reg < bias,
        "test RMSE: factorisation + MLP {reg}, bias {bias}"
    );
    let u = &s["unregularized"];
    assert!(u["val_rmse"].as_f64().unwrap() - u["train_rmse"].as_f64().unwrap() > 0.5);
    std::fs::remove_dir_all(&dir).unwrap();
}
