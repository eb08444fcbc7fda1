//! Row-major matrices (one row per example) whose buffers are reused from step to step, the
//! sparse CSR batch used for bag-of-words and genomic input, and the three matrix products a
//! dense layer needs, over the `gemm` crate (CPU features detected at run time).

use crate::real::Real;

/// A row-major `rows x cols` matrix. `resize` keeps the allocation, so a training loop that
/// sees the same batch size allocates once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mat<R> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<R>,
}

impl<R: Real> Mat<R> {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Mat {
            rows,
            cols,
            data: vec![R::zero(); rows * cols],
        }
    }

    pub fn from_vec(rows: usize, cols: usize, data: Vec<R>) -> Self {
        assert_eq!(data.len(), rows * cols, "Mat::from_vec: wrong length");
        Mat { rows, cols, data }
    }

    /// Sets the shape, reusing the buffer; contents are unspecified (zero when grown).
    pub fn resize(&mut self, rows: usize, cols: usize) {
        self.rows = rows;
        self.cols = cols;
        self.data.resize(rows * cols, R::zero());
    }

    pub fn row(&self, i: usize) -> &[R] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [R] {
        let c = self.cols;
        &mut self.data[i * c..(i + 1) * c]
    }

    /// Copies `src` into self (shape and values), reusing the buffer.
    pub fn assign(&mut self, src: &Mat<R>) {
        self.rows = src.rows;
        self.cols = src.cols;
        self.data.clear();
        self.data.extend_from_slice(&src.data);
    }
}

/// A batch of sparse rows (CSR): row i holds `indices[indptr[i]..indptr[i+1]]` with `values`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Csr<R> {
    pub rows: usize,
    pub cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<R>,
}

impl<R: Real> Csr<R> {
    pub fn row(&self, i: usize) -> (&[u32], &[R]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// The CSR form of a dense matrix (zeros dropped); used by tests and small inputs.
    pub fn from_dense(m: &Mat<R>) -> Self {
        let mut c = Csr {
            rows: m.rows,
            cols: m.cols,
            indptr: vec![0],
            ..Default::default()
        };
        for i in 0..m.rows {
            for (j, &v) in m.row(i).iter().enumerate() {
                if v != R::zero() {
                    c.indices.push(j as u32);
                    c.values.push(v);
                }
            }
            c.indptr.push(c.indices.len());
        }
        c
    }

    pub fn to_dense(&self) -> Mat<R> {
        let mut m = Mat::zeros(self.rows, self.cols);
        for i in 0..self.rows {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                m.data[i * self.cols + j as usize] = v;
            }
        }
        m
    }
}

/// One input batch: dense, or sparse rows that the first dense layer reads without densifying.
#[derive(Clone, Copy, Debug)]
pub enum Batch<'a, R> {
    Dense(&'a Mat<R>),
    Sparse(&'a Csr<R>),
}

impl<R: Real> Batch<'_, R> {
    pub fn rows(&self) -> usize {
        match self {
            Batch::Dense(m) => m.rows,
            Batch::Sparse(s) => s.rows,
        }
    }
    pub fn cols(&self) -> usize {
        match self {
            Batch::Dense(m) => m.cols,
            Batch::Sparse(s) => s.cols,
        }
    }
}

/// Below this many multiply-adds a product runs on one thread: measured on the nn-anchor
/// workloads, splitting a 32 x 256 x 256 product cost more than it saved.
const PARALLEL_FLOPS: usize = 1 << 22;

