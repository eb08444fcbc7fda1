//! The data set type (X dense or sparse, y, names, task) and its construction from a CSV table.

use crate::error::{DataError, Result};
use crate::matrix::{DenseMatrix, Matrix};
use crate::table::{parse_cell, Cell, RawTable};
use std::path::PathBuf;

/// What is predicted. Inferred from y unless given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Regression,
    Binary,
    Multiclass,
    Counts,
}

impl Task {
    pub fn parse(s: &str) -> Result<Task> {
        match s {
            "regression" => Ok(Task::Regression),
            "binary" => Ok(Task::Binary),
            "multiclass" => Ok(Task::Multiclass),
            "counts" => Ok(Task::Counts),
            _ => Err(DataError::param(
                "task",
                format!("'{s}' is not one of regression, binary, multiclass, counts"),
            )),
        }
    }

    pub fn is_classification(self) -> bool {
        matches!(self, Task::Binary | Task::Multiclass)
    }

    pub fn name(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::Binary => "binary",
            Task::Multiclass => "multiclass",
            Task::Counts => "counts",
        }
    }
}

/// How missing cells (empty, NA, ?) are handled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingPolicy {
    /// Any missing cell in a used column is an error naming its line and column.
    #[default]
    Error,
    /// Replace by the column mean (numeric features only).
    Mean,
    /// Replace by the column median (numeric features only).
    Median,
    /// Drop every row with a missing cell in a used column (target included).
    Drop,
}

impl MissingPolicy {
    pub fn parse(s: &str) -> Result<MissingPolicy> {
        match s {
            "error" => Ok(MissingPolicy::Error),
            "mean" => Ok(MissingPolicy::Mean),
            "median" => Ok(MissingPolicy::Median),
            "drop" => Ok(MissingPolicy::Drop),
            _ => Err(DataError::param(
                "missing",
                format!("'{s}' is not one of error, mean, median, drop"),
            )),
        }
    }
}

/// How a CSV table becomes a data set.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `target` | last column | the column predicted |
/// | `missing` | `Error` | see [`MissingPolicy`] |
/// | `categorical` | none | string columns one-hot encoded as `name=level` |
/// | `features` | all but target | keep only these columns (in this order) |
/// | `drop` | none | leave these columns out |
/// | `task` | inferred | regression, binary, multiclass or counts |
#[derive(Clone, Debug, Default)]
pub struct CsvOptions {
    pub target: Option<String>,
    pub missing: MissingPolicy,
    pub categorical: Vec<String>,
    pub features: Option<Vec<String>>,
    pub drop: Vec<String>,
    pub task: Option<Task>,
}

/// How one raw column became feature columns, kept so prediction applies the same steps.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnSpec {
    Numeric { name: String, impute: Option<f64> },
    Categorical { name: String, levels: Vec<String> },
}

/// A supervised data set.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub source: PathBuf,
    pub x: Matrix,
    /// Regression and counts: the value. Classification: the class index into `classes`.
    pub y: Vec<f64>,
    pub feature_names: Vec<String>,
    pub target_name: String,
    pub task: Task,
    /// Class labels for classification (sorted), empty otherwise.
    pub classes: Vec<String>,
    /// The raw columns the features came from (empty for libsvm / idx input).
    pub schema: Vec<ColumnSpec>,
    /// Rows dropped because of missing values (`MissingPolicy::Drop`).
    pub rows_dropped: usize,
}

impl Dataset {
    pub fn nrows(&self) -> usize {
        self.y.len()
    }

    pub fn nfeatures(&self) -> usize {
        self.feature_names.len()
    }

