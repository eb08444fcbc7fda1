//! `occam privacy epsilon|noise`: the last line is `epsilon=<value>` (or
//! `noise_multiplier=<value>`) with dp-accounting's numbers (occam-nn's fixture), the two
//! directions invert each other, and bad values are usage errors naming the flag.

mod common;
use common::{fails_naming, json, occam};
use std::path::Path;

fn last_value(out: &str, key: &str) -> f64 {
    let last = out.trim().lines().last().unwrap();
    let (k, v) = last.split_once('=').unwrap();
    assert_eq!(k, key, "{out}");
    v.parse().unwrap()
}

#[test]
fn epsilon_is_dp_accountings_on_the_last_line() {
    let fx = json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../occam-nn/tests/fixtures/dp_accounting/rdp_grid.json"),
    );
    for p in fx["points"].as_array().unwrap().iter().step_by(7) {
        let s = |k: &str| p[k].to_string();
        let (o, e, c) = occam(&[
            "privacy",
            "epsilon",
            "--noise-multiplier",
            &s("noise_multiplier"),
            "--sample-rate",
            &s("sample_rate"),
            "--steps",
            &s("steps"),
            "--delta",
            &s("delta"),
        ]);
        assert_eq!(c, Some(0), "{o}{e}");
        let want = p["epsilon"].as_f64().unwrap();
        let got = last_value(&o, "epsilon");
        assert!((got - want).abs() <= 1e-9 * want, "{p}: {got}");
    }
}

#[test]
fn the_pld_accountant_is_dp_accountings_pld_within_one_percent() {
    let fx = json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../occam-nn/tests/fixtures/dp_accounting/pld_grid.json"),
    );
    let mech = |p: &serde_json::Value| {
        let s = |k: &str| p[k].to_string();
        [
            "--sample-rate".to_string(),
            s("sample_rate"),
            "--steps".into(),
            s("steps"),
            "--delta".into(),
            s("delta"),
            "--accountant".into(),
            "pld".into(),
        ]
    };
    for p in fx["points"].as_array().unwrap().iter().skip(3).step_by(11) {
        let mut args = vec![
            "privacy".to_string(),
            "epsilon".into(),
            "--noise-multiplier".into(),
            p["noise_multiplier"].to_string(),
        ];
        args.extend(mech(p));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (o, e, c) = occam(&args);
        assert_eq!(c, Some(0), "{o}{e}");
        assert!(o.starts_with("PLD accountant"), "{o}");
        let want = p["epsilon"].as_f64().unwrap();
        let got = last_value(&o, "epsilon");
        assert!((got - want).abs() <= 0.01 * want, "{p}: {got}");
    }
    let c = &fx["calibration"][1];
    let mut args = vec![
        "privacy".to_string(),
        "noise".into(),
        "--epsilon".into(),
        c["epsilon"].to_string(),
    ];
    args.extend(mech(c));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (o, e, code) = occam(&args);
    assert_eq!(code, Some(0), "{o}{e}");
    let want = c["noise_multiplier"].as_f64().unwrap();
    let got = last_value(&o, "noise_multiplier");
    assert!((got - want).abs() <= 0.01 * want, "{c}: {got}");
}

