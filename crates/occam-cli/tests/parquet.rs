//! Parquet input on the command line (files written by pyarrow, made by
//! crates/occam-core/tests/fixtures/parquet/gen_parquet.py): a linear path and a saved model's
//! predictions are the same from the Parquet file as from the CSV holding the same table, with
//! a categorical column and missing cells; what cannot be read is a usage error naming the
//! column.

mod common;
use common::{fails_naming, json, ok, tmp};
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../occam-core/tests/fixtures/parquet")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn parquet_fits_and_predicts_as_the_same_table_in_csv() {
    let opts = [
        "--categorical",
        "site",
        "--missing",
        "mean",
        "--family",
        "binomial",
    ];
    let mut paths = Vec::new();
    for (name, file) in [("csv", "table.csv"), ("parquet", "table_snappy.parquet")] {
        let out = tmp(&format!("parquet_path_{name}")).join("path.json");
        let (data, out_s) = (fixture(file), out.to_string_lossy().into_owned());
        let mut args = vec!["linear", "path", &data];
        args.extend(opts);
        args.extend(["--json", &out_s]);
        ok(&args);
        paths.push(json(&out));
    }
    assert!(
        paths[1]["beta"].as_array().unwrap().len() > 10,
        "a path was fitted"
    );
    assert_eq!(paths[0]["beta"], paths[1]["beta"]);
    assert_eq!(paths[0]["feature_names"], paths[1]["feature_names"]);
    assert!(paths[1]["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "site=north"));

    // A model trained on the CSV predicts the Parquet rows as it predicts the CSV's.
    let run = tmp("parquet_cv").join("run");
    let run_s = run.to_string_lossy().into_owned();
    let data = fixture("table.csv");
    let mut args = vec!["linear", "cv", &data, "--folds", "4"];
    args.extend(opts);
    args.extend(["--out", &run_s, "--no-report"]);
    ok(&args);
    let a = ok(&["predict", &run_s, &fixture("table.csv")]);
    let b = ok(&["predict", &run_s, &fixture("table_zstd.parquet")]);
    assert_eq!(a, b);
    assert_eq!(b.lines().count(), 41, "{b}");

    // Described like a CSV.
    let s = ok(&["data", "inspect", &fixture("table_gzip.parquet")]);
    assert!(s.contains("40") && s.contains("site"), "{s}");
}

#[test]
fn what_parquet_occam_cannot_read_is_a_usage_error_naming_the_column() {
    fails_naming(&["linear", "path", &fixture("nested.parquet")], "'tags'");
    fails_naming(&["data", "inspect", &fixture("int96.parquet")], "'when'");
    fails_naming(&["linear", "path", &fixture("nonfinite.parquet")], "line 3");
    // A damaged page that makes the parquet crate panic: a corrupt-file error, exit code 2,
    // and no panic message.
    let bad = tmp("parquet_bad").join("bad.parquet");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../occam/tests/fuzz_regressions/parquet/dictionary-page-missing.bin"),
        &bad,
    )
    .unwrap();
    let e = fails_naming(&["linear", "path", &bad.to_string_lossy()], "bad.parquet");
    assert!(
        e.contains("error[corrupt]") && !e.contains("panicked"),
        "{e}"
    );
}
