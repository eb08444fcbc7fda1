//! A fit that takes X (`fit_path_owned`: a dense X standardized in place, so the path holds
//! X once) gives the same path, bit for bit, as the fit that copies it; with zero weights
//! (rows left out), the relaxed fit, a multinomial family and a sparse X too.

mod common;
use common::*;
use occam_core::{CscMatrix, Matrix, Task};
use occam_linear::{fit_path, fit_path_owned, Family, PathConfig, PathFit};

fn same(a: &PathFit, b: &PathFit, what: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.lambda), bits(&b.lambda), "{what}: lambda");
    assert_eq!(a.a0.len(), b.a0.len(), "{what}: a0");
    for (x, y) in a.a0.iter().zip(&b.a0) {
        assert_eq!(bits(x), bits(y), "{what}: a0");
    }
    for (bk, ck) in a.beta.iter().zip(&b.beta) {
        for (x, y) in bk.iter().zip(ck) {
            assert_eq!(bits(x), bits(y), "{what}: beta");
        }
    }
    assert_eq!(a.df, b.df, "{what}: df");
    assert_eq!(bits(&a.dev_ratio), bits(&b.dev_ratio), "{what}: dev_ratio");
    assert_eq!(a.relaxed.is_some(), b.relaxed.is_some(), "{what}: relaxed");
    if let (Some(r), Some(s)) = (&a.relaxed, &b.relaxed) {
        for (bk, ck) in r.beta.iter().zip(&s.beta) {
            for (x, y) in bk.iter().zip(ck) {
                assert_eq!(bits(x), bits(y), "{what}: relaxed beta");
            }
        }
    }
    // The path did something: some coefficient left zero.
    assert!(a.df.iter().any(|&k| k > 0), "{what}: an empty path");
}

/// The nonzeros of a dense X as a CSC matrix.
fn to_sparse(x: &Matrix) -> Matrix {
    let (n, p) = (x.nrows(), x.ncols());
    let (mut ptr, mut cols, mut vals) = (vec![0], Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..p {
            let Matrix::Dense(d) = x else { unreachable!() };
            let v = d.get(i, j);
            if v != 0.0 {
                cols.push(j as u32);
                vals.push(v);
            }
        }
        ptr.push(cols.len());
    }
    Matrix::Sparse(CscMatrix::from_rows(n, p, &ptr, &cols, &vals))
}

fn both(file: &str, task: Task, cfg: &PathConfig, relax: Option<f64>, sparse: bool) {
    let d = load_csv(file, false, task);
    let x = if sparse { to_sparse(&d.x) } else { d.x.clone() };
    let copied = fit_path(&x, &d.y, cfg, relax).unwrap();
    let taken = fit_path_owned(x, &d.y, cfg, relax, &|_, _| true).unwrap();
    same(&copied, &taken, file);
}

#[test]
fn a_fit_that_takes_x_gives_the_same_path_bit_for_bit() {
    let mut cfg = PathConfig::new(Family::Binomial);
    both(
        "colon_cancer_alon1999.csv",
        Task::Binary,
        &cfg,
        Some(0.5),
        false,
    );
    cfg = PathConfig::new(Family::Gaussian);
    cfg.alpha = 0.5;
    let n = load_csv("diabetes_regression.csv", false, Task::Regression).nrows();
    cfg.weights = Some((0..n).map(|i| (i % 3) as f64).collect());
    both(
        "diabetes_regression.csv",
        Task::Regression,
        &cfg,
        None,
        false,
    );
    both(
        "diabetes_regression.csv",
        Task::Regression,
        &cfg,
        None,
        true,
    );
    cfg = PathConfig::new(Family::Multinomial);
    cfg.nlambda = 30;
    both("digits_8x8.csv", Task::Multiclass, &cfg, None, false);
}
