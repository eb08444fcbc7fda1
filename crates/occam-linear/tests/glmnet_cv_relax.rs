//! cv.glmnet, relaxed fits, coef(fit, s) interpolation and user lambda lists against glmnet
//! 4.1 (fixtures from tests/fixtures/glmnet/gen_glmnet.R), with KKT on the full-data paths.

mod common;
use common::*;
use occam_linear::predict::coef_at;
use occam_linear::{cross_validate, CvConfig, Family, Measure};

fn close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-12),
        "{what}: {a} vs glmnet {b}"
    );
}

fn check_cv(name: &str, measure: &str) {
    let fx = load_fixture(name);
    let d = dataset_of(&fx);
    let mut cfg = config_of(&fx);
    cfg.tol = 1e-14;
    cfg.gap_tol = Some(1e-12);
    let foldid: Vec<usize> = fx["foldid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize - 1)
        .collect();
    let cvc = CvConfig {
        folds: 10,
        foldid: Some(foldid),
        measure: Measure::parse(measure, cfg.family).unwrap(),
        seed: 0,
    };
    let cv = cross_validate(&d.x, &d.y, &cfg, &cvc).unwrap();
    let lam = f64s(&fx["lambda"]);
    assert_eq!(cv.fit.lambda.len(), lam.len(), "{name}: lambdas");
    for (a, b) in cv.fit.lambda.iter().zip(&lam) {
        close(*a, *b, 1e-9, &format!("{name} lambda"));
    }
    let (cvm, cvsd) = (f64s(&fx["cvm"]), f64s(&fx["cvsd"]));
    for l in 0..lam.len() {
        close(cv.cvm[l], cvm[l], 1e-5, &format!("{name} cvm[{l}]"));
        close(cv.cvsd[l], cvsd[l], 1e-4, &format!("{name} cvsd[{l}]"));
    }
    assert_eq!(
        cv.index_min + 1,
        fx["index_min"].as_u64().unwrap() as usize,
        "{name}: index_min"
    );
    assert_eq!(
        cv.index_1se + 1,
        fx["index_1se"].as_u64().unwrap() as usize,
        "{name}: index_1se"
    );
    close(
        cv.lambda_min,
        fx["lambda_min"].as_f64().unwrap(),
        1e-9,
        name,
    );
    close(
        cv.lambda_1se,
        fx["lambda_1se"].as_f64().unwrap(),
        1e-9,
        name,
    );
    assert_kkt(&d, &cfg, &cv.fit, 1e-3);
}

#[test]
fn cv_pima_deviance() {
    check_cv("cv_pima_deviance", "deviance");
}
#[test]
fn cv_pima_class() {
    check_cv("cv_pima_class", "class");
}
#[test]
fn cv_pima_auc() {
    check_cv("cv_pima_auc", "auc");
}
#[test]
fn cv_pima_mse() {
    check_cv("cv_pima_mse", "mse");
}
#[test]
fn cv_pima_mae() {
    check_cv("cv_pima_mae", "mae");
}
#[test]
fn cv_diabetes_mse() {
    check_cv("cv_diabetes_mse", "mse");
}
#[test]
fn cv_diabetes_mae() {
    check_cv("cv_diabetes_mae", "mae");
}

// With observation weights (integers 0..4): weighted fold means, folds weighted by their
// rows' weights, weighted AUC.
#[test]
fn cv_pima_w_deviance() {
    check_cv("cv_pima_w_deviance", "deviance");
}
#[test]
fn cv_pima_w_class() {
    check_cv("cv_pima_w_class", "class");
}
#[test]
fn cv_pima_w_auc() {
    check_cv("cv_pima_w_auc", "auc");
}
#[test]
fn cv_diabetes_w_mse() {
    check_cv("cv_diabetes_w_mse", "mse");
}
#[test]
fn cv_diabetes_w_mae() {
    check_cv("cv_diabetes_w_mae", "mae");
}

/// The relaxed fit: the unpenalized refit on each active set, and its gamma = 0.5 blend.
fn check_relax(name: &str) {
    let fx = load_fixture(name);
    let d = dataset_of(&fx);
    let mut cfg = config_of(&fx);
    cfg.tol = 1e-14;
    cfg.lambda = Some(f64s(&fx["lambda"]));
    let p = d.nfeatures();
    for (gamma, key) in [(0.0, None), (0.5, Some("0.5"))] {
        let fit = occam_linear::fit_path(&d.x, &d.y, &cfg, Some(gamma)).unwrap();
        let r = fit.relaxed.as_ref().unwrap();
        let want = match key {
            None => &fx["relaxed"],
            Some(k) => &fx["relax"][k],
        };
        let wb: Vec<Vec<f64>> = want["beta_sparse"]
            .as_array()
            .unwrap()
            .iter()
            .map(|sp| dense(sp, p))
            .collect();
        let rb = rel_diff(&r.beta, &[wb]);
        let wa: Vec<Vec<f64>> = f64s(&want["a0"]).into_iter().map(|a| vec![a]).collect();
        let ra = rel_diff(std::slice::from_ref(&r.a0), &[wa]);
        assert!(
            rb <= 1e-5 && ra <= 1e-5,
            "{name} gamma {gamma}: beta {rb:.2e}, a0 {ra:.2e}"
        );
    }
}

#[test]
fn relax_diabetes() {
    check_relax("relax_diabetes");
}
#[test]
fn relax_pima() {
    check_relax("relax_pima");
}

#[test]
fn interpolation_between_lambdas_matches_coef_s() {
    let fx = load_fixture("interp_diabetes");
    let d = dataset_of(&fx);
    let mut cfg = config_of(&fx);
    cfg.tol = 1e-14;
    cfg.gap_tol = Some(1e-12);
    let fit = occam_linear::fit_path(&d.x, &d.y, &cfg, None).unwrap();
    let it = &fx["interp"];
    let s = f64s(&it["s"]);
    let a0 = f64s(&it["a0"]);
    for (k, sk) in s.iter().enumerate() {
        let (a, b) = coef_at(&fit, *sk);
        let want = dense(&it["beta_sparse"][k], d.nfeatures());
        let r = rel_diff(&[vec![b[0].clone()]], &[vec![want]]);
        assert!(r <= 1e-5, "s = {sk}: beta differs by {r:.2e}");
        close(a[0], a0[k], 1e-5, &format!("a0 at s = {sk}"));
    }
}

#[test]
fn user_lambdas_come_back_in_the_order_given() {
    let fx = load_fixture("gaussian_diabetes_userlambda");
    let d = dataset_of(&fx);
    let mut cfg = config_of(&fx);
    cfg.tol = 1e-14;
    let given = f64s(&fx["lambda_given"]);
    cfg.lambda = Some(given.clone());
    let fit = occam_linear::fit_path(&d.x, &d.y, &cfg, None).unwrap();
    assert_eq!(fit.lambda, given);
    let glm_lambda = f64s(&fx["lambda"]); // glmnet returns them sorted
    let gb = fixture_beta(&fx);
    for (i, l) in given.iter().enumerate() {
        let g = glm_lambda.iter().position(|v| v == l).unwrap();
        let r = rel_diff(&[vec![fit.beta[0][i].clone()]], &[vec![gb[0][g].clone()]]);
        assert!(r <= 1e-5, "lambda {l}: {r:.2e}");
    }
    assert_eq!(cfg.family, Family::Gaussian);
}
