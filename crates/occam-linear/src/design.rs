//! The standardized design: X centred (with an intercept) and scaled (with standardize),
//! held as a standardized dense copy or, for sparse X, the raw CSC matrix with centring done
//! implicitly so sparsity is never destroyed.
//!
//! The coordinate-descent kernels work on a weighted residual `r_i = rho_i + v_i * c`: dense
//! designs keep `c = 0`; sparse designs move the centring term into the scalar `c`, so an
//! update touches only a column's stored entries.

use crate::kernels::{self, dot};
use occam_core::{CscMatrix, DenseMatrix, Matrix};

enum Kind<'a> {
    /// Standardized columns, column-major.
    Dense(Vec<f64>),
    Sparse(&'a CscMatrix),
}

/// X as the solver sees it: x~_ij = (x_ij - center_j) / scale_j.
pub(crate) struct Design<'a> {
    kind: Kind<'a>,
    pub n: usize,
    pub p: usize,
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
    /// False for constant columns, which never enter the model (glmnet's `ju`).
    pub usable: Vec<bool>,
    /// Euclidean norm of each standardized column, sqrt(sum_i x~_ij^2) (unweighted): the
    /// Cauchy-Schwarz bound |x~_j'u| <= norm_j ||u|| screens KKT checks.
    pub norm: Vec<f64>,
}

impl Design<'_> {
    /// Frees the standardized copy of a dense X once every fit is done: reporting the
    /// coefficients needs only the centers and scales, and the copy is as large as X.
    pub fn release_matrix(&mut self) {
        if let Kind::Dense(d) = &mut self.kind {
            *d = Vec::new();
        }
    }
}

/// Weighted working residual and weights of a quadratic approximation.
pub(crate) struct Work {
    pub rho: Vec<f64>,
    pub c: f64,
    pub sum_rho: f64,
    pub v: Vec<f64>,
    pub vsum: f64,
}

impl Work {
    pub fn new(rho: Vec<f64>, v: Vec<f64>) -> Work {
        Work {
            sum_rho: rho.iter().sum(),
            vsum: v.iter().sum(),
            rho,
            c: 0.0,
            v,
        }
    }

    /// Sum of the residual.
    pub fn sum(&self) -> f64 {
        self.sum_rho + self.c * self.vsum
    }
}

impl<'a> Design<'a> {
    /// Builds the design with observation weights `w` (summing to 1): centring by the weighted
    /// mean when `intercept`, scaling by the weighted (centred) standard deviation when
    /// `standardize`, as glmnet does.
    pub fn new(x: &'a Matrix, w: &[f64], intercept: bool, standardize: bool) -> Design<'a> {
        let (n, p) = (x.nrows(), x.ncols());
        let (center, scale, usable) = moments(x, w, intercept, standardize);
        let mut norm = vec![0.0; p];
        let kind = match x {
            Matrix::Dense(d) => {
                let mut data = d.data.clone();
                standardize_columns(&mut data, n, &center, &scale, &mut norm);
                Kind::Dense(data)
            }
            Matrix::Sparse(sp) => {
                for (j, nj) in norm.iter_mut().enumerate() {
                    let m = center[j];
                    let (_, rv) = sp.col(j);
                    let stored: f64 = rv.iter().map(|x| (x - m) * (x - m)).sum();
                    let implicit = (n - rv.len()) as f64 * m * m;
                    *nj = (stored + implicit).sqrt() / scale[j];
                }
                Kind::Sparse(sp)
            }
        };
        Design {
            kind,
            n,
            p,
            center,
            scale,
            usable,
            norm,
        }
    }

    /// [`Design::new`] for a dense X the caller gives up: standardized in place, so the
    /// solver's copy is X itself (a wide design is not held twice).
    pub fn from_dense(
        x: DenseMatrix,
        w: &[f64],
        intercept: bool,
        standardize: bool,
    ) -> Design<'static> {
        let (n, p) = (x.nrows, x.ncols);
        let x = Matrix::Dense(x);
        let (center, scale, usable) = moments(&x, w, intercept, standardize);
        let Matrix::Dense(x) = x else {
            unreachable!("built dense above")
        };
        let mut data = x.data;
        let mut norm = vec![0.0; p];
        standardize_columns(&mut data, n, &center, &scale, &mut norm);
        Design {
            kind: Kind::Dense(data),
            n,
            p,
            center,
            scale,
            usable,
            norm,
        }
    }
}

