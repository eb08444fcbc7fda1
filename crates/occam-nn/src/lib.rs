//! occam-nn: a compact neural-network engine over contiguous buffers — layers with forward
//! and backward side by side, losses, optimizers whose penalties are applied as defined (L1 by
//! a proximal step, coupled L2 apart from decoupled weight decay, group lasso), a trainer with
//! early stopping and bit-identical resume, and safetensors model files.

// Kernels index several buffers with one loop counter (x, xhat, out, gamma); iterator
// chains over four zips read worse than the index, so the lint is off for this crate.
#![allow(clippy::needless_range_loop)]

pub mod adversarial;
pub mod attribution;
pub mod dp;
pub mod federated;
pub mod laplace;
pub mod lassonet;
pub mod layer;
pub mod loss;
pub mod mat;
pub mod net;
pub mod optim;
pub mod parallel;
pub mod param;
pub mod pld;
pub mod privacy;
pub mod real;
pub mod recommender;
pub mod regularize;
pub mod simd;

pub use layer::{ActKind, Layer};
pub use layer::{CellKind, RecurrentShape};
pub use loss::Loss;
pub use mat::{Batch, Csr, Mat};
pub use net::{MlpSpec, Net, RecurrentSpec};
pub use optim::{Optimizer, OptimizerKind};
pub use param::{Param, ParamKind};
pub use real::Real;
pub use regularize::{L1Mode, LayerPenalty, LayerSelect, PenaltyPolicy, Regularizer};
pub mod data;
pub mod error;
pub mod metrics;
pub mod model;
pub mod state;
pub mod tensors;
pub mod trainer;

pub use data::{Data, Features, Gather};
pub use error::NnError;
pub use state::TrainState;
pub use trainer::{EpochLog, Event, Outcome, TrainConfig, Trainer};
