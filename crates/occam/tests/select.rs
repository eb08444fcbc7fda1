//! Feature selection through the facade on real data (stability selection and the LassoNet
//! path): the diabetes data's strongest predictors are stable and the refit on them scores
//! held out, the LassoNet path drops features as lambda grows, the same seed gives the same
//! bits, and a bad threshold, zero pairs, a NaN cell or a multiplier of 1 are typed errors
//! naming the field.

use occam::select::{NetworkStability, Stability};
use occam::{CsvOptions, Dataset, Mlp, RawTable};
use std::path::Path;

fn data(file: &str, rows: usize) -> Dataset {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets")
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    let head: String = text.lines().take(rows + 1).collect::<Vec<_>>().join("\n") + "\n";
    let t = RawTable::parse(head.as_bytes(), &p).unwrap();
    Dataset::from_table(&t, &CsvOptions::default()).unwrap()
}

#[test]
fn diabetes_bmi_and_s5_are_stable_and_the_run_repeats_bit_for_bit() {
    let d = data("diabetes_regression.csv", 442);
    let est = Stability {
        pairs: 10,
        ..Stability::default()
    };
    let fit = est.fit(&d).unwrap();
    let r = &fit.result;
    for f in ["bmi", "s5"] {
        assert!(
            r.selected_features.iter().any(|s| s == f),
            "{f} not in {:?}",
            r.selected_features
        );
    }
    assert!(r.selected_features.len() < 10, "{:?}", r.selected_features);
    assert_eq!(fit.rows.len(), 10);
    assert!(fit
        .rows
        .windows(2)
        .all(|w| w[0].probability >= w[1].probability));
    assert!(fit
        .csv()
        .starts_with("feature,max_probability,stable_from_lambda,selected\n"));
    let reg = r.held_out.regularized.as_ref().unwrap();
    assert!(reg.get("r2").unwrap() > 0.3, "{reg}");
    let again = est.fit(&d).unwrap();
    assert_eq!(
        serde_json::to_string(&again.result.selection_probability).unwrap(),
        serde_json::to_string(&r.selection_probability).unwrap()
    );
    assert_eq!(again.rows, fit.rows);
}

#[test]
fn with_nothing_stable_the_refit_is_the_null_model() {
    // Pima's target against a threshold no feature reaches on 40 rows and 4 pairs: nothing is
    // stable, and the held-out "regularized" model is the intercept alone (a constant
    // prediction: AUC exactly 0.5), not an error.
    let d = data("pima_indians_diabetes.csv", 40);
    let est = Stability {
        pairs: 4,
        threshold: 1.0,
        q: Some(1),
        seed: 3,
        ..Stability::default()
    };
    let fit = est.fit(&d).unwrap();
    assert!(
        fit.result.selected_features.is_empty(),
        "{:?}",
        fit.result.selected_features
    );
    let reg = fit.result.held_out.regularized.as_ref().unwrap();
    assert_eq!(reg.get("auc"), Some(0.5), "{reg}");
}

#[test]
fn network_stability_repeats_bit_for_bit_with_the_same_seed() {
    let d = data("pima_indians_diabetes.csv", 200);
    let est = NetworkStability {
        network: Mlp {
            hidden: Some(vec![4]),
            epochs: 5,
            restore_best: false,
            ..Mlp::default()
        },
        pairs: 2,
        ..NetworkStability::default()
    };
    let a = est.fit(&d).unwrap();
    let b = est.fit(&d).unwrap();
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.result.fits, 4);
    assert_eq!(a.rows.len(), d.nfeatures());
    assert!(a.rows.iter().all(|r| (0.0..=1.0).contains(&r.probability)));
}

#[test]
fn a_bad_setting_or_a_nan_cell_is_a_typed_error_naming_the_field() {
    let d = data("diabetes_regression.csv", 100);
    let e = Stability {
        threshold: 0.4,
        ..Stability::default()
    }
    .fit(&d)
    .unwrap_err();
    assert_eq!(e.param(), Some("threshold"), "{e}");
    let e = NetworkStability {
        pairs: 0,
        ..NetworkStability::default()
    }
    .fit(&d)
    .unwrap_err();
    assert_eq!(e.param(), Some("pairs"), "{e}");
    let mut bad = d.clone();
    if let occam::Matrix::Dense(m) = &mut bad.x {
        m.data[3] = f64::NAN;
    }
    assert!(Stability::default().fit(&bad).is_err());
}

#[test]
fn the_lassonet_path_drops_features_as_lambda_grows_and_repeats_bit_for_bit() {
    use occam::lassonet::NetworkPath;
    let d = data("diabetes_regression.csv", 300);
    let est = NetworkPath {
        network: Mlp {
            hidden: Some(vec![8]),
            ..Mlp::default()
        },
        epochs_dense: 20,
        epochs_per_point: 5,
        multiplier: 1.6,
        max_points: 40,
        ..NetworkPath::default()
    };
    let mut seen = 0;
    let fit = est.fit(&d, |_| seen += 1).unwrap();
    assert_eq!(seen, fit.points.len());
    let counts: Vec<usize> = fit.points.iter().map(|p| p.active.len()).collect();
    assert_eq!(
        counts[0], 10,
        "the dense fit keeps every feature: {counts:?}"
    );
    assert!(counts.last().unwrap() < &10, "{counts:?}");
    assert!(fit.points.windows(2).all(|w| w[0].lambda < w[1].lambda));
    let r = &fit.result;
    assert!(r.chosen.point < fit.points.len());
    assert_eq!(r.selected_features.len(), r.chosen.features);
    assert!(fit.features_csv().lines().count() == 11);
    assert!(r.held_out.regularized.is_some() && r.penalized.is_some());
    let again = est.fit(&d, |_| ()).unwrap();
    assert_eq!(again.path_csv(), fit.path_csv());
    let e = NetworkPath {
        multiplier: 1.0,
        ..NetworkPath::default()
    }
    .fit(&d, |_| ())
    .unwrap_err();
    assert_eq!(e.param(), Some("multiplier"), "{e}");
}
