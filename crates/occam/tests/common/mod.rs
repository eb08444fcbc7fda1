//! What the estimator test binaries share: the repository's data sets, read as a user
//! reads them.

use occam::{CsvOptions, Dataset};
use std::path::Path;

/// `datasets/NAME` read with the default CSV options (the last column the target, unless
/// `target` names another).
pub fn dataset(name: &str, target: Option<&str>) -> Dataset {
    occam::estimator::read_csv(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../datasets")
            .join(name),
        &CsvOptions {
            target: target.map(str::to_string),
            ..CsvOptions::default()
        },
    )
    .unwrap()
}
