//! Lasso path with 10-fold CV on the diabetes data; predict at lambda.1se, as cv.glmnet.
use occam::{read_csv, CsvOptions, LinearCv};

pub fn main() -> occam::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets");
    let data = read_csv(
        format!("{dir}/diabetes_regression.csv"),
        &CsvOptions::default(),
    )?;
    let (model, cv) = LinearCv::default().fit_cv(&data)?;
    let (lmin, l1se) = (cv.lambda_min, cv.lambda_1se);
    println!("lambda.min {lmin:.4}, lambda.1se {l1se:.4}");
    let (_, beta) = model.coef()?;
    for (name, b) in data.feature_names.iter().zip(&beta[0]) {
        if *b != 0.0 {
            println!("  {name:>4} {b:+.4}");
        }
    }
    let (pred, observed) = (model.predict(&data.x)?.rows[0][0], data.y[0]);
    println!("first patient: predicted {pred:.1}, observed {observed}");
    Ok(())
}
