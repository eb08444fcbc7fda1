//! Defaults that serve the user's intent: on colon (62 tissues, 2,000 genes) `occam train
//! --l1 0.03` at default flags keeps at most 200 genes with validation accuracy within 5
//! points of the unpenalized network, because the selection terms go on the first layer
//! (`--penalty-layers auto`); `--penalty-layers all` still puts L1 on every layer.

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
