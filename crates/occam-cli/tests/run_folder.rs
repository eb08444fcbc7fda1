//! Every command writes its run through the facade's run folder: a folder that holds a run is
//! refused before any work (exit 2, the earlier files byte-identical) unless `--force`;
//! `--resume` is honoured or refused with a clear error by every model kind; `predict` and
//! `report` dispatch on the manifest's run kind.

mod common;
use common::{fails_naming, occam, recommender, tmp};
use std::path::Path;

/// Every file of a folder with its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_command_refuses_a_folder_that_holds_a_run_and_leaves_it_as_it_was() {
    let dir = tmp("run-refuse");
    let run = dir.join("run");
    let r = run.to_str().unwrap();
    let (o, e, c) = occam(&[
        "linear",
        "cv",
        "builtin:diabetes",
        "--folds",
        "5",
        "--out",
        r,
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let before = snapshot(&run);
    let attempts: Vec<Vec<&str>> = vec![
        vec!["linear", "cv", "builtin:diabetes", "--out", r],
        vec!["linear", "path", "builtin:diabetes", "--out", r],
        vec!["train", "builtin:pima", "--epochs", "1", "--out", r],
        vec![
            "train",
            "builtin:co2",
            "--model",
            "gru",
            "--time-column",
            "date",
            "--out",
            r,
        ],
        recommender(r, &[]),
        vec!["train", "builtin:sentences", "--model", "text", "--out", r],
        vec!["select", "builtin:diabetes", "--stability", "--out", r],
        vec!["path", "builtin:diabetes", "--out", r],
    ];
    for args in &attempts {
        let (o, e, c) = occam(args);
        assert_eq!(c, Some(2), "{args:?}: {o}{e}");
        assert!(
            e.contains("error[run-folder]") && e.contains("already holds a run"),
            "{args:?}: {e}"
        );
        assert_eq!(snapshot(&run), before, "{args:?} touched the earlier run");
    }
    // --force replaces it.
    let (o, e, c) = occam(&[
        "linear",
        "path",
        "builtin:diabetes",
        "--force",
        "--no-report",
        "--out",
        r,
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"linear-path\""), "{manifest}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resume_is_refused_clearly_where_a_model_cannot_continue() {
    let dir = tmp("run-resume");
    let out = dir.join("run");
    let o = out.to_str().unwrap();
    for (args, what) in [
        (recommender(o, &["--resume"]), "--model recommender"),
        (
            vec![
                "train",
                "builtin:sentences",
                "--model",
                "text",
                "--resume",
                "--out",
                o,
            ],
            "--model text",
        ),
        (
            vec![
                "train",
                "builtin:co2",
                "--model",
                "gru",
                "--time-column",
                "date",
                "--resume",
                "--out",
                o,
            ],
            "--model gru",
        ),
    ] {
        let (so, e, c) = occam(&args);
        assert_eq!(c, Some(2), "{so}{e}");
        assert!(
            e.contains("--resume is not supported for") && e.contains(what),
            "{e}"
        );
        assert!(!out.exists(), "a refused run made {}", out.display());
    }
    // A network run resumes only a run of its own kind.
    let (so, e, c) = occam(&[
        "train",
        "builtin:pima",
        "--epochs",
        "1",
        "--resume",
        "--out",
        o,
    ]);
    assert_eq!(c, Some(2), "{so}{e}");
    assert!(e.contains("--resume needs an earlier run"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn predict_and_report_dispatch_on_the_manifest_kind() {
    let dir = tmp("run-kind");
    let sel = dir.join("sel");
    std::fs::create_dir_all(&sel).unwrap();
    std::fs::write(
        sel.join("manifest.json"),
        r#"{"format": "occam-run-1", "kind": "select", "occam_version": "0.1.0", "files": {}}"#,
    )
    .unwrap();
    let pima = common::datasets("pima_indians_diabetes.csv");
    let (o, e, c) = occam(&["predict", sel.to_str().unwrap(), &pima]);
    assert_eq!(c, Some(2), "{o}{e}");
    assert!(e.contains("holds a select run"), "{e}");
    // An unknown format or kind is refused, not guessed.
    std::fs::write(
        sel.join("manifest.json"),
        r#"{"format": "occam-run-9", "kind": "select", "occam_version": "9", "files": {}}"#,
    )
    .unwrap();
    fails_naming(&["predict", sel.to_str().unwrap(), &pima], "occam-run-9");
    // The demo's folder is a linear-cv run with its model: predict uses it, and a rerun of the
    // demo replaces its own run but never another kind of run.
    let demo = dir.join("demo");
    let d = demo.to_str().unwrap();
    let (o, e, c) = occam(&["demo", "--out", d]);
    assert_eq!(c, Some(0), "{o}{e}");
    let (o, e, c) = occam(&["demo", "--out", d]);
    assert_eq!(c, Some(0), "{o}{e}");
    let (o, e, c) = occam(&["predict", d, &pima]);
    assert_eq!(c, Some(0), "{e}");
    assert_eq!(o.lines().count(), 769);
    fails_naming(
        &["demo", "--out", sel.to_str().unwrap()],
        "already holds a run",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
