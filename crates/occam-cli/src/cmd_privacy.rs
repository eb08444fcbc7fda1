//! `occam privacy epsilon` and `occam privacy noise`: the accountants of DP-SGD (RDP or PLD)
//! from the command line (the facade's `occam::privacy`). The last line of each is
//! `epsilon=<value>` or `noise_multiplier=<value>`, for scripts.

use crate::flags::{PrivacyEpsilonArgs, PrivacyNoiseArgs};
use anyhow::Result;
use occam::privacy::{self, Accountant, Guarantee};

fn title(acc: Accountant) -> &'static str {
    match acc {
        Accountant::Rdp => "RDP accountant",
        Accountant::Pld => "PLD accountant",
    }
}

/// The line that says how the accountant reached its epsilon.
fn how(g: &Guarantee) -> String {
    match (g.order, g.interval) {
        (Some(o), _) => format!("optimal Renyi order {o}"),
        (None, Some(h)) => format!("privacy loss cells of width {h}"),
        (None, None) => String::new(),
    }
}

pub fn epsilon(a: &PrivacyEpsilonArgs) -> Result<()> {
    let m = &a.mech;
    let acc = privacy::accountant(&m.accountant, "accountant")?;
    let g = privacy::epsilon(a.noise_multiplier, m.sample_rate, m.steps, m.delta, acc)?;
    println!(
        "{}, Poisson-sampled Gaussian: noise multiplier {}, sample rate {}, {} steps, delta {}",
        title(acc),
        a.noise_multiplier,
        m.sample_rate,
        m.steps,
        m.delta
    );
    println!("{}", how(&g));
    println!("epsilon={}", g.epsilon);
    Ok(())
}

pub fn noise(a: &PrivacyNoiseArgs) -> Result<()> {
    let m = &a.mech;
    let acc = privacy::accountant(&m.accountant, "accountant")?;
    let s = privacy::noise_multiplier(a.epsilon, m.sample_rate, m.steps, m.delta, acc)?;
    let g = privacy::epsilon(s, m.sample_rate, m.steps, m.delta, acc)?;
    println!(
        "{}, Poisson-sampled Gaussian: sample rate {}, {} steps, delta {}: the smallest noise \
         multiplier with epsilon <= {} (it gives {})",
        title(acc),
        m.sample_rate,
        m.steps,
        m.delta,
        a.epsilon,
        g.epsilon
    );
    println!("noise_multiplier={s}");
    Ok(())
}
