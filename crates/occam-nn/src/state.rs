//! A training checkpoint: weights, optimizer moments, schedule and early-stopping state and
//! the epoch history, as safetensors bytes (tensors) plus JSON (everything else). Loading it
//! into a fresh `Trainer` continues the run bit-identically.

use crate::error::{NnError, Result};
use crate::optim::schedule::ScheduleState;
use crate::real::Real;
use crate::tensors::{decode, encode_with_meta, load_net_tensors, net_tensors, read_meta, Named};
use crate::trainer::{EpochLog, EvidenceLog, Trainer};

#[derive(Clone, Debug, PartialEq)]
pub struct TrainState<R> {
    pub net: Vec<Named<R>>,
    pub best: Option<Vec<Named<R>>>,
    pub opt_t: u64,
    pub opt_m: Vec<Vec<R>>,
    pub opt_v: Vec<Vec<R>>,
    pub meta: StateMeta,
}

/// The scalar part of a checkpoint (JSON).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateMeta {
    pub format: String,
    pub epochs_done: usize,
    pub opt_t: u64,
    pub sched: ScheduleState,
    /// Best validation loss as its IEEE bits (so resume compares exactly).
    pub best_val_bits: u64,
    pub best_epoch: Option<usize>,
    pub bad_epochs: usize,
    pub stopped_early: bool,
    pub history: Vec<EpochLog>,
    /// The evidence updates so far (`TrainConfig::evidence`); the last one's L2 strengths
    /// are set again on resume.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceLog>,
}

const FORMAT: &str = "occam-checkpoint-1";
const META_KEY: &str = "occam_state";

impl<R: Real> TrainState<R> {
    pub fn capture(t: &Trainer<R>) -> Self {
        TrainState {
            net: net_tensors(&t.net),
            best: t.best_tensors.clone(),
            opt_t: t.opt.t,
            opt_m: t.opt.m.clone(),
            opt_v: t.opt.v.clone(),
            meta: StateMeta {
                format: FORMAT.into(),
                epochs_done: t.history.len(),
                opt_t: t.opt.t,
                sched: t.sched.clone(),
                best_val_bits: t.best_val.to_bits(),
                best_epoch: t.best_epoch,
                bad_epochs: t.bad_epochs,
                stopped_early: t.stopped_early,
                history: t.history.clone(),
                evidence: t.evidence_log.clone(),
            },
        }
    }

    pub fn restore(self, t: &mut Trainer<R>) -> Result<()> {
        load_net_tensors(&mut t.net, &self.net)?;
        if self.opt_m.len() != t.opt.m.len()
            || self.opt_v.len() != t.opt.v.len()
            || self
                .opt_m
                .iter()
                .zip(&t.opt.m)
                .any(|(a, b)| a.len() != b.len())
        {
            return Err(NnError::Model(
                "checkpoint optimizer state does not fit this network and optimizer".into(),
            ));
        }
        t.opt.t = self.opt_t;
        t.opt.m = self.opt_m;
        t.opt.v = self.opt_v;
        t.sched = self.meta.sched;
        t.best_val = f64::from_bits(self.meta.best_val_bits);
        t.best_epoch = self.meta.best_epoch;
        t.bad_epochs = self.meta.bad_epochs;
        t.best_tensors = self.best;
        t.stopped_early = self.meta.stopped_early;
        t.history = self.meta.history;
        if let Some(last) = self.meta.evidence.last() {
            if last.l2.len() != t.reg.tensors() {
                return Err(NnError::Model(
                    "checkpoint evidence updates do not fit this network".into(),
                ));
            }
            t.reg
                .set_l2(&last.l2.iter().map(|(_, v)| *v).collect::<Vec<_>>());
        }
        t.evidence_log = self.meta.evidence;
        Ok(())
    }

    /// One safetensors file: the tensors, with the JSON part in its header.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut all: Vec<Named<R>> = Vec::new();
        for t in &self.net {
            all.push(Named {
                name: format!("net.{}", t.name),
                ..t.clone()
            });
        }
        for t in self.best.iter().flatten() {
            all.push(Named {
                name: format!("best.{}", t.name),
                ..t.clone()
            });
        }
        for (prefix, list) in [("opt.m", &self.opt_m), ("opt.v", &self.opt_v)] {
            for (i, v) in list.iter().enumerate() {
                all.push(Named {
                    name: format!("{prefix}.{i:04}"),
                    shape: vec![v.len()],
                    data: v.clone(),
                });
            }
        }
        let json = serde_json::to_string_pretty(&self.meta)
            .map_err(|e| NnError::Model(format!("checkpoint JSON: {e}")))?;
        encode_with_meta(&all, Some((META_KEY, &json)))
    }

    pub fn decode(tensors: &[u8]) -> Result<Self> {
        let json = read_meta(tensors, META_KEY)?
            .ok_or_else(|| NnError::Model("not an occam checkpoint (no training state)".into()))?;
        let meta: StateMeta = serde_json::from_str(&json)
            .map_err(|e| NnError::Model(format!("checkpoint JSON: {e}")))?;
        if meta.format != FORMAT {
            return Err(NnError::Model(format!(
                "checkpoint format '{}' is not {FORMAT}",
                meta.format
            )));
        }
        let all = decode::<R>(tensors)?;
        let strip = |prefix: &str| -> Vec<Named<R>> {
            all.iter()
                .filter_map(|t| {
                    t.name.strip_prefix(prefix).map(|n| Named {
                        name: n.to_string(),
                        ..t.clone()
                    })
                })
                .collect()
        };
        let net = strip("net.");
        let best = strip("best.");
        // decode sorts by name; the zero-padded index keeps the optimizer slots in order.
        let opt_m = strip("opt.m.").into_iter().map(|t| t.data).collect();
        let opt_v = strip("opt.v.").into_iter().map(|t| t.data).collect();
        Ok(TrainState {
            net,
            best: (!best.is_empty()).then_some(best),
            opt_t: meta.opt_t,
            opt_m,
            opt_v,
            meta,
        })
    }
}