    /// Counts per class, in the order of `classes` (empty for regression and counts).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0usize; self.classes.len()];
        if !self.task.is_classification() {
            return c;
        }
        for &v in &self.y {
            if let Some(n) = c.get_mut(v as usize) {
                *n += 1;
            }
        }
        c
    }

    /// The rows `rows` (in that order) as a new data set with the same metadata.
    pub fn subset(&self, rows: &[usize]) -> Dataset {
        Dataset {
            source: self.source.clone(),
            x: self.x.select_rows(rows),
            y: rows.iter().map(|&i| self.y[i]).collect(),
            feature_names: self.feature_names.clone(),
            target_name: self.target_name.clone(),
            task: self.task,
            classes: self.classes.clone(),
            schema: self.schema.clone(),
            rows_dropped: self.rows_dropped,
        }
    }

    /// Builds a data set from a CSV table.
    pub fn from_table(t: &RawTable, opts: &CsvOptions) -> Result<Dataset> {
        let target_name = match &opts.target {
            Some(n) => n.clone(),
            None => t.headers.last().cloned().expect("a table has a header"),
        };
        let ti = t.column_index(&target_name, "target")?;
        for c in &opts.categorical {
            t.column_index(c, "categorical")?;
        }
        for c in &opts.drop {
            t.column_index(c, "drop")?;
        }
        let cols: Vec<usize> = match &opts.features {
            Some(f) => f
                .iter()
                .map(|n| t.column_index(n, "features"))
                .collect::<Result<_>>()?,
            None => (0..t.headers.len())
                .filter(|&j| j != ti && !opts.drop.contains(&t.headers[j]))
                .collect(),
        };
        if let Some(&j) = cols.iter().find(|&&j| j == ti) {
            return Err(DataError::param(
                "features",
                format!(
                    "'{}' is the target and cannot also be a feature",
                    t.headers[j]
                ),
            ));
        }
        if cols.is_empty() {
            return Err(DataError::NoFeatures {
                path: t.path.clone(),
            });
        }

        // Pass 1: find missing cells and decide which rows stay.
        let n = t.nrows();
        let mut keep = vec![true; n];
        for &j in cols.iter().chain(std::iter::once(&ti)) {
            for (i, kept) in keep.iter_mut().enumerate() {
                if t.columns[j].cell(i) == Cell::Missing {
                    match opts.missing {
                        MissingPolicy::Drop => *kept = false,
                        MissingPolicy::Error => return Err(missing_error(t, i, j)),
                        MissingPolicy::Mean | MissingPolicy::Median if j == ti => {
                            return Err(DataError::BadTarget {
                                path: t.path.clone(),
                                target: target_name.clone(),
                                detail: format!(
                                    "is missing on line {}; a target is never imputed: \
                                     use --missing drop to leave such rows out",
                                    t.lines[i]
                                ),
                            });
                        }
                        MissingPolicy::Mean | MissingPolicy::Median => {}
                    }
                }
            }
        }
        let rows: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        if rows.is_empty() {
            return Err(DataError::BadTarget {
                path: t.path.clone(),
                target: target_name,
                detail: "leaves no rows: every row has a missing value".into(),
            });
        }

        // Pass 2: features, column by column straight into the column-major matrix.
        let mut data: Vec<f64> = Vec::with_capacity(rows.len() * cols.len());
        let mut ncols = 0;
        let mut names = Vec::new();
        let mut schema = Vec::new();
        for &j in &cols {
            let name = &t.headers[j];
            if opts.categorical.contains(name) {
                let texts: Vec<String> = rows
                    .iter()
                    .map(|&i| t.columns[j].text(i).trim().to_string())
                    .collect();
                let mut levels: Vec<String> = texts
                    .iter()
                    .filter(|s| parse_cell(s) != Cell::Missing)
                    .cloned()
                    .collect();
                levels.sort();
                levels.dedup();
                for lv in &levels {
                    data.extend(texts.iter().map(|s| f64::from(s == lv)));
                    ncols += 1;
                    names.push(format!("{name}={lv}"));
                }
                schema.push(ColumnSpec::Categorical {
                    name: name.clone(),
                    levels,
                });
            } else {
                let impute = numeric_column(t, j, &rows, opts.missing, &mut data)?;
                ncols += 1;
                names.push(name.clone());
                schema.push(ColumnSpec::Numeric {
                    name: name.clone(),
                    impute,
                });
            }
        }

        // Target.
        let (y, task, classes) = encode_target(t, ti, &rows, opts.task)?;
        Ok(Dataset {
            source: t.path.clone(),
            x: Matrix::Dense(DenseMatrix {
                nrows: rows.len(),
                ncols,
                data,
            }),
            y,
            feature_names: names,
            target_name,
            task,
            classes,
            schema,
            rows_dropped: n - rows.len(),
        })
    }
}

