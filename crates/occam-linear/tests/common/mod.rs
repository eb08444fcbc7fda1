//! Shared helpers of the occam-linear tests: fixture and dataset loading, the glmnet
//! comparison, and the KKT assertion used on every path.

#![allow(dead_code)]

use occam_core::{table::RawTable, CsvOptions, Dataset, Task};
use occam_linear::{kkt, Family, PathConfig, PathFit};
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/glmnet")
}

pub fn load_fixture(name: &str) -> Value {
    let path = fixture_dir().join(format!("{name}.json.gz"));
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

/// Loads a CSV from datasets/ (or the fixture folder) with the target last.
pub fn load_csv(file: &str, in_fixture_dir: bool, task: Task) -> Dataset {
    let path = if in_fixture_dir {
        fixture_dir().join(file)
    } else {
        repo_root().join("datasets").join(file)
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let t = RawTable::parse(&bytes, &path).unwrap();
    Dataset::from_table(
        &t,
        &CsvOptions {
            task: Some(task),
            ..Default::default()
        },
    )
    .unwrap()
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Dense p-vector from glmnet's [[indices], [values]].
pub fn dense(sp: &Value, p: usize) -> Vec<f64> {
    let mut out = vec![0.0; p];
    let idx = sp[0].as_array().unwrap();
    let val = sp[1].as_array().unwrap();
    for (i, v) in idx.iter().zip(val) {
        out[i.as_u64().unwrap() as usize] = v.as_f64().unwrap();
    }
    out
}

/// The fixture's coefficients as beta[class][lambda][feature].
pub fn fixture_beta(fx: &Value) -> Vec<Vec<Vec<f64>>> {
    let p = fx["p"].as_u64().unwrap() as usize;
    if fx["family"] == "multinomial" {
        fx["beta_sparse"]
            .as_array()
            .unwrap()
            .iter()
            .map(|cls| {
                cls.as_array()
                    .unwrap()
                    .iter()
                    .map(|sp| dense(sp, p))
                    .collect()
            })
            .collect()
    } else {
        vec![fx["beta_sparse"]
            .as_array()
            .unwrap()
            .iter()
            .map(|sp| dense(sp, p))
            .collect()]
    }
}

/// The fixture's intercepts as a0[lambda][class].
pub fn fixture_a0(fx: &Value) -> Vec<Vec<f64>> {
    fx["a0"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            if v.is_array() {
                f64s(v)
            } else {
                vec![v.as_f64().unwrap()]
            }
        })
        .collect()
}

pub fn config_of(fx: &Value) -> PathConfig {
    let family = Family::parse(fx["family"].as_str().unwrap()).unwrap();
    let mut cfg = PathConfig::new(family);
    cfg.alpha = fx["alpha"].as_f64().unwrap();
    cfg.standardize = fx["standardize"].as_bool().unwrap();
    cfg.intercept = fx["intercept"].as_bool().unwrap();
    cfg.grouped = fx["type_multinomial"] == "grouped";
    if fx["penalty_factor"].is_array() {
        cfg.penalty_factor = Some(f64s(&fx["penalty_factor"]));
    }
    if fx["weights"].is_array() {
        cfg.weights = Some(f64s(&fx["weights"]));
    }
    cfg
}

pub fn task_of(family: Family) -> Task {
    match family {
        Family::Gaussian => Task::Regression,
        Family::Binomial => Task::Binary,
        Family::Multinomial => Task::Multiclass,
        Family::Poisson => Task::Counts,
    }
}

pub fn dataset_of(fx: &Value) -> Dataset {
    let family = Family::parse(fx["family"].as_str().unwrap()).unwrap();
    load_csv(
        fx["data"].as_str().unwrap(),
        fx["data_dir"] == "fixture",
        task_of(family),
    )
}

/// max |a - b| / max |b| over all entries.
pub fn rel_diff(a: &[Vec<Vec<f64>>], b: &[Vec<Vec<f64>>]) -> f64 {
    let mut num = 0.0f64;
    let mut den = 0.0f64;
    for (ak, bk) in a.iter().zip(b) {
        assert_eq!(ak.len(), bk.len(), "number of lambdas");
        for (al, bl) in ak.iter().zip(bk) {
            for (x, y) in al.iter().zip(bl) {
                num = num.max((x - y).abs());
                den = den.max(y.abs());
            }
        }
    }
    num / den.max(f64::MIN_POSITIVE)
}

/// Asserts the KKT conditions hold at every lambda of `fit` to `tol` (relative to lambda).
pub fn assert_kkt(d: &Dataset, cfg: &PathConfig, fit: &PathFit, tol: f64) {
    let r = kkt::check(&d.x, &d.y, cfg, fit);
    assert!(
        r.worst <= tol,
        "KKT violated by {:.3e} (x lambda) at lambda #{} feature {:?}",
        r.worst,
        r.lambda_index + 1,
        r.feature
    );
}
