//! CSV with a header row, read into a raw table of typed columns with validated shape.
//!
//! Shape errors (empty file, header only, ragged rows, duplicate or empty names) are found
//! here. A column whose every cell is a finite number or a missing token is parsed straight
//! into `f64`s as it is read (no text is kept for it); any other column keeps its cells'
//! text. What the columns mean is decided later by `dataset` (training) or `inspect`
//! (description).

use crate::error::{DataError, Result};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// A CSV file column by column, with the file line of every row.
#[derive(Clone, Debug)]
pub struct RawTable {
    pub path: PathBuf,
    pub headers: Vec<String>,
    /// One entry per header, each with one cell per row.
    pub columns: Vec<Column>,
    /// 1-based line in the file where each data row starts.
    pub lines: Vec<u64>,
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Every cell a finite number or a missing token (`NaN` here): parsed as read.
    Numbers(Numbers),
    /// A column with at least one cell that is not a finite number: every cell's text as the
    /// file has it, untrimmed.
    Text(Vec<String>),
}

/// A column of numbers: one column of the row-major block of numbers that the reader fills
/// as it goes (one large buffer, so that dropping the table gives its memory back to the
/// system, where ten thousand small columns would stay in the allocator's free lists).
#[derive(Clone, Debug)]
pub struct Numbers {
    block: Arc<Vec<f64>>,
    offset: usize,
    stride: usize,
    len: usize,
}

