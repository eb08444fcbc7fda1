//! Standardization that remembers its means and scales and is applied identically at predict time.
//!
//! Scales use the 1/n (weighted) standard deviation, as glmnet does. A zero-variance column
//! keeps scale 1 and is flagged `constant`: it is never divided by zero.

use crate::matrix::{DenseMatrix, Matrix};

/// Column means and scales learned from training data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub constant: Vec<bool>,
}

/// A column counts as constant when its standard deviation is below this times (1 + |mean|).
pub const CONSTANT_TOL: f64 = 1e-13;

impl Standardizer {
    /// Learns means and 1/n standard deviations of the columns of `x`, with observation weights
    /// `w` (summing to 1) or equal weights. For sparse X the mean includes the implicit zeros.
    pub fn fit(x: &Matrix, w: Option<&[f64]>) -> Standardizer {
        let n = x.nrows();
        let p = x.ncols();
        let uniform = 1.0 / n as f64;
        let wt = |i: usize| w.map_or(uniform, |w| w[i]);
        let mut mean = vec![0.0; p];
        let mut scale = vec![1.0; p];
        let mut constant = vec![false; p];
        for j in 0..p {
            let mut m = 0.0;
            x.for_each_in_col(j, |i, v| m += wt(i) * v);
            // Second moment around the mean; for sparse columns the zeros contribute m^2 each.
            let mut ss = 0.0;
            let mut wsum_stored = 0.0;
            x.for_each_in_col(j, |i, v| {
                ss += wt(i) * (v - m) * (v - m);
                wsum_stored += wt(i);
            });
            if x.is_sparse() {
                ss += (1.0 - wsum_stored).max(0.0) * m * m;
            }
            let sd = ss.max(0.0).sqrt();
            mean[j] = m;
            if sd <= CONSTANT_TOL * (1.0 + m.abs()) {
                constant[j] = true;
            } else {
                scale[j] = sd;
            }
        }
        Standardizer {
            mean,
            scale,
            constant,
        }
    }

    /// (x - mean) / scale, column by column.
    pub fn transform(&self, x: &DenseMatrix) -> DenseMatrix {
        let mut out = x.clone();
        for j in 0..x.ncols {
            let (m, s) = (self.mean[j], self.scale[j]);
            out.col_mut(j).iter_mut().for_each(|v| *v = (*v - m) / s);
        }
        out
    }

    /// x * scale + mean, the inverse of [`Standardizer::transform`].
    pub fn inverse_transform(&self, z: &DenseMatrix) -> DenseMatrix {
        let mut out = z.clone();
        for j in 0..z.ncols {
            let (m, s) = (self.mean[j], self.scale[j]);
            out.col_mut(j).iter_mut().for_each(|v| *v = *v * s + m);
        }
        out
    }

    /// Number of constant columns.
    pub fn n_constant(&self) -> usize {
        self.constant.iter().filter(|&&c| c).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::CscMatrix;
    use crate::rng::Rng;

    #[test]
    fn round_trip_to_1e12() {
        let mut r = Rng::new(11);
        let cols: Vec<Vec<f64>> = (0..6)
            .map(|j| {
                (0..50)
                    .map(|_| 1e3 * (j as f64 + 1.0) * r.normal() + 17.0)
                    .collect()
            })
            .collect();
        let mut cols = cols;
        cols.push(vec![4.25; 50]); // constant column
        let x = DenseMatrix::from_columns(50, cols);
        let s = Standardizer::fit(&Matrix::Dense(x.clone()), None);
        assert_eq!(s.constant, [false, false, false, false, false, false, true]);
        let z = s.transform(&x);
        for j in 0..6 {
            let m: f64 = z.col(j).iter().sum::<f64>() / 50.0;
            let v: f64 = z.col(j).iter().map(|a| a * a).sum::<f64>() / 50.0;
            assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12);
        }
        assert!(z.col(6).iter().all(|v| v.abs() < 1e-12));
        let back = s.inverse_transform(&z);
        for (a, b) in back.data.iter().zip(&x.data) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let row_ptr = [0, 1, 2, 2, 4];
        let cols = [0u32, 1, 0, 1];
        let vals = [2.0, 3.0, -1.0, 5.0];
        let s = CscMatrix::from_rows(4, 2, &row_ptr, &cols, &vals);
        let d = s.to_dense_cols(2);
        let a = Standardizer::fit(&Matrix::Sparse(s), None);
        let b = Standardizer::fit(&Matrix::Dense(d), None);
        for j in 0..2 {
            assert!((a.mean[j] - b.mean[j]).abs() < 1e-15);
            assert!((a.scale[j] - b.scale[j]).abs() < 1e-15);
        }
    }
}
