//! Raw input bytes: reads a whole stream, decompressing gzip when the magic bytes say so.

use crate::error::{DataError, Result};
use std::io::Read;
use std::path::Path;

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Reads everything from `reader`; if it is gzip (by magic number, not by name), decompresses
/// all members. A truncated or corrupt gzip stream is a [`DataError::Corrupt`] naming `path`.
pub fn read_all(mut reader: impl Read, path: &Path) -> Result<Vec<u8>> {
    let mut raw = Vec::new();
    reader
        .read_to_end(&mut raw)
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    decompress(raw, path)
}

/// Decompresses `raw` if it is gzip, else returns it unchanged.
pub fn decompress(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    if !is_gzip(&raw) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .map_err(|e| DataError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("the gzip stream is truncated or damaged ({e})"),
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plain_and_gzip_round_trip() {
        let p = Path::new("x");
        assert_eq!(read_all(&b"a,b\n1,2\n"[..], p).unwrap(), b"a,b\n1,2\n");
        assert_eq!(read_all(&gz(b"hello")[..], p).unwrap(), b"hello");
    }

    #[test]
    fn truncated_gzip_is_corrupt() {
        let g = gz(&[7u8; 10_000]);
        let err = read_all(&g[..g.len() / 2], Path::new("t.gz")).unwrap_err();
        assert_eq!(err.kind(), "corrupt", "{err}");
        assert!(err.to_string().contains("t.gz"));
    }
}
