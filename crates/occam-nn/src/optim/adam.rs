//! Adam (Kingma & Ba 2015) in PyTorch's arithmetic. The update is the hottest loop after the
//! matrix products, so for f32 on x86-64 a copy compiled for AVX2+FMA is chosen at run time.
//! Both copies do the same IEEE operations in the same order (no fused multiply-add is
//! introduced), so results are bit-identical whichever runs.

use crate::real::Real;

/// Scalars of one step: bias corrections folded in.
pub struct Coefs {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// lr / (1 - beta1^t)
    pub step: f64,
    /// 1 / sqrt(1 - beta2^t)
    pub inv_bc2_sqrt: f64,
}

impl Coefs {
    pub fn new(lr: f64, beta1: f64, beta2: f64, eps: f64, t: u64) -> Self {
        let ti = t.min(i32::MAX as u64) as i32;
        Coefs {
            beta1,
            beta2,
            eps,
            step: lr / (1.0 - beta1.powi(ti)),
            inv_bc2_sqrt: 1.0 / (1.0 - beta2.powi(ti)).sqrt(),
        }
    }
}

#[inline(always)]
fn kernel<R: Real>(w: &mut [R], g: &[R], m: &mut [R], v: &mut [R], c: &Coefs) {
    let (b1, b2) = (R::of(c.beta1), R::of(c.beta2));
    let (ob1, ob2) = (R::one() - b1, R::one() - b2);
    let (step, ibc, eps) = (R::of(c.step), R::of(c.inv_bc2_sqrt), R::of(c.eps));
    let n = w.len().min(g.len()).min(m.len()).min(v.len());
    let (w, g, m, v) = (&mut w[..n], &g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        let mi = b1 * m[i] + ob1 * gi;
        let vi = b2 * v[i] + ob2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        w[i] -= step * mi / (vi.sqrt() * ibc + eps);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: &Coefs) {
    kernel(w, g, m, v, c)
}

/// Parameters at least this long are updated in parallel chunks (the update is memory-bound;
/// each element's arithmetic is the same whichever thread does it).
const PARALLEL_LEN: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

/// One Adam update of `w` from `g`, moments `m` and `v` updated in place.
pub fn update<R: Real>(w: &mut [R], g: &[R], m: &mut [R], v: &mut [R], c: &Coefs) {
    use rayon::prelude::*;
    if w.len() >= PARALLEL_LEN && rayon::current_num_threads() > 1 {
        w.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .for_each(|(((w, g), m), v)| update_seq(w, g, m, v, c));
    } else {
        update_seq(w, g, m, v, c)
    }
}

fn update_seq<R: Real>(w: &mut [R], g: &[R], m: &mut [R], v: &mut [R], c: &Coefs) {
    #[cfg(target_arch = "x86_64")]
    if let Some(w32) = crate::simd::as_f32_mut(w) {
        if crate::simd::has_avx2_fma() {
            let g32 = crate::simd::as_f32(g).expect("same type");
            let m32 = crate::simd::as_f32_mut(m).expect("same type");
            let v32 = crate::simd::as_f32_mut(v).expect("same type");
            // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
            unsafe { kernel_avx2(w32, g32, m32, v32, c) };
            return;
        }
    }
    kernel(w, g, m, v, c)
}
