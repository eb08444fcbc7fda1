//! MC dropout through the facade (`MlpModel::predict_mc`): seeded and reproducible, the mean
//! of the stochastic passes close to the evaluation-mode prediction, a positive spread on
//! every row, the binary spread of a probability within [0, 0.5], and clear errors for a
//! network without dropout or fewer than two passes.

mod common;
use common::dataset;
use occam::Mlp;

#[test]
fn mc_dropout_is_seeded_and_spreads_around_the_evaluation_prediction() {
    let d = dataset("diabetes_regression.csv", None);
    let mut m = Mlp {
        hidden: Some(vec![32]),
        dropout: 0.2,
        epochs: 60,
        seed: 1,
        ..Mlp::default()
    }
    .fit(&d)
    .unwrap();
    let a = m.predict_mc(&d.x, 40, 7).unwrap();
    assert_eq!(
        a,
        m.predict_mc(&d.x, 40, 7).unwrap(),
        "the same seed, the same bits"
    );
    assert_ne!(a, m.predict_mc(&d.x, 40, 8).unwrap());
    let eval = m.predict(&d.x).unwrap().labels();
    let mean = a.labels();
    let sd = a.std.as_ref().unwrap();
    assert!(sd.iter().all(|s| *s > 0.0 && s.is_finite()));
    // the passes' mean is near the deterministic prediction (dropout's scaling keeps the
    // expected activation): within 2 spreads on at least 95% of rows
    let near = mean
        .iter()
        .zip(&eval)
        .zip(sd)
        .filter(|((a, b), s)| (*a - *b).abs() <= 2.0 * **s)
        .count();
    assert!(
        near as f64 >= 0.95 * d.y.len() as f64,
        "{near} of {}",
        d.y.len()
    );
    // the CSV carries the spread
    assert!(a
        .to_csv()
        .starts_with("predicted_disease_progression,std_disease_progression\n"));

    // classes: the spread of P(second class)
    let p = dataset("pima_indians_diabetes.csv", None);
    let mut c = Mlp {
        hidden: Some(vec![16]),
        dropout: 0.3,
        epochs: 20,
        ..Mlp::default()
    }
    .fit(&p)
    .unwrap();
    let pc = c.predict_mc(&p.x, 20, 1).unwrap();
    assert!(pc
        .rows
        .iter()
        .all(|r| r.len() == 1 && (0.0..=1.0).contains(&r[0])));
    assert!(pc.std.unwrap().iter().all(|s| (0.0..=0.5).contains(s)));
    assert!(c
        .predict_mc(&p.x, 20, 1)
        .unwrap()
        .to_csv()
        .contains(",std_prob_predicted\n"));
}

#[test]
fn mc_dropout_needs_dropout_and_two_passes() {
    let d = dataset("diabetes_regression.csv", None);
    let mut plain = Mlp {
        hidden: Some(vec![8]),
        epochs: 3,
        ..Mlp::default()
    }
    .fit(&d)
    .unwrap();
    let e = plain.predict_mc(&d.x, 10, 0).unwrap_err();
    assert_eq!(e.param(), Some("mc_samples"), "{e}");
    let mut drop = Mlp {
        hidden: Some(vec![8]),
        dropconnect: 0.2,
        epochs: 3,
        ..Mlp::default()
    }
    .fit(&d)
    .unwrap();
    assert_eq!(
        drop.predict_mc(&d.x, 1, 0).unwrap_err().param(),
        Some("mc_samples")
    );
    // DropConnect alone is sampled too
    assert!(drop.predict_mc(&d.x, 5, 0).unwrap().std.unwrap()[0] > 0.0);
}

/// Regression: the predictive sd adds the validation residuals' RMS to the passes' spread;
/// on diabetes rows held out from training, the 90% interval mean ± 1.645 sd covers about
/// 90% of them (111 rows: 80–98% allowed), and the Gaussian test log-likelihood beats the
/// passes' spread alone.
#[test]
fn mc_dropout_intervals_cover_held_out_diabetes_rows() {
    let d = dataset("diabetes_regression.csv", None);
    let s = occam_core::split::train_val_test(d.nrows(), None, 0.25, 0.0, 11).unwrap();
    let (train, test) = (d.subset(&s.train), d.subset(&s.validation));
    let mut m = Mlp {
        hidden: Some(vec![32]),
        dropout: 0.1,
        epochs: 200,
        patience: Some(20),
        seed: 3,
        ..Mlp::default()
    }
    .fit(&train)
    .unwrap();
    let noise = m.meta.noise_sd.expect("validation rows give the noise");
    assert!(noise > 20.0 && noise < 90.0, "{noise}");
    let p = m.predict_mc(&test.x, 100, 5).unwrap();
    let (mean, sd) = (p.labels(), p.std.unwrap());
    let n = test.y.len() as f64;
    let covered = mean
        .iter()
        .zip(&sd)
        .zip(&test.y)
        .filter(|((mu, s), y)| (*y - *mu).abs() <= 1.645 * **s)
        .count() as f64
        / n;
    let loglik = |sd: &dyn Fn(usize) -> f64| -> f64 {
        (0..test.y.len())
            .map(|i| {
                let (r, s) = (test.y[i] - mean[i], sd(i));
                -0.5 * (2.0 * std::f64::consts::PI * s * s).ln() - r * r / (2.0 * s * s)
            })
            .sum::<f64>()
            / n
    };
    let with_noise = loglik(&|i| sd[i]);
    let spread_only = loglik(&|i| (sd[i] * sd[i] - noise * noise).max(1e-12).sqrt());
    let rmse = (mean
        .iter()
        .zip(&test.y)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / n)
        .sqrt();
    eprintln!("coverage {covered:.3}, test log-likelihood {with_noise:.3} (spread only {spread_only:.3}), rmse {rmse:.2}, noise {noise:.2}");
    assert!((0.80..=0.98).contains(&covered), "coverage {covered}");
    assert!(with_noise > spread_only);
}