fn missing_error(t: &RawTable, i: usize, j: usize) -> DataError {
    DataError::MissingValue {
        path: t.path.clone(),
        line: t.lines[i],
        column: j + 1,
        name: t.headers[j].clone(),
    }
}

/// Appends column `j` at `rows` to `data` (missing cells imputed under the policy) and
/// returns the value it imputes with, if any.
fn numeric_column(
    t: &RawTable,
    j: usize,
    rows: &[usize],
    policy: MissingPolicy,
    data: &mut Vec<f64>,
) -> Result<Option<f64>> {
    let start = data.len();
    let out = data;
    let mut missing = Vec::new();
    for (k, &i) in rows.iter().enumerate() {
        let text = || t.columns[j].text(i).into_owned();
        match t.columns[j].cell(i) {
            Cell::Number(v) => out.push(v),
            Cell::Missing => {
                missing.push(k);
                out.push(f64::NAN);
            }
            Cell::NonFinite => {
                return Err(DataError::NonFinite {
                    path: t.path.clone(),
                    line: t.lines[i],
                    column: j + 1,
                    name: t.headers[j].clone(),
                    text: text(),
                })
            }
            Cell::Text => {
                let name = &t.headers[j];
                return Err(DataError::NotNumeric {
                    path: t.path.clone(),
                    line: t.lines[i],
                    column: j + 1,
                    name: name.clone(),
                    text: text(),
                    hint: format!(
                        "; if '{name}' holds categories, pass --categorical {name} to one-hot \
                         encode it, or --drop {name} to leave it out"
                    ),
                });
            }
        }
    }
    // Under mean/median the fill value is recorded even for a column with no missing cell,
    // so that prediction can impute any column the way training would have.
    if missing.is_empty() && !matches!(policy, MissingPolicy::Mean | MissingPolicy::Median) {
        return Ok(None);
    }
    let out = &mut out[start..];
    let mut present: Vec<f64> = out.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.is_empty() {
        return Err(DataError::MissingValue {
            path: t.path.clone(),
            line: t.lines[rows[0]],
            column: j + 1,
            name: t.headers[j].clone(),
        });
    }
    let fill = match policy {
        MissingPolicy::Median => median(&mut present),
        _ => present.iter().sum::<f64>() / present.len() as f64,
    };
    for k in missing {
        out[k] = fill;
    }
    Ok(Some(fill))
}

/// Median of a non-empty slice (reorders it).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

fn is_integer(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() < 1e15
}

/// Infers the task from target values: two distinct values -> binary; integers with 3 to 20
/// distinct values -> multiclass; anything else -> regression. Counts are never guessed (many
/// regression targets are whole numbers): ask for them with `--task counts`.
pub fn infer_task(values: &[f64]) -> Task {
    let mut d: Vec<f64> = values.to_vec();
    d.sort_by(f64::total_cmp);
    d.dedup();
    let all_int = d.iter().all(|&v| is_integer(v));
    if d.len() == 2 {
        Task::Binary
    } else if all_int && d.len() <= 20 && d.len() > 2 {
        Task::Multiclass
    } else {
        Task::Regression
    }
}

