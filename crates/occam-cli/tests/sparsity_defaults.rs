//! Defaults that serve the user's intent: on colon (62 tissues, 2,000 genes) `occam train
//! --l1 0.03` at default flags keeps at most 200 genes with validation accuracy within 5
//! points of the unpenalized network, because the selection terms go on the first layer
//! (`--penalty-layers auto`); `--penalty-layers all` still puts L1 on every layer. With a
//! selection penalty, early stopping restores the epoch with the best validation objective
//! (loss + penalty), never an earlier, denser one.

mod common;
use common::*;

fn train(dir: &std::path::Path, name: &str, extra: &[&str]) -> serde_json::Value {
    let out = dir.join(name);
    let mut args = vec![
        "train",
        "builtin:colon",
        "--no-report",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (o, e, c) = occam(&args);
    assert_eq!(c, Some(0), "{o}{e}");
    json(&out.join("summary.json"))
}

#[test]
fn colon_l1_at_default_flags_keeps_few_genes_and_the_accuracy() {
    let dir = tmp("sparsity-defaults");
    let free = train(&dir, "none", &[]);
    let l1 = train(&dir, "l1", &["--l1", "0.03"]);
    let acc = |s: &serde_json::Value| s["val_metrics"]["accuracy"].as_f64().unwrap();
    let kept = l1["input_features_kept"].as_array().unwrap().len();
    assert!((1..=200).contains(&kept), "{kept} genes kept");
    assert!(
        acc(&l1) >= acc(&free) - 0.05,
        "{} vs {}",
        acc(&l1),
        acc(&free)
    );
    // The hidden-to-output layer is not sparsified by default ...
    let zeros = |s: &serde_json::Value, layer: usize| {
        s["zeros_per_layer"][layer]["zeros"].as_u64().unwrap()
    };
    assert_eq!(zeros(&l1, 1), 0);
    // ... but is with every term on every layer.
    let all = train(&dir, "all", &["--l1", "0.03", "--penalty-layers", "all"]);
    assert!(zeros(&all, 1) > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn early_stopping_with_l1_restores_the_best_validation_objective_not_an_earlier_denser_epoch() {
    let dir = tmp("sparsity-restore");
    let s = train(&dir, "l1", &["--l1", "0.003", "--patience", "10"]);
    let text = std::fs::read_to_string(dir.join("l1").join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (iv, ip, iz) = (col("val_loss"), col("penalty"), col("zeros_layer0"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    let argmin = |f: &dyn Fn(&Vec<f64>) -> f64| -> usize {
        (0..rows.len())
            .min_by(|&a, &b| f(&rows[a]).total_cmp(&f(&rows[b])))
            .unwrap()
    };
    let by_objective = argmin(&|r| r[iv] + r[ip]);
    let by_loss = argmin(&|r| r[iv]);
    let best = s["best_epoch"].as_u64().unwrap() as usize;
    assert_eq!(
        best,
        by_objective + 1,
        "the restored epoch minimizes loss + penalty"
    );
    // The restored weights are that epoch's, at least as sparse as the loss-only choice.
    let zeros = s["zeros_per_layer"][0]["zeros"].as_u64().unwrap() as f64;
    assert_eq!(zeros, rows[by_objective][iz]);
    assert!(rows[by_objective][iz] >= rows[by_loss][iz]);
    std::fs::remove_dir_all(&dir).unwrap();
}
