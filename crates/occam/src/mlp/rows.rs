//! The rows a network trains on: the standardization statistics of the training rows and the
//! engine's f32 layout of a data set (dense rows standardized, sparse rows as they are).

use super::n_outputs;
use occam_core::{Dataset, Matrix, Standardizer, Task};
use occam_nn::model::Preprocess;
use occam_nn::{Csr, Data, Features, Mat};

/// Standardization statistics from the training rows (dense input only), and the target's
/// scaling for regression.
pub fn scaling(train: &Dataset, standardize: bool) -> Preprocess {
    let sparse = train.x.is_sparse();
    let (mean, scale) = if standardize && !sparse {
        let s = Standardizer::fit(&train.x, None);
        (Some(s.mean), Some(s.scale))
    } else {
        (None, None)
    };
    let y_scale = (train.task == Task::Regression).then(|| {
        let n = train.y.len() as f64;
        let m = train.y.iter().sum::<f64>() / n;
        let sd = (train.y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
        (m, if sd > 0.0 { sd } else { 1.0 })
    });
    Preprocess {
        mean,
        scale,
        y_scale,
        sparse,
    }
}

/// Rows of `x` (dense: standardized as `pre` says) in the engine's f32 layout.
pub fn features(x: &Matrix, pre: &Preprocess) -> Features<f32> {
    match x {
        Matrix::Dense(d) => {
            let (n, p) = (d.nrows, d.ncols);
            let mut m = Mat::zeros(n, p);
            for j in 0..p {
                let (mu, sc) = match (&pre.mean, &pre.scale) {
                    (Some(mu), Some(sc)) => (mu[j], sc[j]),
                    _ => (0.0, 1.0),
                };
                for (i, &v) in d.col(j).iter().enumerate() {
                    m.data[i * p + j] = ((v - mu) / sc) as f32;
                }
            }
            Features::Dense(m)
        }
        Matrix::Sparse(s) => {
            let mut counts = vec![0usize; s.nrows + 1];
            for &r in &s.indices {
                counts[r as usize + 1] += 1;
            }
            for i in 0..s.nrows {
                counts[i + 1] += counts[i];
            }
            let mut next = counts.clone();
            let nnz = s.indices.len();
            let (mut idx, mut val) = (vec![0u32; nnz], vec![0f32; nnz]);
            for j in 0..s.ncols {
                for k in s.indptr[j]..s.indptr[j + 1] {
                    let r = s.indices[k] as usize;
                    idx[next[r]] = j as u32;
                    val[next[r]] = s.values[k] as f32;
                    next[r] += 1;
                }
            }
            Features::Sparse(Csr {
                rows: s.nrows,
                cols: s.ncols,
                indptr: counts,
                indices: idx,
                values: val,
            })
        }
    }
}

/// The engine's view of a data set (targets scaled for regression).
pub fn engine_data(d: &Dataset, pre: &Preprocess) -> Data<f32> {
    let y = match pre.y_scale {
        Some((m, s)) => d.y.iter().map(|v| ((v - m) / s) as f32).collect(),
        None => d.y.iter().map(|&v| v as f32).collect(),
    };
    Data {
        x: features(&d.x, pre),
        y,
        task: d.task,
        outputs: n_outputs(d),
        y_scale: pre.y_scale,
    }
}
