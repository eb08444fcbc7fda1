//! `occam train --model text` on sentence polarity (10,662 snippets): tf-idf bag of words into
//! the elastic-net path reaches >= 75% 10-fold CV accuracy and lists the top 20 words each way;
//! the network head keeps its vocabulary, so `occam predict` reads raw texts.

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
    // The run keeps its model (vocabulary + linear model at lambda.min): `occam predict` on
    // raw texts, with words it never saw ignored.
    let texts = dir.join("texts.csv");
    std::fs::write(
        &texts,
        "text,label\n\"a wonderful , enjoyable film\",1\n\"dull and boring . bad\",0\n\"zzqx wibble\",1\n",
    )
    .unwrap();
    let r = out.to_str().unwrap();
    let (o, e, c) = occam(&["predict", r, texts.to_str().unwrap()]);
    assert_eq!(c, Some(0), "{o}{e}");
    let rows: Vec<&str> = o.lines().collect();
    assert_eq!(rows[0], "prob_1,predicted");
    assert!(rows[1].ends_with(",1") && rows[2].ends_with(",0"), "{o}");
    assert!(e.contains("accuracy"), "{e}");
    fails_naming(
        &["predict", r, &datasets("pima_indians_diabetes.csv")],
        "'text'",
    );
    // Bad settings are clear errors.
    fails_naming(
        &[
            "train",
            "builtin:sentences",
            "--model",
            "text",
            "--ngram",
            "9",
            "--out",
            dir.join("bad").to_str().unwrap(),
        ],
        "--ngram",
    );
    fails_naming(
        &[
            "train",
            "builtin:sentences",
            "--model",
            "lstm",
            "--out",
            dir.join("bad2").to_str().unwrap(),
        ],
        "--model",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sentence_polarity_as_sparse_rows_into_a_network_with_l1_lists_signed_words() {
    let dir = tmp("text-mlp");
    let out = dir.join("run");
    let (o, e, c) = occam(&[
        "train",
        "builtin:sentences",
        "--model",
        "text",
        "--text-head",
        "mlp",
        "--l1",
        "3e-5",
        "--epochs",
        "30",
        "--patience",
        "5",
        "--lr",
        "3e-3",
        "--test-fraction",
        "0.2",
        "--batch-size",
        "64",
        "--seed",
        "0",
        "--threads",
        "2",
        "--no-report",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let s = json(&out.join("summary.json"));
    let acc = s["test_metrics"]["accuracy"].as_f64().unwrap();
    assert!(acc >= 0.73, "held-out accuracy {acc}");
    // The proximal L1 step leaves words with exactly zero weight.
    let kept = s["input_features_kept"].as_array().unwrap().len();
    let all = s["n_input_features"].as_u64().unwrap() as usize;
    assert!(kept < all * 9 / 10, "{kept} of {all} words kept");
    let t = &s["top_inputs"];
    assert_eq!(t["weight"], "signed");
    let words = |k: &str| -> Vec<String> {
        t[k].as_array()
            .unwrap()
            .iter()
            .map(|p| p[0].as_str().unwrap().to_string())
            .collect()
    };
    let (pos, neg) = (words("positive"), words("negative"));
    assert_eq!((pos.len(), neg.len()), (20, 20));
    assert!(
        pos.iter()
            .any(|w| ["enjoyable", "touching", "powerful", "refreshing"].contains(&w.as_str())),
        "{pos:?}"
    );
    assert!(
        neg.iter()
            .any(|w| ["dull", "bad", "boring", "worst"].contains(&w.as_str())),
        "{neg:?}"
    );
    let m = json(&out.join("model.json"));
    assert_eq!(m["spec"]["n_in"].as_u64().unwrap() as usize, all);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_text_network_predicts_raw_texts_as_it_did_on_its_held_out_rows() {
    let dir = tmp("text-mlp-predict");
    let out = dir.join("run");
    // 600 sentences of each class, as a CSV of raw texts.
    let all = std::fs::read_to_string(datasets("sentence_polarity.csv")).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    let n = lines.len() - 1;
    let mut csv = format!("{}\n", lines[0]);
    for l in lines[1..601].iter().chain(&lines[n - 599..]) {
        csv.push_str(l);
        csv.push('\n');
    }
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("texts.csv");
    std::fs::write(&data, &csv).unwrap();
    let (o, e, c) = occam(&[
        "train",
        data.to_str().unwrap(),
        "--model",
        "text",
        "--text-head",
        "mlp",
        "--epochs",
        "5",
        "--test-fraction",
        "0.25",
        "--no-report",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let (pred, e, c) = occam(&["predict", out.to_str().unwrap(), data.to_str().unwrap()]);
    assert_eq!(c, Some(0), "{e}");
    assert!(e.contains("accuracy"), "{e}");
    let pred: Vec<&str> = pred.lines().collect();
    let recorded = std::fs::read_to_string(out.join("test_predictions.csv")).unwrap();
    let mut checked = 0;
    for l in recorded.lines().skip(1) {
        let (row, rest) = l.split_once(',').unwrap();
        let row: usize = row.parse().unwrap();
        assert_eq!(pred[row + 1], rest, "row {row}");
        checked += 1;
    }
    assert_eq!(checked, 300);
    // A table without the text column is a clear error.
    fails_naming(
        &[
            "predict",
            out.to_str().unwrap(),
            &datasets("pima_indians_diabetes.csv"),
        ],
        "'text'",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
