//! LSTM (Hochreiter & Schmidhuber 1997, with forget gate, as PyTorch's `nn.LSTM`) over a
//! window, with backpropagation through time. Per step, with `a = W_ih x_t + b_ih + W_hh h + b_hh`
//! split into the gates i, f, g, o:
//!
//! `i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)`,
//! `c_t = f c_{t-1} + i g`, `h_t = o tanh(c_t)`, with `h_0 = c_0 = 0`.
//!
//! The input projections of all steps are one product; each step then adds `h W_hh^T`.
//! Backward walks the steps in reverse, collects the pre-activation gradients of every step,
//! and forms the weight gradients as two products at the end. Output: `h_T`.

use crate::layer::recurrent::{masked, Cell, CellKind, Recurrent};
use crate::mat::{matmul, Mat, View};
use crate::real::Real;

/// An LSTM layer: the shared recurrent state with the LSTM cell's buffers.
pub type Lstm<R> = Recurrent<R, LstmCell<R>>;

/// The LSTM cell's own buffers.
#[derive(Clone, Debug)]
pub struct LstmCell<R> {
    /// Gate activations `[T][B][4H]` (i, f, g, o after their nonlinearity).
    gates: Vec<R>,
    /// Cell states `[T+1][B][H]` (`c_0 = 0`).
    cs: Vec<R>,
    /// Pre-activation gradients `[T][B][4H]`.
    da: Vec<R>,
}

impl<R> Default for LstmCell<R> {
    fn default() -> Self {
        LstmCell {
            gates: Vec::new(),
            cs: Vec::new(),
            da: Vec::new(),
        }
    }
}

impl<R: Real> Cell<R> for LstmCell<R> {
    const KIND: CellKind = CellKind::Lstm;

    fn projection_grads(&self) -> (&[R], &[R]) {
        (&self.da, &self.da)
    }

    fn run(l: &mut Lstm<R>, x: &Mat<R>) {
        let s = l.shape;
        assert_eq!(x.cols, s.steps * s.features, "lstm: input width");
        let (b, h, t_n) = (x.rows, s.hidden, s.steps);
        let g4 = 4 * h;
        l.batch = b;
        l.p.project_inputs(x, s, &mut l.xt, &mut l.cell.gates);
        l.transpose_whh();
        l.cell.cs.clear();
        l.cell.cs.resize((t_n + 1) * b * h, R::zero());
        l.hs.clear();
        l.hs.resize((t_n + 1) * b * h, R::zero());
        l.hin.resize(t_n * b * h, R::zero());
        // b_ih + b_hh once (zipped loops: indexing kept them scalar)
        let bias: Vec<R> = (l.p.bias_ih.value.iter().zip(&l.p.bias_hh.value))
            .map(|(x, y)| *x + *y)
            .collect();
        for t in 0..t_n {
            let (bh_prev, bh_cur) = (t * b * h, (t + 1) * b * h);
            let hin = &mut l.hin[t * b * h..(t + 1) * b * h];
            masked(&l.hs[bh_prev..bh_cur], &l.mask, hin);
            let a = &mut l.cell.gates[t * b * g4..(t + 1) * b * g4];
            matmul(a, View::new(hin, b, h), View::new(&l.whh_t, h, g4), true);
            for r in 0..b {
                let ar = &mut a[r * g4..(r + 1) * g4];
                // Gate by gate, so that each loop is one function over a contiguous run.
                ar.iter_mut().zip(&bias).for_each(|(v, c)| *v += *c);
                ar[..2 * h].iter_mut().for_each(|v| *v = v.gate_sigmoid());
                ar[2 * h..3 * h].iter_mut().for_each(|v| *v = v.gate_tanh());
                ar[3 * h..].iter_mut().for_each(|v| *v = v.gate_sigmoid());
                let (gi, rest) = ar.split_at(h);
                let (gf, rest) = rest.split_at(h);
                let (gg, go) = rest.split_at(h);
                let (cp, cc) = l.cell.cs.split_at_mut(bh_cur);
                let (cp, cc) = (&cp[bh_prev + r * h..][..h], &mut cc[r * h..(r + 1) * h]);
                let hc = &mut l.hs[bh_cur + r * h..bh_cur + (r + 1) * h];
                for ((((c, p), i), f), g) in cc.iter_mut().zip(cp).zip(gi).zip(gf).zip(gg) {
                    *c = *f * *p + *i * *g;
                }
                for ((hv, c), o) in hc.iter_mut().zip(cc.iter()).zip(go) {
                    *hv = c.gate_tanh() * *o;
                }
            }
        }
        l.out.resize(b, h);
        l.out
            .data
            .copy_from_slice(&l.hs[t_n * b * h..(t_n + 1) * b * h]);
    }

    /// Backward after `forward_train(x)`: `gy` is d loss / d h_T.
    fn backward(l: &mut Lstm<R>, gy: &Mat<R>, need_grad_in: bool) {
        let s = l.shape;
        let (b, h, t_n) = (l.batch, s.hidden, s.steps);
        let g4 = 4 * h;
        let mut dh = gy.data.clone();
        let mut dc = vec![R::zero(); b * h];
        let mut dhin = vec![R::zero(); b * h];
        l.cell.da.resize(t_n * b * g4, R::zero());
        let one = R::one();
        for t in (0..t_n).rev() {
            let (bh_prev, bh_cur) = (t * b * h, (t + 1) * b * h);
            let gates = &l.cell.gates[t * b * g4..(t + 1) * b * g4];
            let da = &mut l.cell.da[t * b * g4..(t + 1) * b * g4];
            for r in 0..b {
                // each row's runs cut to length h, so the loop indexes without bounds checks
                let g = &gates[r * g4..(r + 1) * g4];
                let (gi, gf, gg, go) = (&g[..h], &g[h..2 * h], &g[2 * h..3 * h], &g[3 * h..]);
                let d = &mut da[r * g4..(r + 1) * g4];
                let (di, rest) = d.split_at_mut(h);
                let (df, rest) = rest.split_at_mut(h);
                let (dg, d_o) = rest.split_at_mut(h);
                let (dg, d_o) = (&mut dg[..h], &mut d_o[..h]);
                let cc = &l.cell.cs[bh_cur + r * h..bh_cur + (r + 1) * h];
                let cp = &l.cell.cs[bh_prev + r * h..bh_prev + (r + 1) * h];
                let dhr = &dh[r * h..(r + 1) * h];
                let dcr = &mut dc[r * h..(r + 1) * h];
                for j in 0..h {
                    let (i, f, g, o) = (gi[j], gf[j], gg[j], go[j]);
                    let tc = cc[j].gate_tanh();
                    let c = dcr[j] + dhr[j] * o * (one - tc * tc);
                    di[j] = c * g * i * (one - i);
                    df[j] = c * cp[j] * f * (one - f);
                    dg[j] = c * i * (one - g * g);
                    d_o[j] = dhr[j] * tc * o * (one - o);
                    dcr[j] = c * f;
                }
            }
            if t > 0 {
                matmul(
                    &mut dhin,
                    View::new(da, b, g4),
                    View::new(&l.p.weight_hh.value, g4, h),
                    false,
                );
                masked(&dhin, &l.mask, &mut dh);
            }
        }
        let grad_in = need_grad_in.then_some(&mut l.grad_in);
        l.p.backward(&l.cell.da, &l.cell.da, &l.xt, &l.hin, b, s, grad_in);
    }
}
