//! CSV with a header row, read into a raw table of text cells with validated shape.
//!
//! Shape errors (empty file, header only, ragged rows, duplicate or empty names) are found
//! here; cell types are decided later by `dataset` (training) or `inspect` (description).

use crate::error::{DataError, Result};
use std::path::{Path, PathBuf};

/// A CSV file as text cells, column by column, with the file line of every row.
#[derive(Clone, Debug)]
pub struct RawTable {
    pub path: PathBuf,
    pub headers: Vec<String>,
    /// `columns[j][i]` is the text of row i, column j, untrimmed.
    pub columns: Vec<Vec<String>>,
    /// 1-based line in the file where each data row starts.
    pub lines: Vec<u64>,
}

/// What a single cell holds, as occam reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Missing,
    Number(f64),
    /// `nan`, `inf` and the like: rejected, never silently used.
    NonFinite,
    Text,
}

/// Texts read as a missing value: the empty field, `NA`, `N/A`, `?` (after trimming).
pub const MISSING_TOKENS: [&str; 5] = ["", "NA", "N/A", "na", "?"];

/// Classifies one cell.
pub fn parse_cell(text: &str) -> Cell {
    let t = text.trim();
    if MISSING_TOKENS.contains(&t) {
        return Cell::Missing;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Cell::Number(v),
        Ok(_) => Cell::NonFinite,
        Err(_) => Cell::Text,
    }
}

impl RawTable {
    /// Parses CSV `bytes` (RFC 4180, comma separated, header row first) read from `path`.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<RawTable> {
        let path_buf = path.to_path_buf();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(DataError::Empty { path: path_buf });
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = rdr.byte_records();
        let header = match records.next() {
            Some(r) => r.map_err(|e| csv_error(e, path))?,
            None => return Err(DataError::Empty { path: path_buf }),
        };
        let mut headers = Vec::with_capacity(header.len());
        // First column of each name: a duplicate is found in linear time on wide headers.
        let mut seen: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(header.len());
        for (j, h) in header.iter().enumerate() {
            let name = std::str::from_utf8(h).map_err(|_| DataError::Malformed {
                path: path_buf.clone(),
                line: 1,
                detail: format!("column {} of the header is not valid UTF-8", j + 1),
            })?;
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(DataError::EmptyColumnName {
                    path: path_buf,
                    column: j + 1,
                });
            }
            if let Some(&first) = seen.get(&name) {
                return Err(DataError::DuplicateColumn {
                    path: path_buf,
                    name,
                    first: first + 1,
                    second: j + 1,
                });
            }
            seen.insert(name.clone(), j);
            headers.push(name);
        }
        if let [only] = &headers[..] {
            if let Some(sep) = [';', '\t', '|'].into_iter().find(|c| only.contains(*c)) {
                let shown = if sep == '\t' {
                    "tab".to_string()
                } else {
                    format!("'{sep}'")
                };
                return Err(DataError::Malformed {
                    path: path_buf,
                    line: 1,
                    detail: format!(
                        "the header is a single column that holds {shown} separators: the file \
                         looks {shown}-separated, but occam reads comma-separated CSV; replace \
                         the separators with commas"
                    ),
                });
            }
        }
        let ncols = headers.len();
        let mut columns: Vec<Vec<String>> = vec![Vec::new(); ncols];
        let mut lines = Vec::new();
        // The csv crate's line numbers count skipped blank lines oddly; count newlines up to
        // the record's first byte instead.
        let (mut counted_to, mut newlines) = (0usize, 0u64);
        for rec in records {
            let rec = rec.map_err(|e| csv_error(e, path))?;
            let mut start = rec.position().map_or(0, |p| p.byte() as usize);
            while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
                start += 1;
            }
            newlines += bytes[counted_to..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            counted_to = start;
            let line = newlines + 1;
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
                continue; // a blank line
            }
            if rec.len() != ncols {
                return Err(DataError::Ragged {
                    path: path_buf,
                    line,
                    expected: ncols,
                    found: rec.len(),
                });
            }
            for (j, field) in rec.iter().enumerate() {
                let text = std::str::from_utf8(field).map_err(|_| DataError::Malformed {
                    path: path_buf.clone(),
                    line,
                    detail: format!("column {} is not valid UTF-8", j + 1),
                })?;
                columns[j].push(text.to_string());
            }
            lines.push(line);
        }
        if lines.is_empty() {
            return Err(DataError::HeaderOnly { path: path_buf });
        }
        Ok(RawTable {
            path: path_buf,
            headers,
            columns,
            lines,
        })
    }

    pub fn nrows(&self) -> usize {
        self.lines.len()
    }

    /// Index of the column called `name`, or a [`DataError::MissingColumn`] naming its `role`.
    pub fn column_index(&self, name: &str, role: &str) -> Result<usize> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DataError::MissingColumn {
                path: self.path.clone(),
                name: name.to_string(),
                role: role.to_string(),
                available: abbreviate(&self.headers, 12),
            })
    }
}

