//! Observation weights read as frequencies: a row of integer weight k fits (and
//! cross-validates) as k copies of the row, a row of weight 0 as no row at all; and bad
//! weights are refused naming `weights`. (Agreement with glmnet's `weights` is in
//! glmnet_agreement.rs and glmnet_cv_relax.rs, the `*_w` cases.)

mod common;
use common::*;
use occam_core::{Matrix, Task};
use occam_linear::{cross_validate, fit_path, CvConfig, Family, Measure, PathConfig};

/// Integer weights 0..3 of period 7.
fn weights(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 5) % 7 % 4) as f64).collect()
}

/// X and y with each row repeated its weight times, and the index of the source row of each.
fn repeated(x: &Matrix, y: &[f64], w: &[f64]) -> (Matrix, Vec<f64>, Vec<usize>) {
    let rows: Vec<usize> = (0..y.len())
        .flat_map(|i| std::iter::repeat_n(i, w[i] as usize))
        .collect();
    let yr = rows.iter().map(|&i| y[i]).collect();
    (x.select_rows(&rows), yr, rows)
}

fn path_equals_repeated_rows(file: &str, task: Task, family: Family, alpha: f64) {
    let d = load_csv(file, false, task);
    let w = weights(d.nrows());
    let mut cfg = PathConfig::new(family);
    cfg.alpha = alpha;
    cfg.tol = 1e-14;
    let (xr, yr, _) = repeated(&d.x, &d.y, &w);
    let rep = fit_path(&xr, &yr, &cfg, None).unwrap();
    cfg.weights = Some(w.clone());
    let wt = fit_path(&d.x, &d.y, &cfg, None).unwrap();
    assert_eq!(
        wt.lambda.len(),
        rep.lambda.len(),
        "{file}: number of lambdas"
    );
    for (a, b) in wt.lambda.iter().zip(&rep.lambda) {
        assert!((a - b).abs() <= 1e-12 * b, "{file}: lambda {a} vs {b}");
    }
    let rb = rel_diff(&wt.beta, &rep.beta);
    let ra = rel_diff(std::slice::from_ref(&wt.a0), std::slice::from_ref(&rep.a0));
    assert!(
        rb <= 1e-9 && ra <= 1e-9,
        "{file}: beta {rb:.2e}, a0 {ra:.2e}"
    );
    assert!(
        (wt.nulldev - rep.nulldev).abs() <= 1e-10 * rep.nulldev,
        "{file}: null deviance {} vs {}",
        wt.nulldev,
        rep.nulldev
    );
    // KKT of the weighted problem, checked from the data and the weights
    assert_kkt(&d, &cfg, &wt, 1e-6);
}

#[test]
fn gaussian_weights_are_repeated_rows() {
    path_equals_repeated_rows(
        "diabetes_regression.csv",
        Task::Regression,
        Family::Gaussian,
        0.5,
    );
}

#[test]
fn binomial_weights_are_repeated_rows() {
    path_equals_repeated_rows(
        "pima_indians_diabetes.csv",
        Task::Binary,
        Family::Binomial,
        1.0,
    );
}

