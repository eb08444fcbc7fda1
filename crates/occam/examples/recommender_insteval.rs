//! Matrix factorisation with L2 on the embeddings (chosen on validation) on InstEval ratings.
use occam::{read_csv_table, Recommender};

fn main() -> occam::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../datasets/insteval_ratings.csv"
    );
    let ratings = read_csv_table(path)?;
    let mut est = Recommender::new("student", "lecturer");
    est.target = Some("rating".into());
    let fit = est.fit(&ratings)?;
    for (l2, val) in &fit.grid {
        println!("L2 {l2:<7} validation RMSE {val:.4}");
    }
    let test = fit.model.rmse(&fit.test);
    println!("chosen L2 {}: test RMSE {test:.4}", fit.model.config.l2);
    let top = fit.model.top_k(&fit.model.users[0], &[], 3)?;
    println!("top lecturers for student {}: {top:?}", fit.model.users[0]);
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
