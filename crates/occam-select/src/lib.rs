//! occam-select: choosing the strength and the features from data: stability selection for
//! penalized linear models (Meinshausen & Bühlmann 2010, with complementary pairs as Shah &
//! Samworth 2013), search spaces, grid / random / TPE proposals, the one-standard-error rule
//! and the median pruning rule. The caller evaluates trials (the CLI trains networks per
//! fold); network paths and stability on the network input layer are still to come.

pub mod search;
pub mod space;
pub mod stability;

pub use stability::{
    correlated_clusters, stability_selection, Cluster, StabilityConfig, StabilityResult,
};
