//! DATA arguments (a path or `builtin:NAME`) through `occam::data`; an unknown builtin is a
//! usage error of the command line.

use anyhow::Result;
use occam_core::{idx, CsvOptions, Dataset};
use std::path::Path;

pub use occam::data::{is_idx, Format, Source};

/// Reads DATA; an unknown `builtin:NAME` is a usage error listing the builtins.
pub fn resolve(arg: &str) -> Result<Source> {
    occam::data::resolve(arg).map_err(usage)
}

/// A supervised data set from CSV or libsvm.
pub fn dataset(src: &Source, opts: &CsvOptions, vocab: Option<&Path>) -> Result<Dataset> {
    occam::data::dataset(src, opts, vocab).map_err(usage)
}

/// An idx file (images or labels).
pub fn idx_array(src: &Source) -> Result<idx::IdxArray> {
    Ok(occam::data::idx_array(src)?)
}

/// idx images and their labels as a classification data set.
pub fn idx_dataset(images: &str, labels: &str) -> Result<Dataset> {
    occam::data::idx_dataset(images, labels).map_err(usage)
}

pub fn usage(e: occam::Error) -> anyhow::Error {
    match e {
        occam::Error::Param { param, detail } if param == "data" => crate::UserError(detail).into(),
        other => other.into(),
    }
}
