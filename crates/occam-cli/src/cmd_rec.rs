//! `occam train DATA --model recommender --user COL --item COL --target COL --out RUN_DIR`:
//! matrix factorisation with biases (occam-nn `recommender.rs`) on a random 80/10/10 split,
//! against the global-mean and user+item-bias baselines; L2 on the embeddings tuned on the
//! validation rows (or the `--l2` given), and the same model without L2 or early stopping
//! to show overfitting. `--hidden W1,W2` adds an MLP on the concatenated user and item vectors.
//! Writes summary.json, epochs.csv, recommendations.csv (top 10 unseen items per user) and
//! the model (`occam::RecommenderModel`: recommender.json + recommender.safetensors), which
//! `occam predict` uses on (user, item) rows.

use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, output};
use anyhow::Result;

pub fn run(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    output::refuse_resume(a.resume, "--model recommender")?;
    o.only_train_networks("a recommender")?;
    for (flag, set) in [
        ("--adversarial", o.adversarial.is_some()),
        ("--federated", o.federated.is_some()),
    ] {
        if set {
            anyhow::bail!(occam_core::DataError::param(
                flag,
                "applies to networks over feature rows, not to a recommender"
            ));
        }
    }
    output::check_new_run(&a.run.out, occam::RunKind::Recommender, a.run.force)?;
    let est = o.recommender()?;
    let src = load::resolve(&a.input.data)?;
    let t = src.table()?;
    let fitted = est.fit(&t)?;
    let (train, val, test, table) = (&fitted.train, &fitted.val, &fitted.test, &fitted.table);
    let (n_users, n_items) = (table.users.len(), table.items.len());
    println!(
        "occam train --model recommender: {} ratings, {} users x {} items; {} train / {} validation / {} test",
        table.ratings.len(), n_users, n_items, train.len(), val.len(), test.len()
    );
    for &(l2, v) in &fitted.grid {
        println!("L2 {l2:<8}: validation RMSE {v:.4}");
    }
    let report = fitted.report(&est)?;
    let summary = &report.result;
    let out = &a.run.out;
    let mut run = output::new_run(out, occam::RunKind::Recommender, a.run.force)?;
    run.write_json("summary.json", summary)?;
    run.write("epochs.csv", report.epochs_csv.as_bytes())?;
    fitted.model.save(&mut run)?;
    run.write("recommendations.csv", report.recommendations_csv.as_bytes())?;
    if !a.run.no_report {
        crate::cmd_report::write(out, &out.join("report.html"))?;
    }
    print!("{summary}");
    println!("wrote {}", out.display());
    Ok(())
}
