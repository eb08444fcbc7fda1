//! Explanations through the facade: exact linear SHAP equals shap's LinearExplainer and the
//! closed form (fixtures by tests/fixtures/shap/gen_shap.py) to 1e-10; on the synthetic
//! hidden-structure data (10 true features, one correlated pair), grouped permutation
//! importance ranks every true feature and the pair above every noise feature, while plain
//! permutation importance splits the pair; the shuffles are seeded and thread-independent;
//! sparse and dense X permute alike. Networks: integrated gradients of an L1-penalized MLP
//! rank the ten true features above every noise feature, complete within 1e-3; on a CNN
//! (digits) every row is complete within 1e-3 and the attributions carry the image grid for
//! the report's heat maps; gradient x input and SmoothGrad relate as defined.

use occam::explain::{self, Baseline, ExplainOptions, Method};
use occam::{CsvOptions, Estimator, LinearCv, Matrix, Mlp, Model};
use occam_nn::regularize::{LayerPenalty, PenaltyPolicy};
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
    assert_eq!(Method::parse("lime").unwrap_err().param(), Some("method"));
    // gradient methods need a network
    let e = explain::explain(
        &model,
        &d.x,
        None,
        &ExplainOptions {
            method: Method::Ig,
            ..ExplainOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.param(), Some("method"), "{e}");
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

fn gradient_opts(method: Method) -> ExplainOptions {
    ExplainOptions {
        method,
        ..ExplainOptions::default()
    }
}

#[test]
fn integrated_gradients_of_an_l1_mlp_rank_the_truth_first_and_are_complete() {
    let d = hidden();
    let mlp = Mlp {
        hidden: Some(vec![16]),
        epochs: 300,
        seed: 1,
        penalty: PenaltyPolicy {
            default: LayerPenalty {
                l1: 0.03,
                ..LayerPenalty::default()
            },
            ..PenaltyPolicy::default()
        },
        ..Mlp::default()
    };
    let model = Model::Network(Box::new(mlp.fit(&d).unwrap()));
    let truth = truth();
    let ig = explain::explain(&model, &d.x, None, &gradient_opts(Method::Ig)).unwrap();
    let top: Vec<&str> = ig.importance[..10]
        .iter()
        .map(|r| r.feature.as_str())
        .collect();
    assert!(top.iter().all(|f| truth.iter().any(|t| t == f)), "{top:?}");
    let (last_true, first_noise) = (&ig.importance[9], &ig.importance[10]);
    assert!(
        last_true.importance > first_noise.importance + 3.0 * (last_true.se + first_noise.se),
        "{last_true:?} vs {first_noise:?}"
    );
    assert!(ig.completeness_error.unwrap() <= 1e-3);
    let g = ig.gradient.as_ref().unwrap();
    assert_eq!(g.baseline, "training means");
    assert_eq!(g.output, "output");
    assert_eq!(g.rows_over_tol, 0);
    // each row's attributions sum to f(x) - f(baseline), in the target's units
    let Model::Network(m) = &model else {
        unreachable!()
    };
    let pred = m.as_ref().clone().predict(&d.x).unwrap().labels();
    let a = ig.attributions.as_ref().unwrap();
    let base = ig.base_value.unwrap();
    let spread = pred.iter().map(|f| (f - base).abs()).sum::<f64>() / pred.len() as f64;
    for (row, f) in a.iter().zip(&pred) {
        let sum: f64 = row.iter().sum();
        assert!((sum - (f - base)).abs() <= 2e-3 * spread.max((f - base).abs()));
    }
    // gradient x input; SmoothGrad with no noise is gradient x input
    let gx = explain::explain(&model, &d.x, None, &gradient_opts(Method::GradXInput)).unwrap();
    let sg0 = explain::explain(
        &model,
        &d.x,
        None,
        &ExplainOptions {
            method: Method::SmoothGrad,
            noise: 0.0,
            samples: 3,
            ..ExplainOptions::default()
        },
    )
    .unwrap();
    let (ga, sa) = (gx.attributions.unwrap(), sg0.attributions.unwrap());
    for (r, s) in ga.iter().zip(&sa) {
        for (a, b) in r.iter().zip(s) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + a.abs()));
        }
    }
    // SmoothGrad: seeded, and the truth on top too
    let sg = explain::explain(&model, &d.x, None, &gradient_opts(Method::SmoothGrad)).unwrap();
    assert_eq!(
        sg,
        explain::explain(&model, &d.x, None, &gradient_opts(Method::SmoothGrad)).unwrap()
    );
    assert!(sg.importance[..10]
        .iter()
        .all(|r| truth.contains(&r.feature)));
    // a zero baseline is the data's zero, and bad settings name their parameter
    let z = explain::explain(
        &model,
        &d.x,
        None,
        &ExplainOptions {
            method: Method::Ig,
            baseline: Baseline::Zero,
            ..ExplainOptions::default()
        },
    )
    .unwrap();
    assert_eq!(z.gradient.unwrap().baseline_values, vec![0.0; 1000]);
    for (opts, param) in [
        (
            ExplainOptions {
                method: Method::Ig,
                steps: 0,
                ..ExplainOptions::default()
            },
            "steps",
        ),
        (
            ExplainOptions {
                method: Method::Ig,
                class: Some("a".into()),
                ..ExplainOptions::default()
            },
            "class",
        ),
        (
            ExplainOptions {
                method: Method::SmoothGrad,
                noise: -1.0,
                ..ExplainOptions::default()
            },
            "noise",
        ),
        (
            ExplainOptions {
                method: Method::Ig,
                background: Some(vec![0.0; 3]),
                ..ExplainOptions::default()
            },
            "background",
        ),
    ] {
        let e = explain::explain(&model, &d.x, None, &opts).unwrap_err();
        assert_eq!(e.param(), Some(param), "{e}");
    }
}

