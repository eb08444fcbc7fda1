//! A saved model: the architecture, preprocessing and names a prediction needs (model.json)
//! beside the weights (model.safetensors, PyTorch layout). Nothing time-dependent is stored,
//! so two runs with the same seed and threads write byte-identical files.

use crate::error::{NnError, Result};
use crate::loss::Loss;
use crate::net::{MlpSpec, Net};
use crate::real::Real;
use crate::tensors::{decode, encode, load_net_tensors, net_tensors};
use occam_core::Task;

pub const FORMAT: &str = "occam-mlp-1";

/// How raw features and targets were transformed before training.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Preprocess {
    /// Per-feature (x - mean) / scale for dense input; None when not standardized.
    pub mean: Option<Vec<f64>>,
    pub scale: Option<Vec<f64>>,
    /// Regression: targets were (y - mean) / sd.
    pub y_scale: Option<(f64, f64)>,
    /// The model reads sparse (CSR) rows.
    pub sparse: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelMeta {
    pub format: String,
    pub spec: MlpSpec,
    pub task: Task,
    pub loss: Loss,
    pub feature_names: Vec<String>,
    pub target_name: String,
    pub classes: Vec<String>,
    pub preprocess: Preprocess,
    /// The resolved training options, for the record.
    pub training: serde_json::Value,
    /// Regression: the RMS of the validation residuals in the target's units (the
    /// observation noise MC dropout adds to its spread); absent without validation rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_sd: Option<f64>,
    /// The Laplace approximation fitted after training (its covariance, or its variances,
    /// in laplace.safetensors); absent when none was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub laplace: Option<LaplaceMeta>,
    /// What DP-SGD training spent ([`crate::dp`]); absent for a network trained without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<crate::dp::PrivacySpent>,
}

/// What a Laplace approximation was fitted with and found ([`crate::laplace`]); the numbers
/// in the network's units (standardized targets).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LaplaceMeta {
    /// "last_layer_full_ggn" (the last layer, full GGN), "all_diag_ggn" (every parameter,
    /// the GGN's diagonal) or "all_kron_ggn" (every parameter, its Kronecker factors).
    pub method: String,
    pub likelihood: crate::laplace::Likelihood,
    /// The prior precision of every parameter it covers (the evidence's optimum, or the
    /// validation rows' choice).
    pub prior_precision: f64,
    /// The evidence-optimal observation noise sd (1 for classes).
    pub sigma_noise: f64,
    /// The log marginal likelihood there.
    pub log_marglik: f64,
    /// gamma: the effective number of parameters the data determine.
    pub effective_params: f64,
    /// The parameters it covers.
    pub n_params: usize,
    /// The training rows it was fitted on.
    pub n_data: usize,
    /// When the prior precision was chosen on the validation rows instead of by the
    /// evidence: their mean negative log-likelihood there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_nll: Option<f64>,
}

impl ModelMeta {
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| NnError::Model(e.to_string()))
    }

    pub fn from_json(s: &str) -> Result<Self> {
        let m: ModelMeta =
            serde_json::from_str(s).map_err(|e| NnError::Model(format!("model.json: {e}")))?;
        if m.format != FORMAT {
            return Err(NnError::Model(format!(
                "model.json format '{}' is not {FORMAT}",
                m.format
            )));
        }
        m.spec
            .check()
            .map_err(|e| NnError::Model(format!("model.json: {e}")))?;
        if m.feature_names.len() != m.spec.n_in {
            return Err(NnError::Model(format!(
                "model.json lists {} feature names for {} inputs",
                m.feature_names.len(),
                m.spec.n_in
            )));
        }
        Ok(m)
    }
}

/// The weights of `net` as safetensors bytes.
pub fn save_weights<R: Real>(net: &Net<R>) -> Result<Vec<u8>> {
    encode(&net_tensors(net))
}

/// A network of `meta`'s architecture with the weights in `bytes`.
pub fn load<R: Real>(meta: &ModelMeta, bytes: &[u8]) -> Result<Net<R>> {
    // Every weight is stored in `bytes` (4 bytes or more each): a shape that needs more is
    // refused before the network is allocated.
    let weights = meta
        .spec
        .check()
        .map_err(|e| NnError::Model(format!("model.json: {e}")))?;
    if weights.saturating_mul(4) > bytes.len() {
        return Err(NnError::Model(format!(
            "model.json describes at least {weights} weights, but the weights file has only {} bytes",
            bytes.len()
        )));
    }
    let mut net = Net::new(&meta.spec, 0);
    load_net_tensors(&mut net, &decode(bytes)?)?;
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(spec: MlpSpec) -> ModelMeta {
        ModelMeta {
            format: FORMAT.into(),
            feature_names: (0..spec.n_in).map(|j| format!("x{j}")).collect(),
            spec,
            task: Task::Regression,
            loss: Loss::Mse,
            target_name: "y".into(),
            classes: Vec::new(),
            preprocess: Preprocess {
                mean: None,
                scale: None,
                y_scale: None,
                sparse: false,
            },
            training: serde_json::Value::Null,
            noise_sd: None,
            laplace: None,
            privacy: None,
        }
    }

    #[test]
    fn a_shape_the_weights_file_cannot_hold_is_refused_before_allocating() {
        let spec = MlpSpec::new(3, vec![4], 1);
        let net: Net<f32> = Net::new(&spec, 1);
        let bytes = save_weights(&net).unwrap();
        let m = meta(spec.clone());
        assert_eq!(load::<f32>(&m, &bytes).unwrap().n_params(), net.n_params());
        // 2^40 hidden units: 35 TB if allocated; refused by the count against the file.
        let huge = meta(MlpSpec::new(3, vec![1 << 40], 1));
        let e = load::<f32>(&huge, &bytes).unwrap_err().to_string();
        assert!(e.contains("weights file"), "{e}");
        let overflow = MlpSpec::new(usize::MAX / 2, vec![4], 1);
        assert!(overflow.check().unwrap_err().contains("overflow"));
        let zero = meta(MlpSpec::new(3, vec![0], 1));
        assert!(load::<f32>(&zero, &bytes).is_err());
        let mut bad_conv = MlpSpec::new(16, vec![4], 1);
        bad_conv.conv = vec![crate::net::ConvBlock {
            filters: 2,
            kernel: 3,
            pool: 9,
            pool_kind: crate::layer::PoolKind::Max,
            stride: 1,
        }];
        bad_conv.image = Some((1, 4, 4));
        assert!(bad_conv.check().unwrap_err().contains("pooling"));
        bad_conv.image = Some((1, 4, 5));
        assert!(bad_conv.check().unwrap_err().contains("image"));
        let mut drop = MlpSpec::new(3, vec![4], 1);
        drop.dropout = 1.5;
        let text = meta(drop).to_json().unwrap();
        assert!(ModelMeta::from_json(&text)
            .unwrap_err()
            .to_string()
            .contains("dropout"));
    }
}