thread_local! {
    static SERIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every product on this thread kept single-threaded (the caller already
/// splits the work, see `parallel.rs`).
pub fn serial<T>(f: impl FnOnce() -> T) -> T {
    let before = SERIAL.with(|s| s.replace(true));
    let out = f();
    SERIAL.with(|s| s.set(before));
    out
}

/// Whether element-wise work over `n` values is worth spreading over the rayon pool (never
/// inside `serial`).
pub fn parallel_elementwise(n: usize) -> bool {
    n >= ELEMENTWISE_SPLIT && rayon::current_num_threads() > 1 && !SERIAL.with(|s| s.get())
}

/// Chunk length of parallel element-wise loops, and the smallest length split at all.
pub const ELEMENTWISE_SPLIT: usize = 1 << 16;

/// How many row blocks a product of this size is split into (one per rayon thread, at most).
fn row_blocks(m: usize, n: usize, k: usize) -> usize {
    let threads = rayon::current_num_threads();
    if threads > 1 && m * n * k >= PARALLEL_FLOPS && m >= 16 && !SERIAL.with(|s| s.get()) {
        threads.min(m / 8)
    } else {
        1
    }
}

/// The index of the first largest value of `r` (0 for an empty slice): the predicted class
/// of a row of scores.
pub fn argmax<T: PartialOrd>(r: &[T]) -> usize {
    (0..r.len()).fold(0, |b, j| if r[j] > r[b] { j } else { b })
}

/// A strided view: element (i, j) at `i * rs + j * cs`.
#[derive(Clone, Copy)]
pub struct View<'a, R> {
    pub data: &'a [R],
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

impl<'a, R: Real> View<'a, R> {
    /// A row-major `rows x cols` buffer.
    pub fn new(data: &'a [R], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols);
        View {
            data,
            rows,
            cols,
            rs: cols as isize,
            cs: 1,
        }
    }
    pub fn of(m: &'a Mat<R>) -> Self {
        View::new(&m.data, m.rows, m.cols)
    }
    /// The transpose, without copying.
    pub fn t(self) -> Self {
        View {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// `c = a * b` (`accumulate`: `c += a * b`), with `c` row-major `a.rows x b.cols`.
///
/// Large products are split by rows of `c` into one block per rayon thread, each block a
/// single-threaded product: every entry of `c` is computed by one thread with the same
/// arithmetic, whatever the thread count.
pub fn matmul<R: Real>(c: &mut [R], a: View<R>, b: View<R>, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "matmul: inner dimensions differ");
    let (m, n, k) = (a.rows, b.cols, a.cols);
    assert!(c.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].iter_mut().for_each(|v| *v = R::zero());
        }
        return;
    }
    assert!(
        a.rs >= 0 && a.cs >= 0 && b.rs >= 0 && b.cs >= 0,
        "matmul: negative stride"
    );
    let a_span = (m - 1) * a.rs as usize + (k - 1) * a.cs as usize;
    let b_span = (k - 1) * b.rs as usize + (n - 1) * b.cs as usize;
    assert!(
        a_span < a.data.len() && b_span < b.data.len(),
        "matmul: view out of bounds"
    );
    let blocks = row_blocks(m, n, k);
    if blocks <= 1 {
        // SAFETY: the asserts above bound every element the views and `c` are read at.
        unsafe { gemm_block(&mut c[..m * n], a, 0, m, b, accumulate) };
        return;
    }
    split_rows(&mut c[..m * n], a, 0, m, b, accumulate, blocks);
}

/// Recursive halving with `rayon::join`: one half runs on this thread, the other is stolen.
fn split_rows<R: Real>(
    c: &mut [R],
    a: View<R>,
    r0: usize,
    rows: usize,
    b: View<R>,
    acc: bool,
    blocks: usize,
) {
    if blocks <= 1 {
        // SAFETY: `matmul` checked that every row of `a` and `b` is in bounds.
        unsafe { gemm_block(c, a, r0, rows, b, acc) };
        return;
    }
    let left_blocks = blocks / 2;
    let left_rows = rows * left_blocks / blocks;
    let (cl, cr) = c.split_at_mut(left_rows * b.cols);
    rayon::join(
        || split_rows(cl, a, r0, left_rows, b, acc, left_blocks),
        || {
            split_rows(
                cr,
                a,
                r0 + left_rows,
                rows - left_rows,
                b,
                acc,
                blocks - left_blocks,
            )
        },
    );
}

/// Rows `r0..r0+rows` of `a * b` into `c` (row-major, `rows x b.cols`), on this thread.
///
/// # Safety
/// The caller has checked that the views are in bounds for those rows.
unsafe fn gemm_block<R: Real>(
    c: &mut [R],
    a: View<R>,
    r0: usize,
    rows: usize,
    b: View<R>,
    acc: bool,
) {
    let n = b.cols;
    gemm::gemm(
        rows,
        n,
        a.cols,
        c.as_mut_ptr(),
        1,
        n as isize,
        acc,
        a.data.as_ptr().offset(r0 as isize * a.rs),
        a.cs,
        a.rs,
        b.data.as_ptr(),
        b.cs,
        b.rs,
        R::one(),
        R::one(),
        false,
        false,
        false,
        gemm::Parallelism::None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &Mat<f64>, b: &Mat<f64>) -> Vec<f64> {
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for p in 0..a.cols {
                    c[i * b.cols + j] += a.data[i * a.cols + p] * b.data[p * b.cols + j];
                }
            }
        }
        c
    }

    #[test]
    fn matmul_matches_the_triple_loop_with_transposes_and_accumulation() {
        let a = Mat::from_vec(3, 4, (0..12).map(|v| v as f64 * 0.5 - 2.0).collect());
        let b = Mat::from_vec(4, 2, (0..8).map(|v| (v as f64).sin()).collect());
        let mut c = vec![0.0; 6];
        matmul(&mut c, View::of(&a), View::of(&b), false);
        for (x, y) in c.iter().zip(naive(&a, &b)) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        // a^T stored as its transpose view: (a^T)^T * b
        let at = Mat::from_vec(4, 3, (0..12).map(|i| a.data[(i % 3) * 4 + i / 3]).collect());
        let mut c2 = vec![1.0; 6];
        matmul(&mut c2, View::of(&at).t(), View::of(&b), true);
        for (x, y) in c2.iter().zip(naive(&a, &b)) {
            assert!((x - 1.0 - y).abs() < 1e-12);
        }
    }

    #[test]
    fn csr_round_trips_a_dense_matrix() {
        let m = Mat::from_vec(2, 3, vec![0.0f32, 1.5, 0.0, -2.0, 0.0, 3.0]);
        let c = Csr::from_dense(&m);
        assert_eq!(c.values, vec![1.5, -2.0, 3.0]);
        assert_eq!(c.to_dense(), m);
    }
}
