//! `occam train --model lstm|gru` on the real series of datasets/: the hourly electricity
//! next-hour forecast and the weekly CO2 4-week-ahead forecast beat the seasonal-naive
//! baseline on the last 20% of the series; missing weeks are an error until a policy is
//! chosen, and each policy is reported.

mod common;
use common::{datasets, json, occam, tmp};

fn rmse(s: &serde_json::Value, part: &str, who: &str) -> f64 {
    s["scores"][part][who]["rmse"].as_f64().unwrap()
}

#[test]
fn electricity_lstm_next_hour_beats_seasonal_naive_on_the_last_fifth() {
    let d = tmp("fc-elec");
    let out = d.join("run");
    let data = datasets("electricity_usage_hourly.csv");
    let (so, se, code) = occam(&[
        "train",
        &data,
        "--model",
        "lstm",
        "--time-column",
        "hour_ending_local",
        "--target",
        "consumption_kwh",
        "--features",
        "off_peak,mid_peak,on_peak",
        "--missing",
        "drop",
        "--epochs",
        "30",
        "--patience",
        "8",
        "--recurrent-dropout",
        "0.1",
        "--recurrent-l2",
        "1e-4",
        "--threads",
        "2",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let s = json(&out.join("summary.json"));
    // The daylight-saving hour is a missing time stamp, made explicit and left out.
    assert_eq!(s["series"]["missing_time_stamps"], 1);
    // 2713 hourly steps (with the inserted one): the test part is the last 543 (20%).
    assert_eq!(s["series"]["steps"], 2713);
    assert_eq!(s["series"]["test_starts"], "2012-02-23T11:00:00");
    assert!(s["windows"]["left_out_missing_input"].as_u64().unwrap() > 0);
    let (m, sn) = (
        rmse(&s, "test", "model"),
        rmse(&s, "test", "seasonal_naive"),
    );
    assert!(m < 0.9 * sn, "lstm test RMSE {m} vs seasonal naive {sn}");
    assert_eq!(s["beats_seasonal_naive"], true);
    // Every scored test window targets the last 20% of the series, in time order.
    let csv = std::fs::read_to_string(out.join("forecasts.csv")).unwrap();
    let test: Vec<&str> = csv.lines().filter(|l| l.contains(",test,")).collect();
    assert_eq!(
        test.len() as u64,
        s["scores"]["test"]["model"]["n"].as_u64().unwrap()
    );
    assert!(test.iter().all(|l| l[..19] >= *"2012-02-23T11:00:00"));
    assert!(test.windows(2).all(|w| w[0][..19] < w[1][..19]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in ["data", "baseline", "forecast", "curves", "config"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    // `occam predict` forecasts past the end of the series it is given: cut the file at the
    // last scored test window's origin, and the forecast is that window's from forecasts.csv.
    let last: Vec<&str> = test.last().unwrap().split(',').collect();
    let (origin, want) = (last[2], last[4].parse::<f64>().unwrap());
    let text = std::fs::read_to_string(&data).unwrap();
    let mut cut = String::new();
    for l in text.lines() {
        cut.push_str(l);
        cut.push('\n');
        if l.split(',').nth(1) == Some(origin) {
            break;
        }
    }
    let part = d.join("cut.csv");
    std::fs::write(&part, cut).unwrap();
    let (so, se, code) = occam(&["predict", out.to_str().unwrap(), part.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let rows: Vec<&str> = so.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{so}");
    let f: Vec<&str> = rows[0].split(',').collect();
    assert_eq!(f[0], last[0], "the forecast is for the hour after the cut");
    let got = f[2].parse::<f64>().unwrap();
    assert!(
        (got - want).abs() <= 1e-5 * want.abs().max(1.0),
        "{got} vs {want}"
    );
}

#[test]
fn co2_weekly_four_weeks_ahead_beats_seasonal_naive_with_missing_weeks_explicit() {
    let d = tmp("fc-co2");
    let data = datasets("co2_mauna_loa_weekly.csv");
    let base = [
        "train",
        &data,
        "--model",
        "gru",
        "--time-column",
        "date",
        "--target",
        "co2_ppm",
        "--horizon",
        "4",
        "--epochs",
        "25",
        "--patience",
        "6",
        "--threads",
        "2",
        "--no-report",
    ];
    // Without a policy the 59 empty weeks are an error that names them and the choices.
    let bad = d.join("bad");
    let mut args = base.to_vec();
    args.extend(["--out", bad.to_str().unwrap()]);
    let (_, se, code) = occam(&args);
    assert_eq!(code, Some(2), "{se}");
    assert!(
        se.contains("59 missing values") && se.contains("--missing drop"),
        "{se}"
    );
    assert!(!bad.join("summary.json").exists());
    let mut seen = Vec::new();
    for policy in ["drop", "interpolate"] {
        let out = d.join(policy);
        let mut args = base.to_vec();
        args.extend(["--missing", policy, "--out", out.to_str().unwrap()]);
        let (so, se, code) = occam(&args);
        assert_eq!(code, Some(0), "{so}\n{se}");
        let s = json(&out.join("summary.json"));
        assert_eq!(s["series"]["missing"], 59);
        assert_eq!(s["series"]["gaps"], policy);
        let (m, sn) = (
            rmse(&s, "test", "model"),
            rmse(&s, "test", "seasonal_naive"),
        );
        assert!(
            m < 0.7 * sn,
            "{policy}: gru test RMSE {m} vs seasonal naive {sn}"
        );
        // No forecast is scored against a missing week: every actual is a number.
        let csv = std::fs::read_to_string(out.join("forecasts.csv")).unwrap();
        for l in csv.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            assert!(
                f[3].parse::<f64>().is_ok() && f[5].parse::<f64>().is_ok(),
                "{l}"
            );
        }
        seen.push((
            s["windows"]["left_out_missing_input"].as_u64().unwrap(),
            s["windows"]["features_per_step"].as_u64().unwrap(),
        ));
    }
    // drop leaves windows out; interpolate keeps them and adds the observed flag.
    assert!(seen[0].0 > 0 && seen[0].1 == 1, "{seen:?}");
    assert_eq!(seen[1], (0, 2));
    // The 4 weeks after the end of the series, from the interpolating run.
    let run = d.join("interpolate");
    let (so, se, code) = occam(&["predict", run.to_str().unwrap(), &data]);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let rows: Vec<Vec<String>> = so
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let times: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        times,
        [
            "2002-01-05T00:00:00",
            "2002-01-12T00:00:00",
            "2002-01-19T00:00:00",
            "2002-01-26T00:00:00"
        ]
    );
    for r in &rows {
        let v: f64 = r[2].parse().unwrap();
        assert!(
            (368.0..376.0).contains(&v),
            "{r:?}: the series ends at 371.5 ppm"
        );
    }
}

#[test]
fn same_seed_same_threads_give_the_same_forecasts() {
    let d = tmp("fc-repro");
    let data = datasets("electricity_usage_hourly.csv");
    let mut csvs = Vec::new();
    for k in 0..2 {
        let out = d.join(format!("r{k}"));
        let (so, se, code) = occam(&[
            "train",
            &data,
            "--model",
            "gru",
            "--time-column",
            "hour_ending_local",
            "--target",
            "consumption_kwh",
            "--missing",
            "interpolate",
            "--epochs",
            "3",
            "--recurrent-dropout",
            "0.2",
            "--dropout",
            "0.1",
            "--threads",
            "2",
            "--seed",
            "9",
            "--no-report",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{so}\n{se}");
        csvs.push(std::fs::read(out.join("forecasts.csv")).unwrap());
        csvs.push(std::fs::read(out.join("model.safetensors")).unwrap());
    }
    assert!(csvs[0] == csvs[2] && csvs[1] == csvs[3]);
}
