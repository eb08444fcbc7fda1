//! `occam train --adversarial fgsm|pgd` and `--robust-eval`: on Pima, PGD training leaves
//! more held-out rows robust than plain training at the trained radius, the check is written
//! to summary.json and drawn in the report, and bad settings are usage errors naming the
//! flag with nothing written.

mod common;
use common::{fails_naming, json, ok, tmp};

fn robust_at(s: &serde_json::Value, eps: f64) -> (f64, f64) {
    let p = s["robustness"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["epsilon"].as_f64() == Some(eps))
        .unwrap();
    (
        p["clean_accuracy"].as_f64().unwrap(),
        p["robust_accuracy"].as_f64().unwrap(),
    )
}

#[test]
fn pgd_training_on_pima_is_more_robust_and_the_check_is_reported() {
    let dir = tmp("adversarial");
    let base = [
        "train",
        "builtin:pima",
        "--target",
        "diabetes",
        "--hidden",
        "16",
        "--epochs",
        "40",
        "--lr",
        "0.01",
        "--test-fraction",
        "0.25",
        "--robust-eval",
        "0.1,0.3",
        "--robust-restarts",
        "2",
    ];
    let (plain, adv) = (dir.join("plain"), dir.join("adv"));
    let mut a = base.to_vec();
    a.extend(["--out", plain.to_str().unwrap()]);
    ok(&a);
    let mut a = base.to_vec();
    a.extend([
        "--adversarial",
        "pgd",
        "--adv-epsilon",
        "0.3",
        "--adv-steps",
        "5",
        "--out",
        adv.to_str().unwrap(),
    ]);
    let out = ok(&a);
    assert!(
        out.contains("robustness (pgd-20 linf, 2 restart(s), 192 test rows"),
        "{out}"
    );
    let (sp, sa) = (
        json(&plain.join("summary.json")),
        json(&adv.join("summary.json")),
    );
    let r = &sa["robustness"];
    assert_eq!(r["split"], "test");
    assert_eq!(r["rows"], 192);
    assert_eq!(r["trained_with"], "pgd-5 linf eps 0.3, weight 1");
    assert!(sp["robustness"].get("trained_with").is_none());
    let (pc, pr) = robust_at(&sp, 0.3);
    let (ac, ar) = robust_at(&sa, 0.3);
    assert!(pr <= pc && ar <= ac);
    assert!(
        ar > pr + 0.03,
        "robust accuracy at 0.3: adversarial {ar} vs plain {pr}"
    );
    assert!(
        ac > pc - 0.05,
        "clean accuracy: adversarial {ac} vs plain {pc}"
    );
    let (_, pr_small) = robust_at(&sp, 0.1);
    assert!(
        pr_small >= pr,
        "a smaller radius leaves at least as many rows"
    );
    let html = std::fs::read_to_string(adv.join("report.html")).unwrap();
    assert!(html.contains("Accuracy under attack") && html.contains("trained adversarially"));
    // FGSM with an even mix of clean rows trains too
    let fgsm = dir.join("fgsm");
    let mut a = base[..10].to_vec();
    a.extend([
        "--adversarial",
        "fgsm",
        "--adv-epsilon",
        "0.2",
        "--adv-norm",
        "l2",
        "--out",
        fgsm.to_str().unwrap(),
    ]);
    ok(&a);
    let cfg = json(&fgsm.join("model.json"));
    assert_eq!(cfg["training"]["adversarial"]["weight"], 0.5);
    assert_eq!(cfg["training"]["adversarial"]["attack"]["norm"], "l2");
    // TRADES: the clean loss plus beta times the KL to the adversarial rows' prediction
    let trades = dir.join("trades");
    let mut a = base.to_vec();
    a.extend([
        "--adversarial",
        "trades",
        "--adv-epsilon",
        "0.3",
        "--adv-steps",
        "5",
        "--adv-beta",
        "3",
        "--out",
        trades.to_str().unwrap(),
    ]);
    ok(&a);
    let st = json(&trades.join("summary.json"));
    assert_eq!(
        st["robustness"]["trained_with"],
        "trades pgd-5 linf eps 0.3, beta 3"
    );
    let (tc, tr) = robust_at(&st, 0.3);
    assert!(
        tr > pr && tc > pc - 0.05,
        "TRADES clean {tc} robust {tr}; plain {pc} {pr}"
    );

    let bad = dir.join("bad");
    let bad_s = bad.to_str().unwrap();
    for (extra, name) in [
        (&["--adversarial", "pgd"][..], "--adversarial"),
        (
            &["--adversarial", "cw", "--adv-epsilon", "1"][..],
            "--adversarial",
        ),
        (&["--adv-epsilon", "0.1"][..], "--adv-epsilon"),
        (
            &["--adversarial", "pgd", "--adv-epsilon", "-1"][..],
            "--adv-epsilon",
        ),
        (
            &[
                "--adversarial",
                "fgsm",
                "--adv-epsilon",
                "1",
                "--adv-steps",
                "3",
            ][..],
            "--adv-steps",
        ),
        (
            &[
                "--adversarial",
                "pgd",
                "--adv-epsilon",
                "1",
                "--adv-weight",
                "2",
            ][..],
            "--adv-weight",
        ),
        (
            &[
                "--adversarial",
                "pgd",
                "--adv-epsilon",
                "1",
                "--adv-norm",
                "l1",
            ][..],
            "--adv-norm",
        ),
        (
            &["--robust-eval", "0.1", "--val-fraction", "0"][..],
            "--robust-eval",
        ),
        (&["--robust-eval", "0"][..], "--robust-eval"),
        (&["--robust-steps", "5"][..], "--robust-steps"),
        (
            &[
                "--adversarial",
                "pgd",
                "--adv-epsilon",
                "1",
                "--adv-beta",
                "6",
            ][..],
            "--adv-beta",
        ),
        (
            &[
                "--adversarial",
                "trades",
                "--adv-epsilon",
                "1",
                "--adv-weight",
                "0.5",
            ][..],
            "--adv-weight",
        ),
        (
            &[
                "--adversarial",
                "trades",
                "--adv-epsilon",
                "1",
                "--adv-beta",
                "0",
            ][..],
            "--adv-beta",
        ),
    ] {
        let mut a = base[..10].to_vec();
        a.extend(["--out", bad_s]);
        a.extend(extra);
        fails_naming(&a, name);
        assert!(!bad.exists(), "{extra:?} wrote a run");
    }
    fails_naming(
        &[
            "train",
            "builtin:diabetes",
            "--robust-eval",
            "0.1",
            "--epochs",
            "1",
            "--out",
            bad_s,
        ],
        "--robust-eval",
    );
}
