//! Data sets: resolving a DATA argument (a path, or `builtin:NAME` for the small real data
//! sets embedded in the library, with their provenance in datasets/PROVENANCE.md) and reading
//! it in its format (CSV, libsvm, idx images and labels) into a [`Dataset`].

use crate::error::{Error, Result};
use occam_core::{idx, input, libsvm, parquet, table::RawTable, CsvOptions, DataError, Dataset};
use std::path::{Path, PathBuf};

/// File formats occam reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma (or semicolon, tab) separated values with a header.
    Csv,
    /// libsvm / svmlight sparse rows, optionally gzipped.
    Libsvm,
    /// idx arrays (MNIST's format): images or labels.
    Idx,
    /// Parquet (flat tables of numbers, booleans and strings), read as a CSV table is.
    Parquet,
}

impl Format {
    /// CSV and Parquet: read into a table of named columns.
    pub fn is_table(self) -> bool {
        matches!(self, Format::Csv | Format::Parquet)
    }
}

/// A data argument resolved to its bytes (decompressed) and format.
pub struct Source {
    /// The path, or `builtin:NAME`.
    pub path: PathBuf,
    /// The bytes, decompressed. Empty for a plain (not gzip) CSV file on disk, which
    /// [`Source::table`] reads as a stream instead (see `streamed`).
    pub bytes: Vec<u8>,
    /// True when `bytes` were left unread: a plain CSV file on disk.
    pub streamed: bool,
    /// The format, from the name.
    pub format: Format,
    /// Feature names that come with a builtin (the movie-review vocabulary).
    pub vocab: Option<Vec<String>>,
}

fn format_of(name: &str) -> Format {
    let n = name
        .strip_suffix(".gz")
        .unwrap_or(name)
        .to_ascii_lowercase();
    if n.ends_with(".svm") || n.ends_with(".libsvm") || n.ends_with(".svmlight") {
        Format::Libsvm
    } else if n.ends_with("ubyte") || n.ends_with(".idx") || n.contains("-idx") {
        Format::Idx
    } else if n.ends_with(".parquet") || n.ends_with(".pq") {
        Format::Parquet
    } else {
        Format::Csv
    }
}

/// Reads DATA: `builtin:NAME` from the embedded data sets, anything else from disk.
pub fn resolve(arg: &str) -> Result<Source> {
    if let Some(name) = arg.strip_prefix("builtin:") {
        let b = find(name).ok_or_else(|| {
            Error::param_err(
                "data",
                format!(
                    "no builtin data set '{name}'; the builtins are: {}",
                    names()
                ),
            )
        })?;
        let path = PathBuf::from(format!("builtin:{}", b.name));
        let bytes = input::decompress(b.bytes.to_vec(), &path)?;
        let vocab = (b.name == "movie-reviews").then(|| {
            String::from_utf8_lossy(MOVIE_VOCAB)
                .split('\n')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        });
        return Ok(Source {
            path,
            bytes,
            streamed: false,
            format: format_of(b.file),
            vocab,
        });
    }
    let path = PathBuf::from(arg);
    let io = |source| DataError::Io {
        path: path.clone(),
        source,
    };
    let mut file = std::fs::File::open(&path).map_err(io)?;
    let format = format_of(arg);
    if format == Format::Parquet
        || (format == Format::Csv && !starts_gzip(&mut file).map_err(io)?)
    {
        return Ok(Source {
            format,
            path,
            bytes: Vec::new(),
            streamed: true,
            vocab: None,
        });
    }
    let bytes = input::read_all(file, &path)?;
    Ok(Source {
        format,
        path,
        bytes,
        streamed: false,
        vocab: None,
    })
}

/// True when `file` starts with the gzip magic number; leaves it at its start.
pub(crate) fn starts_gzip(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek};
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match file.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    file.rewind()?;
    Ok(input::is_gzip(&head[..got]))
}

impl Source {
    /// The table of a CSV or Parquet source: read from the file (a CSV as a stream), or
    /// parsed from the bytes. Other formats are an error naming `data`.
    pub fn table(&self) -> Result<RawTable> {
        Ok(match (self.format, self.streamed) {
            (Format::Parquet, true) => parquet::read_parquet(&self.path)?,
            (Format::Parquet, false) => parquet::parse_parquet(self.bytes.clone(), &self.path)?,
            (Format::Csv, true) => RawTable::read(&self.path)?,
            (Format::Csv, false) => RawTable::parse(&self.bytes, &self.path)?,
            _ => {
                return Err(Error::param_err(
                    "data",
                    format!("{}: not a table (CSV or Parquet)", self.path.display()),
                ))
            }
        })
    }