#[test]
fn noise_for_an_epsilon_gives_that_epsilon_back() {
    let (o, e, c) = occam(&[
        "privacy",
        "noise",
        "--epsilon",
        "3",
        "--sample-rate",
        "0.004",
        "--steps",
        "15000",
        "--delta",
        "1e-5",
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let s = last_value(&o, "noise_multiplier");
    let eps = common::privacy_epsilon(s, "0.004", "15000", "1e-5", "rdp");
    assert!(eps <= 3.0 && eps > 3.0 - 1e-6, "{eps}");
}

#[test]
fn bad_values_are_usage_errors_naming_the_flag() {
    let base = [
        "privacy",
        "epsilon",
        "--noise-multiplier",
        "1",
        "--steps",
        "10",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    fails_naming(
        &with(&["--sample-rate", "2", "--delta", "1e-5"]),
        "--sample-rate",
    );
    fails_naming(&with(&["--sample-rate", "0.1", "--delta", "1"]), "--delta");
    fails_naming(
        &with(&[
            "--sample-rate",
            "0.1",
            "--delta",
            "1e-5",
            "--accountant",
            "prv",
        ]),
        "--accountant",
    );
    fails_naming(
        &[
            "privacy",
            "epsilon",
            "--noise-multiplier",
            "-1",
            "--sample-rate",
            "0.1",
            "--steps",
            "10",
            "--delta",
            "1e-5",
        ],
        "--noise-multiplier",
    );
    fails_naming(
        &[
            "privacy",
            "noise",
            "--epsilon",
            "0",
            "--sample-rate",
            "0.1",
            "--steps",
            "10",
            "--delta",
            "1e-5",
        ],
        "--epsilon",
    );
}

#[test]
fn train_with_dp_sgd_records_the_privacy_spent_and_refuses_what_it_cannot_cover() {
    let dir = common::tmp("dp-train");
    let out = dir.join("run");
    let out_s = out.to_str().unwrap();
    let pima = ["train", "builtin:pima", "--target", "diabetes"];
    let mut args = pima.to_vec();
    args.extend([
        "--hidden",
        "8",
        "--epochs",
        "4",
        "--lr",
        "0.05",
        "--dp-epsilon",
        "2",
        "--out",
        out_s,
    ]);
    let o = common::ok(&args);
    assert!(
        o.contains("privacy (DP-SGD, rdp accountant): epsilon"),
        "{o}"
    );
    let s = json(&out.join("summary.json"));
    let p = &s["privacy"];
    // 614 training rows in batches of 32: 20 steps per epoch at sample rate 1/20
    assert_eq!(p["steps"].as_u64(), Some(80), "{p}");
    assert_eq!(p["sample_rate"].as_f64(), Some(0.05));
    assert_eq!(p["rows"].as_u64(), Some(614));
    assert_eq!(p["target_epsilon"].as_f64(), Some(2.0));
    let (eps, sigma) = (
        p["epsilon"].as_f64().unwrap(),
        p["noise_multiplier"].as_f64().unwrap(),
    );
    assert!(eps <= 2.0 && eps > 1.98, "{p}");
    // the accountant's own command agrees with what the run recorded
    let again = common::privacy_epsilon(sigma, "0.05", "80", "1e-5", "rdp");
    assert!((again - eps).abs() <= 1e-9 * eps);
    assert_eq!(
        json(&out.join("model.json"))["privacy"],
        *p,
        "the model keeps it"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Privacy (DP-SGD)") && html.contains("Privacy spent"));
    // the PLD accountant: the same target with less noise, its own command agreeing
    let pld_out = dir.join("pld");
    let mut args = pima.to_vec();
    args.extend(["--hidden", "8", "--epochs", "4", "--lr", "0.05"]);
    args.extend(["--dp-epsilon", "2", "--dp-accountant", "pld"]);
    args.extend(["--out", pld_out.to_str().unwrap()]);
    let o = common::ok(&args);
    assert!(o.contains("privacy (DP-SGD, pld accountant)"), "{o}");
    let q = json(&pld_out.join("summary.json"))["privacy"].clone();
    let (pld_eps, pld_sigma) = (
        q["epsilon"].as_f64().unwrap(),
        q["noise_multiplier"].as_f64().unwrap(),
    );
    assert_eq!(q["accountant"].as_str(), Some("pld"));
    assert!(pld_eps <= 2.0 && pld_eps > 1.99, "{q}");
    assert!(pld_sigma < sigma, "PLD {pld_sigma} vs RDP {sigma}");
    let again = common::privacy_epsilon(pld_sigma, "0.05", "80", "1e-5", "pld");
    assert!((again - pld_eps).abs() <= 1e-9 * pld_eps);
    // refusals, each naming its flag, exit 2, nothing written
    let bad = dir.join("bad");
    let bad_s = bad.to_str().unwrap();
    for (extra, name) in [
        (
            &["--dp-epsilon", "1", "--dp-noise-multiplier", "1"][..],
            "--dp-epsilon",
        ),
        (&["--dp-epsilon", "1", "--batch-norm"][..], "--batch-norm"),
        (
            &["--dp-epsilon", "1", "--dropconnect", "0.2"][..],
            "DropConnect",
        ),
        (&["--dp-epsilon", "1", "--laplace"][..], "--laplace"),
        (&["--dp-max-grad-norm", "1"][..], "--dp-max-grad-norm"),
        (
            &["--dp-noise-multiplier", "-1"][..],
            "--dp-noise-multiplier",
        ),
        (&["--dp-epsilon", "1", "--dp-delta", "2"][..], "--dp-delta"),
        (
            &["--dp-epsilon", "1", "--dp-accountant", "moments"][..],
            "--dp-accountant",
        ),
    ] {
        let mut a = pima.to_vec();
        a.extend(["--epochs", "1", "--out", bad_s]);
        a.extend(extra);
        fails_naming(&a, name);
        assert!(!bad.exists(), "{extra:?} wrote a run");
    }
    fails_naming(
        &[
            "tune",
            "builtin:pima",
            "--target",
            "diabetes",
            "--dp-epsilon",
            "1",
            "--out",
            bad_s,
        ],
        "--dp-epsilon",
    );
}
