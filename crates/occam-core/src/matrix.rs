//! Feature matrices: dense column-major and sparse compressed-column (CSC), never densified.

/// Dense n x p matrix stored column by column (each feature contiguous), as coordinate
/// descent reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMatrix {
    pub nrows: usize,
    pub ncols: usize,
    /// Column-major values: element (i, j) is `data[j * nrows + i]`.
    pub data: Vec<f64>,
}

impl DenseMatrix {
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        DenseMatrix {
            nrows,
            ncols,
            data: vec![0.0; nrows * ncols],
        }
    }

    pub fn from_columns(nrows: usize, columns: Vec<Vec<f64>>) -> Self {
        let ncols = columns.len();
        let mut data = Vec::with_capacity(nrows * ncols);
        for c in columns {
            assert_eq!(c.len(), nrows, "column length");
            data.extend(c);
        }
        DenseMatrix { nrows, ncols, data }
    }

    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.nrows..(j + 1) * self.nrows]
    }

    pub fn col_mut(&mut self, j: usize) -> &mut [f64] {
        &mut self.data[j * self.nrows..(j + 1) * self.nrows]
    }

    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.nrows + i]
    }

    /// The rows `rows` (in that order) as a new matrix.
    pub fn select_rows(&self, rows: &[usize]) -> DenseMatrix {
        let mut data = Vec::with_capacity(rows.len() * self.ncols);
        for j in 0..self.ncols {
            let c = self.col(j);
            data.extend(rows.iter().map(|&i| c[i]));
        }
        DenseMatrix {
            nrows: rows.len(),
            ncols: self.ncols,
            data,
        }
    }

    /// The columns `cols` (in that order) as a new matrix.
    pub fn select_cols(&self, cols: &[usize]) -> DenseMatrix {
        let mut data = Vec::with_capacity(self.nrows * cols.len());
        for &j in cols {
            data.extend_from_slice(self.col(j));
        }
        DenseMatrix {
            nrows: self.nrows,
            ncols: cols.len(),
            data,
        }
    }
}

/// Sparse n x p matrix in compressed sparse column form; indices within a column ascend.
#[derive(Clone, Debug, PartialEq)]
pub struct CscMatrix {
    pub nrows: usize,
    pub ncols: usize,
    /// `indptr[j]..indptr[j+1]` are the stored entries of column j.
    pub indptr: Vec<usize>,
    /// Row index of each stored entry.
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
}