/// Each column's weighted mean (the center, with an intercept), weighted standard deviation
/// (the scale, when standardizing) and whether it varies at all.
fn moments(
    x: &Matrix,
    w: &[f64],
    intercept: bool,
    standardize: bool,
) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
    let (n, p) = (x.nrows(), x.ncols());
    let mut center = vec![0.0; p];
    let mut scale = vec![1.0; p];
    let mut usable = vec![true; p];
    match x {
        Matrix::Dense(d) => dense_moments(&d.data, n, w, &mut center, &mut scale, &mut usable),
        Matrix::Sparse(s) => sparse_moments(s, w, &mut center, &mut scale, &mut usable),
    }
    if !intercept {
        center.iter_mut().for_each(|c| *c = 0.0);
    }
    if !standardize {
        scale.iter_mut().for_each(|s| *s = 1.0);
    }
    (center, scale, usable)
}

/// `moments` of sparse columns (mean, standard deviation or 1, varies), counting the
/// implicit zeros.
fn sparse_moments(
    x: &CscMatrix,
    w: &[f64],
    center: &mut [f64],
    scale: &mut [f64],
    usable: &mut [bool],
) {
    let n = x.nrows;
    for j in 0..center.len() {
        let (ri, rv) = x.col(j);
        let mut m = 0.0;
        for (&i, &v) in ri.iter().zip(rv) {
            m += w[i as usize] * v;
        }
        // Constant: the stored values equal the first, and so do the implicit zeros.
        let all_equal = match rv.split_first() {
            None => true,
            Some((&f, rest)) => rest.iter().all(|&v| v == f) && (rv.len() == n || f == 0.0),
        };
        let mut ss = 0.0;
        let mut wstored = 0.0;
        for (&i, &v) in ri.iter().zip(rv) {
            ss += w[i as usize] * (v - m) * (v - m);
            wstored += w[i as usize];
        }
        ss += (1.0 - wstored).max(0.0) * m * m;
        center[j] = m;
        usable[j] = !all_equal;
        scale[j] = if usable[j] { ss.sqrt() } else { 1.0 };
    }
}

/// `moments` of dense columns: each column's weighted mean, weighted standard deviation about
/// it (1 for a constant column) and whether it varies. The sums run in row order, as the
/// general loop's do (the same bits), over COLS columns at a time so that their additions
/// overlap.
fn dense_moments(
    data: &[f64],
    n: usize,
    w: &[f64],
    center: &mut [f64],
    scale: &mut [f64],
    usable: &mut [bool],
) {
    const COLS: usize = 4;
    let p = center.len();
    let mut j0 = 0;
    while j0 < p {
        let k = COLS.min(p - j0);
        let cols: Vec<&[f64]> = (j0..j0 + k).map(|j| &data[j * n..(j + 1) * n]).collect();
        let mut m = [0.0f64; COLS];
        for (i, &wi) in w.iter().enumerate().take(n) {
            for (mc, col) in m.iter_mut().zip(&cols) {
                *mc += wi * col[i];
            }
        }
        let mut ss = [0.0f64; COLS];
        for (i, &wi) in w.iter().enumerate().take(n) {
            for ((sc, col), &mc) in ss.iter_mut().zip(&cols).zip(&m) {
                let dv = col[i] - mc;
                *sc += wi * dv * dv;
            }
        }
        for (c, col) in cols.iter().enumerate() {
            let j = j0 + c;
            center[j] = m[c];
            usable[j] = col
                .split_first()
                .is_some_and(|(&f, rest)| rest.iter().any(|&v| v != f));
            scale[j] = if usable[j] { ss[c].sqrt() } else { 1.0 };
        }
        j0 += k;
    }
}

