//! Robustness of a trained classifier: clean and robust accuracy under PGD with restarts at
//! several radii, on the held-out rows ([`occam_nn::adversarial`]), in the network's input
//! space (standardized units for standardized features) and inside the training rows'
//! range per feature. What `--robust-eval` computes after training and the report draws.

use crate::error::{Error, Result};
use occam_nn::adversarial::{robust_accuracy, Bounds};
use occam_nn::{Data, Features, Loss, Net};
use serde::{Deserialize, Serialize};

pub use occam_nn::adversarial::{Adversarial, Attack, Norm};

/// The robustness check's settings.
///
/// | field | default | range |
/// |---|---|---|
/// | `epsilons` | | each > 0, the radii |
/// | `norm` | linf | linf, l2 |
/// | `steps` | 20 | >= 1, PGD steps of 2.5 eps / steps |
/// | `restarts` | 1 | >= 1, random starts per row |
#[derive(Clone, Debug, PartialEq)]
pub struct RobustEval {
    /// The radii, in the network's input units.
    pub epsilons: Vec<f64>,
    /// The ball.
    pub norm: Norm,
    /// PGD steps.
    pub steps: usize,
    /// Random starts per row.
    pub restarts: usize,
}

/// Clean and robust accuracy at one radius.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RobustPoint {
    /// The radius.
    pub epsilon: f64,
    /// The share of rows classified right.
    pub clean_accuracy: f64,
    /// The share classified right clean and after every start of the attack.
    pub robust_accuracy: f64,
}

/// The robustness check's outcome (summary.json's `robustness`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    /// "pgd-20" and the like.
    pub attack: String,
    /// "linf" or "l2".
    pub norm: String,
    /// Random starts per row.
    pub restarts: usize,
    /// The rows attacked: "test" or "validation".
    pub split: String,
    /// The rows attacked.
    pub rows: usize,
    /// The adversarial training the network had ("pgd-10 linf eps 0.1, weight 1"), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_with: Option<String>,
    /// One per radius, in the order given.
    pub points: Vec<RobustPoint>,
}

impl RobustEval {
    /// Checks the radii, steps and restarts, naming the option.
    pub fn validate(&self) -> Result<()> {
        if self.epsilons.is_empty() || self.epsilons.iter().any(|e| !(e.is_finite() && *e > 0.0)) {
            return Err(Error::param_err(
                "robust_eval",
                "needs one or more radii, each a finite number > 0",
            ));
        }
        if self.steps == 0 {
            return Err(Error::param_err("robust_steps", "must be at least 1"));
        }
        if self.restarts == 0 {
            return Err(Error::param_err("robust_restarts", "must be at least 1"));
        }
        Ok(())
    }

    /// Runs the check on `rows` (named `split`) of a network trained on `train` with `loss`.
    pub fn run(
        &self,
        net: &mut Net<f32>,
        loss: Loss,
        train: &Data<f32>,
        rows: &Data<f32>,
        split: &str,
        trained_with: Option<&Adversarial>,
    ) -> Result<Robustness> {
        let (Features::Dense(tx), Features::Dense(x)) = (&train.x, &rows.x) else {
            return Err(Error::param_err(
                "robust_eval",
                "perturbs dense rows; this input is sparse",
            ));
        };
        let bounds = Bounds::of(tx);
        let mut points = Vec::new();
        for (k, &eps) in self.epsilons.iter().enumerate() {
            let a = Attack::pgd(eps, self.norm, self.steps);
            let (clean, robust) =
                robust_accuracy(net, loss, x, &rows.y, &a, self.restarts, &bounds, k as u64)?;
            points.push(RobustPoint {
                epsilon: eps,
                clean_accuracy: clean,
                robust_accuracy: robust,
            });
        }
        Ok(Robustness {
            attack: Attack::pgd(1.0, self.norm, self.steps).name(),
            norm: self.norm.name().into(),
            restarts: self.restarts,
            split: split.into(),
            rows: x.rows,
            trained_with: trained_with.map(describe),
            points,
        })
    }
}

/// "pgd-10 linf eps 0.1, weight 1" (TRADES: "trades pgd-10 linf eps 0.1, beta 6").
pub fn describe(a: &Adversarial) -> String {
    if let Some(beta) = a.trades {
        return format!(
            "trades {} {} eps {}, beta {beta}",
            a.attack.name(),
            a.attack.norm.name(),
            a.attack.eps
        );
    }
    format!(
        "{} {} eps {}, weight {}",
        a.attack.name(),
        a.attack.norm.name(),
        a.attack.eps,
        a.weight
    )
}