#[test]
fn integrated_gradients_of_a_cnn_are_complete_on_every_row_with_heat_map_grids() {
    let d = occam::estimator::read_csv(
        root().join("datasets/digits_8x8.csv"),
        &CsvOptions::default(),
    )
    .unwrap();
    let cnn = Mlp {
        conv: vec![occam::mlp::parse_conv_block("6:3:2").unwrap()],
        hidden: Some(vec![16]),
        epochs: 3,
        seed: 2,
        ..Mlp::default()
    };
    let model = Model::Network(Box::new(cnn.fit(&d).unwrap()));
    let x = d.x.select_rows(&(0..300).collect::<Vec<_>>());
    let ig = explain::explain(&model, &x, None, &gradient_opts(Method::Ig)).unwrap();
    assert!(ig.completeness_error.unwrap() <= 1e-3);
    let g = ig.gradient.as_ref().unwrap();
    assert_eq!(g.baseline, "zeros");
    assert_eq!(g.output, "logit of the predicted class");
    assert!(g.steps.unwrap().1 > 50, "ReLU kinks make some rows refine");
    assert_eq!(ig.grid, Some((1, 8, 8)));
    assert_eq!(ig.inputs_shown.len(), 3);
    assert_eq!(ig.rows_shown.len(), 3);
    // a fixed class explains that logit on every row
    let c = explain::explain(
        &model,
        &x,
        None,
        &ExplainOptions {
            method: Method::Ig,
            class: Some("3".into()),
            ..ExplainOptions::default()
        },
    )
    .unwrap();
    let cg = c.gradient.as_ref().unwrap();
    assert_eq!(cg.output, "logit of 3");
    assert!(c.base_value.is_some());
    assert!(
        c.completeness_error.unwrap() <= 1e-3,
        "{:?} {:?} {}",
        c.completeness_error,
        cg.steps,
        cg.rows_over_tol
    );
}
