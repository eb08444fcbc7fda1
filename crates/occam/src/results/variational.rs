//! What variational dropout learned, per dense layer: the removed weights (sparse), the
//! distribution of log alpha against the pruning threshold, and the learned dropout rates
//! (per layer, or per input unit with the input features' names on the first layer).

use occam_nn::layer::variational::PRUNE_LOG_ALPHA;
use occam_nn::layer::VdKind;
use occam_nn::{Layer, Net};
use serde::{Deserialize, Serialize};

/// Variational dropout's outcome over the dense layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariationalResult {
    /// sparse (Molchanov 2017), layer or unit (learned rates, Kingma 2015).
    pub kind: String,
    /// Weights with log alpha above this are removed (sparse).
    pub threshold: f64,
    /// The KL term of the final weights divided by the training rows.
    pub kl_per_row: f64,
    /// One entry per variational layer, in order (convolutions first).
    pub layers: Vec<VdLayer>,
}

/// One layer's variational parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VdLayer {
    /// "conv" (a convolution, sparse kind only) or "dense".
    pub kind: String,
    /// The layer's index among the layers of its kind (0 = first).
    pub layer: usize,
    /// Weights exactly zero.
    pub zeros: usize,
    /// Weights.
    pub total: usize,
    /// The histogram of log alpha over the kept weights (removed weights sit above the
    /// threshold): bin edges from -10 to 10.
    pub edges: Vec<f64>,
    /// Kept weights per bin.
    pub counts: Vec<usize>,
    /// The learned dropout rates alpha / (1 + alpha): one (layer) or per input unit (unit);
    /// empty for sparse.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rates: Vec<f64>,
    /// The input units' names when they are the input features (first layer on columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_names: Vec<String>,
}

/// Bins of log alpha: 40 of width 0.5 over [-10, 10].
const BINS: usize = 40;

impl VariationalResult {
    /// The result of a trained network with variational dense layers (`None` without);
    /// `inputs` names the first layer's input units when they are columns, `rows` is the
    /// training row count.
    pub fn of(net: &Net<f32>, inputs: Option<&[String]>, rows: usize) -> Option<Self> {
        let kind = net.spec.variational?;
        let edges: Vec<f64> = (0..=BINS)
            .map(|i| -10.0 + 20.0 * i as f64 / BINS as f64)
            .collect();
        let (mut convs, mut denses) = (0usize, 0usize);
        let layers = net
            .layers
            .iter()
            .filter_map(|l| {
                let (name, i, w, vd) = match l {
                    Layer::Dense(d) => ("dense", &mut denses, &d.weight, d.vd.as_ref()),
                    Layer::Conv(c) => ("conv", &mut convs, &c.weight, c.vd.as_ref()),
                    _ => return None,
                };
                *i += 1;
                let (i, vd) = (*i - 1, vd?);
                let theta = &w.value;
                let mut counts = vec![0usize; BINS];
                for (k, la) in vd.log_alpha(theta).into_iter().enumerate() {
                    if theta[k] != 0.0 {
                        let b = ((la + 10.0) / 20.0 * BINS as f64).floor() as isize;
                        counts[b.clamp(0, BINS as isize - 1) as usize] += 1;
                    }
                }
                let rates = vd.rates();
                let unit_names = match (name, i, kind, inputs) {
                    ("dense", 0, VdKind::Unit, Some(n)) if n.len() == rates.len() => n.to_vec(),
                    _ => Vec::new(),
                };
                Some(VdLayer {
                    kind: name.into(),
                    layer: i,
                    zeros: w.zeros(),
                    total: w.len(),
                    edges: edges.clone(),
                    counts,
                    rates,
                    unit_names,
                })
            })
            .collect();
        Some(VariationalResult {
            kind: kind.name().into(),
            threshold: PRUNE_LOG_ALPHA,
            kl_per_row: net.kl() / rows.max(1) as f64,
            layers,
        })
    }

    /// Zeros and weights over all variational layers.
    pub fn sparsity(&self) -> (usize, usize) {
        self.layers
            .iter()
            .fold((0, 0), |(z, t), l| (z + l.zeros, t + l.total))
    }
}
