//! `occam train DATA --model recommender --user COL --item COL --target COL --out RUN_DIR`:
//! matrix factorisation with biases (occam-nn `recommender.rs`) on a random 80/10/10 split,
//! against the global-mean and user+item-bias baselines; L2 on the embeddings tuned on the
//! validation rows (or the `--l2` given), and the same model without L2 or early stopping
//! to show overfitting. `--hidden W1,W2` adds an MLP on the concatenated user and item vectors.
//! Writes summary.json, epochs.csv and recommendations.csv (top 10 unseen items per user).

use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, output, UserError};
use anyhow::Result;
use occam_core::table::{parse_cell, Cell, RawTable};
use occam_core::{split, DataError};
use occam_nn::recommender::{bias_baseline, mae, rmse, Rating, RecConfig, RecEpoch, Recommender};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn ids(col: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut names: Vec<String> = col.iter().map(|s| s.trim().to_string()).collect();
    names.sort();
    names.dedup();
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let rows = col.iter().map(|s| index[s.trim()]).collect();
    (names, rows)
}

fn scores(pred: &[f64], r: &[Rating]) -> Value {
    json!({ "rmse": rmse(pred, r), "mae": mae(pred, r) })
}

pub fn run(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    output::refuse_resume(a.resume, "--model recommender")?;
    output::check_new_run(&a.out, occam::RunKind::Recommender, a.force)?;
    let src = load::resolve(&a.data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
    let need = |v: &Option<String>, flag: &str| -> Result<usize> {
        let name = v
            .as_ref()
            .ok_or_else(|| UserError(format!("--model recommender needs {flag} COL")))?;
        Ok(t.column_index(name, flag)?)
    };
    let (ui, ii) = (need(&o.user, "--user")?, need(&o.item, "--item")?);
    let target = o
        .target
        .clone()
        .unwrap_or_else(|| t.headers.last().cloned().unwrap_or_default());
    let ti = t.column_index(&target, "--target")?;
    let (users, urow) = ids(&t.columns[ui]);
    let (items, irow) = ids(&t.columns[ii]);
    let mut ratings: Vec<Rating> = Vec::with_capacity(t.nrows());
    for (n, text) in t.columns[ti].iter().enumerate() {
        match parse_cell(text) {
            Cell::Number(v) => ratings.push((urow[n], irow[n], v)),
            _ => anyhow::bail!(DataError::NotNumeric {
                path: t.path.clone(),
                line: t.lines[n],
                column: ti + 1,
                name: target.clone(),
                text: text.clone(),
                hint: String::new(),
            }),
        }
    }
    let seed = o.seed.unwrap_or(0);
    let s = split::train_val_test(ratings.len(), None, 0.1, 0.1, seed)?;
    let pick = |rows: &[usize]| -> Vec<Rating> { rows.iter().map(|&n| ratings[n]).collect() };
    let (train, val, test) = (pick(&s.train), pick(&s.validation), pick(&s.test));
    println!(
        "occam train --model recommender: {} ratings, {} users x {} items; {} train / {} validation / {} test",
        ratings.len(), users.len(), items.len(), train.len(), val.len(), test.len()
    );
    let (mu, bu, bi) = bias_baseline(&train, users.len(), items.len());
    let bias_pred =
        |r: &[Rating]| -> Vec<f64> { r.iter().map(|&(u, i, _)| mu + bu[u] + bi[i]).collect() };
    let mean_pred = |r: &[Rating]| -> Vec<f64> { vec![mu; r.len()] };
    let base = RecConfig {
        factors: o.factors.unwrap_or(16),
        lr: o.lr.unwrap_or(0.01),
        epochs: o.epochs.unwrap_or(40),
        batch_size: o.batch_size.unwrap_or(256),
        patience: o.patience.unwrap_or(5),
        seed,
        mlp: o
            .hidden
            .iter()
            .flatten()
            .copied()
            .filter(|&h| h > 0)
            .collect(),
        ..Default::default()
    };
    let fit = |l2: f64, early_stopping: bool| -> (Recommender, Vec<RecEpoch>) {
        let cfg = RecConfig {
            l2,
            early_stopping,
            ..base.clone()
        };
        let mut m = Recommender::new(users.len(), items.len(), mu, &cfg);
        let h = m.fit(&train, &val, &cfg);
        (m, h)
    };
    let grid: Vec<f64> = match o.l2 {
        Some(l) => vec![l],
        None => vec![1e-4, 1e-3, 1e-2, 3e-2, 1e-1],
    };
    // Without any regularization: no L2 and no early stopping (all epochs, last weights).
    let (free, free_hist) = fit(0.0, false);
    let mut tried = Vec::new();
    let mut best: Option<(f64, f64, Recommender, Vec<RecEpoch>)> = None;
    for &l2 in &grid {
        let (m, h) = fit(l2, true);
        let v = rmse(&m.predict_all(&val), &val);
        println!(
            "L2 {l2:<8}: validation RMSE {v:.4} (best epoch of {})",
            h.len()
        );
        tried.push(json!({ "l2": l2, "val_rmse": v }));
        if best.as_ref().is_none_or(|b| v < b.0) {
            best = Some((v, l2, m, h));
        }
    }
    let (_, l2, reg, reg_hist) = best.expect("a grid point");
    let row = |m: &Recommender, h: &[RecEpoch]| -> Value {
        json!({
            "train_rmse": rmse(&m.predict_all(&train), &train),
            "val_rmse": rmse(&m.predict_all(&val), &val),
            "test": scores(&m.predict_all(&test), &test),
            "epochs_run": h.len(),
        })
    };
    let mut summary = json!({
        "model": "recommender",
        "users": users.len(),
        "items": items.len(),
        "ratings": { "train": train.len(), "validation": val.len(), "test": test.len() },
        "config": base,
        "baselines": {
            "global_mean": { "val_rmse": rmse(&mean_pred(&val), &val), "test": scores(&mean_pred(&test), &test) },
            "user_item_bias": { "val_rmse": rmse(&bias_pred(&val), &val), "test": scores(&bias_pred(&test), &test) },
        },
        "l2_grid": tried,
        "regularized": row(&reg, &reg_hist),
        "unregularized": row(&free, &free_hist),
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
    for (name, h) in [("regularized", &reg_hist), ("unregularized", &free_hist)] {
        for e in h.iter() {
            let _ = writeln!(csv, "{name},{},{},{}", e.epoch, e.train_rmse, e.val_rmse);
        }
    }
    run.write("epochs.csv", csv.as_bytes())?;
    let mut seen: Vec<Vec<usize>> = vec![Vec::new(); users.len()];
    for &(u, i, _) in &train {
        seen[u].push(i);
    }
    let mut rec = String::from("user,rank,item,predicted\n");
    for (u, name) in users.iter().enumerate() {
        for (r, (i, p)) in reg.top_k(u, &seen[u], 10).into_iter().enumerate() {
            let _ = writeln!(rec, "{name},{},{},{p:.4}", r + 1, items[i]);
        }
    }
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
