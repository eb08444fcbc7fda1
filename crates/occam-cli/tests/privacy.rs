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
    let (o, _, _) = occam(&[
        "privacy",
        "epsilon",
        "--noise-multiplier",
        &s.to_string(),
        "--sample-rate",
        "0.004",
        "--steps",
        "15000",
        "--delta",
        "1e-5",
    ]);
    let eps = last_value(&o, "epsilon");
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
            "pld",
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
