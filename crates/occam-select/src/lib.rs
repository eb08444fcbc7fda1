//! occam-select: choosing the strength and the features from data. Today: stability
//! selection for penalized linear models (Meinshausen & Bühlmann 2010, with complementary
//! pairs as Shah & Samworth 2013). CV and search over network configs, network paths and
//! stability selection on the network input layer are the rest of its issue.

pub mod stability;

pub use stability::{stability_selection, StabilityConfig, StabilityResult};