    /// The size of the input in bytes (of the file, for a streamed one).
    pub fn len(&self) -> u64 {
        if self.streamed {
            std::fs::metadata(&self.path).map_or(0, |m| m.len())
        } else {
            self.bytes.len() as u64
        }
    }

    /// True when the input holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Loads a supervised data set from CSV or libsvm (idx is read by its own commands).
pub fn dataset(src: &Source, opts: &CsvOptions, vocab: Option<&Path>) -> Result<Dataset> {
    let mut d = match src.format {
        Format::Csv | Format::Parquet => {
            let t = src.table()?;
            Dataset::from_table(&t, opts)?
        }
        Format::Libsvm => {
            if opts.target.is_some() || !opts.categorical.is_empty() {
                return Err(Error::param_err(
                    "target",
                    format!(
                        "{}: libsvm files carry their target as the first token; a target \
                         column and categorical columns apply to CSV only",
                        src.path.display()
                    ),
                ));
            }
            libsvm::read_libsvm(&src.bytes, &src.path, opts.task)?
        }
        Format::Idx => {
            return Err(Error::param_err(
                "data",
                format!(
                    "{}: idx files hold images or labels, not a table (read them with \
                     idx_dataset, images and labels together)",
                    src.path.display()
                ),
            ))
        }
    };
    let names = match vocab {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|source| DataError::Io {
                path: p.to_path_buf(),
                source,
            })?;
            Some(
                String::from_utf8_lossy(&bytes)
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        }
        None => src.vocab.clone(),
    };
    if let Some(names) = names {
        if names.len() < d.nfeatures() {
            return Err(Error::Data(DataError::Mismatch {
                detail: format!(
                    "the vocabulary has {} names but {} has {} features",
                    names.len(),
                    src.path.display(),
                    d.nfeatures()
                ),
            }));
        }
        d.feature_names = names[..d.nfeatures()].to_vec();
    }
    Ok(d)
}

/// Reads DATA (a path or `builtin:NAME`; CSV or libsvm) into a data set read with `opts`.
///
/// ```
/// use occam::{data, CsvOptions, Task};
/// let d = data::load("builtin:diabetes", &CsvOptions::default()).unwrap();
/// assert_eq!((d.nrows(), d.nfeatures(), d.task), (442, 10, Task::Regression));
/// let e = data::load("builtin:iris", &CsvOptions::default()).unwrap_err();
/// assert_eq!(e.param(), Some("data"));
/// ```
pub fn load(arg: &str, opts: &CsvOptions) -> Result<Dataset> {
    dataset(&resolve(arg)?, opts, None)
}

/// Loads an idx file (images or labels).
pub fn idx_array(src: &Source) -> Result<idx::IdxArray> {
    Ok(idx::read_idx(&src.bytes, &src.path)?)
}

/// Whether DATA names an idx file (by its name).
pub fn is_idx(arg: &str) -> bool {
    !arg.starts_with("builtin:") && format_of(arg) == Format::Idx
}

