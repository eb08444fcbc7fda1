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
use occam::results::{
    L2Try, OverfitGap, RatingBaselines, RatingCounts, RatingErrors, RatingScores, RecommenderResult,
};
use occam_core::table::RawTable;
use occam_nn::recommender::{bias_baseline, mae, rmse, Rating, RecEpoch, Recommender};
use std::fmt::Write as _;

fn scores(pred: &[f64], r: &[Rating]) -> RatingErrors {
    RatingErrors {
        rmse: rmse(pred, r),
        mae: mae(pred, r),
    }
}

/// A baseline without factors: validation RMSE and test errors.
fn baseline(val: (&[f64], &[Rating]), test: (&[f64], &[Rating])) -> RatingScores {
    RatingScores {
        train_rmse: None,
        val_rmse: rmse(val.0, val.1),
        test: scores(test.0, test.1),
        epochs_run: None,
        l2: None,
    }
}

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
    let (mu, bu, bi) = bias_baseline(train, n_users, n_items);
    let bias_pred =
        |r: &[Rating]| -> Vec<f64> { r.iter().map(|&(u, i, _)| mu + bu[u] + bi[i]).collect() };
    let mean_pred = |r: &[Rating]| -> Vec<f64> { vec![mu; r.len()] };
    // Without any regularization: no L2 and no early stopping (all epochs, last weights).
    let free_est = occam::Recommender {
        early_stopping: false,
        ..est.clone()
    };
    let free_model = free_est.fit_split(table, train, val, 0.0)?;
    let (free, free_hist) = (&free_model.engine, &free_model.history);
    let mut l2_grid = Vec::new();
    for &(l2, v) in &fitted.grid {
        println!("L2 {l2:<8}: validation RMSE {v:.4}");
        l2_grid.push(L2Try { l2, val_rmse: v });
    }
    let l2 = fitted.model.config.l2;
    let (reg, reg_hist) = (&fitted.model.engine, &fitted.model.history);
    let row = |m: &Recommender, h: &[RecEpoch], l2: Option<f64>| -> RatingScores {
        RatingScores {
            train_rmse: Some(rmse(&m.predict_all(train), train)),
            val_rmse: rmse(&m.predict_all(val), val),
            test: scores(&m.predict_all(test), test),
            epochs_run: Some(h.len()),
            l2,
        }
    };
    let (regularized, unregularized) = (row(reg, reg_hist, Some(l2)), row(free, free_hist, None));
    let gap = |r: &RatingScores| r.val_rmse - r.train_rmse.unwrap_or(0.0);
    let summary = RecommenderResult {
        model: "recommender".into(),
        users: n_users,
        items: n_items,
        ratings: RatingCounts {
            train: train.len(),
            validation: val.len(),
            test: test.len(),
        },
        config: est.config(0.0)?,
        baselines: RatingBaselines {
            global_mean: baseline((&mean_pred(val), val), (&mean_pred(test), test)),
            user_item_bias: baseline((&bias_pred(val), val), (&bias_pred(test), test)),
        },
        l2_grid,
        overfit_gap: OverfitGap {
            regularized: gap(&regularized),
            unregularized: gap(&unregularized),
        },
        regularized,
        unregularized,
    };
    let out = &a.out;
    let mut run = output::new_run(out, occam::RunKind::Recommender, a.force)?;
    run.write_json("summary.json", &summary)?;
    let mut csv = String::from("model,epoch,train_rmse,val_rmse\n");
    for (name, h) in [("regularized", reg_hist), ("unregularized", free_hist)] {
        for e in h.iter() {
            let _ = writeln!(csv, "{name},{},{},{}", e.epoch, e.train_rmse, e.val_rmse);
        }
    }
    run.write("epochs.csv", csv.as_bytes())?;
    let mut seen: Vec<Vec<usize>> = vec![Vec::new(); n_users];
    for &(u, i, _) in train {
        seen[u].push(i);
    }
    let mut rec = String::from("user,rank,item,predicted\n");
    for (u, name) in table.users.iter().enumerate() {
        for (r, (item, p)) in fitted
            .model
            .top_k(name, &seen[u], 10)?
            .into_iter()
            .enumerate()
        {
            let _ = writeln!(rec, "{name},{},{item},{p:.4}", r + 1);
        }
    }
    fitted.model.save(&mut run)?;
    run.write("recommendations.csv", rec.as_bytes())?;
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
