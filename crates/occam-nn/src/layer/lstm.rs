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
        let (bi, bh) = (&l.p.bias_ih.value, &l.p.bias_hh.value);
        for t in 0..t_n {
            let (bh_prev, bh_cur) = (t * b * h, (t + 1) * b * h);
            let hin = &mut l.hin[t * b * h..(t + 1) * b * h];
            masked(&l.hs[bh_prev..bh_cur], &l.mask, hin);
            let a = &mut l.cell.gates[t * b * g4..(t + 1) * b * g4];
            matmul(a, View::new(hin, b, h), View::new(&l.whh_t, h, g4), true);
            for r in 0..b {
                let ar = &mut a[r * g4..(r + 1) * g4];
                // Gate by gate, so that each loop is one function over a contiguous run.
                for (j, v) in ar.iter_mut().enumerate() {
                    *v += bi[j] + bh[j];
                }
                ar[..2 * h].iter_mut().for_each(|v| *v = v.gate_sigmoid());
                ar[2 * h..3 * h].iter_mut().for_each(|v| *v = v.gate_tanh());
                ar[3 * h..].iter_mut().for_each(|v| *v = v.gate_sigmoid());
                let (cp, cc) = l.cell.cs.split_at_mut(bh_cur);
                let (cp, cc) = (&cp[bh_prev + r * h..][..h], &mut cc[r * h..(r + 1) * h]);
                let hc = &mut l.hs[bh_cur + r * h..bh_cur + (r + 1) * h];
                for j in 0..h {
                    let (i, f, g) = (ar[j], ar[h + j], ar[2 * h + j]);
                    cc[j] = f * cp[j] + i * g;
                }
                for j in 0..h {
                    hc[j] = cc[j].gate_tanh();
                }
                for j in 0..h {
                    hc[j] *= ar[3 * h + j];
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
                for j in 0..h {
                    let k = r * h + j;
                    let (i, f, g, o) = (
                        gates[r * g4 + j],
                        gates[r * g4 + h + j],
                        gates[r * g4 + 2 * h + j],
                        gates[r * g4 + 3 * h + j],
                    );
                    let tc = l.cell.cs[bh_cur + k].gate_tanh();
                    let c = dc[k] + dh[k] * o * (one - tc * tc);
                    da[r * g4 + j] = c * g * i * (one - i);
                    da[r * g4 + h + j] = c * l.cell.cs[bh_prev + k] * f * (one - f);
                    da[r * g4 + 2 * h + j] = c * i * (one - g * g);
                    da[r * g4 + 3 * h + j] = dh[k] * tc * o * (one - o);
                    dc[k] = c * f;
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
