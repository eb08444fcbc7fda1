//! `occam train DATA --model text --out RUN_DIR`: a text column turned into a sparse
//! document-term matrix (occam-core `text.rs`: tokens, n-grams, vocabulary limits, tf-idf),
//! fed to the elastic-net path with k-fold CV (occam-linear), and the words with the largest
//! positive and negative weights at lambda.min. Writes cv.json, words.csv, summary.json and
//! the report. `--text-head mlp` feeds the same matrix, as sparse rows, to a network instead.

use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, output, UserError};
use anyhow::Result;
use occam_core::table::RawTable;
use occam_core::text::{TextConfig, Vectorizer};
use occam_core::{Dataset, Matrix, Task};
use occam_linear::predict::coef_at;
use occam_linear::{CvConfig, Family, Measure, PathConfig};
use std::fmt::Write as _;

pub fn run(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    if o.text_head.as_deref().unwrap_or("linear") != "mlp" {
        output::refuse_resume(a.resume, "--model text (the elastic-net head)")?;
        output::check_new_run(&a.out, occam::RunKind::Text, a.force)?;
    }
    let src = load::resolve(&a.data)?;
    let t = RawTable::parse(&src.bytes, &src.path)?;
    let text_col = o.text_column.clone().unwrap_or_else(|| "text".into());
    let ti = t.column_index(&text_col, "--text-column")?;
    let target = match &o.target {
        Some(n) => n.clone(),
        None => t
            .headers
            .iter()
            .rev()
            .find(|h| **h != text_col)
            .cloned()
            .ok_or_else(|| {
                UserError(format!(
                    "{}: no target column besides the text",
                    src.path.display()
                ))
            })?,
    };
    let yi = t.column_index(&target, "--target")?;
    let mut classes: Vec<String> = t.columns[yi].iter().map(|s| s.trim().to_string()).collect();
    classes.sort();
    classes.dedup();
    if classes.len() < 2 {
        anyhow::bail!(UserError(format!(
            "{}: target '{target}' has a single class",
            src.path.display()
        )));
    }
    let y: Vec<f64> = t.columns[yi]
        .iter()
        .map(|s| classes.iter().position(|c| c == s.trim()).expect("a class") as f64)
        .collect();
    let texts: Vec<&str> = t.columns[ti].iter().map(String::as_str).collect();
    let cfg = TextConfig {
        ngram: o.ngram.unwrap_or(1),
        min_df: o.min_df.unwrap_or(2),
        max_features: o.max_features.unwrap_or(50_000),
        tfidf: o.tfidf.unwrap_or(true),
    };
    if cfg.ngram == 0 || cfg.ngram > 5 {
        anyhow::bail!(occam_core::DataError::param(
            "--ngram",
            format!("{} is not in 1..=5", cfg.ngram)
        ));
    }
    // The vocabulary is fitted on all texts: it uses no label, so CV folds see no target leak
    // (document frequencies of held-out texts do enter the idf).
    let vec = Vectorizer::fit(&texts, &cfg);
    let x = vec.transform(&texts);
    let task = if classes.len() == 2 {
        Task::Binary
    } else {
        Task::Multiclass
    };
    let d = Dataset {
        source: src.path.clone(),
        x: Matrix::Sparse(x),
        y,
        feature_names: vec.terms.clone(),
        target_name: target.clone(),
        task,
        classes: classes.clone(),
        schema: Vec::new(),
        rows_dropped: 0,
    };
    if o.text_head.as_deref().unwrap_or("linear") == "mlp" {
        return text_network(a, o, d, &vec, &cfg);
    }
    if let Some(h) = o.text_head.as_deref().filter(|h| *h != "linear") {
        anyhow::bail!(occam_core::DataError::param(
            "--text-head",
            format!("'{h}' is not linear or mlp")
        ));
    }
    let mut pc = PathConfig::new(if task == Task::Binary {
        Family::Binomial
    } else {
        Family::Multinomial
    });
    pc.alpha = o.alpha.unwrap_or(0.5);
    // tf-idf rows are already on one scale; standardizing would blow up rare words.
    // (Standardized, rare words got the largest original-scale weights and CV accuracy on
    // sentence polarity fell from 76.5% to 75.8%.)
    pc.standardize = false;
    let folds = o.folds.unwrap_or(10);
    let cvc = CvConfig {
        folds,
        foldid: None,
        measure: Measure::Class,
        seed: o.seed.unwrap_or(0),
    };
    println!(
        "occam train --model text: {} texts, {} terms ({}-grams, min df {}, {}), {}-fold CV of the elastic-net path (alpha {})",
        d.nrows(),
        vec.terms.len(),
        cfg.ngram,
        cfg.min_df,
        if cfg.tfidf { "tf-idf" } else { "counts" },
        folds,
        pc.alpha
    );
    let bar = crate::progress::bar(folds as u64 + 1, "path fits (all rows + folds)");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    // The facade's CV; the saved model predicts at lambda.min, the lambda this run reports.
    let est = occam::LinearCv {
        path: occam::Linear {
            family: Some(pc.family),
            alpha: pc.alpha,
            standardize: pc.standardize,
            ..occam::Linear::default()
        },
        folds: cvc.folds,
        foldid: None,
        measure: cvc.measure,
        seed: cvc.seed,
        rule: occam::Rule::Min,
    };
    let fitted = est.fit_with_progress(&d, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (linear, cv) = fitted?;
    let acc = 1.0 - cv.cvm[cv.index_min];
    println!(
        "CV accuracy at lambda.min ({:.5}): {:.2}% ± {:.2}, {} terms in the model",
        cv.lambda_min,
        100.0 * acc,
        100.0 * cv.cvsd[cv.index_min],
        cv.fit.df[cv.index_min]
    );
    let (_, beta) = coef_at(&cv.fit, cv.lambda_min);
    let w = &beta[beta.len() - 1]; // binomial: the one column; multinomial: the last class
    let mut order: Vec<usize> = (0..w.len()).filter(|&j| w[j] != 0.0).collect();
    order.sort_by(|&a2, &b| w[b].total_cmp(&w[a2]).then(a2.cmp(&b)));
    let top = |it: &mut dyn Iterator<Item = &usize>| -> Vec<(String, f64)> {
        it.filter(|&&j| w[j] != 0.0)
            .take(20)
            .map(|&j| (vec.terms[j].clone(), w[j]))
            .collect()
    };
    let pos: Vec<(String, f64)> = top(&mut order.iter())
        .into_iter()
        .filter(|e| e.1 > 0.0)
        .collect();
    let neg: Vec<(String, f64)> = top(&mut order.iter().rev())
        .into_iter()
        .filter(|e| e.1 < 0.0)
        .collect();
    let cls = &classes[classes.len() - 1];
    println!(
        "words pointing to '{cls}': {}",
        pos.iter()
            .map(|e| e.0.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "words pointing away from '{cls}': {}",
        neg.iter()
            .map(|e| e.0.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let out = &a.out;
    let mut run = output::new_run(out, occam::RunKind::Text, a.force)?;
    run.write_json("cv.json", &occam::results::CvResult::new(&cv, &d))?;
    let mut csv = String::from("term,weight\n");
    for &j in &order {
        let _ = writeln!(csv, "{},{}", vec.terms[j].replace(',', " "), w[j]);
    }
    run.write("words.csv", csv.as_bytes())?;
    let model = occam::TextModel {
        text_column: text_col.clone(),
        vectorizer: vec.clone(),
        linear,
    };
    model.save(&mut run)?;
    let summary = occam::results::TextResult {
        model: "text".into(),
        texts: d.nrows(),
        terms: vec.terms.len(),
        vectorizer: cfg,
        alpha: pc.alpha,
        folds,
        cv_accuracy: acc,
        cv_se: cv.cvsd[cv.index_min],
        lambda_min: cv.lambda_min,
        lambda_1se: cv.lambda_1se,
        cv_accuracy_1se: 1.0 - cv.cvm[cv.index_1se],
        terms_in_model: cv.fit.df[cv.index_min],
        positive_class: cls.clone(),
        top_positive: pos,
        top_negative: neg,
    };
    run.write_json("summary.json", &summary)?;
    if !a.no_report {
        crate::cmd_report::write(out, &out.join("report.html"))?;
    }
    println!("wrote {}", out.display());
    Ok(())
}

/// `--text-head mlp`: the document-term matrix as sparse rows into the network's first dense
/// layer (never densified), trained like any `occam train` network (penalties, dropout,
/// early stopping, `--baseline`); without `--hidden` it is a linear model on the words.
fn text_network(
    a: &TrainArgs,
    o: &TrainOptions,
    d: Dataset,
    vec: &Vectorizer,
    cfg: &TextConfig,
) -> Result<()> {
    let mut o = o.clone();
    o.hidden.get_or_insert_with(|| vec![0]);
    // tf-idf rows are already on one scale (the sparse path is never standardized).
    o.no_standardize = Some(true);
    println!(
        "occam train --model text --text-head mlp: {} texts, {} terms ({}-grams, min df {}, {}) as sparse rows",
        d.nrows(),
        vec.terms.len(),
        cfg.ngram,
        cfg.min_df,
        if cfg.tfidf { "tf-idf" } else { "counts" },
    );
    let p = crate::cmd_train::prepare_dataset(d, o)?;
    crate::nn_setup::in_pool(|| crate::cmd_train::run_prepared(a, p))
}
