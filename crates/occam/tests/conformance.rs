//! The conformance suite (like scikit-learn's `check_estimator`): one generic check run over
//! every estimator of the facade, on real data from the repository's datasets/: shapes, same
//! seed -> same bits, save/load -> identical predictions, raw-CSV prediction through the
//! model's preprocessing (categorical and missing cells included), and typed errors for NaN
//! and infinite values, empty data, one class, a wrong feature count and an invalid config.
//! The search (`Tune`, over a network and over a linear path) runs through the same check;
//! the selectors (stability selection, network stability, the LassoNet path) through
//! `conform_selector`.

use occam::mlp::parse_conv_block;
use occam::{
    CsvOptions, Dataset, Estimator, Fitted, HandleUnknown, Linear, LinearCv, Matrix, MissingPolicy,
    Mlp, Mode, RawTable, Rule, RunFolder, Selector, Task,
};
use occam_core::DenseMatrix;
use std::path::{Path, PathBuf};

fn datasets(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets")
        .join(file)
}

fn table_of(text: &str, name: &str) -> RawTable {
    RawTable::parse(text.as_bytes(), Path::new(name)).unwrap()
}

fn read(file: &str) -> String {
    std::fs::read_to_string(datasets(file)).unwrap()
}

/// The first `rows` data rows of a CSV text (header kept).
fn head(text: &str, rows: usize) -> String {
    text.lines().take(rows + 1).collect::<Vec<_>>().join("\n") + "\n"
}

/// A data set and the raw CSV text it was read from.
struct Case {
    name: &'static str,
    text: String,
    opts: CsvOptions,
}

impl Case {
    fn new(name: &'static str, text: String) -> Case {
        Case {
            name,
            text,
            opts: CsvOptions::default(),
        }
    }

    fn table(&self) -> RawTable {
        table_of(&self.text, self.name)
    }

    fn data(&self) -> Dataset {
        Dataset::from_table(&self.table(), &self.opts).unwrap()
    }
}

fn dense(d: &Dataset) -> DenseMatrix {
    match &d.x {
        Matrix::Dense(m) => m.clone(),
        Matrix::Sparse(s) => s.to_dense_cols(s.ncols),
    }
}

fn with_x(d: &Dataset, x: DenseMatrix) -> Dataset {
    Dataset {
        x: Matrix::Dense(x),
        ..d.clone()
    }
}