/// Images (idx, `[n, h, w]` or `[n, c, h, w]`) and their labels (idx, `[n]`) as a classification
/// data set: pixels scaled to [0, 1], one feature per pixel (`px0`, ...), classes the label
/// values in order.
pub fn idx_dataset(images: &str, labels: &str) -> Result<Dataset> {
    let src = resolve(images)?;
    let img = idx::read_idx(&src.bytes, &src.path)?;
    let lsrc = resolve(labels)?;
    let lab = idx::read_idx(&lsrc.bytes, &lsrc.path)?;
    let n = *img.dims.first().unwrap_or(&0);
    if img.dims.len() < 2 || lab.dims.len() != 1 || lab.dims[0] != n {
        return Err(Error::Data(DataError::Mismatch {
            detail: format!(
                "{} has shape {:?} and {} has shape {:?}: need [n, ...] images and [n] labels",
                src.path.display(),
                img.dims,
                lsrc.path.display(),
                lab.dims
            ),
        }));
    }
    let p: usize = img.dims[1..].iter().product();
    let scale = if img.data.iter().any(|v| *v > 1.0) {
        1.0 / 255.0
    } else {
        1.0
    };
    let mut cols = vec![Vec::with_capacity(n); p];
    for i in 0..n {
        for (j, col) in cols.iter_mut().enumerate() {
            col.push(img.data[i * p + j] as f64 * scale);
        }
    }
    let mut classes: Vec<i64> = lab.data.iter().map(|v| *v as i64).collect();
    classes.sort_unstable();
    classes.dedup();
    let y = lab
        .data
        .iter()
        .map(|v| classes.binary_search(&(*v as i64)).unwrap_or(0) as f64)
        .collect();
    Ok(Dataset {
        source: src.path.clone(),
        x: occam_core::Matrix::Dense(occam_core::DenseMatrix::from_columns(n, cols)),
        y,
        feature_names: (0..p).map(|j| format!("px{j}")).collect(),
        target_name: "label".into(),
        task: occam_core::Task::Multiclass,
        classes: classes.iter().map(|c| c.to_string()).collect(),
        schema: Vec::new(),
        rows_dropped: 0,
    })
}

/// One embedded data set: its name, file name under datasets/, bytes and a line about it.
pub struct Builtin {
    /// The name after `builtin:`.
    pub name: &'static str,
    /// The file under datasets/ (its provenance is in datasets/PROVENANCE.md).
    pub file: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// What it holds.
    pub about: &'static str,
}

macro_rules! builtin {
    ($name:expr, $file:expr, $about:expr) => {
        Builtin {
            name: $name,
            file: $file,
            bytes: include_bytes!(concat!("../../../datasets/", $file)),
            about: $about,
        }
    };
}

/// Every embedded data set.
pub const BUILTINS: &[Builtin] = &[
    builtin!(
        "pima",
        "pima_indians_diabetes.csv",
        "Pima diabetes: 768 x 8, binary target 'diabetes'"
    ),
    builtin!(
        "diabetes",
        "diabetes_regression.csv",
        "diabetes progression (Efron et al.): 442 x 10, regression"
    ),
    builtin!(
        "colon",
        "colon_cancer_alon1999.csv",
        "colon cancer (Alon et al.): 62 x 2000 genes, binary 'tumor'"
    ),
    builtin!(
        "digits",
        "digits_8x8.csv",
        "handwritten digits 8x8: 1797 x 64, 10 classes"
    ),
    builtin!(
        "sentences",
        "sentence_polarity.csv",
        "sentence polarity: 10662 texts, binary 'label'"
    ),
    builtin!(
        "movie-reviews",
        "movie_reviews_polarity_counts.svm.gz",
        "movie reviews bag of words: 2000 x 50920 sparse (libsvm)"
    ),
    builtin!(
        "co2",
        "co2_mauna_loa_weekly.csv",
        "Mauna Loa CO2, weekly, 59 weeks missing"
    ),
    builtin!(
        "electricity",
        "electricity_usage_hourly.csv",
        "hourly electricity use of one home"
    ),
    builtin!(
        "insteval",
        "insteval_ratings.csv",
        "InstEval lecture ratings: 73421 ratings"
    ),
];

/// Vocabulary of the movie-review bag of words: feature i is line i.
pub const MOVIE_VOCAB: &[u8] = include_bytes!("../../../datasets/movie_reviews_polarity_vocab.txt");

/// The builtin called `name` (or stored as the file `name`).
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name || b.file == name)
}

/// "pima, diabetes, ..." for error messages.
pub fn names() -> String {
    BUILTINS
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name() {
        assert_eq!(format_of("a/b.svm.gz"), Format::Libsvm);
        assert_eq!(format_of("train-images-idx3-ubyte.gz"), Format::Idx);
        assert_eq!(format_of("x.csv"), Format::Csv);
        assert_eq!(format_of("x.parquet"), Format::Parquet);
        assert_eq!(format_of("X.PQ"), Format::Parquet);
    }

    #[test]
    fn every_builtin_loads() {
        for b in BUILTINS {
            let s = resolve(&format!("builtin:{}", b.name)).unwrap();
            assert!(!s.bytes.is_empty(), "{}", b.name);
        }
        assert!(resolve("builtin:nope").is_err());
    }
}