#[test]
fn cross_validation_with_weights_is_cross_validation_of_repeated_rows() {
    let d = load_csv("pima_indians_diabetes.csv", false, Task::Binary);
    let n = d.nrows();
    let w = weights(n);
    let foldid: Vec<usize> = (0..n).map(|i| i % 5).collect();
    let (xr, yr, rows) = repeated(&d.x, &d.y, &w);
    let mut cfg = PathConfig::new(Family::Binomial);
    cfg.tol = 1e-14;
    for measure in ["deviance", "class", "auc", "mse"] {
        let m = Measure::parse(measure, Family::Binomial).unwrap();
        let cv_of = |f: Vec<usize>| CvConfig {
            folds: 5,
            foldid: Some(f),
            measure: m,
            seed: 1,
        };
        let rep = cross_validate(
            &xr,
            &yr,
            &cfg,
            &cv_of(rows.iter().map(|&i| foldid[i]).collect()),
        )
        .unwrap();
        let mut wcfg = cfg.clone();
        wcfg.weights = Some(w.clone());
        let wt = cross_validate(&d.x, &d.y, &wcfg, &cv_of(foldid.clone())).unwrap();
        for l in 0..rep.cvm.len() {
            let (a, b) = (wt.cvm[l], rep.cvm[l]);
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-3),
                "{measure} cvm[{l}]: {a} vs {b}"
            );
            let (a, b) = (wt.cvsd[l], rep.cvsd[l]);
            assert!(
                (a - b).abs() <= 1e-8 * b.abs().max(1e-3),
                "{measure} cvsd[{l}]: {a} vs {b}"
            );
        }
        assert_eq!(
            (wt.index_min, wt.index_1se),
            (rep.index_min, rep.index_1se),
            "{measure}"
        );
    }
}

#[test]
fn zero_weight_rows_are_left_out() {
    let d = load_csv("diabetes_regression.csv", false, Task::Regression);
    let n = d.nrows();
    let w: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 0.0 } else { 1.0 }).collect();
    let kept: Vec<usize> = (0..n).filter(|&i| w[i] > 0.0).collect();
    // The left-out rows get wild values: they must not move anything.
    let Matrix::Dense(mut x) = d.x.clone() else {
        panic!("diabetes is dense")
    };
    for i in (0..n).step_by(3) {
        for j in 0..x.ncols {
            x.col_mut(j)[i] = 1e6 * (j as f64 + 1.0);
        }
    }
    let x = Matrix::Dense(x);
    let mut y = d.y.clone();
    (0..n).step_by(3).for_each(|i| y[i] = -1e9);
    let mut cfg = PathConfig::new(Family::Gaussian);
    let sub = fit_path(
        &x.select_rows(&kept),
        &kept.iter().map(|&i| y[i]).collect::<Vec<_>>(),
        &cfg,
        None,
    )
    .unwrap();
    cfg.weights = Some(w);
    let wt = fit_path(&x, &y, &cfg, None).unwrap();
    // (equal to rounding: the weighted means sum in another order)
    assert_eq!(wt.lambda.len(), sub.lambda.len());
    for (a, b) in wt.lambda.iter().zip(&sub.lambda) {
        assert!((a - b).abs() <= 1e-13 * b, "lambda {a} vs {b}");
    }
    let rb = rel_diff(&wt.beta, &sub.beta);
    let ra = rel_diff(std::slice::from_ref(&wt.a0), std::slice::from_ref(&sub.a0));
    assert!(rb <= 1e-11 && ra <= 1e-11, "beta {rb:.2e}, a0 {ra:.2e}");
}

#[test]
fn bad_weights_are_refused_naming_them() {
    let d = load_csv("diabetes_regression.csv", false, Task::Regression);
    let n = d.nrows();
    let cases: Vec<(Vec<f64>, &str)> = vec![
        (vec![1.0; n - 1], "441 weights given for 442 rows"),
        (
            (0..n).map(|i| if i == 7 { -1.0 } else { 1.0 }).collect(),
            "-1 is not a finite non-negative number",
        ),
        (
            (0..n)
                .map(|i| if i == 7 { f64::NAN } else { 1.0 })
                .collect(),
            "NaN is not a finite non-negative number",
        ),
        (vec![0.0; n], "every weight is zero"),
        (
            (0..n).map(|i| f64::from(i == 3)).collect(),
            "only 1 row has a non-zero weight",
        ),
    ];
    for (w, want) in cases {
        let mut cfg = PathConfig::new(Family::Gaussian);
        cfg.weights = Some(w);
        let e = fit_path(&d.x, &d.y, &cfg, None).unwrap_err().to_string();
        assert!(e.contains("weights") && e.contains(want), "{e}");
    }
}
