//! Learning-rate schedules, evaluated once per epoch:
//! - `Constant`;
//! - `Step { every, gamma }`: lr0 * gamma^(floor(epoch / every));
//! - `Cosine { min_lr }`: min_lr + (lr0 - min_lr) (1 + cos(pi epoch / epochs)) / 2;
//! - `Plateau { factor, patience, min_lr }`: lr *= factor after `patience` epochs without a
//!   new best validation loss (PyTorch's ReduceLROnPlateau, mode min, threshold 0).

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "name")]
pub enum Schedule {
    Constant,
    Step {
        every: usize,
        gamma: f64,
    },
    Cosine {
        min_lr: f64,
    },
    Plateau {
        factor: f64,
        patience: usize,
        min_lr: f64,
    },
}

/// The schedule's state; part of a checkpoint so a resumed run continues identically.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScheduleState {
    pub lr: f64,
    /// Best validation loss seen (plateau schedule); None before the first.
    pub best: Option<f64>,
    pub bad_epochs: usize,
}

impl Schedule {
    pub fn start(&self, lr0: f64) -> ScheduleState {
        ScheduleState {
            lr: lr0,
            best: None,
            bad_epochs: 0,
        }
    }

    /// The learning rate for epoch `epoch` (0-based) of `epochs`, after `val_loss` was seen at
    /// the end of the previous epoch (None before the first).
    pub fn lr_for(
        &self,
        st: &mut ScheduleState,
        lr0: f64,
        epoch: usize,
        epochs: usize,
        prev_val_loss: Option<f64>,
    ) -> f64 {
        st.lr = match *self {
            Schedule::Constant => lr0,
            Schedule::Step { every, gamma } => lr0 * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine { min_lr } => {
                let f = epoch as f64 / epochs.max(1) as f64;
                min_lr + (lr0 - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * f).cos())
            }
            Schedule::Plateau {
                factor,
                patience,
                min_lr,
            } => {
                if let Some(v) = prev_val_loss {
                    if st.best.is_none_or(|b| v < b) {
                        st.best = Some(v);
                        st.bad_epochs = 0;
                    } else {
                        st.bad_epochs += 1;
                        if st.bad_epochs > patience {
                            st.lr = (st.lr * factor).max(min_lr);
                            st.bad_epochs = 0;
                        }
                    }
                }
                st.lr
            }
        };
        st.lr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_their_formulas() {
        let s = Schedule::Step {
            every: 2,
            gamma: 0.5,
        };
        let mut st = s.start(1.0);
        let lrs: Vec<f64> = (0..5).map(|e| s.lr_for(&mut st, 1.0, e, 5, None)).collect();
        assert_eq!(lrs, vec![1.0, 1.0, 0.5, 0.5, 0.25]);
        let c = Schedule::Cosine { min_lr: 0.0 };
        let mut st = c.start(1.0);
        assert!((c.lr_for(&mut st, 1.0, 5, 10, None) - 0.5).abs() < 1e-12);
        let p = Schedule::Plateau {
            factor: 0.1,
            patience: 1,
            min_lr: 0.0,
        };
        let mut st = p.start(1.0);
        let seq = [Some(1.0), Some(1.0), Some(1.0)];
        let lrs: Vec<f64> = seq
            .iter()
            .enumerate()
            .map(|(e, v)| p.lr_for(&mut st, 1.0, e, 9, *v))
            .collect();
        assert_eq!(lrs, vec![1.0, 1.0, 0.1]);
    }
}
