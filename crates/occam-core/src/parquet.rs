//! Parquet files (the arrow-rs `parquet` crate, without Arrow) read into the same
//! [`RawTable`] as CSV, with the same rules: every top-level column one table column, rows in
//! file order. Floating and integer columns become columns of numbers (a null is a missing
//! cell), booleans the numbers 0 and 1, strings text typed as a CSV's cells are (a string
//! column whose every value is a number or missing is a column of numbers; categories stay
//! text). A float column holding NaN or infinity keeps its cells as text (`NaN`, `inf`), so
//! that they are refused where they are used, as in a CSV. Nested and repeated columns,
//! INT96 and fixed-length byte arrays are refused, naming the column (as an error on line 1,
//! the schema standing where a CSV's header does). A table from Parquet numbers its rows
//! from 2, as if a header took line 1: "line 7" in an error is the sixth row.

use crate::error::{DataError, Result};
use crate::table::{number_text, Column, Numbers, RawTable};
use parquet::basic::Type as Physical;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use std::path::Path;

/// True when `bytes` start with Parquet's magic number `PAR1`.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Reads the Parquet file at `path` (its column chunks as they are needed, not whole).
pub fn read_parquet(path: &Path) -> Result<RawTable> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read(|| SerializedFileReader::new(file), path)
}

/// Reads a Parquet file held in memory (`path` names it in errors).
pub fn parse_parquet(bytes: Vec<u8>, path: &Path) -> Result<RawTable> {
    read(
        || SerializedFileReader::new(bytes::Bytes::from(bytes)),
        path,
    )
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("not a readable Parquet file: {e}"),
    }
}

fn refused(path: &Path, detail: String) -> DataError {
    DataError::Malformed {
        path: path.to_path_buf(),
        line: 1,
        detail,
    }
}

/// One column's cells over the row groups: numbers (None = null) or text (None = null).
enum Cells {
    Numbers(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

/// Whether a panic raised at `file` (a source location) comes from the Parquet decoder: the
/// readers here catch those and report the file as corrupt, so a panic hook may stay quiet
/// about them (the CLI's does).
pub fn is_decoder_panic(file: &str) -> bool {
    file.contains("/parquet-") || file.contains("\\parquet-")
}

/// [`read_inner`], with a panic of the decoder (the `parquet` crate panics on some damaged
/// pages, e.g. dictionary-encoded data without its dictionary) turned into a
/// [`DataError::Corrupt`] naming the file: occam never panics on an input.
fn read<R: ChunkReader + 'static>(
    reader: impl FnOnce() -> parquet::errors::Result<SerializedFileReader<R>>,
    path: &Path,
) -> Result<RawTable> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_inner(reader(), path))) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a damaged page".into());
            Err(corrupt(path, format!("the decoder failed: {what}")))
        }
    }
}

