//! Lasso path with 10-fold CV on the diabetes data; predict at lambda.1se, as cv.glmnet.
use occam::{read_csv, CsvOptions, LinearCv};

fn main() -> occam::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/diabetes_regression.csv"
    );
    let data = read_csv(path, &CsvOptions::default())?;
    let (model, cv) = LinearCv::default().fit_cv(&data)?;
    println!(
        "lambda.min {:.4}, lambda.1se {:.4}",
        cv.lambda_min, cv.lambda_1se
    );
    let (_, beta) = model.coef()?;
    for (name, b) in data.feature_names.iter().zip(&beta[0]) {
        if *b != 0.0 {
            println!("  {name:>4} {b:+.4}");
        }
    }
    let pred = model.predict(&data.x)?;
    println!(
        "first patient: predicted {:.1}, observed {}",
        pred.rows[0][0], data.y[0]
    );
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
