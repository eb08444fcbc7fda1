//! `occam privacy epsilon` and `occam privacy noise`: the RDP accountant of DP-SGD from the
//! command line (the facade's `occam::privacy`). The last line of each is `epsilon=<value>`
//! or `noise_multiplier=<value>`, for scripts.

use crate::flags::{PrivacyEpsilonArgs, PrivacyNoiseArgs};
use anyhow::Result;
use occam::privacy::{self, Accountant};

pub fn epsilon(a: &PrivacyEpsilonArgs) -> Result<()> {
    let m = &a.mech;
    let acc = Accountant::parse(&m.accountant)?;
    let g = privacy::epsilon(a.noise_multiplier, m.sample_rate, m.steps, m.delta, acc)?;
    println!(
        "RDP accountant, Poisson-sampled Gaussian: noise multiplier {}, sample rate {}, {} \
         steps, delta {}",
        a.noise_multiplier, m.sample_rate, m.steps, m.delta
    );
    println!("optimal Renyi order {}", g.order);
    println!("epsilon={}", g.epsilon);
    Ok(())
}

pub fn noise(a: &PrivacyNoiseArgs) -> Result<()> {
    let m = &a.mech;
    let acc = Accountant::parse(&m.accountant)?;
    let s = privacy::noise_multiplier(a.epsilon, m.sample_rate, m.steps, m.delta, acc)?;
    let g = privacy::epsilon(s, m.sample_rate, m.steps, m.delta, acc)?;
    println!(
        "RDP accountant, Poisson-sampled Gaussian: sample rate {}, {} steps, delta {}: the \
         smallest noise multiplier with epsilon <= {} (it gives {})",
        m.sample_rate, m.steps, m.delta, a.epsilon, g.epsilon
    );
    println!("noise_multiplier={s}");
    Ok(())
}
