//! Run-time CPU feature detection, shared by the hot loops of occam-linear and occam-nn:
//! binaries are built for the baseline target and pick an AVX2+FMA copy of a loop when the
//! CPU has it.

use std::sync::OnceLock;

/// True when the CPU has AVX2 and FMA (detected once).
pub fn has_avx2_fma() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}