/// The predictions' bits, standard deviations included.
fn bits(p: &occam::Predictions) -> Vec<u64> {
    let std = p.std.iter().flatten();
    p.rows
        .iter()
        .flatten()
        .chain(std)
        .map(|v| v.to_bits())
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("occam-conf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The one generic check. `setup` finishes a fitted model (a path model gets its lambda);
/// `invalid` is a broken copy of the config and `param` the field its error must name.
fn conform<E: Estimator>(
    est: &E,
    case: &Case,
    setup: impl Fn(&mut E::Model),
    invalid: E,
    param: &str,
) {
    let name = case.name;
    let d = case.data();
    let (n, p) = (d.nrows(), d.nfeatures());

    // Fit and predict: one row per input row, the task's width, finite, probabilities valid.
    let mut m = est.fit(&d).unwrap_or_else(|e| panic!("{name}: fit: {e}"));
    setup(&mut m);
    let pred = m.predict(&d.x).unwrap();
    assert_eq!(pred.len(), n, "{name}");
    let width = if d.task == Task::Multiclass {
        d.classes.len()
    } else {
        1
    };
    for r in &pred.rows {
        assert_eq!(r.len(), width, "{name}");
        assert!(r.iter().all(|v| v.is_finite()), "{name}: {r:?}");
        if d.task.is_classification() {
            assert!(r.iter().all(|v| (0.0..=1.0).contains(v)), "{name}: {r:?}");
        }
        if d.task == Task::Multiclass {
            assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{name}");
        }
    }
    assert_eq!(pred.labels().len(), n);

    // Same config, same seed, same threads: the same bits.
    let mut again = est.fit(&d).unwrap();
    setup(&mut again);
    assert_eq!(bits(&again.predict(&d.x).unwrap()), bits(&pred), "{name}");

    // Save and load: identical predictions; the folder is a run of the model's kind.
    let dir = scratch(name);
    let mut run = RunFolder::create(&dir, m.run_kind(), Mode::New).unwrap();
    m.save(&mut run).unwrap();
    let reopened = RunFolder::open(&dir).unwrap();
    assert_eq!(reopened.kind(), m.run_kind());
    let mut loaded = E::Model::load(&reopened).unwrap();
    assert_eq!(bits(&loaded.predict(&d.x).unwrap()), bits(&pred), "{name}");

    // Raw CSV rows through the model's preprocessing give the same predictions.
    let raw = loaded
        .predict_table(&case.table(), HandleUnknown::Error)
        .unwrap();
    assert_eq!(bits(&raw), bits(&pred), "{name}: raw CSV");
    std::fs::remove_dir_all(&dir).unwrap();

    // A wrong feature count at predict is a typed error.
    let x = dense(&d);
    let fewer = DenseMatrix::from_columns(n, (0..p - 1).map(|j| x.col(j).to_vec()).collect());
    let e = m.predict(&Matrix::Dense(fewer)).unwrap_err();
    assert_eq!(e.kind(), "invalid-parameter", "{name}: {e}");

    // NaN and infinity in X, infinity in y.
    let mut cols: Vec<Vec<f64>> = (0..p).map(|j| x.col(j).to_vec()).collect();
    cols[p - 1][n / 2] = f64::NAN;
    let e = est
        .fit(&with_x(&d, DenseMatrix::from_columns(n, cols.clone())))
        .err()
        .unwrap_or_else(|| panic!("{name}: NaN accepted"));
    assert_eq!(e.param(), Some("x"), "{name}: {e}");
    cols[p - 1][n / 2] = f64::INFINITY;
    let e = est
        .fit(&with_x(&d, DenseMatrix::from_columns(n, cols)))
        .err()
        .unwrap_or_else(|| panic!("{name}: inf accepted"));
    assert!(e.to_string().contains("inf"), "{name}: {e}");
    let mut yinf = d.clone();
    yinf.y[0] = f64::INFINITY;
    assert_eq!(est.fit(&yinf).err().unwrap().param(), Some("y"), "{name}");

    // Empty data.
    let e = est.fit(&d.subset(&[])).err().unwrap();
    assert_eq!(e.param(), Some("data"), "{name}: {e}");

    // One class.
    if d.task.is_classification() {
        let first: Vec<usize> = (0..n).filter(|&i| d.y[i] == d.y[0]).collect();
        let e = est.fit(&d.subset(&first)).err().unwrap();
        assert_eq!(e.kind(), "single-class", "{name}: {e}");
    }

    // An invalid config names its field.
    let e = invalid.fit(&d).err().unwrap();
    assert_eq!(e.param(), Some(param), "{name}: {e}");
}

fn small_cv() -> LinearCv {
    LinearCv {
        path: Linear {
            nlambda: 30,
            ..Linear::default()
        },
        folds: 5,
        ..LinearCv::default()
    }
}

fn small_mlp() -> Mlp {
    Mlp {
        hidden: Some(vec![8]),
        epochs: 5,
        ..Mlp::default()
    }
}

#[test]
fn linear_cv_gaussian_diabetes() {
    let bad = LinearCv {
        path: Linear {
            alpha: 1.5,
            ..Linear::default()
        },
        ..small_cv()
    };
    let case = Case::new("diabetes-cv", read("diabetes_regression.csv"));
    conform(&small_cv(), &case, |_| {}, bad, "alpha");
}

#[test]
fn linear_cv_binomial_pima_with_categorical_and_missing_cells() {
    let mut case = Case::new("pima-city-cv", read("synthetic/pima_city.csv"));
    case.opts = CsvOptions {
        categorical: vec!["city".into()],
        missing: MissingPolicy::Mean,
        ..CsvOptions::default()
    };
    let est = LinearCv {
        rule: Rule::Min,
        ..small_cv()
    };
    let bad = LinearCv {
        folds: 1,
        ..small_cv()
    };
    conform(&est, &case, |_| {}, bad, "folds");
}

#[test]
fn linear_cv_multinomial_digits() {
    let case = Case::new("digits-cv", head(&read("digits_8x8.csv"), 500));
    let est = LinearCv {
        path: Linear {
            nlambda: 15,
            ..Linear::default()
        },
        folds: 3,
        ..LinearCv::default()
    };
    let bad = LinearCv {
        path: Linear {
            nlambda: 0,
            ..Linear::default()
        },
        ..small_cv()
    };
    conform(&est, &case, |_| {}, bad, "nlambda");
}

#[test]
fn bayesian_ridge_and_ard_diabetes() {
    let case = Case::new("diabetes-bayes", read("diabetes_regression.csv"));
    let bad = occam::BayesLinear {
        config: occam::BayesConfig {
            max_iter: 0,
            ..Default::default()
        },
        ..occam::BayesLinear::ridge()
    };
    let has_std = |m: &mut occam::BayesModel| {
        let d = Case::new("diabetes-bayes", read("diabetes_regression.csv")).data();
        let pred = m.predict(&d.x).unwrap();
        let sd = pred.std.expect("a predictive sd per row");
        assert!(sd.iter().all(|s| s.is_finite() && *s > 0.0));
    };
    conform(
        &occam::BayesLinear::ridge(),
        &case,
        has_std,
        bad.clone(),
        "max_iter",
    );
    let bad_ard = occam::BayesLinear {
        weights: Some(vec![1.0; 442]),
        ..occam::BayesLinear::ard()
    };
    conform(
        &occam::BayesLinear::ard(),
        &case,
        has_std,
        bad_ard,
        "weights",
    );
}

#[test]
fn linear_path_poisson_with_a_chosen_lambda() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../occam-linear/tests/fixtures/glmnet/poisson_synth.csv");
    let mut case = Case::new("poisson-path", std::fs::read_to_string(fixture).unwrap());
    case.opts.task = Some(Task::Counts);
    let est = Linear {
        nlambda: 20,
        ..Linear::default()
    };
    let bad = Linear {
        tol: 0.0,
        ..Linear::default()
    };
    let setup = |m: &mut occam::LinearModel| {
        assert!(m
            .predict(&Matrix::Dense(DenseMatrix::from_columns(0, vec![])))
            .is_err());
        m.set_lambda(m.lambdas[10]).unwrap();
    };
    conform(&est, &case, setup, bad, "tol");
}

#[test]
fn mlp_binary_pima_with_categorical_and_missing_cells() {
    let mut case = Case::new("pima-city-mlp", read("synthetic/pima_city.csv"));
    case.opts = CsvOptions {
        categorical: vec!["city".into()],
        missing: MissingPolicy::Median,
        ..CsvOptions::default()
    };
    let bad = Mlp {
        dropout: 1.0,
        ..small_mlp()
    };
    conform(&small_mlp(), &case, |_| {}, bad, "dropout");
}

#[test]
fn mlp_regression_diabetes_with_l1_and_early_stopping() {
    let case = Case::new("diabetes-mlp", read("diabetes_regression.csv"));
    let mut est = Mlp {
        patience: Some(3),
        epochs: 20,
        ..small_mlp()
    };
    est.penalty.default.l1 = 1e-3;
    let bad = Mlp {
        val_fraction: 0.0,
        ..est.clone()
    };
    conform(&est, &case, |_| {}, bad, "patience");
}

/// A network with its last-layer Laplace: predictions carry a standard deviation, saved
/// (laplace.safetensors) and loaded to the same bits.
#[test]
fn mlp_regression_birthwt_with_laplace() {
    let case = Case::new("birthwt-laplace", read("birthwt.csv"));
    let est = Mlp {
        laplace: true,
        epochs: 20,
        ..small_mlp()
    };
    let setup = |m: &mut occam::MlpModel| {
        let lm = m.laplace_meta().expect("fitted with laplace").clone();
        assert!(lm.prior_precision > 0.0 && lm.sigma_noise > 0.0);
        assert_eq!(lm.n_params, 9);
        let d =
            occam::estimator::read_csv(datasets("birthwt.csv"), &CsvOptions::default()).unwrap();
        let p = m.predict(&d.x).unwrap();
        assert!(p.std.unwrap().iter().all(|s| *s > 0.0 && s.is_finite()));
    };
    let bad = Mlp {
        dropout: -0.5,
        ..est.clone()
    };
    conform(&est, &case, setup, bad, "dropout");
}

/// The Laplace approximation over every parameter with the GGN's diagonal: its variances
/// cover the whole network, every row's sd exceeds the noise's, saved and loaded to the same
/// bits; a prior chosen on validation rows that `fit` will not hold out is refused.
#[test]
fn mlp_regression_birthwt_with_diagonal_laplace() {
    let case = Case::new("birthwt-laplace-diag", read("birthwt.csv"));
    let est = Mlp {
        laplace: true,
        laplace_hessian: occam::mlp::LaplaceHessian::Diag,
        epochs: 20,
        ..small_mlp()
    };
    let setup = |m: &mut occam::MlpModel| {
        let lm = m.laplace_meta().expect("fitted with laplace").clone();
        assert_eq!(lm.method, "all_diag_ggn");
        assert_eq!(lm.n_params, m.net.n_params());
        assert!(lm.effective_params > 0.0 && lm.effective_params < lm.n_params as f64);
        let d =
            occam::estimator::read_csv(datasets("birthwt.csv"), &CsvOptions::default()).unwrap();
        let p = m.predict(&d.x).unwrap();
        let sd = m.meta.preprocess.y_scale.unwrap().1;
        let noise = lm.sigma_noise * sd;
        assert!(p.std.unwrap().iter().all(|s| *s > noise && s.is_finite()));
    };
    let bad = Mlp {
        laplace_prior: occam::LaplacePrior::Validation,
        val_fraction: 0.0,
        ..est.clone()
    };
    conform(&est, &case, setup, bad, "laplace_prior");
}

/// Classes with the diagonal Laplace and its prior chosen on validation rows.
#[test]
fn mlp_binary_pima_with_diagonal_laplace_chosen_on_validation_rows() {
    let case = Case::new(
        "pima-laplace-diag",
        head(&read("pima_indians_diabetes.csv"), 300),
    );
    let est = Mlp {
        laplace: true,
        laplace_hessian: occam::mlp::LaplaceHessian::Diag,
        laplace_prior: occam::LaplacePrior::Validation,
        epochs: 10,
        ..small_mlp()
    };
    let setup = |m: &mut occam::MlpModel| {
        let lm = m.laplace_meta().expect("fitted with laplace");
        assert_eq!(lm.method, "all_diag_ggn");
        assert!(lm.validation_nll.is_some_and(|v| v > 0.0 && v.is_finite()));
    };
    let bad = Mlp {
        dropout: -0.5,
        ..est.clone()
    };
    conform(&est, &case, setup, bad, "dropout");
}

/// The Laplace approximation over every parameter with the GGN's Kronecker factors: its
/// spectrum covers the whole network, every row's sd exceeds the noise's, saved (the factors'
/// eigendecompositions) and loaded to the same bits; a network with batch norm, which the
/// factors do not cover, is refused before training with the parameter.
#[test]
fn mlp_regression_birthwt_with_kronecker_factored_laplace() {
    let case = Case::new("birthwt-laplace-kron", read("birthwt.csv"));
    let est = Mlp {
        laplace: true,
        laplace_hessian: occam::mlp::LaplaceHessian::Kron,
        epochs: 20,
        ..small_mlp()
    };
    let setup = |m: &mut occam::MlpModel| {
        let lm = m.laplace_meta().expect("fitted with laplace").clone();
        assert_eq!(lm.method, "all_kron_ggn");
        assert_eq!(lm.n_params, m.net.n_params());
        assert!(lm.effective_params > 0.0 && lm.effective_params < lm.n_params as f64);
        let d =
            occam::estimator::read_csv(datasets("birthwt.csv"), &CsvOptions::default()).unwrap();
        let p = m.predict(&d.x).unwrap();
        let sd = m.meta.preprocess.y_scale.unwrap().1;
        let noise = lm.sigma_noise * sd;
        assert!(p.std.unwrap().iter().all(|s| *s > noise && s.is_finite()));
    };
    let bad = Mlp {
        batch_norm: true,
        ..est.clone()
    };
    conform(&est, &case, setup, bad, "laplace_hessian");
}

/// Kronecker factors that a run folder holds with its checksums intact but not finite, or
/// without one layer's tensor, are refused on load with the file named (the manifest's hash
/// catches edits; this is what a consistent but damaged folder gets).
#[test]
fn damaged_kronecker_factors_are_refused_on_load() {
    let d = occam::estimator::read_csv(datasets("birthwt.csv"), &CsvOptions::default()).unwrap();
    let m = Mlp {
        laplace: true,
        laplace_hessian: occam::mlp::LaplaceHessian::Kron,
        epochs: 5,
        ..small_mlp()
    }
    .fit(&d)
    .unwrap();
    let Some(occam::mlp::LaplacePosterior::Kron(post)) = m.laplace.clone() else {
        panic!("no Kronecker-factored posterior")
    };
    let damaged = |edit: &dyn Fn(&mut occam::mlp::KronPosterior), what: &str, name: &str| {
        let mut bad = post.clone();
        edit(&mut bad);
        let dir = scratch(name);
        let mut run = RunFolder::create(&dir, m.run_kind(), Mode::New).unwrap();
        m.save(&mut run).unwrap();
        occam::mlp::laplace::save(&mut run, &occam::mlp::LaplacePosterior::Kron(bad)).unwrap();
        let Err(e) = occam::MlpModel::load(&RunFolder::open(&dir).unwrap()) else {
            panic!("{name}: damaged factors were loaded")
        };
        let e = e.to_string();
        assert!(
            e.contains("laplace.safetensors") && e.contains(what),
            "{name}: {e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    };
    damaged(
        &|p| p.factors[0].b_vectors[0] = f64::NAN,
        "not finite",
        "kron-nan",
    );
    damaged(
        &|p| p.factors[1].a_values[0] = -1.0,
        "not negative",
        "kron-negative",
    );
    damaged(
        &|p| {
            p.factors.pop();
        },
        "has no tensor",
        "kron-missing",
    );
}

/// Classes with the Kronecker-factored Laplace and its prior chosen on validation rows.
#[test]
fn mlp_multiclass_digits_with_kronecker_factored_laplace_chosen_on_validation_rows() {
    let case = Case::new("digits-laplace-kron", head(&read("digits_8x8.csv"), 400));
    let est = Mlp {
        laplace: true,
        laplace_hessian: occam::mlp::LaplaceHessian::Kron,
        laplace_prior: occam::LaplacePrior::Validation,
        epochs: 10,
        ..small_mlp()
    };
    let setup = |m: &mut occam::MlpModel| {
        let lm = m.laplace_meta().expect("fitted with laplace");
        assert_eq!(lm.method, "all_kron_ggn");
        assert!(lm.validation_nll.is_some_and(|v| v > 0.0 && v.is_finite()));
    };
    let bad = Mlp {
        laplace_prior: occam::LaplacePrior::Validation,
        val_fraction: 0.0,
        ..est.clone()
    };
    conform(&est, &case, setup, bad, "laplace_prior");
}

/// Classes: the probit-moderated probabilities, saved and loaded to the same bits.
#[test]
fn mlp_multiclass_digits_with_laplace() {
    let case = Case::new("digits-laplace", head(&read("digits_8x8.csv"), 400));
    let est = Mlp {
        laplace: true,
        epochs: 10,
        ..small_mlp()
    };
    let bad = Mlp {
        val_fraction: 1.0,
        ..est.clone()
    };
    conform(&est, &case, |_| {}, bad, "val_fraction");
}

#[test]
fn cnn_multiclass_digits() {
    let case = Case::new("digits-cnn", head(&read("digits_8x8.csv"), 400));
    let est = Mlp {
        conv: vec![parse_conv_block("4:3:2").unwrap()],
        hidden: Some(vec![16]),
        epochs: 2,
        ..Mlp::default()
    };
    let bad = Mlp {
        image: Some((1, 7, 7)),
        ..est.clone()
    };
    conform(&est, &case, |_| {}, bad, "image");
}

fn space(toml_text: &str) -> occam::tune::Space {
    let specs: std::collections::BTreeMap<String, occam::tune::DimSpec> =
        toml::from_str(toml_text).unwrap();
    occam::tune::Space::from_specs(&specs).unwrap()
}

#[test]
fn tune_over_the_mlp_on_pima_with_categorical_and_missing_cells() {
    use occam::tune::{Method, Tune};
    let mut case = Case::new(
        "pima-city-tune",
        head(&read("synthetic/pima_city.csv"), 300),
    );
    case.opts = CsvOptions {
        categorical: vec!["city".into()],
        missing: MissingPolicy::Median,
        ..CsvOptions::default()
    };
    let est = Tune {
        method: Method::Random,
        trials: 3,
        folds: 3,
        seed: 5,
        ..Tune::new(small_mlp(), space("[l1]\nlog = [1e-4, 1e-2]\n"))
    };
    let bad = Tune {
        trials: 0,
        ..est.clone()
    };
    conform(&est, &case, |_| {}, bad, "trials");
}

#[test]
fn tune_over_the_linear_path_on_diabetes() {
    use occam::tune::{Method, Tune};
    let case = Case::new("diabetes-tune", read("diabetes_regression.csv"));
    let est = Tune {
        method: Method::Grid,
        trials: 4,
        folds: 3,
        rule: Rule::Min,
        ..Tune::new(
            Linear::default(),
            space("[alpha]\nrange = [0.5, 1.0]\n[lambda]\nlog = [0.1, 10.0]\n"),
        )
    };
    let bad = Tune {
        folds: 1,
        ..est.clone()
    };
    let setup = |m: &mut occam::LinearModel| m.set_lambda(m.lambdas[0]).unwrap();
    conform(&est, &case, setup, bad, "folds");
}

/// The generic check of a selector: one support flag and one score per feature, same seed ->
/// same bits, `transform` keeps exactly the selected columns, and the same typed errors as
/// an estimator's (NaN and infinite cells, an infinite target, no rows, one class, an
/// invalid config naming its field).
fn conform_selector<S: Selector>(sel: &S, case: &Case, invalid: S, param: &str) {
    let name = case.name;
    let d = case.data();
    let (n, p) = (d.nrows(), d.nfeatures());
    let s = sel.select(&d).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(s.feature_names, d.feature_names, "{name}");
    assert_eq!((s.support.len(), s.scores.len()), (p, p), "{name}");
    assert!(
        s.scores.iter().all(|v| v.is_finite() && *v >= 0.0),
        "{name}: {s:?}"
    );
    let again = sel.select(&d).unwrap();
    assert_eq!(again.support, s.support, "{name}");
    let score_bits =
        |s: &occam::Selection| s.scores.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(score_bits(&again), score_bits(&s), "{name}");
    let kept = s.transform(&d).unwrap();
    assert_eq!(kept.feature_names, s.selected(), "{name}");
    assert_eq!((kept.nrows(), kept.nfeatures()), (n, s.selected().len()));
    let fewer = Dataset {
        feature_names: d.feature_names[1..].to_vec(),
        ..d.clone()
    };
    assert_eq!(s.transform(&fewer).unwrap_err().param(), Some("data"));

    let x = dense(&d);
    let mut cols: Vec<Vec<f64>> = (0..p).map(|j| x.col(j).to_vec()).collect();
    cols[0][n / 3] = f64::NAN;
    let e = sel
        .select(&with_x(&d, DenseMatrix::from_columns(n, cols.clone())))
        .unwrap_err();
    assert_eq!(e.param(), Some("x"), "{name}: {e}");
    cols[0][n / 3] = f64::NEG_INFINITY;
    let e = sel
        .select(&with_x(&d, DenseMatrix::from_columns(n, cols)))
        .unwrap_err();
    assert!(e.to_string().contains("inf"), "{name}: {e}");
    let mut yinf = d.clone();
    yinf.y[1] = f64::INFINITY;
    assert_eq!(sel.select(&yinf).unwrap_err().param(), Some("y"), "{name}");
    let e = sel.select(&d.subset(&[])).unwrap_err();
    assert_eq!(e.param(), Some("data"), "{name}: {e}");
    if d.task.is_classification() {
        let first: Vec<usize> = (0..n).filter(|&i| d.y[i] == d.y[0]).collect();
        let e = sel.select(&d.subset(&first)).unwrap_err();
        assert_eq!(e.kind(), "single-class", "{name}: {e}");
    }
    let e = invalid.select(&d).unwrap_err();
    assert_eq!(e.param(), Some(param), "{name}: {e}");
}

#[test]
fn stability_selection_on_diabetes() {
    use occam::select::Stability;
    let case = Case::new("diabetes-stability", read("diabetes_regression.csv"));
    let est = Stability {
        pairs: 8,
        ..Stability::default()
    };
    let bad = Stability {
        threshold: 0.4,
        ..est.clone()
    };
    conform_selector(&est, &case, bad, "threshold");
}

#[test]
fn network_stability_selection_on_pima() {
    use occam::select::NetworkStability;
    let case = Case::new(
        "pima-netstab",
        head(&read("pima_indians_diabetes.csv"), 200),
    );
    let est = NetworkStability {
        network: Mlp {
            epochs: 4,
            ..small_mlp()
        },
        pairs: 2,
        ..NetworkStability::default()
    };
    let bad = NetworkStability {
        pairs: 0,
        ..est.clone()
    };
    conform_selector(&est, &case, bad, "pairs");
}

#[test]
fn the_lassonet_path_as_a_selector_on_diabetes() {
    use occam::lassonet::NetworkPath;
    let case = Case::new(
        "diabetes-lassonet",
        head(&read("diabetes_regression.csv"), 300),
    );
    let est = NetworkPath {
        network: small_mlp(),
        epochs_dense: 10,
        epochs_per_point: 3,
        multiplier: 2.0,
        max_points: 20,
        ..NetworkPath::default()
    };
    let bad = NetworkPath {
        multiplier: 1.0,
        ..est.clone()
    };
    conform_selector(&est, &case, bad, "multiplier");
}
