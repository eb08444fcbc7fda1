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
            let (cp, cc) = l.cell.cs.split_at_mut(bh_cur);
            let (cp, cc) = (&cp[bh_prev..bh_cur], &mut cc[..b * h]);
            let hc = &mut l.hs[bh_cur..bh_cur + b * h];
            let rows = StepRows {
                a,
                bias: &bias,
                cp,
                cc,
                hc,
                h,
            };
            forward_step(rows);
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
        for t in (0..t_n).rev() {
            let (bh_prev, bh_cur) = (t * b * h, (t + 1) * b * h);
            let gates = &l.cell.gates[t * b * g4..(t + 1) * b * g4];
            let da = &mut l.cell.da[t * b * g4..(t + 1) * b * g4];
            let rows = BackRows {
                gates,
                da,
                cc: &l.cell.cs[bh_cur..bh_cur + b * h],
                cp: &l.cell.cs[bh_prev..bh_cur],
                dh: &dh,
                dc: &mut dc,
                h,
            };
            backward_step(rows);
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

/// One forward step's rows: the pre-activations `a` (B x 4H, the products added), the
/// summed biases, the previous and new cell states and the new hidden states (B x H).
struct StepRows<'a, R> {
    a: &'a mut [R],
    bias: &'a [R],
    cp: &'a [R],
    cc: &'a mut [R],
    hc: &'a mut [R],
    h: usize,
}

/// The gates, cell and hidden states of one step, row by row, each loop one function over a
/// contiguous run (so that it vectorizes).
#[inline(always)]
fn forward_rows<R: Real>(s: StepRows<'_, R>) {
    let (h, g4) = (s.h, 4 * s.h);
    for (r, ar) in s.a.chunks_exact_mut(g4).enumerate() {
        ar.iter_mut().zip(s.bias).for_each(|(v, c)| *v += *c);
        ar[..2 * h].iter_mut().for_each(|v| *v = v.gate_sigmoid());
        ar[2 * h..3 * h].iter_mut().for_each(|v| *v = v.gate_tanh());
        ar[3 * h..].iter_mut().for_each(|v| *v = v.gate_sigmoid());
        let (gi, rest) = ar.split_at(h);
        let (gf, rest) = rest.split_at(h);
        let (gg, go) = rest.split_at(h);
        let cp = &s.cp[r * h..(r + 1) * h];
        let cc = &mut s.cc[r * h..(r + 1) * h];
        for ((((c, p), i), f), g) in cc.iter_mut().zip(cp).zip(gi).zip(gf).zip(gg) {
            *c = *f * *p + *i * *g;
        }
        let hc = &mut s.hc[r * h..(r + 1) * h];
        for ((hv, c), o) in hc.iter_mut().zip(cc.iter()).zip(go) {
            *hv = c.gate_tanh() * *o;
        }
    }
}

/// [`forward_rows`] compiled for AVX2 and FMA (8 lanes of f32 instead of SSE2's 4; the same
/// operations, so the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn forward_rows_avx2<R: Real>(s: StepRows<'_, R>) {
    forward_rows(s)
}

/// [`forward_rows`] in its AVX2 copy where the CPU has AVX2 and FMA and R is f32.
fn forward_step<R: Real>(s: StepRows<'_, R>) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2_f32::<R>() {
        // SAFETY: AVX2 and FMA were detected at run time.
        return unsafe { forward_rows_avx2(s) };
    }
    forward_rows(s)
}

/// One backward step's rows: the gates (B x 4H), their pre-activation gradients to fill,
/// the step's and the previous cell states, d loss / d h and the running d loss / d c.
struct BackRows<'a, R> {
    gates: &'a [R],
    da: &'a mut [R],
    cc: &'a [R],
    cp: &'a [R],
    dh: &'a [R],
    dc: &'a mut [R],
    h: usize,
}

