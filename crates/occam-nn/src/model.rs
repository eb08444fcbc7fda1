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
    let mut net = Net::new(&meta.spec, 0);
    load_net_tensors(&mut net, &decode(bytes)?)?;
    Ok(net)
}
