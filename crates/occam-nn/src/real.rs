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
}
