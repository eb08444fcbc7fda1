//! The forecaster estimator on the weekly CO2 series (datasets/co2_mauna_loa_weekly.csv):
//! missing weeks are an error until `gaps` says how to treat them, save/load round-trips the
//! forecasts bit for bit, the forecasts continue the series, and bad settings name their field.

use occam::{read_csv_table, Forecaster, ForecasterModel, Mode, RunFolder, RunKind};
use occam_core::series::Gaps;
use occam_nn::CellKind;
use std::path::Path;

#[test]
fn co2_gru_fits_saves_loads_and_forecasts_past_the_end() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/co2_mauna_loa_weekly.csv");
    let t = read_csv_table(&path).unwrap();
    let mut est = Forecaster::new("date");
    est.cell = CellKind::Gru;
    est.horizon = 4;
    est.units = 8;
    est.network.epochs = 5;
    let e = est.fit(&t).err().unwrap();
    assert_eq!(e.param(), Some("gaps"), "{e}");
    assert!(e.to_string().contains("59 missing values"), "{e}");
    est.gaps = Some(Gaps::Drop);
    let (mut model, data) = est.fit(&t).unwrap();
    assert_eq!(data.meta.season, 52);
    let f = data.forecasts(&mut model.net, 2);
    assert_eq!(f.len(), data.rows[2].len() * 4);
    assert!(
        f.iter().all(|v| (300.0..450.0).contains(v)),
        "{:?}",
        &f[..4]
    );

    let dir = std::env::temp_dir().join(format!("occam-forecast-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut run = RunFolder::create(&dir, RunKind::Forecast, Mode::New).unwrap();
    model.save(&mut run).unwrap();
    let mut loaded = ForecasterModel::load(&RunFolder::open(&dir).unwrap()).unwrap();
    let a = model.forecast(&t).unwrap();
    let b = loaded.forecast(&t).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 4);
    assert_eq!(a[0].steps_ahead, 1);
    let last = t.columns[0].text(t.nrows() - 1).trim().to_string();
    assert!(
        a[0].time.as_str() > last.as_str(),
        "{} after {last}",
        a[0].time
    );
    let end = (0..t.nrows())
        .rev()
        .find_map(|i| match t.columns[1].cell(i) {
            occam_core::table::Cell::Number(v) => Some(v),
            _ => None,
        })
        .unwrap();
    assert!(
        (a[0].value - end).abs() < 10.0,
        "{} vs last {end}",
        a[0].value
    );
    // Another kind of run is refused.
    let other = dir.join("other");
    RunFolder::create(&other, RunKind::Mlp, Mode::New).unwrap();
    let e = ForecasterModel::load(&RunFolder::open(&other).unwrap())
        .err()
        .unwrap();
    assert_eq!(e.kind(), "bad-model");
    std::fs::remove_dir_all(&dir).unwrap();

    for (bad, param) in [
        (
            Forecaster {
                horizon: 0,
                ..est.clone()
            },
            "horizon",
        ),
        (
            Forecaster {
                horizon: 60,
                ..est.clone()
            },
            "horizon",
        ),
        (
            Forecaster {
                season: Some(0),
                ..est.clone()
            },
            "season",
        ),
        (
            Forecaster {
                test_fraction: 0.0,
                ..est.clone()
            },
            "test_fraction",
        ),
        (
            Forecaster {
                recurrent_dropout: 1.0,
                ..est.clone()
            },
            "recurrent_dropout",
        ),
        (
            Forecaster {
                window: Some(2000),
                ..est.clone()
            },
            "window",
        ),
    ] {
        let e = bad.prepare(&t).err().unwrap();
        assert_eq!(e.param(), Some(param), "{e}");
    }
    let e = Forecaster::new("when").prepare(&t).err().unwrap();
    assert_eq!(e.kind(), "missing-column", "{e}");
}

/// MC dropout bands on the test windows of the hourly electricity series: an LSTM with
/// recurrent dropout gets intervals whose coverage grows with the level and sits near the
/// nominal 90%; its result says so, and a network without dropout has none.
#[test]
fn electricity_lstm_with_recurrent_dropout_gets_calibrated_test_bands() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/electricity_usage_hourly.csv");
    let t = read_csv_table(&path).unwrap();
    let mut est = Forecaster::new("hour_ending_local");
    est.target = Some("consumption_kwh".into());
    est.gaps = Some(Gaps::Drop);
    est.units = 16;
    est.recurrent_dropout = 0.1;
    est.network.dropout = 0.1;
    est.network.epochs = 10;
    let data = est.prepare(&t).unwrap();
    let (_, mut trained) = data.train(&data.meta.spec, &data.cfg, &mut ()).unwrap();
    let (r, _) = data.result(&mut trained, None);
    let u = r.uncertainty.expect("MC dropout bands");
    let cov: Vec<f64> = u.coverage.iter().map(|c| c.1).collect();
    assert!(cov.windows(2).all(|w| w[0] <= w[1]), "{cov:?}");
    let at90 = u
        .coverage
        .iter()
        .find(|c| (c.0 - 0.9).abs() < 1e-9)
        .unwrap()
        .1;
    assert!((0.85..=0.97).contains(&at90), "90% intervals cover {at90}");
    assert!(u.sd.iter().all(|s| *s > 0.0));
    est.recurrent_dropout = 0.0;
    est.network.dropout = 0.0;
    let data = est.prepare(&t).unwrap();
    let (_, mut trained) = data.train(&data.meta.spec, &data.cfg, &mut ()).unwrap();
    assert!(data.result(&mut trained, None).0.uncertainty.is_none());
}
