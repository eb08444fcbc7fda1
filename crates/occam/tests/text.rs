//! The text estimator through the facade on sentence polarity: fit from a raw table, the
//! words it weighs most, a save/load round trip that predicts raw texts identically, and
//! typed errors naming `ngram`, `target` and `text_column`.

use occam::text::{Text, TextModel};
use occam::{Mode, RawTable, RunFolder, RunKind};
use std::path::Path;

fn sentences(rows: usize) -> RawTable {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/sentence_polarity.csv");
    let bytes = std::fs::read(&p).unwrap();
    let all = RawTable::parse(&bytes, &p).unwrap();
    // An even mix of the two classes from both ends of the file (it is sorted by label).
    let n = all.columns[0].len();
    let keep: Vec<usize> = (0..rows / 2).chain(n - rows / 2..n).collect();
    let mut csv = String::from("text,label\n");
    for &i in &keep {
        csv.push_str(&format!(
            "\"{}\",{}\n",
            all.columns[0].text(i).replace('"', "\"\""),
            all.columns[1].text(i)
        ));
    }
    RawTable::parse(csv.as_bytes(), &p).unwrap()
}

#[test]
fn sentence_polarity_fits_saves_and_predicts_raw_texts_identically() {
    let t = sentences(1200);
    let est = Text {
        folds: 5,
        ..Text::default()
    };
    let fit = est.fit_with_progress(&t, &|| ()).unwrap();
    let r = &fit.result;
    assert_eq!(r.texts, 1200);
    assert!(r.cv_accuracy > 0.6, "CV accuracy {}", r.cv_accuracy);
    assert!(!r.top_positive.is_empty() && !r.top_negative.is_empty());
    assert!(fit.words.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(fit.words_csv().starts_with("term,weight\n"));
    let dir = std::env::temp_dir().join(format!("occam-text-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut run = RunFolder::create(&dir, RunKind::Text, Mode::New).unwrap();
    fit.model.save(&mut run).unwrap();
    let back = TextModel::load(&RunFolder::open(&dir).unwrap()).unwrap();
    let (a, b) = (
        fit.model.predict_table(&t).unwrap(),
        back.predict_table(&t).unwrap(),
    );
    assert_eq!(a.to_csv(), b.to_csv());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_settings_are_typed_errors_naming_the_field() {
    let t = sentences(40);
    let mut est = Text::default();
    est.vectorizer.ngram = 9;
    assert_eq!(est.dataset(&t).unwrap_err().param(), Some("ngram"));
    let one = RawTable::parse(b"text,label\na b,1\nc d,1\n", Path::new("one.csv")).unwrap();
    assert_eq!(
        Text::default().dataset(&one).unwrap_err().param(),
        Some("target")
    );
    let e = Text {
        text_column: "body".into(),
        ..Text::default()
    }
    .dataset(&t)
    .unwrap_err();
    assert!(e.to_string().contains("body"), "{e}");
}
