//! Parquet files written by pyarrow (fixtures/parquet, made by gen_parquet.py beside them)
//! read into the same table as the CSV holding the same rows, with every codec pyarrow
//! writes; and the files occam cannot read refused, naming the column.

use occam_core::parquet::{is_parquet, parse_parquet, read_parquet};
use occam_core::table::{Cell, Column, RawTable};
use occam_core::{CsvOptions, Dataset, MissingPolicy};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(name)
}

fn csv_table() -> RawTable {
    let p = fixture("table.csv");
    RawTable::parse(&std::fs::read(&p).unwrap(), &p).unwrap()
}

#[test]
fn every_codec_reads_the_table_the_csv_holds() {
    let csv = csv_table();
    for codec in ["snappy", "zstd", "gzip", "none"] {
        let p = fixture(&format!("table_{codec}.parquet"));
        let t = read_parquet(&p).unwrap();
        assert_eq!(t.headers, csv.headers, "{codec}");
        assert_eq!(
            t.nrows(),
            40,
            "{codec}: three row groups of 16, 16 and 8 rows"
        );
        for (j, (a, b)) in t.columns.iter().zip(&csv.columns).enumerate() {
            assert_eq!(a, b, "{codec}: column {}", t.headers[j]);
        }
        // The same from bytes in memory.
        let bytes = std::fs::read(&p).unwrap();
        assert!(is_parquet(&bytes));
        let m = parse_parquet(bytes, &p).unwrap();
        assert_eq!(m.columns, t.columns, "{codec}: from bytes");
    }
    let t = read_parquet(&fixture("table_snappy.parquet")).unwrap();
    let col = |name: &str| &t.columns[t.headers.iter().position(|h| h == name).unwrap()];
    // Dictionary-encoded strings stay text (one null: missing); booleans are 0/1; nulls in
    // a float and an int32 column are missing cells of columns of numbers.
    assert!(matches!(col("site"), Column::Text(_)));
    assert_eq!(col("site").text(1), "south");
    assert_eq!(col("site").cell(5), Cell::Missing);
    assert_eq!(col("smoker").cell(1), Cell::Number(1.0));
    assert_eq!(col("glucose").cell(9), Cell::Missing);
    assert_eq!(col("visits").cell(3), Cell::Missing);
    assert_eq!(col("visits").cell(4), Cell::Number(3.0));
    assert_eq!(col("pedigree").cell(0), Cell::Number(0.627));
}

#[test]
fn a_data_set_from_parquet_equals_the_one_from_csv() {
    let opts = CsvOptions {
        categorical: vec!["site".into()],
        missing: MissingPolicy::Mean,
        ..Default::default()
    };
    let a = Dataset::from_table(
        &read_parquet(&fixture("table_zstd.parquet")).unwrap(),
        &opts,
    )
    .unwrap();
    let b = Dataset::from_table(&csv_table(), &opts).unwrap();
    assert_eq!(a.x, b.x);
    assert_eq!(a.y, b.y);
    assert_eq!(a.feature_names, b.feature_names);
    assert!(a.feature_names.contains(&"site=east".to_string()));
    assert_eq!(a.task, b.task);
    // Without an imputation policy the missing glucose is named with its row (line 11: the
    // tenth row, numbered as if a header took line 1).
    let e = Dataset::from_table(
        &read_parquet(&fixture("table_none.parquet")).unwrap(),
        &CsvOptions {
            categorical: vec!["site".into()],
            drop: vec!["visits".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("line 11"), "{e}");
    assert!(e.to_string().contains("glucose"), "{e}");
}

#[test]
fn what_occam_cannot_read_is_refused_naming_the_column() {
    let e = read_parquet(&fixture("nested.parquet")).unwrap_err();
    assert!(
        e.to_string().contains("'tags'") && e.to_string().contains("nested"),
        "{e}"
    );
    let e = read_parquet(&fixture("int96.parquet")).unwrap_err();
    assert!(
        e.to_string().contains("'when'") && e.to_string().contains("INT96"),
        "{e}"
    );
    // NaN and infinity are kept as text and refused where used, as in a CSV.
    let t = read_parquet(&fixture("nonfinite.parquet")).unwrap();
    assert_eq!(t.columns[0].cell(1), Cell::NonFinite);
    assert_eq!(t.columns[1].cell(2), Cell::NonFinite);
    let e = Dataset::from_table(&t, &CsvOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("'x'"),
        "{e}"
    );
    // Not Parquet at all, a truncated file, a missing file.
    let p = fixture("table.csv");
    let e = read_parquet(&p).unwrap_err();
    assert_eq!(e.kind(), "corrupt", "{e}");
    let bytes = std::fs::read(fixture("table_snappy.parquet")).unwrap();
    let e =
        parse_parquet(bytes[..bytes.len() / 2].to_vec(), Path::new("half.parquet")).unwrap_err();
    assert_eq!(e.kind(), "corrupt", "{e}");
    assert!(e.to_string().contains("half.parquet"), "{e}");
    assert_eq!(
        read_parquet(&fixture("none.parquet")).unwrap_err().kind(),
        "io"
    );
}
