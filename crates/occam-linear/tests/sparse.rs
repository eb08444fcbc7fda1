//! Sparse X gives the same path as dense X (movie-review bag of words, first 2,000 columns),
//! and the full 2000 x 50920 file is fitted without densifying, with KKT holding.

mod common;
use common::*;
use occam_core::{input, libsvm, Matrix};
use occam_linear::{Family, PathConfig};

fn movie_reviews() -> occam_core::Dataset {
    let path = repo_root().join("datasets/movie_reviews_polarity_counts.svm.gz");
    let bytes = input::read_all(std::fs::File::open(&path).unwrap(), &path).unwrap();
    libsvm::read_libsvm(&bytes, &path, None).unwrap()
}

/// Columns equal to an earlier column (words seen once, in the same review). The lasso may
/// split the total of identical columns among them in any proportion (and these text columns
/// have further linear dependences), so two exact solvers agree on the fit, not on every
/// coefficient: the comparison checks what the data determine.
fn duplicated_columns(s: &occam_core::CscMatrix) -> usize {
    let mut seen = std::collections::HashSet::new();
    (0..s.ncols)
        .filter(|&j| {
            let (ri, rv) = s.col(j);
            let key = (
                ri.to_vec(),
                rv.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            );
            !seen.insert(key)
        })
        .count()
}

#[test]
fn sparse_and_dense_paths_agree_on_movie_reviews() {
    let d = movie_reviews();
    let Matrix::Sparse(s) = &d.x else {
        panic!("libsvm must load sparse")
    };
    let cols: Vec<usize> = (0..2000).collect();
    let sparse = Matrix::Sparse(s.select_cols(&cols));
    let dense = Matrix::Dense(s.to_dense_cols(2000));
    let dup = duplicated_columns(&s.select_cols(&cols));
    assert!(dup > 0, "the comparison below expects duplicated columns");
    for (family, alpha) in [(Family::Binomial, 1.0), (Family::Gaussian, 1.0)] {
        let mut cfg = PathConfig::new(family);
        cfg.alpha = alpha;
        // The upper part of the path: further down, this p = n problem nears separation and
        // the dense fits (n operations per coordinate) get slow for a test.
        cfg.nlambda = 20;
        cfg.lambda_min_ratio = Some(0.05);
        cfg.tol = 1e-13;
        // Compare solutions, not iterates: both are certified to the same relative gap (the
        // order of the sums differs between the two layouts, and with the acceleration's
        // extrapolation so do the iterates).
        cfg.gap_tol = Some(1e-13);
        let t = std::time::Instant::now();
        let a = occam_linear::fit_path(&sparse, &d.y, &cfg, None).unwrap();
        eprintln!(
            "{family:?} sparse {:.2}s passes {}",
            t.elapsed().as_secs_f64(),
            a.passes
        );
        let t = std::time::Instant::now();
        let b = occam_linear::fit_path(&dense, &d.y, &cfg, None).unwrap();
        eprintln!(
            "{family:?} dense {:.2}s passes {}",
            t.elapsed().as_secs_f64(),
            b.passes
        );
        assert_eq!(a.lambda.len(), b.lambda.len(), "{family:?}");
        for (x, y) in a.lambda.iter().zip(&b.lambda) {
            assert!((x - y).abs() <= 1e-12 * y, "{family:?}: lambda {x} vs {y}");
        }
        // The linear predictors, the intercepts and the objective, which the data determine.
        // The coefficients are not all determined: see `duplicated_columns`.
        let eta = |f: &occam_linear::PathFit| -> Vec<Vec<f64>> {
            (0..f.lambda.len())
                .map(|l| occam_linear::predict::linear_predictor(&dense, f.a0[l][0], &f.beta[0][l]))
                .collect()
        };
        let r = rel_diff(&[eta(&a)], &[eta(&b)]);
        assert!(
            r <= 1e-8,
            "{family:?}: sparse and dense linear predictors differ by {r:.2e}"
        );
        let r0 = rel_diff(std::slice::from_ref(&a.a0), std::slice::from_ref(&b.a0));
        assert!(r0 <= 1e-8, "{family:?}: intercepts differ by {r0:.2e}");
        for l in 0..a.lambda.len() {
            let (oa, ob) = (
                occam_linear::kkt::objective(&sparse, &d.y, &cfg, &a, l),
                occam_linear::kkt::objective(&dense, &d.y, &cfg, &b, l),
            );
            assert!(
                (oa - ob).abs() <= 1e-12 * ob.abs(),
                "{family:?}: objectives at #{l}: {oa} vs {ob}"
            );
        }
        let ds = occam_core::Dataset {
            x: sparse.clone(),
            ..d.clone()
        };
        assert_kkt(&ds, &cfg, &a, 1e-3);
        let dd = occam_core::Dataset {
            x: dense.clone(),
            ..d.clone()
        };
        assert_kkt(&dd, &cfg, &b, 1e-3);
    }
}

#[test]
fn full_bag_of_words_path_stays_sparse() {
    let d = movie_reviews();
    assert!(d.x.is_sparse());
    assert_eq!((d.nrows(), d.nfeatures()), (2000, 50920));
    let mut cfg = PathConfig::new(Family::Binomial);
    cfg.nlambda = 30;
    cfg.tol = 1e-12;
    cfg.gap_tol = Some(1e-8);
    let fit = occam_linear::fit_path(&d.x, &d.y, &cfg, None).unwrap();
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    assert_eq!(fit.lambda.len(), 30);
    assert!(*fit.df.last().unwrap() > 100, "{:?}", fit.df);
    assert!(fit.relative_gap.iter().all(|g| g.unwrap() <= 1e-8));
    assert_kkt(&d, &cfg, &fit, 1e-3);
}
