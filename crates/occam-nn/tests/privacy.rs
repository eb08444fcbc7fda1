//! The RDP accountant against Google's dp-accounting 0.6.0 (fixtures from
//! tests/fixtures/dp_accounting/gen_dp.py): epsilon over a grid of 78 (noise multiplier,
//! sampling rate, steps, delta) settings, Opacus's published MNIST settings among them, to
//! 1e-9 relative (the issue asks 1%), the optimal order, and the noise multiplier for a target
//! epsilon (dp-accounting's calibration) to 1e-6.

use occam_nn::privacy::{default_orders, epsilon, noise_for_epsilon};
use serde_json::Value;

fn fixture() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dp_accounting/rdp_grid.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn the_order_grid_is_dp_accountings() {
    let fx = fixture();
    let want: Vec<f64> = fx["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(default_orders(), want);
}

#[test]
fn epsilon_equals_dp_accounting_over_the_grid() {
    let fx = fixture();
    let points = fx["points"].as_array().unwrap();
    assert!(points.len() >= 50);
    let mut worst = 0.0f64;
    for p in points {
        let f = |k: &str| p[k].as_f64().unwrap();
        let g = epsilon(
            f("noise_multiplier"),
            f("sample_rate"),
            p["steps"].as_u64().unwrap(),
            f("delta"),
        )
        .unwrap();
        let want = f("epsilon");
        let rel = (g.epsilon - want).abs() / want.max(1e-12);
        worst = worst.max(rel);
        assert!(
            rel <= 1e-9,
            "{p}: occam {} vs dp-accounting {want}",
            g.epsilon
        );
        assert_eq!(g.order, Some(f("order")), "{p}: optimal order");
    }
    eprintln!(
        "worst relative difference over {} points: {worst:.2e}",
        points.len()
    );
}

#[test]
fn opacus_mnist_settings_are_within_its_published_epsilons() {
    // Opacus's README: sigma 0.7 for 45 epochs, 1.1 for 60, 1.3 for 15, at sampling rate
    // 0.004 (250 steps per epoch), delta 1e-5: epsilon 7.10, 3.01 and 1.19, from its older
    // accountant (the basic RDP conversion, which gives 6.86, 2.91 and 1.16 here). These
    // settings are in the grid above, equal to dp-accounting's; the improved conversion is
    // tighter than the published numbers, never looser.
    for (noise, epochs, published) in [(0.7, 45, 7.10), (1.1, 60, 3.01), (1.3, 15, 1.19)] {
        let g = epsilon(noise, 0.004, 250 * epochs, 1e-5).unwrap();
        eprintln!(
            "sigma {noise}, {epochs} epochs: epsilon {:.3} (README {published})",
            g.epsilon
        );
        assert!(
            g.epsilon <= published && g.epsilon >= 0.7 * published,
            "sigma {noise}: {} vs published {published}",
            g.epsilon
        );
    }
}

#[test]
fn noise_for_a_target_epsilon_equals_dp_accountings_calibration() {
    let fx = fixture();
    for c in fx["calibration"].as_array().unwrap() {
        let f = |k: &str| c[k].as_f64().unwrap();
        let s = noise_for_epsilon(
            f("epsilon"),
            f("sample_rate"),
            c["steps"].as_u64().unwrap(),
            f("delta"),
        )
        .unwrap();
        let want = f("noise_multiplier");
        assert!(
            (s - want).abs() <= 1e-6 * want,
            "{c}: occam {s} vs dp-accounting {want}"
        );
    }
}
