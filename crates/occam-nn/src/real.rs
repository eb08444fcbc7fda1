//! The scalar types the engine runs on: f32 for training, f64 for the finite-difference check
//! mode. Two implementations exist, so the layers take this one type parameter.

use num_traits::Float;
use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// f32 or f64.
pub trait Real:
    Float
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Debug
    + Default
    + Send
    + Sync
    + 'static
{
    /// Bytes per value (safetensors dtype F32 or F64).
    const DTYPE: &'static str;
    fn of(v: f64) -> Self;
    fn f64(self) -> f64;
    fn erf(self) -> Self;
    /// The logistic function 1 / (1 + e^-x) for the recurrent gates: exact in f64 (the
    /// finite-difference mode); in f32 a branch-free form the compiler vectorizes, within
    /// 4e-7 relative of the exact value (libm's expf made the LSTM spend 60% of its time in
    /// scalar calls).
    fn gate_sigmoid(self) -> Self;
    /// tanh for the recurrent cells, as [`Real::gate_sigmoid`]: exact in f64, fast in f32.
    fn gate_tanh(self) -> Self;
}

/// e^x in f32 without a libm call: x = n ln 2 + r (Cody-Waite), e^r by its Taylor
/// polynomial to degree 7 (|r| <= ln 2 / 2: under 2e-8 relative), times 2^n built from the
/// exponent bits. x is clamped to [-87.3, 88.3], where 2^n stays a normal number. n is x log2 e
/// rounded to nearest by adding and subtracting 1.5 2^23 (exact for |n| < 2^22): `floor`
/// is a libm call (`floorf`) on x86-64 without SSE4.1, which kept the loops scalar and took
/// 16% of an LSTM's training time.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[inline(always)]
fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// tanh in f32: Cephes' minimax polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) above,
/// both computed and one chosen (no branch, so loops of it vectorize).
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients, as published
fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let s = x * x;
    let small =
        ((((-5.704_988_7e-3 * s + 2.063_908_9e-2) * s - 5.373_971_6e-2) * s + 1.333_144_2e-1) * s
            - 3.333_328_2e-1)
            * s
            * x
            + x;
    let large = (1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 {
        small
    } else {
        large
    }
}

impl Real for f32 {
    const DTYPE: &'static str = "F32";
    #[inline]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn erf(self) -> Self {
        libm::erff(self)
    }
    #[inline(always)]
    fn gate_sigmoid(self) -> Self {
        sigmoid_f32(self)
    }
    #[inline(always)]
    fn gate_tanh(self) -> Self {
        tanh_f32(self)
    }
}

impl Real for f64 {
    const DTYPE: &'static str = "F64";
    #[inline]
    fn of(v: f64) -> Self {
        v
    }
    #[inline]
    fn f64(self) -> f64 {
        self
    }
    #[inline]
    fn erf(self) -> Self {
        libm::erf(self)
    }
    #[inline]
    fn gate_sigmoid(self) -> Self {
        crate::loss::sigmoid(self)
    }
    #[inline]
    fn gate_tanh(self) -> Self {
        self.tanh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f32 gate functions against f64 on a dense grid over [-40, 40] and at the edges.
    #[test]
    fn fast_gates_are_within_4e_7_relative_of_the_exact_values() {
        let (mut worst_s, mut worst_t) = (0.0f64, 0.0f64);
        let mut xs: Vec<f32> = (-400_000..=400_000).map(|k| k as f32 * 1e-4).collect();
        xs.extend([
            1e-30,
            -1e-30,
            1e-7,
            0.624_999_9,
            0.625,
            87.0,
            -87.0,
            100.0,
            -100.0,
            0.0,
        ]);
        for x in xs {
            let (xd, s, t) = (x as f64, x.gate_sigmoid() as f64, x.gate_tanh() as f64);
            let es = 1.0 / (1.0 + (-xd).exp());
            let et = xd.tanh();
            // Relative error, floored at 1e-30: below it a gate is 0 for every purpose (the
            // clamp at -87.3 gives ~1e-38 where the exact value is smaller still).
            worst_s = worst_s.max((s - es).abs() / es.abs().max(1e-30));
            worst_t = worst_t.max((t - et).abs() / et.abs().max(1e-30));
            assert!(s.is_finite() && t.is_finite(), "{x}");
        }
        assert!(worst_s < 4e-7, "sigmoid: {worst_s:e}");
        assert!(worst_t < 4e-7, "tanh: {worst_t:e}");
        assert_eq!(0.0f32.gate_tanh(), 0.0);
        assert_eq!(100.0f32.gate_tanh(), 1.0);
        assert!((0.0..1e-37).contains(&(-100.0f32).gate_sigmoid()));
        assert_eq!(100.0f32.gate_sigmoid(), 1.0);
    }
}
