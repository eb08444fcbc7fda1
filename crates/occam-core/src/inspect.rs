//! Descriptions of data files for `occam data inspect`: shape, types, missing values, class
//! balance and constant columns.

use crate::dataset::{infer_task, Dataset, Task};
use crate::matrix::Matrix;
use crate::table::{parse_cell, Cell, Column, RawTable};
use std::fmt;

/// One column of a CSV file as found in the file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ColumnSummary {
    pub name: String,
    /// "numeric" (every present cell a finite number), "text", or "numeric+non-finite".
    pub kind: String,
    pub missing: usize,
    pub distinct: usize,
    pub constant: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

/// Summary of a data file: shape, columns, target and class balance.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub source: String,
    pub format: String,
    pub rows: usize,
    pub features: usize,
    pub target: String,
    pub task: Task,
    /// (class label, count) for classification targets.
    pub classes: Vec<(String, usize)>,
    pub columns: Vec<ColumnSummary>,
    /// Stored values for sparse input.
    pub stored_values: Option<usize>,
    /// Bytes held by the feature matrix as loaded.
    pub matrix_bytes: usize,
    pub constant_features: Vec<String>,
}

/// Describes a CSV table with `target` as the target column (default last).
pub fn summarize_table(t: &RawTable, target: Option<&str>) -> crate::error::Result<Summary> {
    let tname = target.map_or_else(|| t.headers.last().unwrap().clone(), str::to_string);
    let ti = t.column_index(&tname, "target")?;
    let columns: Vec<ColumnSummary> = t
        .headers
        .iter()
        .zip(&t.columns)
        .map(|(name, col)| summarize_column(name, col))
        .collect();
    let tc = &t.columns[ti];
    let owned: Vec<std::borrow::Cow<str>> = tc.texts().collect();
    let present: Vec<&str> = owned
        .iter()
        .map(|s| s.trim())
        .filter(|s| parse_cell(s) != Cell::Missing)
        .collect();
    let numeric: Option<Vec<f64>> = present
        .iter()
        .map(|s| match parse_cell(s) {
            Cell::Number(v) => Some(v),
            _ => None,
        })
        .collect();
    let task = match &numeric {
        Some(v) => infer_task(v),
        None => Task::Multiclass,
    };
    let mut classes = Vec::new();
    if task.is_classification() {
        let mut labels: Vec<(String, f64)> = present
            .iter()
            .map(|s| {
                let key = match parse_cell(s) {
                    Cell::Number(v) => v,
                    _ => f64::NAN,
                };
                (s.to_string(), key)
            })
            .collect();
        labels.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        for (lab, key) in labels {
            let name = if key.is_nan() { lab } else { format!("{key}") };
            match classes.last_mut() {
                Some((l, c)) if *l == name => *c += 1,
                _ => classes.push((name, 1)),
            }
        }
    }
    let constant_features = columns
        .iter()
        .enumerate()
        .filter(|(j, c)| *j != ti && c.constant)
        .map(|(_, c)| c.name.clone())
        .collect();
    Ok(Summary {
        source: t.path.display().to_string(),
        format: "csv".into(),
        rows: t.nrows(),
        features: t.headers.len() - 1,
        target: tname,
        task,
        classes,
        columns,
        stored_values: None,
        matrix_bytes: t.nrows() * (t.headers.len() - 1) * 8,
        constant_features,
    })
}

fn summarize_column(name: &str, col: &Column) -> ColumnSummary {
    let mut missing = 0;
    let mut nonfinite = 0;
    let mut text = 0;
    let mut nums = Vec::new();
    for i in 0..col.len() {
        match col.cell(i) {
            Cell::Missing => missing += 1,
            Cell::Number(v) => nums.push(v),
            Cell::NonFinite => nonfinite += 1,
            Cell::Text => text += 1,
        }
    }
    let kind = if text > 0 {
        "text"
    } else if nonfinite > 0 {
        "numeric+non-finite"
    } else {
        "numeric"
    };
    let distinct = if text > 0 {
        let owned: Vec<std::borrow::Cow<str>> = col.texts().collect();
        let mut d: Vec<&str> = owned.iter().map(|s| s.trim()).collect();
        d.sort_unstable();
        d.dedup();
        d.len()
    } else {
        let mut d = nums.clone();
        d.sort_by(f64::total_cmp);
        d.dedup();
        d.len()
    };
    let (min, max, mean) = if text == 0 && !nums.is_empty() {
        let mn = nums.iter().copied().fold(f64::INFINITY, f64::min);
        let mx = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (
            Some(mn),
            Some(mx),
            Some(nums.iter().sum::<f64>() / nums.len() as f64),
        )
    } else {
        (None, None, None)
    };
    ColumnSummary {
        name: name.to_string(),
        kind: kind.into(),
        missing,
        distinct,
        constant: distinct <= 1,
        min,
        max,
        mean,
    }
}

