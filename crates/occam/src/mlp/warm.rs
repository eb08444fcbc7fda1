//! Warm starts (`Mlp::init`, Python's `warm_start` and `set_weights`, the Flower clients of
//! `occam.flower`): a network that begins at given parameter values, with a fresh optimizer,
//! schedule and history, as a training state that `train_network` resumes.

use crate::error::{Error, Result};
use occam_nn::{MlpSpec, Net, TrainConfig, TrainState, Trainer};

/// Sets `net`'s parameters, in `Net::params` order, to `weights` (one array per tensor, of
/// the tensor's length); refuses another count or length, naming `weights`.
pub fn set_weights(net: &mut Net<f32>, weights: &[Vec<f32>]) -> Result<()> {
    let mut params = net.params_mut();
    if params.len() != weights.len() {
        return Err(Error::param_err(
            "weights",
            format!(
                "{} arrays given, the network has {} parameter tensors",
                weights.len(),
                params.len()
            ),
        ));
    }
    for (i, (p, w)) in params.iter().zip(weights).enumerate() {
        if p.len() != w.len() {
            return Err(Error::param_err(
                "weights",
                format!(
                    "array {i} ({}) has {} values, the network's has {} (shape {:?})",
                    p.name,
                    w.len(),
                    p.len(),
                    p.shape
                ),
            ));
        }
    }
    for (p, w) in params.iter_mut().zip(weights) {
        p.value.copy_from_slice(w);
    }
    Ok(())
}

/// The training state of a network of `spec` that starts at `weights`: what
/// `train_network` resumes, training `cfg.epochs` epochs from them.
pub(crate) fn start(
    spec: &MlpSpec,
    cfg: &TrainConfig,
    weights: &[Vec<f32>],
) -> Result<TrainState<f32>> {
    if cfg.federated.is_some() {
        return Err(Error::param_err(
            "warm_start",
            "a federated run starts from the network's own initial weights",
        ));
    }
    let mut net: Net<f32> = Net::new(spec, cfg.seed);
    set_weights(&mut net, weights)?;
    Ok(Trainer::new(net, cfg.clone())?.state())
}
