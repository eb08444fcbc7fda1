//! idx files (MNIST, Fashion-MNIST; optionally gzip) into dense f32 arrays.

use crate::error::{DataError, Result};
use std::path::Path;

/// An n-dimensional array read from an idx file; `data` is row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<f32>,
}

impl IdxArray {
    /// Number of items (the first dimension).
    pub fn len(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per item (product of the other dimensions).
    pub fn item_size(&self) -> usize {
        self.dims.iter().skip(1).product()
    }
}

/// Parses idx `bytes` (already decompressed) read from `path`. The magic number is two zero
/// bytes, a type code (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64) and the number
/// of dimensions; then each dimension as a big-endian u32; then the values, big-endian.
pub fn read_idx(bytes: &[u8], path: &Path) -> Result<IdxArray> {
    let err = |detail: String| DataError::Idx {
        path: path.to_path_buf(),
        detail,
    };
    if bytes.len() < 4 {
        return Err(err(format!(
            "{} bytes is too short for an idx header",
            bytes.len()
        )));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(err(format!(
            "wrong magic number {:02x}{:02x}{:02x}{:02x}: an idx file starts with two zero bytes",
            bytes[0], bytes[1], bytes[2], bytes[3]
        )));
    }
    let (width, ty) = match bytes[2] {
        0x08 => (1, "u8"),
        0x09 => (1, "i8"),
        0x0B => (2, "i16"),
        0x0C => (4, "i32"),
        0x0D => (4, "f32"),
        0x0E => (8, "f64"),
        t => {
            return Err(err(format!(
                "unknown idx type code 0x{t:02x} in the magic number"
            )))
        }
    };
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(err("the magic number declares zero dimensions".into()));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(err(format!(
            "truncated header: {ndim} dimensions need {header} bytes"
        )));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|k| u32::from_be_bytes(bytes[4 + 4 * k..8 + 4 * k].try_into().unwrap()) as usize)
        .collect();
    // Checked: a header of large dimensions must be an error, not an overflow.
    let need = dims
        .iter()
        .try_fold(width as usize, |acc: usize, &d| acc.checked_mul(d))
        .and_then(|b| b.checked_add(header))
        .ok_or_else(|| err(format!("dimensions {dims:?} overflow the address space")))?;
    if bytes.len() != need {
        return Err(err(format!(
            "dimensions {dims:?} of {ty} need {need} bytes, but the file has {}",
            bytes.len()
        )));
    }
    let body = &bytes[header..];
    let data: Vec<f32> = match bytes[2] {
        0x08 => body.iter().map(|&b| b as f32).collect(),
        0x09 => body.iter().map(|&b| b as i8 as f32).collect(),
        0x0B => body
            .chunks_exact(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]) as f32)
            .collect(),
        0x0C => body
            .chunks_exact(4)
            .map(|c| i32::from_be_bytes(c.try_into().unwrap()) as f32)
            .collect(),
        0x0D => body
            .chunks_exact(4)
            .map(|c| f32::from_be_bytes(c.try_into().unwrap()))
            .collect(),
        _ => body
            .chunks_exact(8)
            .map(|c| f64::from_be_bytes(c.try_into().unwrap()) as f32)
            .collect(),
    };
    Ok(IdxArray { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_u8_images() {
        let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        b.extend([1, 2, 3, 255]);
        let a = read_idx(&b, Path::new("i")).unwrap();
        assert_eq!(a.dims, [2, 1, 2]);
        assert_eq!(a.item_size(), 2);
        assert_eq!(a.data, [1.0, 2.0, 3.0, 255.0]);
    }

    #[test]
    fn rejects_bad_magic_and_truncation() {
        let e = read_idx(&[1, 2, 8, 1, 0, 0, 0, 1, 5], Path::new("i")).unwrap_err();
        assert!(e.to_string().contains("wrong magic"), "{e}");
        let e = read_idx(&[0, 0, 8, 1, 0, 0, 0, 3, 5], Path::new("i")).unwrap_err();
        assert!(e.to_string().contains("need 11 bytes"), "{e}");
        assert_eq!(
            read_idx(&[0, 0, 0x42, 1], Path::new("i"))
                .unwrap_err()
                .kind(),
            "idx"
        );
    }
}
