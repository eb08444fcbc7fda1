//! The conformance check of the estimators that fit from a raw table (the text model, the
//! recommender, the forecaster), one generic function over [`TableEstimator`]: predictions
//! of the right count and finite, same seed -> same bits, save/load -> identical
//! predictions, a table of two rows or without the estimator's columns and an invalid
//! config each a typed error.

use occam::recommender::Recommender;
use occam::text::Text;
use occam::{Forecaster, Mode, RawTable, RunFolder, TableEstimator, TableModel};
use occam_core::series::Gaps;
use occam_nn::CellKind;
use std::path::Path;

fn table(file: &str, rows: usize) -> RawTable {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../datasets")
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    let head: Vec<&str> = text.lines().take(rows + 1).collect();
    RawTable::parse((head.join("\n") + "\n").as_bytes(), &p).unwrap()
}

/// The header of `t` and its first two rows: too little to fit anything. (A table without
/// rows is already refused when it is read.)
fn tiny(t: &RawTable) -> RawTable {
    let mut csv = format!("{}\n", t.headers.join(","));
    for i in 0..2 {
        let row: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("\"{}\"", c.text(i).replace('"', "\"\"")))
            .collect();
        csv.push_str(&(row.join(",") + "\n"));
    }
    let head_only = format!("{}\n", t.headers.join(","));
    assert!(RawTable::parse(head_only.as_bytes(), Path::new("empty.csv")).is_err());
    RawTable::parse(csv.as_bytes(), Path::new("tiny.csv")).unwrap()
}

fn bits(rows: &[Vec<f64>]) -> Vec<u64> {
    rows.iter().flatten().map(|v| v.to_bits()).collect()
}

/// The one check every table estimator passes: `rows` predictions from `t`.
fn conform<E: TableEstimator>(name: &str, est: &E, bad: &E, t: &RawTable, rows: usize) {
    let mut m = est.fit_table(t).unwrap_or_else(|e| panic!("{name}: {e}"));
    let p = m.predict_rows(t).unwrap();
    assert_eq!(p.len(), rows, "{name}: prediction count");
    assert!(p.iter().flatten().all(|v| v.is_finite()), "{name}: finite");
    let mut again = est.fit_table(t).unwrap();
    assert_eq!(
        bits(&again.predict_rows(t).unwrap()),
        bits(&p),
        "{name}: same seed, same bits"
    );
    let dir =
        std::env::temp_dir().join(format!("occam-conform-table-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut run = RunFolder::create(&dir, m.table_run_kind(), Mode::New).unwrap();
    m.save_to(&mut run).unwrap();
    let mut back = E::Model::load_from(&RunFolder::open(&dir).unwrap()).unwrap();
    assert_eq!(
        bits(&back.predict_rows(t).unwrap()),
        bits(&p),
        "{name}: save/load"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // Two rows, other columns, an invalid config: typed errors, no panic.
    assert!(est.fit_table(&tiny(t)).is_err(), "{name}: two rows");
    let other = table("diabetes_regression.csv", 50);
    assert!(est.fit_table(&other).is_err(), "{name}: foreign columns");
    assert!(
        m.predict_rows(&other).is_err(),
        "{name}: predict foreign columns"
    );
    let e = bad
        .fit_table(t)
        .err()
        .unwrap_or_else(|| panic!("{name}: bad config accepted"));
    assert!(e.param().is_some(), "{name}: {e} names no field");
}

#[test]
fn text_model_on_sentence_polarity() {
    // Both classes: the first and the last 300 sentences (the file is sorted by label).
    let all = table("sentence_polarity.csv", 20_000);
    let n = all.columns[0].len();
    let mut csv = String::from("text,label\n");
    for i in (0..300).chain(n - 300..n) {
        csv.push_str(&format!(
            "\"{}\",{}\n",
            all.columns[0].text(i).replace('"', "\"\""),
            all.columns[1].text(i)
        ));
    }
    let t = RawTable::parse(csv.as_bytes(), Path::new("sentences.csv")).unwrap();
    let est = Text {
        folds: 3,
        ..Text::default()
    };
    let mut bad = est.clone();
    bad.alpha = 2.0;
    conform("text", &est, &bad, &t, 600);
}

#[test]
fn recommender_on_insteval() {
    let t = table("insteval_ratings.csv", 3000);
    let mut est = Recommender::new("student", "lecturer");
    est.target = Some("rating".into());
    est.epochs = 5;
    est.l2 = Some(0.01);
    let mut bad = est.clone();
    bad.factors = 0;
    conform("recommender", &est, &bad, &t, 3000);
}

#[test]
fn forecaster_on_co2() {
    let t = table("co2_mauna_loa_weekly.csv", 100_000);
    let mut est = Forecaster::new("date");
    est.cell = CellKind::Gru;
    est.horizon = 3;
    est.units = 4;
    est.gaps = Some(Gaps::Drop);
    est.network.epochs = 3;
    let mut bad = est.clone();
    bad.horizon = 0;
    conform("forecaster", &est, &bad, &t, 3);
}
