//! `occam tune` and the one-standard-error rule: TPE against random search on colon (same
//! folds, same seed), interrupted searches resume from trials.jsonl, lambda.1se is sparser
//! than lambda.min on Pima and colon, and bad search spaces are clear errors.

mod common;
use common::*;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SPACE: &str =
    "[l1]\nlog = [1e-4, 1e-1]\n[l2]\nlog = [1e-5, 1e-1]\n[dropout]\nrange = [0.0, 0.5]\n";

fn tune(dir: &Path, run: &str, extra: &[&str]) -> Value {
    let space = dir.join("space.toml");
    std::fs::write(&space, SPACE).unwrap();
    let out = dir.join(run);
    let mut a = vec![
        "tune",
        "builtin:colon",
        "--space",
        space.to_str().unwrap(),
        "--folds",
        "5",
        "--hidden",
        "16",
        "--epochs",
        "100",
        "--penalty-layers",
        "first",
        "--seed",
        "1",
        "--threads",
        "2",
    ];
    a.extend_from_slice(extra);
    a.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let (o, e, c) = occam(&a);
    assert_eq!(c, Some(0), "{o}{e}");
    json(&out.join("summary.json"))
}

#[test]
fn tpe_on_colon_is_at_least_as_good_as_a_40_point_random_search() {
    let dir = tmp("tpe");
    let t = tune(&dir, "tpe", &["--search", "tpe", "--trials", "40"]);
    let r = tune(&dir, "random", &["--search", "random", "--trials", "40"]);
    let best = |s: &Value| s["min"]["cv_mean"].as_f64().unwrap();
    assert!(best(&t) >= best(&r), "tpe {} random {}", best(&t), best(&r));
    assert_choice_fields(&t, &["min", "one_se"]);
    assert_eq!(t["rule"], "1se");
    assert_eq!(t["trials"], 40);
    assert!(
        t["one_se"]["features_kept"].as_f64().unwrap()
            <= t["min"]["features_kept"].as_f64().unwrap()
    );
    assert!(t["regularized"]["accuracy"].is_number() && t["baseline"]["accuracy"].is_number());
    let csv = std::fs::read_to_string(dir.join("tpe/trials.csv")).unwrap();
    assert_eq!(csv.lines().count(), 41);
    // The report: chosen configs, baseline table, score vs trial and vs each hyperparameter.
    let html = std::fs::read_to_string(dir.join("tpe/report.html")).unwrap();
    for id in ["metrics", "baseline", "search", "selected", "config"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "history + one plot per hyperparameter (3)"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn trial_lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("seconds");
            v
        })
        .collect()
}