fn read_inner<R: ChunkReader + 'static>(
    reader: parquet::errors::Result<SerializedFileReader<R>>,
    path: &Path,
) -> Result<RawTable> {
    let reader = reader.map_err(|e| corrupt(path, e))?;
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr();
    let ncols = schema.num_columns();
    if ncols == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut headers = Vec::with_capacity(ncols);
    let mut seen = std::collections::HashMap::new();
    for j in 0..ncols {
        let c = schema.column(j);
        let name = c.path().string();
        if c.max_rep_level() > 0 || c.path().parts().len() > 1 {
            return Err(refused(
                path,
                format!(
                    "column '{}' ({name}) is nested or repeated; occam reads flat tables (one \
                     value per row and column)",
                    c.path().parts()[0]
                ),
            ));
        }
        if matches!(
            c.physical_type(),
            Physical::INT96 | Physical::FIXED_LEN_BYTE_ARRAY
        ) {
            return Err(refused(
                path,
                format!(
                    "column '{name}' is stored as {}, which occam does not read (store \
                     timestamps as INT64 and decimals as floats)",
                    c.physical_type()
                ),
            ));
        }
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(DataError::EmptyColumnName {
                path: path.to_path_buf(),
                column: j + 1,
            });
        }
        if let Some(&first) = seen.get(&name) {
            return Err(DataError::DuplicateColumn {
                path: path.to_path_buf(),
                name,
                first: first + 1,
                second: j + 1,
            });
        }
        seen.insert(name.clone(), j);
        headers.push(name);
    }
    let nrows = meta.file_metadata().num_rows().max(0) as usize;
    if nrows == 0 {
        return Err(DataError::HeaderOnly {
            path: path.to_path_buf(),
        });
    }
    // The row count is the file's word: a damaged one must not reserve memory up front.
    let reserve = nrows.min(1 << 16);
    let mut cells: Vec<Cells> = (0..ncols)
        .map(|j| match schema.column(j).physical_type() {
            Physical::BYTE_ARRAY => Cells::Text(Vec::with_capacity(reserve)),
            _ => Cells::Numbers(Vec::with_capacity(reserve)),
        })
        .collect();
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(|e| corrupt(path, e))?;
        let rows = group.metadata().num_rows().max(0) as usize;
        for (j, out) in cells.iter_mut().enumerate() {
            let col = group.get_column_reader(j).map_err(|e| corrupt(path, e))?;
            let def = schema.column(j).max_def_level();
            let name = &headers[j];
            let bad =
                |e: parquet::errors::ParquetError| corrupt(path, format!("column '{name}': {e}"));
            match (col, out) {
                (ColumnReader::BoolColumnReader(r), Cells::Numbers(v)) => v.extend(
                    cells_of(r, rows, def)
                        .map_err(bad)?
                        .into_iter()
                        .map(|b| b.map(|b| f64::from(u8::from(b)))),
                ),
                (ColumnReader::Int32ColumnReader(r), Cells::Numbers(v)) => v.extend(
                    cells_of(r, rows, def)
                        .map_err(bad)?
                        .into_iter()
                        .map(|x| x.map(f64::from)),
                ),
                (ColumnReader::Int64ColumnReader(r), Cells::Numbers(v)) => v.extend(
                    cells_of(r, rows, def)
                        .map_err(bad)?
                        .into_iter()
                        .map(|x| x.map(|x| x as f64)),
                ),
                (ColumnReader::FloatColumnReader(r), Cells::Numbers(v)) => v.extend(
                    cells_of(r, rows, def)
                        .map_err(bad)?
                        .into_iter()
                        .map(|x| x.map(f64::from)),
                ),
                (ColumnReader::DoubleColumnReader(r), Cells::Numbers(v)) => {
                    v.extend(cells_of(r, rows, def).map_err(bad)?)
                }
                (ColumnReader::ByteArrayColumnReader(r), Cells::Text(v)) => {
                    for b in cells_of(r, rows, def).map_err(bad)? {
                        let text = match b {
                            None => None,
                            Some(b) => Some(
                                b.as_utf8()
                                    .map_err(|_| {
                                        refused(
                                            path,
                                            format!("column '{name}' holds text that is not UTF-8"),
                                        )
                                    })?
                                    .to_string(),
                            ),
                        };
                        v.push(text);
                    }
                }
                _ => return Err(corrupt(path, format!("column '{name}' changes its type"))),
            }
        }
    }
    if let Some(j) = (0..ncols).find(|&j| match &cells[j] {
        Cells::Numbers(v) => v.len() != nrows,
        Cells::Text(v) => v.len() != nrows,
    }) {
        return Err(corrupt(
            path,
            format!(
                "column '{}' does not hold the {nrows} rows the file declares",
                headers[j]
            ),
        ));
    }
    let columns = cells
        .into_iter()
        .map(|c| match c {
            Cells::Numbers(v) if v.iter().flatten().all(|x| x.is_finite()) => Column::Numbers(
                Numbers::new(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
            ),
            Cells::Numbers(v) => Column::Text(
                v.into_iter()
                    .map(|x| x.map(number_text).unwrap_or_default())
                    .collect(),
            ),
            Cells::Text(v) => {
                Column::from_texts(v.into_iter().map(Option::unwrap_or_default).collect())
            }
        })
        .collect();
    Ok(RawTable {
        path: path.to_path_buf(),
        headers,
        columns,
        lines: (2..nrows as u64 + 2).collect(),
    })
}

/// Every row of one column chunk of `rows` rows: `None` where the definition level says null.
fn cells_of<T: DataType>(
    mut r: ColumnReaderImpl<T>,
    rows: usize,
    max_def: i16,
) -> parquet::errors::Result<Vec<Option<T::T>>> {
    let reserve = rows.min(1 << 16);
    let (mut values, mut defs) = (Vec::with_capacity(reserve), Vec::with_capacity(reserve));
    let mut read = 0;
    while read < rows {
        let (records, _, _) = r.read_records(
            rows - read,
            (max_def > 0).then_some(&mut defs),
            None,
            &mut values,
        )?;
        if records == 0 {
            break;
        }
        read += records;
    }
    if max_def == 0 {
        return Ok(values.into_iter().map(Some).collect());
    }
    let mut it = values.into_iter();
    Ok(defs
        .into_iter()
        .map(|d| if d == max_def { it.next() } else { None })
        .collect())
}