fn standardize_columns(
    data: &mut [f64],
    n: usize,
    center: &[f64],
    scale: &[f64],
    norm: &mut [f64],
) {
    for (j, nj) in norm.iter_mut().enumerate() {
        let (c, s) = (center[j], scale[j]);
        *nj = kernels::standardize(&mut data[j * n..(j + 1) * n], c, s).sqrt();
    }
}

impl Design<'_> {
    /// sum_i x~_ij r_i for the working residual.
    #[inline]
    pub fn grad(&self, j: usize, wk: &Work) -> f64 {
        match &self.kind {
            Kind::Dense(d) => {
                let col = &d[j * self.n..(j + 1) * self.n];
                let mut g = dot(col, &wk.rho);
                if wk.c != 0.0 {
                    g += wk.c * dot(col, &wk.v);
                }
                g
            }
            Kind::Sparse(s) => {
                let (ri, rv) = s.col(j);
                let mut a = 0.0;
                let mut b = 0.0;
                for (&i, &x) in ri.iter().zip(rv) {
                    a += x * wk.rho[i as usize];
                    b += x * wk.v[i as usize];
                }
                (a + wk.c * b - self.center[j] * wk.sum()) / self.scale[j]
            }
        }
    }

    /// grad(j) for each j of `cols` into `out`.
    pub fn grads(&self, cols: &[usize], wk: &Work, out: &mut [f64]) {
        match &self.kind {
            Kind::Dense(d) if wk.c == 0.0 => kernels::dots(d, self.n, cols, &wk.rho, out),
            _ => {
                for (o, &j) in out.iter_mut().zip(cols) {
                    *o = self.grad(j, wk);
                }
            }
        }
    }

    /// Columns `cols` of the weighted Gram matrix X~' diag(w) X~ (dense X only), column-major
    /// p x cols.len() into `out`: one blocked matrix product, so X is read once per block
    /// rather than once per column.
    pub fn gram_cols(&self, cols: &[usize], w: &[f64], out: &mut [f64]) {
        let Kind::Dense(d) = &self.kind else {
            panic!("gram_cols needs dense X");
        };
        let (n, p, k) = (self.n, self.p, cols.len());
        assert!(out.len() >= p * k && w.len() == n);
        if k == 0 {
            return;
        }
        let mut wx = Vec::with_capacity(n * k);
        self.push_weighted_cols(cols, w, &mut wx);
        self.cross(d, &wx, p, out);
    }

    /// Appends the columns u * x~_j (elementwise) for j in `cols` to the column-major n-row
    /// matrix `buf` (dense X only).
    pub fn push_weighted_cols(&self, cols: &[usize], u: &[f64], buf: &mut Vec<f64>) {
        let Kind::Dense(d) = &self.kind else {
            panic!("push_weighted_cols needs dense X");
        };
        let n = self.n;
        buf.reserve(n * cols.len());
        for &j in cols {
            buf.extend(d[j * n..(j + 1) * n].iter().zip(u).map(|(x, w)| x * w));
        }
    }

    /// out = A' B for column-major n-row matrices A (n x a) and B (n x b): column-major
    /// a x b with column stride `ld` (>= a), one blocked product.
    pub fn cross(&self, a: &[f64], b: &[f64], ld: usize, out: &mut [f64]) {
        let n = self.n;
        let (ka, kb) = (a.len() / n, b.len() / n);
        assert!(ld >= ka && out.len() >= ld * kb.saturating_sub(1) + ka);
        if ka == 0 || kb == 0 {
            return;
        }
        // SAFETY: lhs A' is ka x n (row stride n, column stride 1) inside `a`, rhs B is
        // n x kb column-major inside `b`, dst is ka x kb with column stride ld inside `out`
        // (sizes asserted above).
        unsafe {
            gemm::gemm(
                ka,
                kb,
                n,
                out.as_mut_ptr(),
                ld as isize,
                1,
                false,
                a.as_ptr(),
                1,
                n as isize,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }

    /// True when X is held as a dense standardized copy.
    pub fn is_dense(&self) -> bool {
        matches!(self.kind, Kind::Dense(_))
    }

    /// sum_i x~_ij u_i for any vector u.
    pub fn dot_col(&self, j: usize, u: &[f64]) -> f64 {
        match &self.kind {
            Kind::Dense(d) => dot(&d[j * self.n..(j + 1) * self.n], u),
            Kind::Sparse(s) => {
                let (ri, rv) = s.col(j);
                let a: f64 = ri.iter().zip(rv).map(|(&i, &x)| x * u[i as usize]).sum();
                let usum: f64 = if self.center[j] != 0.0 {
                    u.iter().sum()
                } else {
                    0.0
                };
                (a - self.center[j] * usum) / self.scale[j]
            }
        }
    }

    /// sum_i v_i x~_ij^2.
    pub fn xv(&self, j: usize, v: &[f64], vsum: f64) -> f64 {
        match &self.kind {
            Kind::Dense(d) => d[j * self.n..(j + 1) * self.n]
                .iter()
                .zip(v)
                .map(|(x, v)| v * x * x)
                .sum(),
            Kind::Sparse(s) => {
                let (ri, rv) = s.col(j);
                let (mut a, mut b) = (0.0, 0.0);
                for (&i, &x) in ri.iter().zip(rv) {
                    let vi = v[i as usize];
                    a += vi * x * x;
                    b += vi * x;
                }
                let m = self.center[j];
                (a - 2.0 * m * b + m * m * vsum) / (self.scale[j] * self.scale[j])
            }
        }
    }

    /// r -= delta * v * x~_j.
    #[inline]
    pub fn update(&self, j: usize, delta: f64, wk: &mut Work) {
        match &self.kind {
            Kind::Dense(d) => {
                let col = &d[j * self.n..(j + 1) * self.n];
                wk.sum_rho -= kernels::update(&mut wk.rho, col, &wk.v, delta);
            }
            Kind::Sparse(s) => {
                let (ri, rv) = s.col(j);
                let f = delta / self.scale[j];
                let mut ds = 0.0;
                for (&i, &x) in ri.iter().zip(rv) {
                    let t = f * wk.v[i as usize] * x;
                    wk.rho[i as usize] -= t;
                    ds += t;
                }
                wk.sum_rho -= ds;
                wk.c += f * self.center[j];
            }
        }
    }

    /// r -= d0 * v (an intercept step).
    pub fn shift_intercept(&self, d0: f64, wk: &mut Work) {
        match &self.kind {
            Kind::Dense(_) => {
                for (r, &v) in wk.rho.iter_mut().zip(&wk.v) {
                    *r -= d0 * v;
                }
                wk.sum_rho -= d0 * wk.vsum;
            }
            Kind::Sparse(_) => wk.c -= d0,
        }
    }

    /// eta = b0 + sum_j beta_j x~_j over the non-zero coefficients.
    pub fn linear_predictor(&self, b0: f64, beta: &[f64]) -> Vec<f64> {
        let mut eta = vec![b0; self.n];
        let mut shift = 0.0;
        for (j, &b) in beta.iter().enumerate() {
            if b == 0.0 {
                continue;
            }
            match &self.kind {
                Kind::Dense(d) => {
                    for (e, &x) in eta.iter_mut().zip(&d[j * self.n..(j + 1) * self.n]) {
                        *e += b * x;
                    }
                }
                Kind::Sparse(s) => {
                    let (ri, rv) = s.col(j);
                    let f = b / self.scale[j];
                    for (&i, &x) in ri.iter().zip(rv) {
                        eta[i as usize] += f * x;
                    }
                    shift -= f * self.center[j];
                }
            }
        }
        if shift != 0.0 {
            eta.iter_mut().for_each(|e| *e += shift);
        }
        eta
    }
}
