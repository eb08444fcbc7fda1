//! Federated training in one process: FedAvg (McMahan, Moore, Ramage, Hampson & Agüera y
//! Arcas 2017, "Communication-Efficient Learning of Deep Networks from Decentralized Data")
//! and FedProx (Li, Sahu, Zaheer, Sanjabi, Talwalkar & Smith 2020, "Federated Optimization in
//! Heterogeneous Networks"). The training rows are split over K clients, IID or with
//! Dirichlet label skew (Hsu, Qi & Brown 2019: per class, the shares of the K clients drawn
//! from Dirichlet(alpha); small alpha, few classes per client). Each round every client with
//! rows starts from the global weights, trains `local_epochs` epochs on its own rows with the
//! network's settings (a fresh optimizer state; under FedProx the proximal term
//! `mu/2 |w - w_global|^2` added to its objective), and the server sets the global weights to
//! the clients' average weighted by their row counts. With `stragglers`, a client may finish
//! only part of its local epochs in a round (Li et al.'s systems heterogeneity); FedAvg's
//! rule drops that partial work (`drop_stragglers`), FedProx keeps it. With `sample_rate`
//! < 1 each client takes part in a round with that probability (Poisson).
//!
//! Client-level differential privacy (DP-FedAvg: McMahan, Ramage, Talwar & Zhang 2018,
//! "Learning Differentially Private Recurrent Language Models", algorithm 1), when the
//! training config has `dp`: each taking part client's update `w_k - w_global` is clipped to
//! L2 norm S (`max_grad_norm`), the server adds N(0, (sigma S)^2) to each coordinate of the
//! clipped updates' sum and moves the global weights by that over the expected number of
//! clients, `sample_rate K` (the fixed-denominator estimator: every client weighs the same,
//! whatever its rows). One client's data change one round's sum by at most S, so each round
//! is the Poisson-subsampled Gaussian mechanism and the accountant (RDP or PLD, over the
//! rounds at `sample_rate`) gives the (epsilon, delta) of adding or removing a whole client;
//! the noise for a target epsilon comes from it. The clients' own steps are plain (no
//! DP-SGD inside).
//!
//! Client k's draws in round r come from the seed `(seed, r, k)`, the round's sample and
//! noise from streams of their own, so a run repeats bit for bit.

use crate::data::{Data, Features, Gather};
use crate::dp::{DpConfig, DpNoise, DpRun, PrivacyUnit};
use crate::error::{NnError, Result};
use crate::net::Net;
use crate::real::Real;
use crate::trainer::{EpochLog, TrainConfig, Trainer};
use occam_core::rng::Rng;
use std::time::Instant;

/// How the training rows are split over the clients.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSplit {
    /// Shuffled, then cut into K parts of (nearly) equal size.
    Iid,
    /// Label skew: per class, client shares drawn from Dirichlet(alpha).
    Dirichlet(f64),
}

/// Federated settings.
///
/// | field | default | range |
/// |---|---|---|
/// | `clients` | | >= 2 |
/// | `rounds` | | >= 1 |
/// | `local_epochs` | 1 | >= 1 |
/// | `mu` | 0 (FedAvg) | >= 0, FedProx's proximal weight |
/// | `split` | iid | iid, dirichlet(alpha > 0) |
/// | `stragglers` | 0 | [0, 1): each round each client is a straggler with this probability and trains only 1 to `local_epochs - 1` epochs (uniform; Li et al.'s systems heterogeneity) |
/// | `drop_stragglers` | false | leave the stragglers' partial work out of the average (FedAvg's rule in Li et al.; FedProx keeps it) |
/// | `sample_rate` | 1 | (0, 1]: each client's probability of taking part in a round |
/// | `processes` | false | run each client in an OS process of its own over loopback (the facade's `fedproc`; the same numbers) |
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FedConfig {
    pub clients: usize,
    pub rounds: usize,
    pub local_epochs: usize,
    pub mu: f64,
    pub split: ClientSplit,
    #[serde(default)]
    pub stragglers: f64,
    #[serde(default)]
    pub drop_stragglers: bool,
    #[serde(default = "every_client")]
    pub sample_rate: f64,
    #[serde(default)]
    pub processes: bool,
}