/// A cell's text as an error message shows it: trimmed, and cut after 60 characters with the
/// full length noted (a 5 MB cell is not echoed whole).
pub fn cut(text: &str) -> String {
    const MAX: usize = 60;
    let t = text.trim();
    match t.char_indices().nth(MAX) {
        None => t.to_string(),
        Some((end, _)) => format!("{}... ({} characters)", &t[..end], t.chars().count()),
    }
}

/// The first `k` names joined by commas, with a count of the rest.
pub fn abbreviate(names: &[String], k: usize) -> String {
    let mut s = names.iter().take(k).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > k {
        s.push_str(&format!(", ... ({} more)", names.len() - k));
    }
    s
}

fn csv_error(e: csv::Error, path: &Path) -> DataError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    DataError::Malformed {
        path: path.to_path_buf(),
        line,
        detail: format!("not valid CSV: {e}"),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_wide_header_with_a_late_duplicate_names_both_columns() {
        let mut names: Vec<String> = (0..100_000).map(|j| format!("c{j}")).collect();
        names.push("c17".into());
        let csv = format!(
            "{}\n{}\n",
            names.join(","),
            vec!["1"; names.len()].join(",")
        );
        let e = RawTable::parse(csv.as_bytes(), Path::new("w.csv")).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::DuplicateColumn {
                    first: 18,
                    second: 100_001,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn a_file_with_other_separators_is_named_as_such() {
        for (text, what) in [("a;b\n1;2\n", "';'"), ("a\tb\n1\t2\n", "tab")] {
            let e = RawTable::parse(text.as_bytes(), Path::new("s.csv")).unwrap_err();
            assert!(
                e.to_string().contains(&format!("looks {what}-separated")),
                "{e}"
            );
        }
        // One column without such characters is a table.
        assert!(RawTable::parse(b"a\n1\n", Path::new("o.csv")).is_ok());
    }
    use super::*;

    fn parse(s: &str) -> Result<RawTable> {
        RawTable::parse(s.as_bytes(), Path::new("t.csv"))
    }

    #[test]
    fn reads_quoted_fields_and_lines() {
        let t = parse("a,b\n1,\"x, y\"\n\n2,\"multi\nline\"\n3,z\n").unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(t.columns[1], ["x, y", "multi\nline", "z"]);
        assert_eq!(t.lines, [2, 4, 6]);
    }

    #[test]
    fn shape_errors() {
        assert_eq!(parse("").unwrap_err().kind(), "empty-file");
        assert_eq!(parse("a,b\n").unwrap_err().kind(), "header-only");
        let e = parse("a,b\n1,2\n3\n").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::Ragged {
                    line: 3,
                    expected: 2,
                    found: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = parse("a,b,a\n1,2,3\n").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::DuplicateColumn {
                    first: 1,
                    second: 3,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            parse("a,,c\n1,2,3\n").unwrap_err().kind(),
            "empty-column-name"
        );
    }

    #[test]
    fn cells() {
        assert_eq!(parse_cell(" 1.5 "), Cell::Number(1.5));
        assert_eq!(parse_cell("NA"), Cell::Missing);
        assert_eq!(parse_cell(""), Cell::Missing);
        assert_eq!(parse_cell("nan"), Cell::NonFinite);
        assert_eq!(parse_cell("-inf"), Cell::NonFinite);
        assert_eq!(parse_cell("abc"), Cell::Text);
    }
}
