//! Embedding: a `[rows, dim]` table looked up by integer ids. The backward pass returns the
//! gradient of the touched rows only (sparse: `(row, gradient)` pairs, ids repeated in a
//! batch summed), so an update changes only those rows (see `LazyAdam`).

use crate::mat::Mat;
use crate::real::Real;
use occam_core::rng::Rng;

#[derive(Clone, Debug, PartialEq)]
pub struct Embedding<R> {
    pub rows: usize,
    pub dim: usize,
    /// `[rows, dim]` row-major.
    pub weight: Vec<R>,
    pub out: Mat<R>,
    /// Sorted touched rows and their summed gradients (`touched.len() * dim`).
    pub touched: Vec<usize>,
    pub grad: Vec<R>,
}

impl<R: Real> Embedding<R> {
    pub fn new(rows: usize, dim: usize, weight: Vec<R>) -> Self {
        assert_eq!(weight.len(), rows * dim, "embedding: weight shape");
        Embedding {
            rows,
            dim,
            weight,
            out: Mat::default(),
            touched: Vec::new(),
            grad: Vec::new(),
        }
    }

    /// `out[b, :] = weight[ids[b], :]` (train and eval are the same lookup).
    pub fn forward(&mut self, ids: &[usize]) {
        let d = self.dim;
        self.out.resize(ids.len(), d);
        for (b, &i) in ids.iter().enumerate() {
            assert!(
                i < self.rows,
                "embedding: id {i} out of range for {} rows",
                self.rows
            );
            self.out
                .row_mut(b)
                .copy_from_slice(&self.weight[i * d..(i + 1) * d]);
        }
    }

    /// Sparse gradient from the upstream `gy` (`[batch, dim]`) for the same `ids`.
    pub fn backward(&mut self, ids: &[usize], gy: &Mat<R>) {
        let d = self.dim;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&b| (ids[b], b));
        self.touched.clear();
        self.grad.clear();
        for b in order {
            let i = ids[b];
            if self.touched.last() != Some(&i) {
                self.touched.push(i);
                self.grad.extend(std::iter::repeat_n(R::zero(), d));
            }
            let k = self.grad.len() - d;
            self.grad[k..]
                .iter_mut()
                .zip(gy.row(b))
                .for_each(|(g, &v)| *g += v);
        }
    }

    /// Adds each row's squared norm of its own gradient of the table to `out` (DP-SGD's
    /// per-example clipping): a row looks up one id, so its gradient is `gy_n` at that id's
    /// row and its squared norm is `|gy_n|^2`. The clipped sum is `backward` with the rows of
    /// `gy` scaled (repeated ids summed there).
    pub fn add_sample_sq_norms(&self, gy: &Mat<R>, out: &mut [f64]) {
        for (n, o) in out.iter_mut().enumerate().take(gy.rows) {
            *o += gy.row(n).iter().map(|v| v.f64() * v.f64()).sum::<f64>();
        }
    }

    /// Makes the gradient dense after `backward` (every row touched; the untouched rows'
    /// gradient zero), adds N(0, `sd`^2) to every coordinate, in row order from `rng`, and
    /// divides by `expected_batch` (DP-SGD's noise: every row gets it, so the update is
    /// dense).
    pub fn densify_with_noise(&mut self, sd: f64, expected_batch: f64, rng: &mut Rng) {
        let d = self.dim;
        let mut dense = vec![R::zero(); self.rows * d];
        for (k, &i) in self.touched.iter().enumerate() {
            dense[i * d..(i + 1) * d].copy_from_slice(&self.grad[k * d..(k + 1) * d]);
        }
        crate::dp::noisy_mean(&mut dense, sd, expected_batch, rng);
        self.grad = dense;
        self.touched = (0..self.rows).collect();
    }
}

/// Adam on the touched rows only ("lazy" Adam, as TensorFlow's LazyAdam and PyTorch's
/// SparseAdam): moments of untouched rows do not decay, and each row keeps its own step count
/// for the bias correction. Coupled L2 (`l2 * w`) is added to the touched rows' gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct LazyAdam<R> {
    pub m: Vec<R>,
    pub v: Vec<R>,
    pub steps: Vec<u32>,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl<R: Real> LazyAdam<R> {
    pub fn new(rows: usize, dim: usize) -> Self {
        LazyAdam {
            m: vec![R::zero(); rows * dim],
            v: vec![R::zero(); rows * dim],
            steps: vec![0; rows],
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    pub fn step(&mut self, e: &mut Embedding<R>, lr: f64, l2: f64) {
        let d = e.dim;
        for (k, &i) in e.touched.iter().enumerate() {
            self.steps[i] += 1;
            let t = self.steps[i] as i32;
            let c = crate::optim::adam::Coefs::new(lr, self.beta1, self.beta2, self.eps, t as u64);
            let g: Vec<R> = e.grad[k * d..(k + 1) * d]
                .iter()
                .zip(&e.weight[i * d..(i + 1) * d])
                .map(|(&g, &w)| g + R::of(l2) * w)
                .collect();
            crate::optim::adam::update(
                &mut e.weight[i * d..(i + 1) * d],
                &g,
                &mut self.m[i * d..(i + 1) * d],
                &mut self.v[i * d..(i + 1) * d],
                &c,
            );
        }
    }
}