#[test]
fn an_interrupted_tune_resumes_from_its_recorded_trials() {
    let dir = tmp("resume");
    let space = dir.join("space.toml");
    std::fs::write(&space, SPACE).unwrap();
    let args = |out: &Path| -> Vec<String> {
        [
            "tune",
            "builtin:pima",
            "--space",
            space.to_str().unwrap(),
            "--search",
            "tpe",
            "--trials",
            "14",
            "--folds",
            "3",
            "--hidden",
            "8",
            "--epochs",
            "40",
            "--seed",
            "2",
            "--threads",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let full = dir.join("full");
    let (o, e, c) = occam(&args(&full).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(c, Some(0), "{o}{e}");

    let cut = dir.join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_occam"))
        .args(args(&cut))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while trial_lines(&cut.join("trials.jsonl")).len() < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no trials recorded"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the search ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = trial_lines(&cut.join("trials.jsonl"));
    assert!(before.len() < 14 && !cut.join("summary.json").exists());
    let (o, e, c) = occam(&args(&cut).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(c, Some(0), "{o}{e}");
    assert!(
        o.contains(&format!("resuming: {} trials recorded", before.len())),
        "{o}"
    );
    let after = trial_lines(&cut.join("trials.jsonl"));
    assert_eq!(after.len(), 14);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "recorded trials are kept as they were"
    );
    assert_eq!(
        after,
        trial_lines(&full.join("trials.jsonl")),
        "the resumed search equals an uninterrupted one"
    );

    // Another space in the same folder is refused.
    std::fs::write(&space, "[l1]\nlog = [1e-3, 1e-1]\n").unwrap();
    let (_, e, c) = occam(&args(&cut).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(c, Some(2));
    assert!(e.contains("holds trials of another search"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lambda_1se_is_sparser_than_lambda_min_on_pima_and_colon_and_both_are_reported() {
    let dir = tmp("1se");
    for data in ["builtin:pima", "builtin:colon"] {
        let out = dir.join("cv.json");
        let (o, e, c) = occam(&[
            "linear",
            "cv",
            data,
            "--folds",
            "10",
            "--seed",
            "1",
            "--json",
            out.to_str().unwrap(),
        ]);
        assert_eq!(c, Some(0), "{o}{e}");
        assert!(
            o.contains("lambda.min =") && o.contains("lambda.1se ="),
            "{o}"
        );
        let v = json(&out);
        let df = |k: &str| {
            v["df"][v[k].as_u64().unwrap() as usize - 1]
                .as_u64()
                .unwrap()
        };
        assert!(
            df("index_1se") < df("index_min"),
            "{data}: 1se df {} vs min df {}",
            df("index_1se"),
            df("index_min")
        );
        assert!(v["lambda_1se"].as_f64().unwrap() > v["lambda_min"].as_f64().unwrap());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_search_spaces_are_clear_errors() {
    let dir = tmp("bad");
    let cases = [
        ("[momentum]\nlog = [0.1, 0.9]\n", "unknown hyperparameter"),
        ("[l1]\nlog = [0.0, 0.1]\n", "0 < lo < hi"),
        (
            "[l1]\nlog = [1e-3, 0.1]\nrange = [0, 1]\n",
            "exactly one of",
        ),
        ("[dropout]\nrange = 0.5\n", "space.toml"),
    ];
    for (text, says) in cases {
        let space = dir.join("space.toml");
        std::fs::write(&space, text).unwrap();
        let out = dir.join("o");
        let (_, e, c) = occam(&[
            "tune",
            "builtin:pima",
            "--space",
            space.to_str().unwrap(),
            "--trials",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(c, Some(2), "{text}: {e}");
        assert!(e.contains(says), "{text}: {e}");
    }
    let space = dir.join("space.toml");
    std::fs::write(&space, SPACE).unwrap();
    let (_, e, c) = occam(&[
        "tune",
        "builtin:pima",
        "--space",
        space.to_str().unwrap(),
        "--search",
        "annealing",
        "--out",
        dir.join("o2").to_str().unwrap(),
    ]);
    assert_eq!(c, Some(2));
    assert!(
        e.contains("error[invalid-parameter]") && e.contains("--search"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() {
    let dir = tmp("progress");
    let space = dir.join("space.toml");
    std::fs::write(&space, SPACE).unwrap();
    let cmd = |out: &str| -> Vec<String> {
        [
            "tune",
            "builtin:pima",
            "--space",
            space.to_str().unwrap(),
            "--trials",
            "4",
            "--folds",
            "3",
            "--hidden",
            "8",
            "--epochs",
            "20",
            "--threads",
            "2",
            "--out",
            dir.join(out).to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let plain = Command::new(env!("CARGO_BIN_EXE_occam"))
        .args(cmd("plain"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plain.stdout).into_owned()
        + &String::from_utf8_lossy(&plain.stderr);
    assert!(plain.status.success(), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no escape codes when not on a terminal"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("trial ")).count(),
        4,
        "one line per trial"
    );
    // On a pseudo-terminal (util-linux `script`), the same command draws a bar with an ETA.
    let line = std::iter::once(env!("CARGO_BIN_EXE_occam").to_string())
        .chain(cmd("tty"))
        .collect::<Vec<_>>()
        .join(" ");
    let tty = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .expect("util-linux script");
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{text}");
    assert!(
        text.contains("eta") && text.contains("4/4"),
        "a progress bar on the terminal: {text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
