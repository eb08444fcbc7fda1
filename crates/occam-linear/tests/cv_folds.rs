//! A class that a fold's training rows lack (a class of one row, or fold ids that put a
//! whole class in one fold) is refused before any fit, naming the fold and the class; it
//! used to index past the fold model's classes and panic.

use occam_core::{DenseMatrix, Matrix};
use occam_linear::{cross_validate, CvConfig, Family, Measure, PathConfig};

fn data(labels: &[f64]) -> (Matrix, Vec<f64>) {
    let n = labels.len();
    let x1: Vec<f64> = (0..n)
        .map(|i| (i as f64 * 0.37).sin() + labels[i])
        .collect();
    let x2: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).cos()).collect();
    (
        Matrix::Dense(DenseMatrix::from_columns(n, vec![x1, x2])),
        labels.to_vec(),
    )
}

#[test]
fn a_class_missing_from_a_training_fold_is_an_error_not_a_panic() {
    let mut labels: Vec<f64> = (0..60).map(|i| (i % 2) as f64).collect();
    labels.push(2.0);
    let (x, y) = data(&labels);
    let cfg = PathConfig::new(Family::Multinomial);
    let cv = CvConfig {
        folds: 5,
        foldid: None,
        measure: Measure::Deviance,
        seed: 1,
    };
    let e = cross_validate(&x, &y, &cfg, &cv).unwrap_err().to_string();
    assert!(e.contains("class 2 (1 rows)") && e.contains("folds"), "{e}");
    // Given fold ids that put all of class 1 in fold 2: named as the fold ids' fault.
    let labels: Vec<f64> = (0..40).map(|i| f64::from(i >= 30)).collect();
    let (x, y) = data(&labels);
    let foldid: Vec<usize> = (0..40).map(|i| if i >= 30 { 1 } else { i % 3 }).collect();
    let cv = CvConfig {
        folds: 3,
        foldid: Some(foldid),
        measure: Measure::Deviance,
        seed: 1,
    };
    let e = cross_validate(&x, &y, &PathConfig::new(Family::Binomial), &cv)
        .unwrap_err()
        .to_string();
    assert!(e.contains("foldid") && e.contains("fold 2"), "{e}");
}
