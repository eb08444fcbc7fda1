//! Runs every example of examples/ (each a plain `main`), so CI runs them, not only builds them.

#[path = "../examples/cnn_digits.rs"]
mod cnn_digits;
#[path = "../examples/gru_co2.rs"]
mod gru_co2;
#[path = "../examples/l1_mlp_colon.rs"]
mod l1_mlp_colon;
#[path = "../examples/linear_cv_diabetes.rs"]
mod linear_cv_diabetes;
#[path = "../examples/recommender_insteval.rs"]
mod recommender_insteval;

#[test]
fn linear_cv_on_diabetes() {
    linear_cv_diabetes::main().unwrap();
}

#[test]
fn l1_mlp_on_colon() {
    l1_mlp_colon::main().unwrap();
}

#[test]
fn cnn_on_digits() {
    cnn_digits::main().unwrap();
}

#[test]
fn recommender_on_insteval() {
    recommender_insteval::main().unwrap();
}

#[test]
fn gru_forecaster_on_co2() {
    gru_co2::main().unwrap();
}
