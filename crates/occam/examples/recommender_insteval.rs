//! Matrix factorisation with L2 on the embeddings (chosen on validation) on InstEval ratings.
use occam::{read_csv_table, Recommender};

pub fn main() -> occam::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets");
    let ratings = read_csv_table(format!("{dir}/insteval_ratings.csv"))?;
    let mut est = Recommender::new("student", "lecturer");
    est.target = Some("rating".into());
    let fit = est.fit(&ratings)?;
    for (l2, val) in &fit.grid {
        println!("L2 {l2:<7} validation RMSE {val:.4}");
    }
    let (l2, test) = (fit.model.config.l2, fit.model.rmse(&fit.test));
    println!("chosen L2 {l2}: test RMSE {test:.4}");
    let user = &fit.model.users[0];
    println!(
        "top lecturers for student {user}: {:?}",
        fit.model.top_k(user, &[], 3)?
    );
    Ok(())
}