impl Numbers {
    /// A column of its own from `values`.
    pub fn new(values: Vec<f64>) -> Numbers {
        let len = values.len();
        Numbers {
            block: Arc::new(values),
            offset: 0,
            stride: 1,
            len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `i` (`NaN` where missing).
    pub fn get(&self, i: usize) -> f64 {
        assert!(i < self.len, "row {i} of {}", self.len);
        self.block[self.offset + i * self.stride]
    }

    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.block[self.offset..]
            .iter()
            .step_by(self.stride)
            .take(self.len)
            .copied()
    }
}

impl PartialEq for Numbers {
    /// Equal values row by row, missing (`NaN`) equal to missing.
    fn eq(&self, other: &Numbers) -> bool {
        self.len == other.len
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Numbers(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A column from cells given as text (a DataFrame's), typed as the reader types a
    /// file's: numbers when every cell is a finite number or a missing token, else text.
    pub fn from_texts(cells: Vec<String>) -> Column {
        let numbers: Option<Vec<f64>> = cells.iter().map(|c| number_of(c.as_bytes())).collect();
        match numbers {
            Some(v) => Column::Numbers(Numbers::new(v)),
            None => Column::Text(cells),
        }
    }

    /// The numbers, for a column of numbers (`NaN` where a cell is missing).
    pub fn numbers(&self) -> Option<&Numbers> {
        match self {
            Column::Numbers(v) => Some(v),
            Column::Text(_) => None,
        }
    }

    /// What row `i` holds.
    pub fn cell(&self, i: usize) -> Cell {
        match self {
            Column::Numbers(v) => match v.get(i) {
                x if x.is_nan() => Cell::Missing,
                x => Cell::Number(x),
            },
            Column::Text(v) => parse_cell(&v[i]),
        }
    }

    /// Row `i` as text: the file's own text in a text column; in a column of numbers the
    /// number as [`number_text`] writes it (the empty text when missing).
    pub fn text(&self, i: usize) -> Cow<'_, str> {
        match self {
            Column::Numbers(v) => match v.get(i) {
                x if x.is_nan() => Cow::Borrowed(""),
                x => Cow::Owned(number_text(x)),
            },
            Column::Text(v) => Cow::Borrowed(&v[i]),
        }
    }

    /// Every row as [`Column::text`] gives it.
    pub fn texts(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        (0..self.len()).map(|i| self.text(i))
    }
}

/// A number as text where a column of numbers is read as text (categories, class labels):
/// the shortest text that reads back as the same `f64` (Rust's `Display`: `1`, `2.5`).
pub fn number_text(v: f64) -> String {
    format!("{v}")
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

/// A field's bytes as a number for a column of numbers: `Some(NaN)` for a missing token,
/// `Some(v)` for a finite number, `None` for anything else (the column then keeps text).
fn number_of(field: &[u8]) -> Option<f64> {
    let t = field.trim_ascii();
    let s = std::str::from_utf8(t).ok()?;
    if MISSING_TOKENS.contains(&s) {
        return Some(f64::NAN);
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

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
        Self::parse_stream(bytes, path, || Ok(bytes))
    }

    /// Reads the CSV file at `path` as a stream (the file is never held whole in memory; a
    /// column that turns from numbers to text is completed by reading the file again).
    /// A gzip file is refused here: [`crate::input::read_all`] and [`RawTable::parse`] it.
    pub fn read(path: &Path) -> Result<RawTable> {
        let open = || {
            std::fs::File::open(path).map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        Self::parse_stream(open()?, path, open)
    }

    /// The reader of [`RawTable::parse`] and [`RawTable::read`]: `input` once, and `again`
    /// for the second pass when one is needed.
    fn parse_stream<R: Read, A: Read>(
        input: R,
        path: &Path,
        again: impl Fn() -> Result<A>,
    ) -> Result<RawTable> {
        let path_buf = path.to_path_buf();
        let io = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let (stream, ends) = Terminators::new(input).map_err(io)?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(stream);
        let mut records = rdr.byte_records();
        let header = loop {
            match records.next() {
                Some(r) => {
                    let r = r.map_err(|e| csv_error(e, path))?;
                    // Lines of blanks before anything else: the file may be all blanks.
                    if r.len() == 1 && r[0].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    break r;
                }
                None => return Err(DataError::Empty { path: path_buf }),
            }
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
        // Numbers row-major in one block (a text column's slots stay NaN); text per column.
        let mut block: Vec<f64> = Vec::new();
        let mut texts: Vec<Option<Vec<String>>> = vec![None; ncols];
        // The row at which a column of numbers met its first text; its earlier rows' text is
        // read by a second pass over the bytes (only for such columns).
        let mut turned: Vec<Option<usize>> = vec![None; ncols];
        let mut lines = Vec::new();
        // The csv crate's line numbers count skipped blank lines oddly; count newlines up to
        // the record's first byte instead.
        let utf8_error = |line: u64, j: usize| DataError::Malformed {
            path: path.to_path_buf(),
            line,
            detail: format!("column {} is not valid UTF-8", j + 1),
        };
        for rec in records {
            let rec = rec.map_err(|e| csv_error(e, path))?;
            let line = ends.line_at(rec.position().map_or(0, |p| p.byte()));
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
            let row = lines.len();
            for (j, field) in rec.iter().enumerate() {
                let number = match &texts[j] {
                    None => number_of(field),
                    Some(_) => None,
                };
                block.push(number.unwrap_or(f64::NAN));
                if number.is_none() {
                    let text = std::str::from_utf8(field).map_err(|_| utf8_error(line, j))?;
                    texts[j]
                        .get_or_insert_with(|| {
                            turned[j] = Some(row);
                            vec![String::new(); row]
                        })
                        .push(text.to_string());
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            return Err(DataError::HeaderOnly { path: path_buf });
        }
        drop(rdr);
        let nrows = lines.len();
        let block = Arc::new(block);
        let mut columns: Vec<Column> = texts
            .into_iter()
            .enumerate()
            .map(|(j, t)| match t {
                Some(v) => Column::Text(v),
                None => Column::Numbers(Numbers {
                    block: block.clone(),
                    offset: j,
                    stride: ncols,
                    len: nrows,
                }),
            })
            .collect();
        drop(block);
        if turned.iter().any(|t| t.is_some_and(|r| r > 0)) {
            fill_early_text(again()?, path, &mut columns, &turned)?;
        }
        for c in &mut columns {
            if let Column::Text(v) = c {
                v.shrink_to_fit();
            }
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

/// The second pass: the text of the rows before `turned[j]` for each column that began with
/// numbers and then met text (the first pass has checked the shape and the rest of the text).
fn fill_early_text(
    input: impl Read,
    path: &Path,
    columns: &mut [Column],
    turned: &[Option<usize>],
) -> Result<()> {
    let (stream, _) = Terminators::new(input).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(stream);
    let mut header_seen = false;
    let js: Vec<(usize, usize)> = turned
        .iter()
        .enumerate()
        .filter_map(|(j, t)| t.map(|r| (j, r)))
        .collect();
    let last = js.iter().map(|&(_, r)| r).max().unwrap_or(0);
    let mut row = 0usize;
    for rec in rdr.byte_records() {
        if row >= last {
            break;
        }
        let rec = rec.map_err(|e| csv_error(e, path))?;
        if !header_seen {
            // As the first pass: blank lines before the header, then the header.
            header_seen = !(rec.len() == 1 && rec[0].iter().all(u8::is_ascii_whitespace));
            continue;
        }
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue;
        }
        for &(j, r) in &js {
            if let Column::Text(v) = &mut columns[j] {
                if row < r {
                    // Cells before the turn parsed as numbers, so they are valid UTF-8.
                    v[row] = String::from_utf8_lossy(&rec[j]).into_owned();
                }
            }
        }
        row += 1;
    }
    Ok(())
}

/// A reader that strips a UTF-8 byte-order mark and notes where every line terminator byte
/// (`\n`, `\r`) passes, so that a record's byte position gives its line in the file (the
/// csv crate's own line count goes wrong over blank lines). Only the terminators not yet
/// asked about are kept: about one read-ahead buffer's worth.
struct Terminators<R> {
    inner: BufReader<R>,
    offset: u64,
    seen: Rc<RefCell<LineIndex>>,
}

#[derive(Default)]
struct LineIndex {
    /// Offsets and bytes of terminators at or after `from`.
    pending: VecDeque<(u64, u8)>,
    newlines: u64,
}

/// The shared half of [`Terminators`]: answers "which line starts at byte p".
struct Lines(Rc<RefCell<LineIndex>>);

impl Lines {
    /// The 1-based line of the record whose position is `p`: terminators right at `p` (the
    /// rest of the previous line's ending, blank lines) are skipped first.
    fn line_at(&self, mut p: u64) -> u64 {
        let mut ix = self.0.borrow_mut();
        while let Some(&(at, b)) = ix.pending.front() {
            if at < p || (at == p && (b == b'\n' || b == b'\r')) {
                if at == p {
                    p += 1;
                }
                if b == b'\n' {
                    ix.newlines += 1;
                }
                ix.pending.pop_front();
            } else {
                break;
            }
        }
        ix.newlines + 1
    }
}

impl<R: Read> Terminators<R> {
    fn new(inner: R) -> std::io::Result<(Terminators<R>, Lines)> {
        let mut inner = BufReader::with_capacity(1 << 16, inner);
        if inner.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            inner.consume(3);
        }
        let seen = Rc::new(RefCell::new(LineIndex::default()));
        let lines = Lines(seen.clone());
        Ok((
            Terminators {
                inner,
                offset: 0,
                seen,
            },
            lines,
        ))
    }
}

impl<R: Read> Read for Terminators<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut ix = self.seen.borrow_mut();
        for (k, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                ix.pending.push_back((self.offset + k as u64, b));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
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

    fn nums(v: &[f64]) -> Column {
        Column::Numbers(Numbers::new(v.to_vec()))
    }

    #[test]
    fn reads_quoted_fields_and_lines() {
        let t = parse("a,b\n1,\"x, y\"\n\n2,\"multi\nline\"\n3,z\n").unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(
            t.columns[1],
            Column::Text(vec!["x, y".into(), "multi\nline".into(), "z".into()])
        );
        assert_eq!(t.columns[0], nums(&[1.0, 2.0, 3.0]));
        assert_eq!(t.lines, [2, 4, 6]);
    }

    #[test]
    fn numbers_are_parsed_as_read_and_a_late_text_keeps_every_cell_as_written() {
        let t = parse("a,b,c,d\n 1.50 ,NA,x,1\n2,?,y,inf\n\n03,-1e3,z,2\n4,,w,oops\n").unwrap();
        assert_eq!(t.columns[0], nums(&[1.5, 2.0, 3.0, 4.0]));
        let b: Vec<f64> = t.columns[1].numbers().unwrap().iter().collect();
        assert!(b[0].is_nan() && b[1].is_nan() && b[3].is_nan() && b[2] == -1000.0);
        assert_eq!(t.columns[1], nums(&[f64::NAN, f64::NAN, -1000.0, f64::NAN]));
        assert_ne!(t.columns[1], nums(&[f64::NAN, f64::NAN, -1000.0, 0.0]));
        assert_eq!(t.columns[1].cell(2), Cell::Number(-1000.0));
        assert_eq!(t.columns[1].cell(0), Cell::Missing);
        assert_eq!(t.columns[1].text(2), "-1000");
        // "inf" on the second row turns d into text; the first row's "1" is read again.
        assert_eq!(
            t.columns[3],
            Column::Text(vec!["1".into(), "inf".into(), "2".into(), "oops".into()])
        );
        assert_eq!(t.columns[3].cell(1), Cell::NonFinite);
        assert_eq!(t.columns[3].cell(2), Cell::Number(2.0));
        assert_eq!(t.lines, [2, 3, 5, 6]);
        // A column that turns to text after a multi-line quoted field elsewhere.
        let t = parse("a,b\n1,\"p\nq\"\n2,r\nx,s\n").unwrap();
        assert_eq!(
            t.columns[0],
            Column::Text(vec!["1".into(), "2".into(), "x".into()])
        );
        assert_eq!(t.lines, [2, 4, 5]);
        assert!(RawTable::parse(b"a,b\n1,2\n\xff,3\n", Path::new("t.csv"))
            .unwrap_err()
            .to_string()
            .contains("not valid UTF-8"));
    }

    #[test]
    fn lines_are_counted_over_crlf_blank_lines_a_bom_and_buffer_edges() {
        let t = RawTable::parse(
            b"\xEF\xBB\xBFa,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,5\r\n",
            Path::new("c.csv"),
        )
        .unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(t.lines, [2, 4, 6]);
        // Far past the 64 KiB read-ahead: the ragged row's line is still exact, from a file
        // read as a stream as from bytes.
        let mut csv = String::from("\n\na,b\n");
        for i in 0..20_000 {
            csv.push_str(&format!("{i},\"t\n{i}\"\n"));
            if i % 7 == 0 {
                csv.push('\n');
            }
        }
        csv.push_str("1,2,3\n");
        let blank = (0..20_000).filter(|i| i % 7 == 0).count() as u64;
        let want = 3 + 2 * 20_000 + blank + 1;
        let e = parse(&csv).unwrap_err();
        assert!(
            matches!(e, DataError::Ragged { line, .. } if line == want),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("occam-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("s.csv");
        std::fs::write(&f, &csv).unwrap();
        let e = RawTable::read(&f).unwrap_err();
        assert!(
            matches!(e, DataError::Ragged { line, .. } if line == want),
            "{e}"
        );
        // Without the bad row: the same table both ways, and a late text column filled in.
        let good = csv.replace("1,2,3\n", "x,y\n");
        std::fs::write(&f, &good).unwrap();
        let (a, b) = (parse(&good).unwrap(), RawTable::read(&f).unwrap());
        assert_eq!(a.columns, b.columns);
        assert_eq!(a.lines, b.lines);
        assert_eq!(a.columns[0].text(12_345), "12345");
        assert_eq!(a.columns[0].text(19_999), "19999");
        assert!(matches!(&a.columns[0], Column::Text(v) if v[20_000] == "x"));
        assert_eq!(*a.lines.last().unwrap(), want);
        assert_eq!(
            RawTable::read(&dir.join("none.csv")).unwrap_err().kind(),
            "io"
        );
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(parse(" \n\n \n").unwrap_err().kind(), "empty-file");
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
