//! GRU (Cho et al. 2014, as PyTorch's `nn.GRU`) over a window, with backpropagation through
//! time. Per step, with `x = W_ih x_t + b_ih` and `u = W_hh h + b_hh` split into r, z, n:
//!
//! `r = sigma(x_r + u_r), z = sigma(x_z + u_z), n = tanh(x_n + r u_n)`,
//! `h_t = (1 - z) n + z h_{t-1}`, with `h_0 = 0`.
//!
//! Recurrent dropout masks `h_{t-1}` where it enters `W_hh`; the carry `z h_{t-1}` is
//! unmasked. Output: `h_T`.

use crate::layer::recurrent::{masked, Cell, CellKind, Recurrent};
use crate::mat::{matmul, Mat, View};
use crate::real::Real;

/// An GRU layer: the shared recurrent state with the GRU cell's buffers.
pub type Gru<R> = Recurrent<R, GruCell<R>>;

/// The GRU cell's own buffers.
#[derive(Clone, Debug)]
pub struct GruCell<R> {
    /// Input projections `[T][B][3H]`, then the gates r, z, n after their nonlinearity.
    gx: Vec<R>,
    /// `u_n = W_hn h + b_hn` per step, `[T][B][H]` (the n gate's gradient needs it).
    un: Vec<R>,
    /// Per step `W_hh h + b_hh`, `[B][3H]`.
    gh: Vec<R>,
    /// Gradients of the input projections and of the recurrent projections, `[T][B][3H]`.
    dgx: Vec<R>,
    dgh: Vec<R>,
}

impl<R> Default for GruCell<R> {
    fn default() -> Self {
        GruCell {
            gx: Vec::new(),
            un: Vec::new(),
            gh: Vec::new(),
            dgx: Vec::new(),
            dgh: Vec::new(),
        }
    }
}

impl<R: Real> Cell<R> for GruCell<R> {
    const KIND: CellKind = CellKind::Gru;

    fn projection_grads(&self) -> (&[R], &[R]) {
        (&self.dgx, &self.dgh)
    }

    fn run(l: &mut Gru<R>, x: &Mat<R>) {
        let s = l.shape;
        assert_eq!(x.cols, s.steps * s.features, "gru: input width");
        let (b, h, t_n) = (x.rows, s.hidden, s.steps);
        let g3 = 3 * h;
        l.batch = b;
        l.p.project_inputs(x, s, &mut l.xt, &mut l.cell.gx);
        l.transpose_whh();
        l.hs.clear();
        l.hs.resize((t_n + 1) * b * h, R::zero());
        l.hin.resize(t_n * b * h, R::zero());
        l.cell.un.resize(t_n * b * h, R::zero());
        l.cell.gh.resize(b * g3, R::zero());
        let (bi, bh) = (&l.p.bias_ih.value, &l.p.bias_hh.value);
        let one = R::one();
        for t in 0..t_n {
            let (p0, p1) = (t * b * h, (t + 1) * b * h);
            let hin = &mut l.hin[p0..p1];
            masked(&l.hs[p0..p1], &l.mask, hin);
            matmul(
                &mut l.cell.gh,
                View::new(hin, b, h),
                View::new(&l.whh_t, h, g3),
                false,
            );
            let gx = &mut l.cell.gx[t * b * g3..(t + 1) * b * g3];
            for r in 0..b {
                let (xr, ur) = (
                    &mut gx[r * g3..(r + 1) * g3],
                    &l.cell.gh[r * g3..(r + 1) * g3],
                );
                for j in 0..h {
                    let rg = (xr[j] + bi[j] + ur[j] + bh[j]).gate_sigmoid();
                    let zg = (xr[h + j] + bi[h + j] + ur[h + j] + bh[h + j]).gate_sigmoid();
                    let u = ur[2 * h + j] + bh[2 * h + j];
                    let ng = (xr[2 * h + j] + bi[2 * h + j] + rg * u).gate_tanh();
                    xr[j] = rg;
                    xr[h + j] = zg;
                    xr[2 * h + j] = ng;
                    let k = r * h + j;
                    l.cell.un[p0 + k] = u;
                    l.hs[p1 + k] = (one - zg) * ng + zg * l.hs[p0 + k];
                }
            }
        }
        l.out.resize(b, h);
        l.out
            .data
            .copy_from_slice(&l.hs[t_n * b * h..(t_n + 1) * b * h]);
    }

    /// Backward after `forward_train(x)`: `gy` is d loss / d h_T.
    fn backward(l: &mut Gru<R>, gy: &Mat<R>, need_grad_in: bool) {
        let s = l.shape;
        let (b, h, t_n) = (l.batch, s.hidden, s.steps);
        let g3 = 3 * h;
        let mut dh = gy.data.clone();
        let mut dhin = vec![R::zero(); b * h];
        l.cell.dgx.resize(t_n * b * g3, R::zero());
        l.cell.dgh.resize(t_n * b * g3, R::zero());
        let one = R::one();
        for t in (0..t_n).rev() {
            let p0 = t * b * h;
            let gates = &l.cell.gx[t * b * g3..(t + 1) * b * g3];
            let dgx = &mut l.cell.dgx[t * b * g3..(t + 1) * b * g3];
            let dgh = &mut l.cell.dgh[t * b * g3..(t + 1) * b * g3];
            for r in 0..b {
                for j in 0..h {
                    let k = r * h + j;
                    let (rg, zg, ng) = (
                        gates[r * g3 + j],
                        gates[r * g3 + h + j],
                        gates[r * g3 + 2 * h + j],
                    );
                    let d = dh[k];
                    let dan = d * (one - zg) * (one - ng * ng);
                    let daz = d * (l.hs[p0 + k] - ng) * zg * (one - zg);
                    let dar = dan * l.cell.un[p0 + k] * rg * (one - rg);
                    dgx[r * g3 + j] = dar;
                    dgx[r * g3 + h + j] = daz;
                    dgx[r * g3 + 2 * h + j] = dan;
                    dgh[r * g3 + j] = dar;
                    dgh[r * g3 + h + j] = daz;
                    dgh[r * g3 + 2 * h + j] = dan * rg;
                    dh[k] = d * zg;
                }
            }
            if t > 0 {
                matmul(
                    &mut dhin,
                    View::new(dgh, b, g3),
                    View::new(&l.p.weight_hh.value, g3, h),
                    false,
                );
                if l.mask.is_empty() {
                    dh.iter_mut().zip(&dhin).for_each(|(a, &v)| *a += v);
                } else {
                    for ((a, &v), &m) in dh.iter_mut().zip(&dhin).zip(&l.mask) {
                        *a += v * m;
                    }
                }
            }
        }
        let grad_in = need_grad_in.then_some(&mut l.grad_in);
        l.p.backward(&l.cell.dgx, &l.cell.dgh, &l.xt, &l.hin, b, s, grad_in);
    }
}