fn every_client() -> f64 {
    1.0
}

impl FedConfig {
    pub fn validate(&self) -> Result<()> {
        if self.clients < 2 {
            return Err(NnError::config("federated", "needs at least 2 clients"));
        }
        if self.rounds == 0 {
            return Err(NnError::config("fed_rounds", "must be at least 1"));
        }
        if self.local_epochs == 0 {
            return Err(NnError::config("fed_local_epochs", "must be at least 1"));
        }
        if !(self.mu.is_finite() && self.mu >= 0.0) {
            return Err(NnError::config(
                "fed_mu",
                format!("{} must be a finite number >= 0", self.mu),
            ));
        }
        if !(0.0..1.0).contains(&self.stragglers) {
            return Err(NnError::config(
                "fed_stragglers",
                format!("{} is not in [0, 1)", self.stragglers),
            ));
        }
        if !(self.sample_rate > 0.0 && self.sample_rate <= 1.0) {
            return Err(NnError::config(
                "fed_sample_rate",
                format!("{} is not in (0, 1]", self.sample_rate),
            ));
        }
        if let ClientSplit::Dirichlet(a) = self.split {
            if !(a.is_finite() && a > 0.0) {
                return Err(NnError::config(
                    "fed_split",
                    format!("dirichlet:{a}: alpha must be a finite number > 0"),
                ));
            }
        }
        Ok(())
    }
}

/// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by the boost
/// Gamma(a) = Gamma(a + 1) U^(1/a)).
fn gamma(shape: f64, rng: &mut Rng) -> f64 {
    if shape < 1.0 {
        let u = 1.0 - rng.uniform();
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.uniform();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// The rows of each client: `labels[i]` is row i's class (ignored for IID).
pub fn split_rows(
    labels: &[usize],
    clients: usize,
    split: ClientSplit,
    seed: u64,
) -> Vec<Vec<usize>> {
    let mut rng = Rng::stream(seed, 0xfed);
    let mut parts = vec![Vec::new(); clients];
    match split {
        ClientSplit::Iid => {
            let mut order: Vec<usize> = (0..labels.len()).collect();
            rng.shuffle(&mut order);
            for (k, chunk) in order
                .chunks(labels.len().div_ceil(clients).max(1))
                .enumerate()
            {
                parts[k].extend_from_slice(chunk);
            }
        }
        ClientSplit::Dirichlet(alpha) => {
            let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
            for c in 0..classes {
                let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
                rng.shuffle(&mut rows);
                let g: Vec<f64> = (0..clients).map(|_| gamma(alpha, &mut rng)).collect();
                let total: f64 = g.iter().sum::<f64>().max(f64::MIN_POSITIVE);
                let mut start = 0usize;
                let mut acc = 0.0;
                for (k, gk) in g.iter().enumerate() {
                    acc += gk / total;
                    let end = if k + 1 == clients {
                        rows.len()
                    } else {
                        ((acc * rows.len() as f64).round() as usize).min(rows.len())
                    };
                    parts[k].extend_from_slice(&rows[start..end.max(start)]);
                    start = end.max(start);
                }
            }
            for p in &mut parts {
                p.sort_unstable();
            }
        }
    }
    parts
}

/// The training rows of each client of `fed` ([`split_rows`] by the rows' classes; seeded by
/// the training seed): what [`fit`] trains on.
pub fn client_parts<R: Real>(
    train: &Data<R>,
    fed: &FedConfig,
    seed: u64,
) -> Result<Vec<Vec<usize>>> {
    let labels: Vec<usize> = match fed.split {
        ClientSplit::Iid => vec![0; train.rows()],
        ClientSplit::Dirichlet(_) if train.task.is_classification() => {
            train.y.iter().map(|v| v.f64() as usize).collect()
        }
        ClientSplit::Dirichlet(_) => {
            return Err(NnError::config(
                "fed_split",
                "a Dirichlet label split needs classes; use iid",
            ))
        }
    };
    Ok(split_rows(&labels, fed.clients, fed.split, seed))
}

/// The rows `idx` of `data` as a data set of their own.
pub fn subset<R: Real>(data: &Data<R>, idx: &[usize]) -> Data<R> {
    let mut g = Gather::default();
    g.fill(data, idx);
    let x = match &data.x {
        Features::Dense(_) => Features::Dense(g.dense),
        Features::Sparse(_) => Features::Sparse(g.sparse),
    };
    Data {
        x,
        y: g.y,
        task: data.task,
        outputs: data.outputs,
        y_scale: data.y_scale,
    }
}

/// Which clients take part in `round`: all at sample rate 1, else each with probability
/// `sample_rate` (from a stream of its own per round).
fn participants(fed: &FedConfig, seed: u64, round: usize) -> Vec<bool> {
    if fed.sample_rate >= 1.0 {
        return vec![true; fed.clients];
    }
    let mut rng = Rng::stream(seed ^ 0x5a3b_1e00, round as u64);
    (0..fed.clients)
        .map(|_| rng.uniform() < fed.sample_rate)
        .collect()
}

/// Client-level DP's mechanism: the noise multiplier (from a target epsilon over the rounds
/// at the clients' sample rate when one was given), one step per round.
fn client_mechanism(dp: &DpConfig, fed: &FedConfig) -> Result<DpRun> {
    dp.validate()?;
    let sigma = match dp.noise {
        DpNoise::Multiplier(s) => s,
        DpNoise::Epsilon(e) => {
            dp.accountant
                .noise_for_epsilon(e, fed.sample_rate, fed.rounds as u64, dp.delta)?
        }
    };
    Ok(DpRun {
        sigma,
        rows: fed.clients,
        steps_per_epoch: 1,
        sample_rate: fed.sample_rate,
        unit: PrivacyUnit::Client,
    })
}

/// What sees each finished round: its log and the global trainer.
pub type RoundHook<'a, R> =
    dyn FnMut(&EpochLog, &Trainer<R>) -> std::result::Result<(), String> + 'a;

/// One federated run's outcome: the global network in a trainer whose history has one entry
/// per round (the clients' row-weighted mean training loss of their last local epoch, the
/// global network's validation loss and metrics), and the clients' row counts.
pub struct Federated<R> {
    pub trainer: Trainer<R>,
    pub client_rows: Vec<usize>,
}

/// One client's work in one round: its trained network, its rows and the training loss of
/// its last local epoch.
pub struct ClientUpdate<R> {
    pub net: Net<R>,
    pub rows: usize,
    pub loss: f64,
}

/// The training config each client runs: `cfg` with `fed.local_epochs` epochs, no early
/// stopping or best-weights restore, no federated settings and no DP-SGD (client-level DP
/// acts on the server).
pub fn local_config(cfg: &TrainConfig, fed: &FedConfig) -> TrainConfig {
    let mut local = cfg.clone();
    local.epochs = fed.local_epochs;
    local.restore_best = false;
    local.federated = None;
    local.dp = None;
    local
}

/// Client `k`'s round `round` from the `global` network on its rows `data`, with the client
/// config `local` ([`local_config`]) and the run's `seed`: a fresh trainer from the global
/// weights (FedProx's anchor at them when `fed.mu > 0`), `local.epochs` epochs, or fewer
/// for a straggler. `None` for a straggler whose work `fed.drop_stragglers` leaves out. The
/// same wherever the client runs (this process or a client process).
pub fn local_round<R: Real>(
    global: &Net<R>,
    local: &TrainConfig,
    fed: &FedConfig,
    seed: u64,
    round: usize,
    k: usize,
    data: &Data<R>,
) -> Result<Option<ClientUpdate<R>>> {
    let mut draws = Rng::stream(seed, ((round as u64) << 20) | k as u64);
    let mut c = local.clone();
    c.seed = draws.next_u64();
    // a straggler (drawn whatever the setting, so the seeds above never move)
    let straggler = draws.uniform() < fed.stragglers && fed.local_epochs > 1;
    let partial = 1 + draws.below(fed.local_epochs.saturating_sub(1).max(1));
    if straggler {
        if fed.drop_stragglers {
            return Ok(None);
        }
        c.epochs = partial;
    }
    let mut t = Trainer::new(global.clone(), c)?;
    if fed.mu > 0.0 {
        let start: Vec<Vec<R>> = global.params().iter().map(|p| p.value.clone()).collect();
        t.anchor = Some((fed.mu, start));
    }
    t.fit(data, None, &mut |_| Ok(()))?;
    Ok(Some(ClientUpdate {
        rows: data.rows(),
        loss: t.history.last().map_or(f64::NAN, |h| h.train_loss),
        net: t.net,
    }))
}

/// Where the clients run: each round, from the global network, the update of every client
/// that `taking_part` marks and that has rows (`None` for the others, and for dropped
/// stragglers), in client order.
pub trait ClientPool<R> {
    fn round(
        &mut self,
        round: usize,
        global: &Net<R>,
        taking_part: &[bool],
    ) -> Result<Vec<Option<ClientUpdate<R>>>>;
}

/// The clients in this process, one after the other.
pub struct InProcess<R> {
    pub data: Vec<Data<R>>,
    pub local: TrainConfig,
    pub fed: FedConfig,
    pub seed: u64,
}

impl<R: Real> InProcess<R> {
    /// The clients of `train` as `fed` splits it ([`client_parts`], seeded by `cfg.seed`),
    /// each with its rows and the client config ([`local_config`]); with the rows of each.
    pub fn new(
        train: &Data<R>,
        cfg: &TrainConfig,
        fed: &FedConfig,
    ) -> Result<(Vec<Vec<usize>>, InProcess<R>)> {
        fed.validate()?;
        let parts = client_parts(train, fed, cfg.seed)?;
        let pool = InProcess {
            data: parts.iter().map(|p| subset(train, p)).collect(),
            local: local_config(cfg, fed),
            fed: *fed,
            seed: cfg.seed,
        };
        Ok((parts, pool))
    }
}

impl<R: Real> ClientPool<R> for InProcess<R> {
    fn round(
        &mut self,
        round: usize,
        global: &Net<R>,
        taking_part: &[bool],
    ) -> Result<Vec<Option<ClientUpdate<R>>>> {
        let mut out = Vec::with_capacity(self.data.len());
        for (k, d) in self.data.iter().enumerate() {
            out.push(if d.rows() > 0 && taking_part[k] {
                local_round(global, &self.local, &self.fed, self.seed, round, k, d)?
            } else {
                None
            });
        }
        Ok(out)
    }
}

/// Trains `net` federated over the rows of `train` split as `fed` says, the clients in this
/// process ([`fit_with`]).
pub fn fit<R: Real>(
    net: Net<R>,
    cfg: &TrainConfig,
    fed: &FedConfig,
    train: &Data<R>,
    val: Option<&Data<R>>,
    on_round: &mut RoundHook<'_, R>,
) -> Result<Federated<R>> {
    let (parts, mut pool) = InProcess::new(train, cfg, fed)?;
    fit_with(net, cfg, fed, &parts, val, on_round, &mut pool)
}

/// Trains `net` federated: the clients (rows `parts` of the training set) run in `pool`,
/// each with `cfg` (its `epochs` replaced by `fed.local_epochs`; no early stopping within a
/// client); the global network is validated on `val` after each round. `on_round` sees each
/// round's log (pushed to the global trainer's history) with the global trainer; an `Err`
/// from it stops training.
pub fn fit_with<R: Real>(
    net: Net<R>,
    cfg: &TrainConfig,
    fed: &FedConfig,
    parts: &[Vec<usize>],
    val: Option<&Data<R>>,
    on_round: &mut RoundHook<'_, R>,
    pool: &mut dyn ClientPool<R>,
) -> Result<Federated<R>> {
    fed.validate()?;
    let mut global = Trainer::new(net, cfg.clone())?;
    let client_dp = match &cfg.dp {
        Some(d) => Some((*d, client_mechanism(d, fed)?)),
        None => None,
    };
    global.dp_run = client_dp.map(|(_, run)| run);
    for round in 0..fed.rounds {
        let t0 = Instant::now();
        let start: Vec<Vec<R>> = global
            .net
            .params()
            .iter()
            .map(|p| p.value.clone())
            .collect();
        let mut sum: Vec<Vec<f64>> = global
            .net
            .params()
            .iter()
            .map(|p| vec![0.0; p.len()])
            .collect();
        let (mut rows, mut loss) = (0usize, 0.0);
        let taking_part = participants(fed, cfg.seed, round);
        let updates = pool.round(round, &global.net, &taking_part)?;
        for u in updates.into_iter().flatten() {
            let n = u.rows;
            match client_dp {
                // the update w_k - w_global, clipped to norm S, unweighted
                Some((dp, _)) => {
                    let params = u.net.params();
                    let norm = params
                        .iter()
                        .zip(&start)
                        .flat_map(|(p, s0)| p.value.iter().zip(s0))
                        .map(|(v, s0)| (v.f64() - s0.f64()).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    let c = if norm > dp.max_grad_norm {
                        dp.max_grad_norm / norm
                    } else {
                        1.0
                    };
                    for ((s, p), s0) in sum.iter_mut().zip(params).zip(&start) {
                        for ((a, v), w0) in s.iter_mut().zip(&p.value).zip(s0) {
                            *a += c * (v.f64() - w0.f64());
                        }
                    }
                }
                None => {
                    for (s, p) in sum.iter_mut().zip(u.net.params()) {
                        s.iter_mut()
                            .zip(&p.value)
                            .for_each(|(a, v)| *a += n as f64 * v.f64());
                    }
                }
            }
            loss += n as f64 * u.loss;
            rows += n;
        }
        let total = rows.max(1) as f64;
        if let Some((dp, run)) = client_dp {
            // noise on the clipped sum, over the expected clients; every round, whoever
            // took part
            let mut noise = Rng::stream(cfg.seed ^ 0xd9fe_da51, round as u64);
            let sd = run.sigma * dp.max_grad_norm;
            let expected = fed.sample_rate * fed.clients as f64;
            for ((p, s), s0) in global.net.params_mut().into_iter().zip(&sum).zip(&start) {
                for ((v, a), w0) in p.value.iter_mut().zip(s).zip(s0) {
                    *v = R::of(w0.f64() + (a + sd * noise.normal()) / expected);
                }
            }
        } else {
            // a round whose every client was dropped leaves the global weights as they were
            for (p, s) in global
                .net
                .params_mut()
                .into_iter()
                .zip(&sum)
                .filter(|_| rows > 0)
            {
                p.value
                    .iter_mut()
                    .zip(s)
                    .for_each(|(v, a)| *v = R::of(a / total));
            }
        }
        let (val_loss, val_metrics) = match val {
            Some(v) => {
                let (l, m) = global.evaluate(v);
                (Some(l), m)
            }
            None => (None, Vec::new()),
        };
        let log = EpochLog {
            epoch: round + 1,
            lr: cfg.lr,
            train_loss: loss / total,
            val_loss,
            penalty: global.reg.value(&global.net).penalty,
            decay_term: 0.0,
            val_metrics,
            zeros: global.zeros_per_layer(),
            seconds: t0.elapsed().as_secs_f64(),
        };
        global.history.push(log);
        let log = global.history.last().expect("pushed");
        on_round(log, &global).map_err(NnError::Callback)?;
    }
    Ok(Federated {
        trainer: global,
        client_rows: parts.iter().map(Vec::len).collect(),
    })
}
