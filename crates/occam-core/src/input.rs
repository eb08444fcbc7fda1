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

/// The most bytes a gzip input may decompress to, unless `OCCAM_MAX_INPUT_BYTES` sets
/// another budget: 8 GiB. Deflate expands up to about 1000-fold, so a small file can ask for
/// far more memory than its data justify; past the budget it is refused, not read.
pub const MAX_DECOMPRESSED: u64 = 8 << 30;

/// The decompression budget in bytes: `OCCAM_MAX_INPUT_BYTES`, or [`MAX_DECOMPRESSED`].
pub fn max_decompressed() -> u64 {
    std::env::var("OCCAM_MAX_INPUT_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(MAX_DECOMPRESSED)
}

/// Decompresses `raw` if it is gzip, else returns it unchanged.
pub fn decompress(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    decompress_within(raw, path, max_decompressed())
}

/// [`decompress`] with the budget `limit` in bytes.
pub fn decompress_within(raw: Vec<u8>, path: &Path, limit: u64) -> Result<Vec<u8>> {
    if !is_gzip(&raw) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(limit as usize));
    flate2::read::MultiGzDecoder::new(&raw[..])
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DataError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("the gzip stream is truncated or damaged ({e})"),
        })?;
    if out.len() as u64 > limit {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            detail: format!(
                "decompresses to more than {limit} bytes, the input budget (set \
                 OCCAM_MAX_INPUT_BYTES to allow more)"
            ),
        });
    }
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
    fn a_stream_past_the_budget_is_refused_before_it_is_read_whole() {
        // 64 KiB of zeros compress to about 100 bytes; a budget of 1 KiB refuses them.
        let bomb = gz(&vec![0u8; 64 << 10]);
        let e = decompress_within(bomb.clone(), Path::new("b.gz"), 1024).unwrap_err();
        assert_eq!(e.kind(), "too-large");
        assert!(e.to_string().contains("OCCAM_MAX_INPUT_BYTES"), "{e}");
        assert_eq!(decompress(bomb, Path::new("b.gz")).unwrap().len(), 64 << 10);
    }

    #[test]
    fn truncated_gzip_is_corrupt() {
        let g = gz(&[7u8; 10_000]);
        let err = read_all(&g[..g.len() / 2], Path::new("t.gz")).unwrap_err();
        assert_eq!(err.kind(), "corrupt", "{err}");
        assert!(err.to_string().contains("t.gz"));
    }
}