fn encode_target(
    t: &RawTable,
    ti: usize,
    rows: &[usize],
    task: Option<Task>,
) -> Result<(Vec<f64>, Task, Vec<String>)> {
    let name = &t.headers[ti];
    let col = &t.columns[ti];
    let mut numeric = Vec::with_capacity(rows.len());
    let mut first_text = None;
    for (k, &i) in rows.iter().enumerate() {
        match col.cell(i) {
            Cell::Number(v) => numeric.push(v),
            Cell::NonFinite => {
                return Err(DataError::NonFinite {
                    path: t.path.clone(),
                    line: t.lines[i],
                    column: ti + 1,
                    name: name.clone(),
                    text: col.text(i).trim().to_string(),
                })
            }
            _ => {
                first_text.get_or_insert(k);
            }
        }
    }
    // The labels' text is needed only when some label is not a number.
    let owned: Vec<std::borrow::Cow<str>> = match first_text {
        Some(_) => rows.iter().map(|&i| col.text(i)).collect(),
        None => Vec::new(),
    };
    let texts: Vec<&str> = owned.iter().map(|s| s.trim()).collect();
    let task = match (task, first_text) {
        (Some(tk), _) => tk,
        (None, Some(_)) => {
            let mut d: Vec<&str> = texts.clone();
            d.sort();
            d.dedup();
            if d.len() == 2 {
                Task::Binary
            } else {
                Task::Multiclass
            }
        }
        (None, None) => infer_task(&numeric),
    };
    let bad = |detail: String| DataError::BadTarget {
        path: t.path.clone(),
        target: name.clone(),
        detail,
    };
    if !task.is_classification() {
        if let Some(k) = first_text {
            return Err(bad(format!(
                "must be numeric for a {} task, but line {} holds '{}'",
                task.name(),
                t.lines[rows[k]],
                texts[k]
            )));
        }
        if task == Task::Counts {
            if let Some(k) = numeric.iter().position(|&v| v < 0.0) {
                return Err(bad(format!(
                    "must be non-negative for a counts task, but line {} holds {}",
                    t.lines[rows[k]], numeric[k]
                )));
            }
        }
        return Ok((numeric, task, Vec::new()));
    }
    // Classification: labels sorted numerically when all numeric, else as text.
    let mut labels: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
    if first_text.is_none() {
        let (y, vals) = numeric_classes(&numeric);
        labels = vals.iter().map(|v| format!("{v}")).collect();
        return check_classes(t, name, y, labels, task);
    }
    labels.sort();
    labels.dedup();
    let y = texts
        .iter()
        .map(|s| labels.binary_search_by(|a| a.as_str().cmp(s)).unwrap() as f64)
        .collect();
    check_classes(t, name, y, labels, task)
}

fn check_classes(
    t: &RawTable,
    name: &str,
    y: Vec<f64>,
    classes: Vec<String>,
    task: Task,
) -> Result<(Vec<f64>, Task, Vec<String>)> {
    check_class_count(&t.path, name, &classes, y.len(), task)?;
    Ok((y, task, classes))
}

/// A classification target needs two classes (binary: exactly two).
pub fn check_class_count(
    path: &std::path::Path,
    target: &str,
    classes: &[String],
    rows: usize,
    task: Task,
) -> Result<()> {
    if classes.len() < 2 {
        return Err(DataError::SingleClass {
            path: path.to_path_buf(),
            target: target.to_string(),
            class: classes.first().cloned().unwrap_or_default(),
            rows,
        });
    }
    if task == Task::Binary && classes.len() > 2 {
        return Err(DataError::BadTarget {
            path: path.to_path_buf(),
            target: target.to_string(),
            detail: format!(
                "has {} classes, but the task is binary; use --task multiclass",
                classes.len()
            ),
        });
    }
    Ok(())
}

