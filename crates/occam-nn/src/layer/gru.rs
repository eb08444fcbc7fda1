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
        // the r and z gates' two biases summed once; n keeps b_hn inside r (b_hn + W_hn h)
        let (bi, bh) = (&l.p.bias_ih.value, &l.p.bias_hh.value);
        let brz: Vec<R> = bi[..2 * h]
            .iter()
            .zip(&bh[..2 * h])
            .map(|(x, y)| *x + *y)
            .collect();
        let (br, bz) = brz.split_at(h);
        let (bin, bhn) = (&bi[2 * h..3 * h], &bh[2 * h..3 * h]);
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
            let (hprev, hcur) = l.hs.split_at_mut(p1);
            let un = &mut l.cell.un[p0..p1];
            for r in 0..b {
                // each row's runs cut to length h, so the loop indexes without bounds checks
                let (xr, rest) = gx[r * g3..(r + 1) * g3].split_at_mut(h);
                let (xz, xn) = rest.split_at_mut(h);
                let (xz, xn) = (&mut xz[..h], &mut xn[..h]);
                let ur = &l.cell.gh[r * g3..(r + 1) * g3];
                let (ur_r, ur_z, ur_n) = (&ur[..h], &ur[h..2 * h], &ur[2 * h..3 * h]);
                let hp = &hprev[p0 + r * h..p0 + (r + 1) * h];
                let hc = &mut hcur[r * h..(r + 1) * h];
                let unr = &mut un[r * h..(r + 1) * h];
                for j in 0..h {
                    let rg = (xr[j] + br[j] + ur_r[j]).gate_sigmoid();
                    let zg = (xz[j] + bz[j] + ur_z[j]).gate_sigmoid();
                    let u = ur_n[j] + bhn[j];
                    let ng = (xn[j] + bin[j] + rg * u).gate_tanh();
                    xr[j] = rg;
                    xz[j] = zg;
                    xn[j] = ng;
                    unr[j] = u;
                    hc[j] = (one - zg) * ng + zg * hp[j];
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
            let hp_all = &l.hs[p0..p0 + b * h];
            let un = &l.cell.un[p0..p0 + b * h];
            for r in 0..b {
                let g = &gates[r * g3..(r + 1) * g3];
                let (gr, gz, gn) = (&g[..h], &g[h..2 * h], &g[2 * h..3 * h]);
                let (dxr, rest) = dgx[r * g3..(r + 1) * g3].split_at_mut(h);
                let (dxz, dxn) = rest.split_at_mut(h);
                let (dxz, dxn) = (&mut dxz[..h], &mut dxn[..h]);
                let (dhr_, rest) = dgh[r * g3..(r + 1) * g3].split_at_mut(h);
                let (dhz, dhn) = rest.split_at_mut(h);
                let (dhz, dhn) = (&mut dhz[..h], &mut dhn[..h]);
                let hp = &hp_all[r * h..(r + 1) * h];
                let unr = &un[r * h..(r + 1) * h];
                let dhrow = &mut dh[r * h..(r + 1) * h];
                for j in 0..h {
                    let (rg, zg, ng) = (gr[j], gz[j], gn[j]);
                    let d = dhrow[j];
                    let dan = d * (one - zg) * (one - ng * ng);
                    let daz = d * (hp[j] - ng) * zg * (one - zg);
                    let dar = dan * unr[j] * rg * (one - rg);
                    dxr[j] = dar;
                    dxz[j] = daz;
                    dxn[j] = dan;
                    dhr_[j] = dar;
                    dhz[j] = daz;
                    dhn[j] = dan * rg;
                    dhrow[j] = d * zg;
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