/// Describes a loaded data set (used for libsvm input).
pub fn summarize_dataset(d: &Dataset, format: &str) -> Summary {
    let counts = d.class_counts();
    let (stored, bytes) = match &d.x {
        Matrix::Dense(m) => (None, m.data.len() * 8),
        Matrix::Sparse(s) => (Some(s.nnz()), s.heap_bytes()),
    };
    let mut nz_cols = vec![false; d.nfeatures()];
    if let Matrix::Sparse(s) = &d.x {
        for (j, flag) in nz_cols.iter_mut().enumerate() {
            *flag = s.indptr[j + 1] > s.indptr[j];
        }
    }
    Summary {
        source: d.source.display().to_string(),
        format: format.into(),
        rows: d.nrows(),
        features: d.nfeatures(),
        target: d.target_name.clone(),
        task: d.task,
        classes: d.classes.iter().cloned().zip(counts).collect(),
        columns: Vec::new(),
        stored_values: stored,
        matrix_bytes: bytes,
        constant_features: d
            .feature_names
            .iter()
            .zip(&nz_cols)
            .filter(|(_, &nz)| !nz && d.x.is_sparse())
            .map(|(n, _)| n.clone())
            .collect(),
    }
}

fn fmt_num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({})", self.source, self.format)?;
        writeln!(f, "rows: {}", self.rows)?;
        writeln!(f, "features: {}", self.features)?;
        if let Some(nnz) = self.stored_values {
            let dense = self.rows as f64 * self.features as f64;
            writeln!(
                f,
                "stored values: {nnz} ({:.2}% dense; sparse matrix {:.1} MB, dense f64 would be {:.1} MB)",
                100.0 * nnz as f64 / dense,
                self.matrix_bytes as f64 / 1e6,
                dense * 8.0 / 1e6
            )?;
        }
        writeln!(f, "target: {} ({})", self.target, self.task.name())?;
        if !self.classes.is_empty() {
            let parts: Vec<String> = self
                .classes
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect();
            let counts: Vec<String> = self.classes.iter().map(|(_, n)| n.to_string()).collect();
            writeln!(f, "classes: {} ({})", counts.join("/"), parts.join(", "))?;
        }
        let missing: usize = self.columns.iter().map(|c| c.missing).sum();
        if !self.columns.is_empty() {
            writeln!(f, "missing cells: {missing}")?;
        }
        if self.constant_features.is_empty() {
            writeln!(f, "constant features: none")?;
        } else {
            writeln!(
                f,
                "constant features: {} ({})",
                self.constant_features.len(),
                crate::table::abbreviate(&self.constant_features, 8)
            )?;
        }
        if !self.columns.is_empty() {
            let shown = self.columns.len().min(40);
            writeln!(f)?;
            writeln!(
                f,
                "{:<24} {:<10} {:>8} {:>9} {:>12} {:>12} {:>12}",
                "column", "type", "missing", "distinct", "min", "mean", "max"
            )?;
            for c in &self.columns[..shown] {
                writeln!(
                    f,
                    "{:<24} {:<10} {:>8} {:>9} {:>12} {:>12} {:>12}{}",
                    c.name,
                    c.kind,
                    c.missing,
                    c.distinct,
                    fmt_num(c.min),
                    fmt_num(c.mean),
                    fmt_num(c.max),
                    if c.constant { "  constant" } else { "" }
                )?;
            }
            if self.columns.len() > shown {
                writeln!(f, "... {} more columns", self.columns.len() - shown)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn summary_of_small_table() {
        let t =
            RawTable::parse(b"a,b,c,y\n1,x,5,0\n,y,5,1\n3,x,5,1\n", Path::new("t.csv")).unwrap();
        let s = summarize_table(&t, None).unwrap();
        assert_eq!((s.rows, s.features), (3, 3));
        assert_eq!(s.classes, [("0".to_string(), 1), ("1".to_string(), 2)]);
        assert_eq!(s.columns[0].missing, 1);
        assert_eq!(s.columns[1].kind, "text");
        assert_eq!(s.constant_features, ["c"]);
        let text = s.to_string();
        assert!(text.contains("classes: 1/2"), "{text}");
    }
}
