//! `occam train DATA --model recommender --user COL --item COL --target COL --out RUN_DIR`:
//! matrix factorisation with biases (occam-nn `recommender.rs`) on a random 80/10/10 split,
//! against the global-mean and user+item-bias baselines; L2 on the embeddings tuned on the
//! validation rows (or the `--l2` given), and the same model without L2 or early stopping
//! to show overfitting. `--hidden W1,W2` adds an MLP on the concatenated user and item vectors.
//! Writes summary.json, epochs.csv, recommendations.csv (top 10 unseen items per user) and
//! the model (`occam::RecommenderModel`: recommender.json + recommender.safetensors), which
//! `occam predict` uses on (user, item) rows.

use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, output, UserError};
use anyhow::Result;
use occam_core::table::RawTable;

pub fn run(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    output::refuse_resume(a.resume, "--model recommender")?;
    output::check_new_run(&a.out, occam::RunKind::Recommender, a.force)?;
    let need = |v: &Option<String>, flag: &str| -> Result<String> {
        Ok(v.clone()
            .ok_or_else(|| UserError(format!("--model recommender needs {flag} COL")))?)
    };
    let mut est = occam::Recommender::new(&need(&o.user, "--user")?, &need(&o.item, "--item")?);
    est.target = o.target.clone();
    est.factors = o.factors.unwrap_or(est.factors);
    est.lr = o.lr.unwrap_or(est.lr);
    est.epochs = o.epochs.unwrap_or(est.epochs);
    est.batch_size = o.batch_size.unwrap_or(est.batch_size);
    est.patience = o.patience.unwrap_or(est.patience);
    est.seed = o.seed.unwrap_or(0);
    est.hidden = o
        .hidden
        .iter()
        .flatten()
        .copied()
        .filter(|&h| h > 0)
        .collect();
    est.l2 = o.l2;
    let src = load::resolve(&a.data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
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
    let l2 = fitted.model.config.l2;
    let report = fitted.report(&est)?;
    let summary = &report.result;
    let out = &a.out;
    let mut run = output::new_run(out, occam::RunKind::Recommender, a.force)?;
    run.write_json("summary.json", summary)?;
    run.write("epochs.csv", report.epochs_csv.as_bytes())?;
    fitted.model.save(&mut run)?;
    run.write("recommendations.csv", report.recommendations_csv.as_bytes())?;
    if !a.no_report {
        crate::cmd_report::write(out, &out.join("report.html"))?;
    }
    let (b, r, u) = (
        &summary.baselines,
        &summary.regularized,
        &summary.unregularized,
    );
    println!(
        "test RMSE: global mean {:.4}, user+item bias {:.4}, factorisation with L2 {l2} {:.4}, without L2 {:.4}",
        b.global_mean.test.rmse, b.user_item_bias.test.rmse, r.test.rmse, u.test.rmse
    );
    let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    println!(
        "train vs validation RMSE: with L2 {:.4} / {:.4}, without L2 {:.4} / {:.4}",
        nan(r.train_rmse),
        r.val_rmse,
        nan(u.train_rmse),
        u.val_rmse
    );
    println!("wrote {}", out.display());
    Ok(())
}
