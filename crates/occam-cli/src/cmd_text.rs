//! `occam train DATA --model text --out RUN_DIR`: a text column turned into a sparse
//! document-term matrix (occam-core `text.rs`: tokens, n-grams, vocabulary limits, tf-idf),
//! fed to the elastic-net path with k-fold CV (occam-linear), and the words with the largest
//! positive and negative weights at lambda.min. Writes cv.json, words.csv, summary.json and
//! the report. `--text-head mlp` feeds the same matrix, as sparse rows, to a network instead.

use crate::flags_nn::{TrainArgs, TrainOptions};
use crate::{load, output};
use anyhow::Result;
use occam_core::text::{TextConfig, Vectorizer};
use occam_core::Dataset;

pub fn run(a: &TrainArgs, o: &TrainOptions) -> Result<()> {
    let head = o.text_head.as_deref().unwrap_or("linear");
    // the vocabulary is built from the training texts, which no noise covers
    o.without_dp("a text model (its vocabulary comes from the training texts)")?;
    if !matches!(head, "linear" | "mlp") {
        anyhow::bail!(occam_core::DataError::param(
            "--text-head",
            format!("'{head}' is not linear or mlp")
        ));
    }
    if head == "linear" {
        output::refuse_resume(a.resume, "--model text (the elastic-net head)")?;
        output::check_new_run(&a.run.out, occam::RunKind::Text, a.run.force)?;
    }
    let src = load::resolve(&a.input.data)?;
    let t = src.table()?;
    let est = o.text();
    let cfg = &est.vectorizer;
    if head == "mlp" {
        let (d, vec) = est.dataset(&t)?;
        return text_network(a, o, d, &vec, cfg, &est.text_column);
    }
    let bar = crate::progress::bar(est.folds as u64 + 1, "path fits (all rows + folds)");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let fitted = est.fit_with_progress(&t, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let fit = fitted?;
    let (s, cv) = (&fit.result, &fit.cv);
    println!(
        "occam train --model text: {} texts, {} terms ({}-grams, min df {}, {}), {}-fold CV of the elastic-net path (alpha {})",
        s.texts,
        s.terms,
        cfg.ngram,
        cfg.min_df,
        if cfg.tfidf { "tf-idf" } else { "counts" },
        est.folds,
        est.alpha
    );
    print!("{s}");
    let out = &a.run.out;
    let mut run = output::new_run(out, occam::RunKind::Text, a.run.force)?;
    run.write_json("cv.json", &occam::results::CvResult::new(cv, &fit.data))?;
    run.write("words.csv", fit.words_csv().as_bytes())?;
    fit.model.save(&mut run)?;
    run.write_json("summary.json", s)?;
    if !a.run.no_report {
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
    text_column: &str,
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
    crate::nn_setup::in_pool(|| crate::cmd_train::run_prepared(a, p))?;
    // The vocabulary travels with the network, so `occam predict` reads raw texts.
    let mut run = occam::RunFolder::open(&a.run.out)?;
    occam::text::save_vocabulary(&mut run, text_column, vec)?;
    Ok(())
}