/// Numeric class labels as class indices and the sorted distinct labels; -0 is the label 0
/// (equal to it, while `total_cmp` orders it first). Shared by the CSV and libsvm readers.
pub(crate) fn numeric_classes(values: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let values: Vec<f64> = values
        .iter()
        .map(|&v| if v == 0.0 { 0.0 } else { v })
        .collect();
    let mut distinct = values.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup_by(|a, b| a.total_cmp(b).is_eq());
    let y = values
        .iter()
        .map(|v| distinct.binary_search_by(|a| a.total_cmp(v)).unwrap_or(0) as f64)
        .collect();
    (y, distinct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ds(csv: &str, opts: &CsvOptions) -> Result<Dataset> {
        let t = RawTable::parse(csv.as_bytes(), Path::new("t.csv"))?;
        Dataset::from_table(&t, opts)
    }

    #[test]
    fn numeric_binary_default_target() {
        let d = ds("a,b,y\n1,2,0\n3,4,1\n5,6,1\n", &CsvOptions::default()).unwrap();
        assert_eq!(d.task, Task::Binary);
        assert_eq!(d.classes, ["0", "1"]);
        assert_eq!(d.class_counts(), [1, 2]);
        assert_eq!(d.feature_names, ["a", "b"]);
    }

    #[test]
    fn a_minus_zero_label_is_the_class_zero() {
        // Found by the fuzzer: -0 and 0 are equal but ordered apart, and the class lookup
        // of a -0 label panicked.
        let d = ds("a,y\n1,0\n2,-0\n3,1\n4,1\n", &CsvOptions::default()).unwrap();
        assert_eq!(d.classes, ["0", "1"]);
        assert_eq!(d.class_counts(), [2, 2]);
    }

    #[test]
    fn categorical_one_hot_and_hint() {
        let csv = "c,x,y\nred,1,1.5\nblue,2,2.5\nred,3,0.1\n";
        let e = ds(csv, &CsvOptions::default()).unwrap_err();
        assert_eq!(e.kind(), "not-numeric");
        assert!(e.to_string().contains("--categorical c"), "{e}");
        let o = CsvOptions {
            categorical: vec!["c".into()],
            ..Default::default()
        };
        let d = ds(csv, &o).unwrap();
        assert_eq!(d.feature_names, ["c=blue", "c=red", "x"]);
        assert_eq!(d.task, Task::Regression);
        let Matrix::Dense(m) = &d.x else { panic!() };
        assert_eq!(m.col(1), &[1.0, 0.0, 1.0]);
    }

    #[test]
    fn missing_policies() {
        let csv = "a,b,y\n1,,1.0\n3,4,2.0\nNA,6,3.0\n";
        let e = ds(csv, &CsvOptions::default()).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::MissingValue {
                    line: 4,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
        let mean = CsvOptions {
            missing: MissingPolicy::Mean,
            ..Default::default()
        };
        let d = ds(csv, &mean).unwrap();
        let Matrix::Dense(m) = &d.x else { panic!() };
        assert_eq!(m.col(0), &[1.0, 3.0, 2.0]);
        assert_eq!(m.col(1), &[5.0, 4.0, 6.0]);
        let drop = CsvOptions {
            missing: MissingPolicy::Drop,
            ..Default::default()
        };
        let d = ds(csv, &drop).unwrap();
        assert_eq!(d.y, [2.0]);
        assert_eq!(d.rows_dropped, 2);
    }

    #[test]
    fn task_inference() {
        assert_eq!(infer_task(&[0.0, 1.0, 2.0, 9.0]), Task::Multiclass);
        assert_eq!(
            infer_task(&(0..40).map(f64::from).collect::<Vec<_>>()),
            Task::Regression
        );
        assert_eq!(infer_task(&[0.5, 1.0, 2.0]), Task::Regression);
        assert_eq!(infer_task(&[-1.0, 1.0]), Task::Binary);
    }

    #[test]
    fn target_errors() {
        let e = ds(
            "a,y\n1,1\n2,1\n",
            &CsvOptions {
                task: Some(Task::Binary),
                ..Default::default()
            },
        );
        assert_eq!(e.unwrap_err().kind(), "single-class");
        let e = ds(
            "a,y\n1,x\n2,z\n",
            &CsvOptions {
                task: Some(Task::Regression),
                ..Default::default()
            },
        );
        assert_eq!(e.unwrap_err().kind(), "bad-target");
        let e = ds(
            "a,y\n1,1\n2,1\n",
            &CsvOptions {
                target: Some("q".into()),
                ..Default::default()
            },
        );
        assert_eq!(e.unwrap_err().kind(), "missing-column");
    }
}
