//! Stability selection on the synthetic hidden-structure set (datasets/synthetic, made by
//! gen_hidden_structure.py): n = 200, p = 1000, 10 true features, one correlated pair
//! (rho = 0.9). It recovers the true features (support F1 >= 0.9) and keeps both members of
//! the pair. (On this set the single lasso fit at lambda.1se keeps both members too; the
//! test prints it for comparison.)

use occam_core::table::RawTable;
use occam_core::{CsvOptions, Dataset};
use occam_linear::{cross_validate, CvConfig, Family, Measure, PathConfig};
use occam_select::{stability_selection, StabilityConfig};
use std::collections::BTreeSet;

fn load() -> (Dataset, Vec<String>, Vec<String>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/synthetic");
    let path = std::path::PathBuf::from(format!("{dir}/hidden_structure.csv.gz"));
    let raw = std::fs::read(&path).unwrap();
    let bytes = occam_core::input::decompress(raw, &path).unwrap();
    let t = RawTable::parse(&bytes, &path).unwrap();
    let d = Dataset::from_table(
        &t,
        &CsvOptions {
            target: Some("y".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/hidden_structure_truth.json")).unwrap(),
    )
    .unwrap();
    let names = |k: &str| -> Vec<String> {
        truth[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    (d, names("true_features"), names("correlated_pair"))
}

fn f1(found: &BTreeSet<String>, truth: &BTreeSet<String>) -> f64 {
    let tp = found.intersection(truth).count() as f64;
    if tp == 0.0 {
        return 0.0;
    }
    let (p, r) = (tp / found.len() as f64, tp / truth.len() as f64);
    2.0 * p * r / (p + r)
}

#[test]
fn stability_selection_recovers_the_truth_and_keeps_both_members_of_the_correlated_pair() {
    let (d, truth, pair) = load();
    let truth: BTreeSet<String> = truth.into_iter().collect();
    let base = PathConfig::new(Family::Gaussian);
    let select = || {
        let cfg = StabilityConfig {
            seed: 7,
            ..Default::default()
        };
        stability_selection(&d.x, &d.y, &base, &cfg).unwrap()
    };
    let r = select();
    let found: BTreeSet<String> = r
        .selected
        .iter()
        .map(|&j| d.feature_names[j].clone())
        .collect();
    let score = f1(&found, &truth);
    eprintln!(
        "stability: {found:?} F1 {score:.3} q {:.1} bound {:.2} last {} of {}",
        r.q_lambda,
        r.error_bound,
        r.last,
        r.lambda.len()
    );
    for t in &truth {
        let j = d.feature_names.iter().position(|n| n == t).unwrap();
        eprintln!(
            "  {t}: max {:.2} at-last {:.2} at-end {:.2}",
            r.max_prob[j],
            r.prob[r.last][j],
            r.prob[r.lambda.len() - 1][j]
        );
    }
    assert_eq!(r.fits, 100);
    assert!(score >= 0.9, "support F1 {score}");
    assert!(
        pair.iter().all(|n| found.contains(n)),
        "both members of {pair:?} kept: {found:?}"
    );
    assert!(r.q_lambda <= r.q_target as f64);
    assert!((r.error_bound - r.q_lambda.powi(2) / (0.2 * 1000.0)).abs() < 1e-9);
    // Same seed, same result.
    let again = select();
    assert_eq!(again, r);

    // The single lasso fit chosen by 10-fold CV (lambda.1se).
    let cv = cross_validate(
        &d.x,
        &d.y,
        &base,
        &CvConfig {
            folds: 10,
            foldid: None,
            measure: Measure::Mse,
            seed: 7,
        },
    )
    .unwrap();
    let lasso: BTreeSet<String> = cv
        .fit
        .selected(cv.index_1se)
        .iter()
        .map(|&j| d.feature_names[j].clone())
        .collect();
    let kept = pair.iter().filter(|n| lasso.contains(*n)).count();
    eprintln!(
        "lasso.1se: {} features, pair members kept {kept}, F1 {:.3}",
        lasso.len(),
        f1(&lasso, &truth)
    );
}
