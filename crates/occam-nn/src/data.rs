//! Training data as the engine sees it: features (dense rows or sparse CSR rows, f32 or f64),
//! targets laid out for the loss, and the batch gatherer that copies a shuffled mini-batch
//! into reused buffers.

use crate::mat::{Batch, Csr, Mat};
use crate::net::Net;
use crate::real::Real;
use occam_core::Task;

#[derive(Clone, Debug)]
pub enum Features<R> {
    Dense(Mat<R>),
    Sparse(Csr<R>),
}

impl<R: Real> Features<R> {
    pub fn rows(&self) -> usize {
        match self {
            Features::Dense(m) => m.rows,
            Features::Sparse(s) => s.rows,
        }
    }
    pub fn cols(&self) -> usize {
        match self {
            Features::Dense(m) => m.cols,
            Features::Sparse(s) => s.cols,
        }
    }
    pub fn as_batch(&self) -> Batch<'_, R> {
        match self {
            Features::Dense(m) => Batch::Dense(m),
            Features::Sparse(s) => Batch::Sparse(s),
        }
    }
}

/// Features and targets of one split. `y` holds one value per row (class index, 0/1, count)
/// or, for regression, `outputs` values per row (standardized when `y_scale` is set).
#[derive(Clone, Debug)]
pub struct Data<R> {
    pub x: Features<R>,
    pub y: Vec<R>,
    pub task: Task,
    /// Number of network outputs (classes for multiclass, else 1).
    pub outputs: usize,
    /// Regression: (mean, sd) the targets were standardized with; metrics undo it.
    pub y_scale: Option<(f64, f64)>,
}

impl<R: Real> Data<R> {
    pub fn rows(&self) -> usize {
        self.x.rows()
    }

    /// Targets per row as the loss reads them.
    pub fn y_width(&self) -> usize {
        if self.task == Task::Regression {
            self.outputs
        } else {
            1
        }
    }
}

/// Gathers the rows `idx` of `data` into reused buffers.
#[derive(Clone, Debug, Default)]
pub struct Gather<R> {
    pub dense: Mat<R>,
    pub sparse: Csr<R>,
    pub y: Vec<R>,
    is_sparse: bool,
}

impl<R: Real> Gather<R> {
    /// Copies rows `idx` (features and targets) into the buffers.
    pub fn fill(&mut self, data: &Data<R>, idx: &[usize]) {
        let w = data.y_width();
        self.y.clear();
        for &i in idx {
            self.y.extend_from_slice(&data.y[i * w..(i + 1) * w]);
        }
        self.fill_x(&data.x, idx);
    }

    /// Copies the feature rows `idx` into the buffers (the targets are left as they are).
    pub fn fill_x(&mut self, x: &Features<R>, idx: &[usize]) {
        match x {
            Features::Dense(m) => {
                self.is_sparse = false;
                self.dense.resize(idx.len(), m.cols);
                for (r, &i) in idx.iter().enumerate() {
                    self.dense.row_mut(r).copy_from_slice(m.row(i));
                }
            }
            Features::Sparse(s) => {
                self.is_sparse = true;
                let b = &mut self.sparse;
                b.rows = idx.len();
                b.cols = s.cols;
                b.indptr.clear();
                b.indices.clear();
                b.values.clear();
                b.indptr.push(0);
                for &i in idx {
                    let (ix, v) = s.row(i);
                    b.indices.extend_from_slice(ix);
                    b.values.extend_from_slice(v);
                    b.indptr.push(b.indices.len());
                }
            }
        }
    }

    /// The last filled batch.
    pub fn batch(&self) -> Batch<'_, R> {
        if self.is_sparse {
            Batch::Sparse(&self.sparse)
        } else {
            Batch::Dense(&self.dense)
        }
    }
}

/// The network's outputs for every row of `x` (eval mode), in chunks gathered into `gather`'s
/// buffers: 1,024 rows, or 128 behind convolutions (they keep per-image patch buffers).
pub fn outputs<R: Real>(net: &mut Net<R>, x: &Features<R>, gather: &mut Gather<R>) -> Mat<R> {
    let n = x.rows();
    let k = net.spec.n_out;
    let mut out = Mat::zeros(n, k);
    let chunk = if net.spec.conv.is_empty() { 1024 } else { 128 };
    let idx: Vec<usize> = (0..n).collect();
    for s in (0..n).step_by(chunk) {
        let e = (s + chunk).min(n);
        gather.fill_x(x, &idx[s..e]);
        let o = net.forward_eval(gather.batch());
        out.data[s * k..e * k].copy_from_slice(&o.data);
    }
    out
}
