//! `occam privacy epsilon` and `occam privacy noise`: the RDP accountant of DP-SGD from the
//! command line (the facade's `occam::privacy`). The last line of each is `epsilon=<value>`
//! or `noise_multiplier=<value>`, for scripts.

use crate::flags::{PrivacyEpsilonArgs, PrivacyNoiseArgs};
use anyhow::Result;
use occam::privacy::{self, Accountant};

pub fn epsilon(a: &PrivacyEpsilonArgs) -> Result<()> {
    let acc = Accountant::parse(&a.accountant)?;
    let g = privacy::epsilon(a.noise_multiplier, a.sample_rate, a.steps, a.delta, acc)?;
    println!(
        "RDP accountant, Poisson-sampled Gaussian: noise multiplier {}, sample rate {}, {} \
         steps, delta {}",
        a.noise_multiplier, a.sample_rate, a.steps, a.delta
    );
    println!("optimal Renyi order {}", g.order);
    println!("epsilon={}", g.epsilon);
    Ok(())
}

pub fn noise(a: &PrivacyNoiseArgs) -> Result<()> {
    let acc = Accountant::parse(&a.accountant)?;
    let s = privacy::noise_multiplier(a.epsilon, a.sample_rate, a.steps, a.delta, acc)?;
    let g = privacy::epsilon(s, a.sample_rate, a.steps, a.delta, acc)?;
    println!(
        "RDP accountant, Poisson-sampled Gaussian: sample rate {}, {} steps, delta {}: the \
         smallest noise multiplier with epsilon <= {} (it gives {})",
        a.sample_rate, a.steps, a.delta, a.epsilon, g.epsilon
    );
    println!("noise_multiplier={s}");
    Ok(())
}
