//! libsvm / svmlight text (optionally gzip) into a sparse data set, without densifying.

use crate::dataset::{check_class_count, infer_task, Dataset, Task};
use crate::error::{DataError, Result};
use crate::matrix::{CscMatrix, Matrix};
use crate::table::cut;
use std::path::Path;

/// Parses libsvm `bytes` read from `path`: one row per line, `label index:value ...`, indices
/// 1-based and strictly ascending. `qid:` tokens and `#` comments are ignored. `task` overrides
/// the task inferred from the labels.
/// Feature indices up to this many columns are always accepted (2^20: hashed features; each
/// column costs a pointer and a name even when empty).
pub const MAX_FREE_COLUMNS: usize = 1 << 20;
/// Above that, a file needs at least one stored value per this many columns.
pub const MAX_COLUMNS_PER_VALUE: usize = 64;

pub fn read_libsvm(bytes: &[u8], path: &Path, task: Option<Task>) -> Result<Dataset> {
    let err = |line: u64, token: usize, detail: String| DataError::Libsvm {
        path: path.to_path_buf(),
        line,
        token,
        detail,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| DataError::Malformed {
        path: path.to_path_buf(),
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64,
        detail: "not valid UTF-8 text".into(),
    })?;
    let mut labels = Vec::new();
    let mut row_ptr = vec![0usize];
    let mut cols: Vec<u32> = Vec::new();
    let mut vals: Vec<f64> = Vec::new();
    let mut ncols = 0usize;
    // Where the largest feature index stands (line, token), for the size guard below.
    let mut widest = (0u64, 0usize);
    for (ln, raw_line) in text.lines().enumerate() {
        let line = ln as u64 + 1;
        let content = raw_line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let mut tokens = content.split_ascii_whitespace();
        let label_tok = tokens.next().expect("non-empty line has a token");
        let label: f64 = match label_tok.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                return Err(err(
                    line,
                    1,
                    format!("the label '{}' is not a finite number", cut(label_tok)),
                ))
            }
        };
        labels.push(label);
        let mut last = 0u64;
        for (k, tok) in tokens.enumerate() {
            let token = k + 2;
            if tok.starts_with("qid:") {
                continue;
            }
            let Some((is, vs)) = tok.split_once(':') else {
                return Err(err(
                    line,
                    token,
                    format!("'{}' is not of the form index:value", cut(tok)),
                ));
            };
            let idx: u64 = is
                .parse()
                .map_err(|_| err(line, token, format!("'{}' is not a feature index", cut(is))))?;
            if idx == 0 {
                return Err(err(
                    line,
                    token,
                    "feature indices start at 1 in libsvm; found 0".into(),
                ));
            }
            if idx <= last {
                return Err(err(
                    line,
                    token,
                    format!("feature index {idx} after {last}: indices must be strictly ascending"),
                ));
            }
            if idx > u32::MAX as u64 {
                return Err(err(
                    line,
                    token,
                    format!("feature index {idx} is too large"),
                ));
            }
            last = idx;
            let v: f64 = match vs.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    return Err(err(
                        line,
                        token,
                        format!("the value '{}' is not a finite number", cut(vs)),
                    ))
                }
            };
            cols.push((idx - 1) as u32);
            vals.push(v);
            if idx as usize > ncols {
                ncols = idx as usize;
                widest = (line, token);
            }
        }
        row_ptr.push(cols.len());
    }
    if labels.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    // A column costs memory even when empty (its pointer, its statistics): a feature index far
    // beyond what the stored values could justify is refused before anything is allocated.
    if ncols > MAX_FREE_COLUMNS && ncols / MAX_COLUMNS_PER_VALUE > vals.len() {
        return Err(err(
            widest.0,
            widest.1,
            format!(
                "feature index {ncols} would make {ncols} columns for {} stored values; \
                 indices above {MAX_FREE_COLUMNS} need at least one stored value per \
                 {MAX_COLUMNS_PER_VALUE} columns (renumber the features densely)",
                vals.len()
            ),
        ));
    }
    let nrows = labels.len();
    let x = CscMatrix::from_rows(nrows, ncols, &row_ptr, &cols, &vals);
    drop((cols, vals, row_ptr));
    let task = task.unwrap_or_else(|| infer_task(&labels));
    let (y, classes) = if task.is_classification() {
        let (y, d) = crate::dataset::numeric_classes(&labels);
        let names: Vec<String> = d.iter().map(|v| format!("{v}")).collect();
        check_class_count(path, "label", &names, nrows, task)?;
        (y, names)
    } else {
        (labels, Vec::new())
    };
    Ok(Dataset {
        source: path.to_path_buf(),
        x: Matrix::Sparse(x),
        y,
        feature_names: (1..=ncols).map(|j| format!("f{j}")).collect(),
        target_name: "label".into(),
        task,
        classes,
        schema: Vec::new(),
        rows_dropped: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Dataset> {
        read_libsvm(s.as_bytes(), Path::new("t.svm"), None)
    }

    #[test]
    fn a_feature_index_far_beyond_the_stored_values_is_refused_before_allocating() {
        let at = format!("1 {}:1\n", MAX_FREE_COLUMNS);
        assert_eq!(read(&at).unwrap().nfeatures(), MAX_FREE_COLUMNS);
        let past = format!("1 2:1\n0 1:3 {}:1\n", MAX_FREE_COLUMNS + 1);
        let e = read(&past).unwrap_err();
        assert!(
            e.to_string().contains("line 2, token 3") && e.to_string().contains("renumber"),
            "{e}"
        );
        // Enough stored values justify wide files.
        let mut dense = String::from("1");
        for j in 1..=(MAX_FREE_COLUMNS / MAX_COLUMNS_PER_VALUE + 1) {
            dense.push_str(&format!(" {j}:1"));
        }
        dense.push_str(&format!(" {}:1\n", MAX_FREE_COLUMNS + 1));
        assert!(read(&dense).is_ok());
    }

    #[test]
    fn parses_sparse_rows() {
        let d = read("+1 1:0.5 3:2\n-1 2:1 # comment\n\n-1 qid:3 3:4\n").unwrap();
        assert_eq!(d.nrows(), 3);
        assert_eq!(d.nfeatures(), 3);
        assert_eq!(d.task, Task::Binary);
        assert_eq!(d.classes, ["-1", "1"]);
        assert_eq!(d.y, [1.0, 0.0, 0.0]);
        let Matrix::Sparse(x) = &d.x else { panic!() };
        assert_eq!(x.nnz(), 4);
        assert_eq!(x.col(2), (&[0u32, 2][..], &[2.0, 4.0][..]));
    }

    #[test]
    fn index_errors() {
        let e = read("1 0:1\n0 1:1\n").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::Libsvm {
                    line: 1,
                    token: 2,
                    ..
                }
            ),
            "{e}"
        );
        let e = read("1 1:1\n0 3:1 2:1\n").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::Libsvm {
                    line: 2,
                    token: 3,
                    ..
                }
            ),
            "{e}"
        );
        let e = read("1 1:1 1:2\n0 2:1\n").unwrap_err();
        assert!(e.to_string().contains("strictly ascending"), "{e}");
        assert_eq!(read("x 1:1\n").unwrap_err().kind(), "libsvm");
        assert_eq!(read("1 1:nan\n0 1:1\n").unwrap_err().kind(), "libsvm");
        assert_eq!(read("1 1\n").unwrap_err().kind(), "libsvm");
        assert_eq!(read("\n\n").unwrap_err().kind(), "empty-file");
    }
}
