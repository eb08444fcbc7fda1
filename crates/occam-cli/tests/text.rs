//! `occam train --model text` on sentence polarity (10,662 snippets): tf-idf bag of words into
//! the elastic-net path reaches >= 75% 10-fold CV accuracy and lists the top 20 words each way.

mod common;
use common::*;

#[test]
fn sentence_polarity_bag_of_words_reaches_75_percent_and_lists_the_top_words() {
    let dir = tmp("text");
    let out = dir.join("run");
    let (stdout, err, code) = occam(&[
        "train",
        "builtin:sentences",
        "--model",
        "text",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stdout}{err}");
    let s = json(&out.join("summary.json"));
    let acc = s["cv_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.75, "10-fold CV accuracy {acc}");
    assert_eq!(s["folds"], 10);
    let words = |k: &str| -> Vec<String> {
        s[k].as_array()
            .unwrap()
            .iter()
            .map(|e| e[0].as_str().unwrap().to_string())
            .collect()
    };
    let (pos, neg) = (words("top_positive"), words("top_negative"));
    assert_eq!((pos.len(), neg.len()), (20, 20));
    for w in ["dull", "boring", "bad"] {
        assert!(
            neg.contains(&w.to_string()),
            "{w} among the negative words: {neg:?}"
        );
    }
    for w in ["enjoyable", "fun", "wonderful"] {
        assert!(
            pos.contains(&w.to_string()),
            "{w} among the positive words: {pos:?}"
        );
    }
    assert!(stdout.contains("words pointing to '1'"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"words\">") && html.contains("enjoyable"));
    // Bad settings are clear errors.
    let (_, err, code) = occam(&[
        "train",
        "builtin:sentences",
        "--model",
        "text",
        "--ngram",
        "9",
        "--out",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--ngram"), "{err}");
    let (_, err, code) = occam(&[
        "train",
        "builtin:sentences",
        "--model",
        "lstm",
        "--out",
        dir.join("bad2").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--model"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
