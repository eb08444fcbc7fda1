//! The PLD accountant against Google's dp-accounting 0.6.0 `PLDAccountant` (fixtures from
//! tests/fixtures/dp_accounting/gen_pld.py): epsilon over a grid of 78 (noise multiplier,
//! sampling rate, steps, delta) settings, Opacus's published MNIST settings among them,
//! within 1% (the bar; both are discretizations of the same exact curve, from
//! above), never above the RDP accountant's epsilon, and the noise multiplier for a target
//! epsilon (dp-accounting's calibration) within 1%.

use occam_nn::pld::{epsilon, noise_for_epsilon};
use serde_json::Value;

fn fixture() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dp_accounting/pld_grid.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn epsilon_equals_dp_accountings_pld_over_the_grid() {
    let fx = fixture();
    let points = fx["points"].as_array().unwrap();
    assert!(points.len() >= 50);
    let (mut worst, mut saved) = (0.0f64, Vec::new());
    for p in points {
        let f = |k: &str| p[k].as_f64().unwrap();
        let steps = p["steps"].as_u64().unwrap();
        let g = epsilon(f("noise_multiplier"), f("sample_rate"), steps, f("delta")).unwrap();
        let want = f("epsilon");
        let rel = (g.epsilon - want).abs() / want;
        worst = worst.max(rel);
        assert!(
            rel <= 0.01,
            "{p}: occam {} vs dp-accounting {want}",
            g.epsilon
        );
        assert!(
            g.epsilon <= f("rdp_epsilon") * (1.0 + 1e-9),
            "{p}: PLD {} above RDP",
            g.epsilon
        );
        saved.push(1.0 - g.epsilon / f("rdp_epsilon"));
    }
    saved.sort_by(f64::total_cmp);
    eprintln!(
        "worst relative difference over {} points: {worst:.2e}; epsilon saved against RDP: \
         {:.1}% to {:.1}%",
        points.len(),
        100.0 * saved[0],
        100.0 * saved[saved.len() - 1]
    );
}

#[test]
fn noise_for_a_target_equals_dp_accountings_calibration() {
    let fx = fixture();
    for c in fx["calibration"].as_array().unwrap() {
        let f = |k: &str| c[k].as_f64().unwrap();
        let steps = c["steps"].as_u64().unwrap();
        let s = noise_for_epsilon(f("epsilon"), f("sample_rate"), steps, f("delta")).unwrap();
        let want = f("noise_multiplier");
        assert!(
            (s - want).abs() <= 0.01 * want,
            "{c}: occam {s} vs dp-accounting {want}"
        );
        let got = epsilon(s, f("sample_rate"), steps, f("delta")).unwrap();
        assert!(got.epsilon <= f("epsilon"), "{c}: {}", got.epsilon);
    }
}
