//! The inner loops of coordinate descent over dense columns, with run-time CPU feature
//! dispatch: the binary is built for the baseline target, and an AVX2+FMA copy of each loop
//! is picked when the CPU has it. Both copies perform the same operations in the same order
//! (no fused multiply-add is formed), so the result does not depend on the CPU.

use occam_core::cpu::has_avx2_fma;

/// Independent partial sums of a dot product: enough to fill the vector registers and hide
/// the latency of the additions.
const LANES: usize = 16;

#[inline(always)]
fn reduce(mut s: [f64; LANES]) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            s[l] += s[l + width];
        }
    }
    s[0]
}

#[inline(always)]
fn dot_kernel(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [0.0f64; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (ak, bk) in ac.zip(bc) {
        for l in 0..LANES {
            s[l] += ak[l] * bk[l];
        }
    }
    let mut t = reduce(s);
    for (x, y) in ar.iter().zip(br) {
        t += x * y;
    }
    t
}

#[inline(always)]
fn dots_kernel(data: &[f64], n: usize, cols: &[usize], u: &[f64], out: &mut [f64]) {
    for (o, &j) in out.iter_mut().zip(cols) {
        *o = dot_kernel(&data[j * n..(j + 1) * n], u);
    }
}

/// r -= delta * v * x, returning the sum of what was subtracted.
#[inline(always)]
fn update_kernel(r: &mut [f64], x: &[f64], v: &[f64], delta: f64) -> f64 {
    let n = r.len().min(x.len()).min(v.len());
    let (r, x, v) = (&mut r[..n], &x[..n], &v[..n]);
    let mut s = [0.0f64; LANES];
    let mut rc = r.chunks_exact_mut(LANES);
    let (xc, vc) = (x.chunks_exact(LANES), v.chunks_exact(LANES));
    let (xr, vr) = (xc.remainder(), vc.remainder());
    for ((rk, xk), vk) in (&mut rc).zip(xc).zip(vc) {
        for l in 0..LANES {
            let t = delta * vk[l] * xk[l];
            rk[l] -= t;
            s[l] += t;
        }
    }
    let mut total = reduce(s);
    for ((ri, xi), vi) in rc.into_remainder().iter_mut().zip(xr).zip(vr) {
        let t = delta * vi * xi;
        *ri -= t;
        total += t;
    }
    total
}

/// x <- (x - c) / s in place; returns the sum of squares of the result.
#[inline(always)]
fn standardize_kernel(x: &mut [f64], c: f64, sc: f64) -> f64 {
    let mut s = [0.0f64; LANES];
    let mut xc = x.chunks_exact_mut(LANES);
    for xk in &mut xc {
        for l in 0..LANES {
            let v = (xk[l] - c) / sc;
            xk[l] = v;
            s[l] += v * v;
        }
    }
    let mut t = reduce(s);
    for xi in xc.into_remainder() {
        let v = (*xi - c) / sc;
        *xi = v;
        t += v * v;
    }
    t
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn standardize_avx2(x: &mut [f64], c: f64, sc: f64) -> f64 {
    standardize_kernel(x, c, sc)
}

/// Standardizes a dense column in place, x <- (x - c) / s, and returns its squared norm
/// afterwards.
pub(crate) fn standardize(x: &mut [f64], c: f64, sc: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        return unsafe { standardize_avx2(x, c, sc) };
    }
    standardize_kernel(x, c, sc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f64], b: &[f64]) -> f64 {
    dot_kernel(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2(data: &[f64], n: usize, cols: &[usize], u: &[f64], out: &mut [f64]) {
    dots_kernel(data, n, cols, u, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn update_avx2(r: &mut [f64], x: &[f64], v: &[f64], delta: f64) -> f64 {
    update_kernel(r, x, v, delta)
}

/// sum_i a_i b_i.
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        return unsafe { dot_avx2(a, b) };
    }
    dot_kernel(a, b)
}

/// out[k] = x_{cols[k]}' u for the columns of a column-major n-row matrix.
pub(crate) fn dots(data: &[f64], n: usize, cols: &[usize], u: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        return unsafe { dots_avx2(data, n, cols, u, out) };
    }
    dots_kernel(data, n, cols, u, out)
}

/// r -= delta * v * x; returns sum_i delta v_i x_i.
#[inline]
pub(crate) fn update(r: &mut [f64], x: &[f64], v: &[f64], delta: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        return unsafe { update_avx2(r, x, v, delta) };
    }
    update_kernel(r, x, v, delta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect()
    }

    #[test]
    fn dispatched_and_portable_loops_agree_bit_for_bit() {
        for n in [0, 1, 15, 16, 17, 100, 1001] {
            let (a, b, v) = (data(n, 1), data(n, 2), data(n, 3));
            assert_eq!(
                dot(&a, &b).to_bits(),
                dot_kernel(&a, &b).to_bits(),
                "n = {n}"
            );
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() <= 1e-12 * (1.0 + naive.abs()));
            let (mut r1, mut r2) = (b.clone(), b.clone());
            let s1 = update(&mut r1, &a, &v, 0.37);
            let s2 = update_kernel(&mut r2, &a, &v, 0.37);
            assert_eq!(s1.to_bits(), s2.to_bits());
            assert_eq!(r1, r2);
            for i in 0..n {
                assert_eq!(r1[i], b[i] - 0.37 * v[i] * a[i]);
            }
        }
        let n = 37;
        let m = data(n * 5, 4);
        let u = data(n, 5);
        let cols = [4, 0, 2];
        let mut out = [0.0; 3];
        dots(&m, n, &cols, &u, &mut out);
        for (k, &j) in cols.iter().enumerate() {
            assert_eq!(
                out[k].to_bits(),
                dot_kernel(&m[j * n..(j + 1) * n], &u).to_bits()
            );
        }
    }
}
