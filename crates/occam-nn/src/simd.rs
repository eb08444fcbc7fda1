//! Run-time CPU feature dispatch for the element-wise hot loops (Adam, proximal steps,
//! activations): the binary is built for the baseline target, and an AVX2+FMA copy of a loop
//! is picked when the CPU has it. Helpers here view a generic slice as f32 when it is one.

use crate::real::Real;
use std::any::TypeId;

pub use occam_core::cpu::has_avx2_fma;

/// Whether an AVX2+FMA copy of a loop over `R` should run: the CPU has both and R is f32
/// (f64, the finite-difference mode, keeps the baseline code).
pub fn avx2_f32<R: Real>() -> bool {
    has_avx2_fma() && TypeId::of::<R>() == TypeId::of::<f32>()
}

pub fn as_f32_mut<R: Real>(s: &mut [R]) -> Option<&mut [f32]> {
    if TypeId::of::<R>() == TypeId::of::<f32>() {
        // SAFETY: R is f32 (same TypeId), so the slice's layout is exactly [f32].
        Some(unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut f32, s.len()) })
    } else {
        None
    }
}

pub fn as_f32<R: Real>(s: &[R]) -> Option<&[f32]> {
    if TypeId::of::<R>() == TypeId::of::<f32>() {
        // SAFETY: as in `as_f32_mut`.
        Some(unsafe { std::slice::from_raw_parts(s.as_ptr() as *const f32, s.len()) })
    } else {
        None
    }
}

#[inline(always)]
fn soft_kernel<R: Real>(w: &mut [R], thr: R, scale: R) {
    let zero = R::zero();
    for v in w.iter_mut() {
        let a = *v;
        let s = if a > thr {
            a - thr
        } else if a < -thr {
            a + thr
        } else {
            zero
        };
        *v = s * scale;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn soft_avx2(w: &mut [f32], thr: f32, scale: f32) {
    soft_kernel(w, thr, scale)
}

const PARALLEL_LEN: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

/// `w = soft(w, thr) * scale` in place (the elastic-net proximal operator, exact zeros).
pub fn soft_threshold<R: Real>(w: &mut [R], thr: f64, scale: f64) {
    use rayon::prelude::*;
    if w.len() >= PARALLEL_LEN && rayon::current_num_threads() > 1 {
        w.par_chunks_mut(CHUNK)
            .for_each(|c| soft_threshold_seq(c, thr, scale));
    } else {
        soft_threshold_seq(w, thr, scale)
    }
}

fn soft_threshold_seq<R: Real>(w: &mut [R], thr: f64, scale: f64) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        if let Some(w32) = as_f32_mut(w) {
            // SAFETY: AVX2 and FMA were detected at run time.
            unsafe { soft_avx2(w32, thr as f32, scale as f32) };
            return;
        }
    }
    soft_kernel(w, R::of(thr), R::of(scale))
}

#[inline(always)]
fn soft_adaptive_kernel<R: Real>(w: &mut [R], v: &[R], thr: R, ridge: R, ibc: R, eps: R) {
    let zero = R::zero();
    let one = R::one();
    let n = w.len().min(v.len());
    let (w, v) = (&mut w[..n], &v[..n]);
    for i in 0..n {
        let inv = one / (v[i].sqrt() * ibc + eps);
        let t = thr * inv;
        let a = w[i];
        let s = if a > t {
            a - t
        } else if a < -t {
            a + t
        } else {
            zero
        };
        w[i] = s / (one + ridge * inv);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn soft_adaptive_avx2(w: &mut [f32], v: &[f32], thr: f32, ridge: f32, ibc: f32, eps: f32) {
    soft_adaptive_kernel(w, v, thr, ridge, ibc, eps)
}

/// The elastic-net proximal step in Adam's metric: per weight the step is
/// `1 / (sqrt(v) * ibc + eps)` times the given `thr = lr lambda alpha` and
/// `ridge = lr lambda (1 - alpha)`.
pub fn soft_threshold_adaptive<R: Real>(
    w: &mut [R],
    v: &[R],
    thr: f64,
    ridge: f64,
    ibc: f64,
    eps: f64,
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        if let (Some(w32), Some(v32)) = (as_f32_mut(w), as_f32(v)) {
            // SAFETY: AVX2 and FMA were detected at run time.
            unsafe {
                soft_adaptive_avx2(w32, v32, thr as f32, ridge as f32, ibc as f32, eps as f32)
            };
            return;
        }
    }
    soft_adaptive_kernel(w, v, R::of(thr), R::of(ridge), R::of(ibc), R::of(eps))
}
