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

#[test]
fn sparse_and_dense_paths_agree_on_movie_reviews() {
    let d = movie_reviews();
    let Matrix::Sparse(s) = &d.x else {
        panic!("libsvm must load sparse")
    };
    let cols: Vec<usize> = (0..2000).collect();
    let sparse = Matrix::Sparse(s.select_cols(&cols));
    let dense = Matrix::Dense(s.to_dense_cols(2000));
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
        let r = rel_diff(&a.beta, &b.beta);
        assert!(
            r <= 1e-8,
            "{family:?}: sparse and dense coefficients differ by {r:.2e}"
        );
        let r0 = rel_diff(std::slice::from_ref(&a.a0), std::slice::from_ref(&b.a0));
        assert!(r0 <= 1e-8, "{family:?}: intercepts differ by {r0:.2e}");
        let ds = occam_core::Dataset {
            x: sparse.clone(),
            ..d.clone()
        };
        assert_kkt(&ds, &cfg, &a, 1e-3);
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
