//! Explanations through the facade: exact linear SHAP equals shap's LinearExplainer and the
//! closed form (fixtures by tests/fixtures/shap/gen_shap.py) to 1e-10; on the synthetic
//! hidden-structure data (10 true features, one correlated pair), grouped permutation
//! importance ranks every true feature and the pair above every noise feature, while plain
//! permutation importance splits the pair; the shuffles are seeded and thread-independent;
//! sparse and dense X permute alike.

use occam::explain::{self, ExplainOptions, Method};
use occam::{CsvOptions, Estimator, LinearCv, Matrix, Model};
use serde_json::Value;
use std::path::Path;

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn linear_shap_equals_shap_and_the_closed_form() {
    for case in ["diabetes_ridge", "pima_logistic"] {
        let p = root().join(format!("crates/occam/tests/fixtures/shap/{case}.json"));
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let d = occam::estimator::read_csv(
            root().join("datasets").join(fx["data"].as_str().unwrap()),
            &CsvOptions::default(),
        )
        .unwrap();
        let k = fx["background"].as_u64().unwrap() as usize;
        let bg = d.x.select_rows(&(0..k).collect::<Vec<_>>());
        let mean = explain::column_means(&bg);
        let coef = f64s(&fx["coef"]);
        let a = fx["intercept"].as_f64().unwrap();
        let (phi, base) = explain::linear_shap(a, &coef, &d.x, &mean).unwrap();
        let shap: Vec<Vec<f64>> = fx["shap_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(f64s)
            .collect();
        let closed: Vec<Vec<f64>> = fx["closed_form"]
            .as_array()
            .unwrap()
            .iter()
            .map(f64s)
            .collect();
        let scale = closed.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, row) in phi.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert!(
                    (v - shap[i][j]).abs() <= 1e-10 * scale,
                    "{case} [{i},{j}] vs shap"
                );
                assert!(
                    (v - closed[i][j]).abs() <= 1e-10 * scale,
                    "{case} [{i},{j}]"
                );
            }
        }
        let want = fx["base_value"].as_f64().unwrap();
        assert!(
            (base - want).abs() <= 1e-10 * want.abs().max(1.0),
            "{case} base"
        );
    }
}

fn hidden() -> occam::Dataset {
    occam::data::dataset(
        &occam::data::resolve(
            root()
                .join("datasets/synthetic/hidden_structure.csv.gz")
                .to_str()
                .unwrap(),
        )
        .unwrap(),
        &CsvOptions {
            target: Some("y".into()),
            ..Default::default()
        },
        None,
    )
    .unwrap()
}

fn truth() -> Vec<String> {
    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("datasets/synthetic/hidden_structure_truth.json"))
            .unwrap(),
    )
    .unwrap();
    t["true_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn grouped_permutation_ranks_the_truth_first_and_plain_splits_the_pair() {
    let d = hidden();
    let model = Model::Linear(LinearCv::default().fit(&d).unwrap());
    let truth = truth();
    let opts = |group_corr| ExplainOptions {
        method: Method::Permutation,
        repeats: 10,
        seed: 7,
        group_corr,
        ..ExplainOptions::default()
    };
    let grouped = explain::explain(&model, &d.x, Some(&d.y), &opts(Some(0.8))).unwrap();
    let plain = explain::explain(&model, &d.x, Some(&d.y), &opts(None)).unwrap();
    // grouped: the pair is one row; the 9 true rows (8 singles + the pair) come first
    let pair = grouped
        .importance
        .iter()
        .position(|r| r.feature == "g0009+g0069")
        .expect("the correlated pair is one group");
    let top: Vec<&str> = grouped.importance[..9]
        .iter()
        .map(|r| r.feature.as_str())
        .collect();
    assert!(pair < 9, "{top:?}");
    for r in &grouped.importance[..9] {
        assert!(r.members.iter().all(|m| truth.contains(m)), "{top:?}");
    }
    let noise_best = grouped.importance[9].importance;
    assert!(grouped.importance[8].importance > noise_best + 3.0 * grouped.importance[8].se);
    // plain: each member of the pair gets less than the pair does as a whole, together less
    // than 80% of it (the model leans on one while the other is shuffled)
    let get = |e: &explain::Explanation, f: &str| {
        e.importance
            .iter()
            .find(|r| r.feature == f)
            .unwrap()
            .importance
    };
    let both = get(&grouped, "g0009+g0069");
    let (a, b) = (get(&plain, "g0009"), get(&plain, "g0069"));
    assert!(a + b < 0.8 * both, "plain {a} + {b} vs grouped {both}");
    assert_eq!(plain.score.as_deref(), Some("r2"));
    // seeded: the same seed gives the same bits (rayon order does not matter)
    let again = explain::explain(&model, &d.x, Some(&d.y), &opts(None)).unwrap();
    assert_eq!(again, plain);
    // SHAP on the same model: exact, so each row's values sum to f(x) - base
    let shap = explain::explain(
        &model,
        &d.x,
        None,
        &ExplainOptions {
            method: Method::Shap,
            ..ExplainOptions::default()
        },
    )
    .unwrap();
    assert!(shap.completeness_error.unwrap() < 1e-12);
    assert!(shap.selected.len() >= 10 && truth.iter().all(|t| shap.selected.contains(t)));
    // errors name their parameter
    let e = explain::explain(&model, &d.x, None, &opts(None)).unwrap_err();
    assert_eq!(e.param(), Some("data"), "{e}");
    let e = explain::explain(&model, &d.x, Some(&d.y), &opts(Some(1.5))).unwrap_err();
    assert_eq!(e.param(), Some("group_corr"), "{e}");
    assert_eq!(Method::parse("ig").unwrap_err().param(), Some("method"));
}

#[test]
fn sparse_and_dense_columns_permute_alike() {
    let d = occam::estimator::read_csv(
        root().join("datasets/diabetes_regression.csv"),
        &CsvOptions::default(),
    )
    .unwrap();
    let Matrix::Dense(dx) = &d.x else { panic!() };
    let (mut row_ptr, mut cols, mut vals) = (vec![0usize], Vec::new(), Vec::new());
    for i in 0..dx.nrows {
        for j in 0..dx.ncols {
            let v = dx.get(i, j);
            if v != 0.0 && (i + j) % 3 != 0 {
                cols.push(j as u32);
                vals.push(v);
            }
        }
        row_ptr.push(cols.len());
    }
    let s = occam_core::CscMatrix::from_rows(dx.nrows, dx.ncols, &row_ptr, &cols, &vals);
    let sd = Matrix::Sparse(s.clone());
    let dense = Matrix::Dense(s.to_dense_cols(dx.ncols));
    let mut perm: Vec<usize> = (0..dx.nrows).collect();
    perm.reverse();
    perm.swap(3, 100);
    let a = explain::permute_columns(&sd, &[2, 5], &perm);
    let b = explain::permute_columns(&dense, &[2, 5], &perm);
    for j in 0..dx.ncols {
        let (mut ca, mut cb) = (vec![0.0; dx.nrows], vec![0.0; dx.nrows]);
        a.for_each_in_col(j, |i, v| ca[i] = v);
        b.for_each_in_col(j, |i, v| cb[i] = v);
        assert_eq!(ca, cb, "column {j}");
    }
}
