//! `occam train --federated K`: FedAvg and FedProx over clients with IID or Dirichlet
//! label-skewed splits, one metrics row per round, the settings and client sizes in
//! summary.json, client-level DP (DP-FedAvg) with its privacy record, clients as OS processes
//! over loopback equal to clients in one process bit for bit, and bad settings as usage
//! errors naming the flag with nothing written.

mod common;
use common::{fails_naming, json, ok, tmp};

#[test]
fn federated_training_on_digits_writes_rounds_and_clients() {
    let dir = tmp("federated");
    let run = dir.join("fedprox");
    let o = ok(&[
        "train",
        "builtin:digits",
        "--target",
        "digit",
        "--hidden",
        "32",
        "--lr",
        "0.01",
        "--federated",
        "5",
        "--fed-rounds",
        "4",
        "--fed-local-epochs",
        "2",
        "--fed-mu",
        "0.01",
        "--fed-split",
        "dirichlet:0.5",
        "--fed-stragglers",
        "0.5",
        "--test-fraction",
        "0.2",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(
        o.contains("federated (FedProx mu 0.01): 5 clients (dirichlet 0.5 split"),
        "{o}"
    );
    let s = json(&run.join("summary.json"));
    let f = &s["federated"];
    assert_eq!(f["settings"]["clients"], 5);
    assert_eq!(f["settings"]["rounds"], 4);
    let rows: Vec<u64> = f["client_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    let train = s["epochs_run"].as_u64().unwrap();
    assert_eq!(train, 4, "one epoch row per round");
    // 1,797 digits less 20% for test, less 20% of those for validation: 1,079 training rows
    assert_eq!(rows.iter().sum::<u64>(), 1079);
    assert!(
        rows.iter().min() != rows.iter().max(),
        "a label-skewed split: {rows:?}"
    );
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 5, "a header and a row per round");
    let acc = s["test_metrics"]["accuracy"].as_f64().unwrap();
    assert!(acc > 0.8, "federated digits accuracy {acc}");

    let bad = dir.join("bad");
    let bad_s = bad.to_str().unwrap();
    for (extra, name) in [
        (&["--fed-rounds", "3"][..], "--fed-rounds"),
        (&["--federated", "1"][..], "2 clients"),
        (
            &["--federated", "3", "--fed-split", "skewed"][..],
            "--fed-split",
        ),
        (&["--federated", "3", "--fed-mu", "-1"][..], "--fed-mu"),
        (
            &["--federated", "3", "--fed-stragglers", "1"][..],
            "--fed-stragglers",
        ),
        (&["--fed-drop-stragglers"][..], "--fed-drop-stragglers"),
        (
            &["--federated", "3", "--patience", "3"][..],
            "early stopping",
        ),
        (
            &["--federated", "3", "--fed-sample-rate", "0"][..],
            "--fed-sample-rate",
        ),
        (&["--fed-sample-rate", "0.5"][..], "--fed-sample-rate"),
        (&["--fed-processes"][..], "--fed-processes"),
    ] {
        let mut a = vec![
            "train",
            "builtin:digits",
            "--target",
            "digit",
            "--out",
            bad_s,
        ];
        a.extend(extra);
        fails_naming(&a, name);
        assert!(!bad.exists(), "{extra:?} wrote a run");
    }
}

#[test]
fn client_level_dp_records_the_guarantee_per_client() {
    let dir = tmp("federated-dp");
    let run = dir.join("dpfedavg");
    let o = ok(&[
        "train",
        "builtin:digits",
        "--target",
        "digit",
        "--hidden",
        "16",
        "--lr",
        "0.01",
        "--federated",
        "6",
        "--fed-rounds",
        "5",
        "--fed-sample-rate",
        "0.5",
        "--dp-epsilon",
        "8",
        "--dp-max-grad-norm",
        "2",
        "--dp-accountant",
        "pld",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(
        o.contains("privacy (client-level DP-FedAvg, pld accountant)"),
        "{o}"
    );
    let s = json(&run.join("summary.json"));
    let p = &s["privacy"];
    assert_eq!(p["unit"], "client", "{p}");
    assert_eq!(
        (p["rows"].as_u64(), p["steps"].as_u64()),
        (Some(6), Some(5))
    );
    assert_eq!(p["sample_rate"].as_f64(), Some(0.5));
    let eps = p["epsilon"].as_f64().unwrap();
    assert!(eps <= 8.0 && eps > 7.9, "{p}");
    assert_eq!(
        s["federated"]["settings"]["sample_rate"].as_f64(),
        Some(0.5)
    );
    let sigma = p["noise_multiplier"].as_f64().unwrap();
    let last = common::privacy_epsilon(sigma, "0.5", "5", "1e-5", "pld");
    assert!((last - eps).abs() <= 1e-9 * eps);
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("Client-level DP-FedAvg"));
}

#[test]
fn clients_as_processes_equal_clients_in_one_process_bit_for_bit() {
    let dir = tmp("federated-processes");
    let args = |out: &std::path::Path, processes: bool| {
        let mut a: Vec<String> = [
            "train",
            "builtin:digits",
            "--target",
            "digit",
            "--hidden",
            "16",
            "--lr",
            "0.01",
            "--federated",
            "4",
            "--fed-rounds",
            "3",
            "--fed-local-epochs",
            "2",
            "--fed-split",
            "dirichlet:0.5",
            "--fed-mu",
            "0.01",
            "--fed-stragglers",
            "0.5",
            "--fed-sample-rate",
            "0.75",
            "--dp-noise-multiplier",
            "0.5",
            "--dp-max-grad-norm",
            "5",
            "--no-report",
            "--out",
        ]
        .map(String::from)
        .to_vec();
        a.push(out.to_str().unwrap().into());
        if processes {
            a.push("--fed-processes".into());
        }
        a
    };
    let (one, procs) = (dir.join("one"), dir.join("procs"));
    let a1 = args(&one, false);
    ok(&a1.iter().map(String::as_str).collect::<Vec<_>>());
    let a2 = args(&procs, true);
    let o = ok(&a2.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.contains("each client an OS process"), "{o}");
    let (m1, m2) = (
        std::fs::read(one.join("model.safetensors")).unwrap(),
        std::fs::read(procs.join("model.safetensors")).unwrap(),
    );
    assert!(m1 == m2, "the same weights, bit for bit");
    let (s1, s2) = (
        json(&one.join("summary.json")),
        json(&procs.join("summary.json")),
    );
    assert_eq!(s1["val_metrics"], s2["val_metrics"]);
    assert_eq!(s1["privacy"], s2["privacy"]);
    assert_eq!(s2["federated"]["settings"]["processes"], true);
}
