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
use occam_nn::recommender::{bias_baseline, mae, rmse, Rating, RecEpoch, Recommender};
use serde_json::{json, Value};
use std::fmt::Write as _;

fn scores(pred: &[f64], r: &[Rating]) -> Value {
    json!({ "rmse": rmse(pred, r), "mae": mae(pred, r) })
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
    let mut tried = Vec::new();
    for &(l2, v) in &fitted.grid {
        println!("L2 {l2:<8}: validation RMSE {v:.4}");
        tried.push(json!({ "l2": l2, "val_rmse": v }));
    }
    let l2 = fitted.model.config.l2;
    let (reg, reg_hist) = (&fitted.model.engine, &fitted.model.history);
    let base = est.config(0.0)?;
    let row = |m: &Recommender, h: &[RecEpoch]| -> Value {
        json!({
            "train_rmse": rmse(&m.predict_all(train), train),
            "val_rmse": rmse(&m.predict_all(val), val),
            "test": scores(&m.predict_all(test), test),
            "epochs_run": h.len(),
        })
    };
    let mut summary = json!({
        "model": "recommender",
        "users": n_users,
        "items": n_items,
        "ratings": { "train": train.len(), "validation": val.len(), "test": test.len() },
        "config": base,
        "baselines": {
            "global_mean": { "val_rmse": rmse(&mean_pred(val), val), "test": scores(&mean_pred(test), test) },
            "user_item_bias": { "val_rmse": rmse(&bias_pred(val), val), "test": scores(&bias_pred(test), test) },
        },
        "l2_grid": tried,
        "regularized": row(reg, reg_hist),
        "unregularized": row(free, free_hist),
    });
    summary["regularized"]["l2"] = json!(l2);
    let gap = |k: &str| {
        summary[k]["val_rmse"].as_f64().unwrap_or(0.0)
            - summary[k]["train_rmse"].as_f64().unwrap_or(0.0)
    };
    summary["overfit_gap"] =
        json!({ "regularized": gap("regularized"), "unregularized": gap("unregularized") });
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
    let t = |k: &str| summary[k]["test"]["rmse"].as_f64().unwrap_or(f64::NAN);
    println!(
        "test RMSE: global mean {:.4}, user+item bias {:.4}, factorisation with L2 {l2} {:.4}, without L2 {:.4}",
        summary["baselines"]["global_mean"]["test"]["rmse"].as_f64().unwrap_or(f64::NAN),
        summary["baselines"]["user_item_bias"]["test"]["rmse"].as_f64().unwrap_or(f64::NAN),
        t("regularized"),
        t("unregularized")
    );
    println!(
        "train vs validation RMSE: with L2 {:.4} / {:.4}, without L2 {:.4} / {:.4}",
        summary["regularized"]["train_rmse"]
            .as_f64()
            .unwrap_or(f64::NAN),
        summary["regularized"]["val_rmse"]
            .as_f64()
            .unwrap_or(f64::NAN),
        summary["unregularized"]["train_rmse"]
            .as_f64()
            .unwrap_or(f64::NAN),
        summary["unregularized"]["val_rmse"]
            .as_f64()
            .unwrap_or(f64::NAN)
    );
    println!("wrote {}", out.display());
    Ok(())
}
