//! Typed results: what a run writes reads back into the same types, through a real run folder
//! (manifest and checksums), on the diabetes data; a NaN metric survives the JSON round trip;
//! an edited result file and a folder that holds no run are typed errors; metrics.csv reads
//! back strictly.

use occam::results::{CvResult, LinearRun, Metrics, NetworkResult, RunResult};
use occam::{CsvOptions, Dataset, LinearCv, Mode, RawTable, RunFolder, RunKind};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("occam-results-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn diabetes() -> Dataset {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/diabetes_regression.csv");
    let text = std::fs::read(&p).unwrap();
    let t = RawTable::parse(&text, &p).unwrap();
    Dataset::from_table(&t, &CsvOptions::default()).unwrap()
}

/// The diabetes data and its 5-fold cross-validated lasso path.
fn diabetes_cv() -> (Dataset, occam::CvFit) {
    let d = diabetes();
    let est = LinearCv {
        folds: 5,
        ..LinearCv::default()
    };
    let (_, cv) = est.fit_cv(&d).unwrap();
    (d, cv)
}

#[test]
fn a_cv_result_reads_back_from_its_run_folder_unchanged() {
    let (d, cv) = diabetes_cv();
    let result = CvResult::new(&cv, &d);
    assert_eq!(result.path.feature_names.len(), 10);
    assert_eq!(result.index_1se, cv.index_1se + 1);
    assert!(result.selected_1se.len() <= result.selected_min.len());
    let dir = scratch("cv");
    let mut run = RunFolder::create(&dir, RunKind::LinearCv, Mode::New).unwrap();
    run.write_json("cv.json", &result).unwrap();
    match RunResult::read(&dir).unwrap() {
        RunResult::Linear(l) => match *l {
            LinearRun::Cv(back, words) => {
                assert_eq!(*back, result);
                assert!(words.is_empty());
            }
            other => panic!("read as {other:?}"),
        },
        other => panic!("read as {other:?}"),
    }
    // The file is checked against the manifest: an edit is refused, not rendered.
    let p = dir.join("cv.json");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen("\"alpha\": 1.0", "\"alpha\": 0.5", 1)).unwrap();
    let e = RunResult::read(&dir).unwrap_err();
    assert_eq!(e.kind(), "bad-model", "{e}");
    assert!(e.to_string().contains("has changed"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_nan_metric_is_written_as_null_and_read_back_as_nan() {
    let m: Metrics = [
        ("accuracy".to_string(), 0.75),
        ("auc".to_string(), f64::NAN),
    ]
    .into_iter()
    .collect();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"accuracy":0.75,"auc":null}"#);
    let back: Metrics = serde_json::from_str(&json).unwrap();
    assert_eq!(back.get("accuracy"), Some(0.75));
    assert!(back.get("auc").unwrap().is_nan());
    assert_eq!(back.to_string(), "accuracy 0.7500, auc NaN");
}

#[test]
fn a_summary_missing_a_field_or_a_folder_without_a_run_is_a_typed_error() {
    let e = serde_json::from_str::<NetworkResult>(r#"{"epochs_run": 3}"#).unwrap_err();
    assert!(e.to_string().contains("missing field"), "{e}");
    let dir = scratch("empty");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing here").unwrap();
    let e = RunResult::read(&dir).unwrap_err();
    assert_eq!(e.kind(), "run-folder", "{e}");
    assert!(e.to_string().contains("not a run folder"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn metrics_csv_reads_back_strictly() {
    use occam::results::parse_epochs;
    let head = "epoch,lr,train_loss,val_loss,penalty,decay_term,val_accuracy,seconds\n";
    let good = format!("{head}1,0.001,0.7,0.69,0.01,0,0.6,0.1\n2,0.001,0.6,,0.02,0,,0.1\n");
    let e = parse_epochs(&good).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].epoch, e[0].val_loss, e[1].val_loss),
        (1, Some(0.69), None)
    );
    assert_eq!(e[0].metric, Some(("accuracy".to_string(), 0.6)));
    for (bad, says) in [
        ("epoch,lr,train_loss\n1,0.1,0.5\n", "no column 'val_loss'"),
        (
            &format!("{head}1,0.001,x,0.69,0.01,0,0.6,0.1\n") as &str,
            "line 2, column 3",
        ),
        (&format!("{head}1,0.001,0.7,0.69\n"), "line 2: 4 fields"),
        (
            &format!("{head}2,0.001,0.7,0.69,0.01,0,0.6,0.1\n1,0.001,0.7,0.69,0.01,0,0.6,0.1\n"),
            "line 3: epoch 1 does not follow epoch 2",
        ),
    ] {
        let e = parse_epochs(bad).unwrap_err();
        assert!(e.contains(says), "{e}");
    }
}

#[test]
fn a_cv_result_prints_like_cv_glmnet_and_names_what_enters_first() {
    let (d, cv) = diabetes_cv();
    let r = CvResult::new(&cv, &d);
    let text = r.to_string();
    let rows = text
        .lines()
        .filter(|l| l.ends_with("<- lambda.min"))
        .count();
    assert_eq!(rows, 1, "{text}");
    assert!(text.contains(&format!(
        "lambda.1se = {:.6} (#{}",
        r.lambda_1se, r.index_1se
    )));
    // bmi and s5 are the first to enter the diabetes lasso path (as in Efron et al. 2004).
    let order = r.path.entry_order();
    assert!(order.starts_with("bmi, s5"), "{order}");
    assert_eq!(
        r.path.selected(r.index_1se - 1).len(),
        r.path.df[r.index_1se - 1]
    );
    assert_eq!(r.path.to_string().lines().count(), r.path.lambda.len() + 1);
}