/// The pre-activation gradients of one step, row by row over runs cut to length H (so the
/// loop indexes without bounds checks and vectorizes).
#[inline(always)]
fn backward_rows<R: Real>(s: BackRows<'_, R>) {
    let (h, g4, one) = (s.h, 4 * s.h, R::one());
    for (r, (g, d)) in s
        .gates
        .chunks_exact(g4)
        .zip(s.da.chunks_exact_mut(g4))
        .enumerate()
    {
        let (gi, gf, gg, go) = (&g[..h], &g[h..2 * h], &g[2 * h..3 * h], &g[3 * h..]);
        let (di, rest) = d.split_at_mut(h);
        let (df, rest) = rest.split_at_mut(h);
        let (dg, d_o) = rest.split_at_mut(h);
        let (dg, d_o) = (&mut dg[..h], &mut d_o[..h]);
        let cc = &s.cc[r * h..(r + 1) * h];
        let cp = &s.cp[r * h..(r + 1) * h];
        let dhr = &s.dh[r * h..(r + 1) * h];
        let dcr = &mut s.dc[r * h..(r + 1) * h];
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
}

/// [`backward_rows`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn backward_rows_avx2<R: Real>(s: BackRows<'_, R>) {
    backward_rows(s)
}

/// [`backward_rows`] in its AVX2 copy where the CPU has AVX2 and FMA and R is f32.
fn backward_step<R: Real>(s: BackRows<'_, R>) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2_f32::<R>() {
        // SAFETY: AVX2 and FMA were detected at run time.
        return unsafe { backward_rows_avx2(s) };
    }
    backward_rows(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use occam_core::rng::Rng;

    fn draw(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| 3.0 * rng.normal() as f32).collect()
    }

    /// The AVX2 copies of the step loops give the same bits as the baseline ones (the same
    /// operations, 8 lanes instead of 4), at a width with a remainder.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_step_loops_equal_the_baseline_to_the_bit() {
        if !crate::simd::has_avx2_fma() {
            return;
        }
        let (b, h) = (3, 37);
        let mut rng = Rng::new(5);
        let (a0, bias, cp) = (
            draw(b * 4 * h, &mut rng),
            draw(4 * h, &mut rng),
            draw(b * h, &mut rng),
        );
        let run = |avx: bool| {
            let (mut a, mut cc, mut hc) = (a0.clone(), vec![0.0f32; b * h], vec![0.0f32; b * h]);
            let rows = StepRows {
                a: &mut a,
                bias: &bias,
                cp: &cp,
                cc: &mut cc,
                hc: &mut hc,
                h,
            };
            if avx {
                // SAFETY: AVX2 and FMA were detected above.
                unsafe { forward_rows_avx2(rows) }
            } else {
                forward_rows(rows)
            }
            (a, cc, hc)
        };
        let (base, fast) = (run(false), run(true));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&base.0), bits(&fast.0));
        assert_eq!(bits(&base.1), bits(&fast.1));
        assert_eq!(bits(&base.2), bits(&fast.2));
        let (gates, cc) = (base.0, base.1);
        let (dh, dc0) = (draw(b * h, &mut rng), draw(b * h, &mut rng));
        let back = |avx: bool| {
            let (mut da, mut dc) = (vec![0.0f32; b * 4 * h], dc0.clone());
            let rows = BackRows {
                gates: &gates,
                da: &mut da,
                cc: &cc,
                cp: &cp,
                dh: &dh,
                dc: &mut dc,
                h,
            };
            if avx {
                // SAFETY: as above.
                unsafe { backward_rows_avx2(rows) }
            } else {
                backward_rows(rows)
            }
            (da, dc)
        };
        let (base, fast) = (back(false), back(true));
        assert_eq!(bits(&base.0), bits(&fast.0));
        assert_eq!(bits(&base.1), bits(&fast.1));
        assert!(base.0.iter().any(|v| *v != 0.0));
    }
}