impl CscMatrix {
    /// Builds a CSC matrix from rows given as (column, value) lists with ascending columns.
    pub fn from_rows(
        nrows: usize,
        ncols: usize,
        row_ptr: &[usize],
        cols: &[u32],
        vals: &[f64],
    ) -> Self {
        let mut counts = vec![0usize; ncols + 1];
        for &c in cols {
            counts[c as usize + 1] += 1;
        }
        for j in 0..ncols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; cols.len()];
        let mut values = vec![0.0; cols.len()];
        for i in 0..nrows {
            for k in row_ptr[i]..row_ptr[i + 1] {
                let j = cols[k] as usize;
                let dst = next[j];
                indices[dst] = i as u32;
                values[dst] = vals[k];
                next[j] += 1;
            }
        }
        CscMatrix {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        }
    }

    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row indices and values of column j.
    pub fn col(&self, j: usize) -> (&[u32], &[f64]) {
        let r = self.indptr[j]..self.indptr[j + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Bytes held by the index and value arrays.
    pub fn heap_bytes(&self) -> usize {
        self.indptr.len() * std::mem::size_of::<usize>()
            + self.indices.len() * std::mem::size_of::<u32>()
            + self.values.len() * std::mem::size_of::<f64>()
    }

    /// The rows `rows` (in that order) as a new sparse matrix.
    pub fn select_rows(&self, rows: &[usize]) -> CscMatrix {
        // new position of each old row; rows may repeat (bootstrap), so map old -> list of new.
        let mut first = vec![usize::MAX; self.nrows];
        let mut chain = vec![usize::MAX; rows.len()];
        for (new, &old) in rows.iter().enumerate().rev() {
            chain[new] = first[old];
            first[old] = new;
        }
        let mut indptr = Vec::with_capacity(self.ncols + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        let mut buf: Vec<(u32, f64)> = Vec::new();
        for j in 0..self.ncols {
            buf.clear();
            let (ri, rv) = self.col(j);
            for (&i, &v) in ri.iter().zip(rv) {
                let mut new = first[i as usize];
                while new != usize::MAX {
                    buf.push((new as u32, v));
                    new = chain[new];
                }
            }
            buf.sort_unstable_by_key(|e| e.0);
            for &(i, v) in &buf {
                indices.push(i);
                values.push(v);
            }
            indptr.push(indices.len());
        }
        CscMatrix {
            nrows: rows.len(),
            ncols: self.ncols,
            indptr,
            indices,
            values,
        }
    }

    /// The first `ncols` columns as a dense matrix (for tests and small comparisons).
    pub fn to_dense_cols(&self, ncols: usize) -> DenseMatrix {
        let ncols = ncols.min(self.ncols);
        let mut d = DenseMatrix::zeros(self.nrows, ncols);
        for j in 0..ncols {
            let (ri, rv) = self.col(j);
            let c = d.col_mut(j);
            for (&i, &v) in ri.iter().zip(rv) {
                c[i as usize] = v;
            }
        }
        d
    }

    /// The columns `cols` (in that order) as a new sparse matrix.
    pub fn select_cols(&self, cols: &[usize]) -> CscMatrix {
        let mut indptr = Vec::with_capacity(cols.len() + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        for &j in cols {
            let (ri, rv) = self.col(j);
            indices.extend_from_slice(ri);
            values.extend_from_slice(rv);
            indptr.push(indices.len());
        }
        CscMatrix {
            nrows: self.nrows,
            ncols: cols.len(),
            indptr,
            indices,
            values,
        }
    }
}

/// The feature matrix of a data set: dense or sparse.
#[derive(Clone, Debug, PartialEq)]
pub enum Matrix {
    Dense(DenseMatrix),
    Sparse(CscMatrix),
}

impl Matrix {
    pub fn nrows(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.nrows,
            Matrix::Sparse(s) => s.nrows,
        }
    }

    pub fn ncols(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.ncols,
            Matrix::Sparse(s) => s.ncols,
        }
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self, Matrix::Sparse(_))
    }

    pub fn select_rows(&self, rows: &[usize]) -> Matrix {
        match self {
            Matrix::Dense(d) => Matrix::Dense(d.select_rows(rows)),
            Matrix::Sparse(s) => Matrix::Sparse(s.select_rows(rows)),
        }
    }

    pub fn select_cols(&self, cols: &[usize]) -> Matrix {
        match self {
            Matrix::Dense(d) => Matrix::Dense(d.select_cols(cols)),
            Matrix::Sparse(s) => Matrix::Sparse(s.select_cols(cols)),
        }
    }

    /// Calls `f(i, x_ij)` for every stored entry of column j (all n entries when dense).
    pub fn for_each_in_col(&self, j: usize, mut f: impl FnMut(usize, f64)) {
        match self {
            Matrix::Dense(d) => d.col(j).iter().enumerate().for_each(|(i, &v)| f(i, v)),
            Matrix::Sparse(s) => {
                let (ri, rv) = s.col(j);
                ri.iter().zip(rv).for_each(|(&i, &v)| f(i as usize, v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> CscMatrix {
        // rows: [1 0 2], [0 0 3], [4 5 0]
        let row_ptr = [0, 2, 3, 5];
        let cols = [0u32, 2, 2, 0, 1];
        let vals = [1.0, 2.0, 3.0, 4.0, 5.0];
        CscMatrix::from_rows(3, 3, &row_ptr, &cols, &vals)
    }

    #[test]
    fn csc_from_rows_matches_dense() {
        let d = small().to_dense_cols(3);
        assert_eq!(d.col(0), &[1.0, 0.0, 4.0]);
        assert_eq!(d.col(1), &[0.0, 0.0, 5.0]);
        assert_eq!(d.col(2), &[2.0, 3.0, 0.0]);
    }

    #[test]
    fn select_rows_agrees_dense_and_sparse_with_repeats() {
        let s = small();
        let rows = [2, 0, 2];
        let a = s.select_rows(&rows).to_dense_cols(3);
        let b = s.to_dense_cols(3).select_rows(&rows);
        assert_eq!(a, b);
        let c = s.select_cols(&[2, 0]).to_dense_cols(2);
        assert_eq!(c, s.to_dense_cols(3).select_cols(&[2, 0]));
    }
}
