//! A recommender: matrix factorisation with biases (Koren, Bell & Volinsky 2009),
//! `r_hat(u, i) = mu + b_u + b_i + p_u . q_i`, optionally plus an MLP on the concatenated
//! vectors, `+ f([p_u, q_i])` (He et al. 2017's NeuMF with shared vectors: ReLU hidden layers
//! and one linear output, Adam, coupled L2 on its weight matrices), with the user and item
//! vectors and biases in
//! `Embedding` tables updated sparsely by lazy Adam, MSE loss, and coupled L2 on the
//! embeddings (`l2 * w` added to each touched row's gradient). Training runs in seeded
//! mini-batches with validation RMSE every epoch and early stopping that restores the best
//! epoch. Also: the two baselines (global mean; user + item biases as plain means) and top-k.

use crate::dp::{DpConfig, DpRun, PrivacySpent};
use crate::error::{NnError, Result};
use crate::layer::{Embedding, LazyAdam};
use crate::mat::{Batch, Mat};
use crate::net::{MlpSpec, Net};
use crate::optim::{Optimizer, OptimizerKind};
use crate::param::ParamKind;
use occam_core::rng::Rng;

/// Settings.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `factors` | 16 | length of the user and item vectors |
/// | `l2` | 0 | coupled L2 on every embedding row touched by a batch |
/// | `lr` | 0.01 | Adam step |
/// | `epochs` | 40 | at most |
/// | `batch_size` | 256 | ratings per step |
/// | `patience` | 5 | epochs without a better validation RMSE that stop training |
/// | `init` | 0.1 | standard deviation of the initial user and item vectors |
/// | `early_stopping` | true | stop after `patience` and restore the best epoch; false: run all epochs, keep the last |
/// | `mlp` | `[]` | hidden widths of the MLP on `[p_u, q_i]` (empty: none) |
/// | `dp` | none | DP-SGD over the ratings (no MLP): Poisson batches, each rating's gradient clipped, Gaussian noise on every table entry ([`Recommender::fit`]) |
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecConfig {
    pub factors: usize,
    pub l2: f64,
    pub lr: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub patience: usize,
    pub init: f64,
    pub seed: u64,
    pub early_stopping: bool,
    #[serde(default)]
    pub mlp: Vec<usize>,
    #[serde(default)]
    pub dp: Option<DpConfig>,
}

impl Default for RecConfig {
    fn default() -> Self {
        RecConfig {
            factors: 16,
            l2: 0.0,
            lr: 0.01,
            epochs: 40,
            batch_size: 256,
            patience: 5,
            init: 0.1,
            seed: 0,
            early_stopping: true,
            mlp: Vec::new(),
            dp: None,
        }
    }
}

/// One rating: (user row, item row, value).
pub type Rating = (usize, usize, f64);

#[derive(Clone, Debug)]
pub struct Recommender {
    pub mu: f64,
    pub user_bias: Embedding<f32>,
    pub item_bias: Embedding<f32>,
    pub users: Embedding<f32>,
    pub items: Embedding<f32>,
    opt: [LazyAdam<f32>; 4],
    /// The MLP on `[p_u, q_i]` and its optimizer.
    pub mlp: Option<(Net<f32>, Optimizer<f32>)>,
    /// DP-SGD's mechanism of the last `fit` (`RecConfig::dp`).
    pub dp_run: Option<DpRun>,
}

/// Per-epoch numbers.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RecEpoch {
    pub epoch: usize,
    pub train_rmse: f64,
    pub val_rmse: f64,
}

pub fn rmse(pred: &[f64], r: &[Rating]) -> f64 {
    (pred
        .iter()
        .zip(r)
        .map(|(p, t)| (p - t.2).powi(2))
        .sum::<f64>()
        / r.len().max(1) as f64)
        .sqrt()
}

pub fn mae(pred: &[f64], r: &[Rating]) -> f64 {
    pred.iter()
        .zip(r)
        .map(|(p, t)| (p - t.2).abs())
        .sum::<f64>()
        / r.len().max(1) as f64
}

impl Recommender {
    pub fn new(n_users: usize, n_items: usize, mu: f64, cfg: &RecConfig) -> Self {
        let mut rng = Rng::stream(cfg.seed, 0x5EC);
        let k = cfg.factors;
        let mut draw =
            |n: usize| -> Vec<f32> { (0..n).map(|_| (cfg.init * rng.normal()) as f32).collect() };
        let users = Embedding::new(n_users, k, draw(n_users * k));
        let items = Embedding::new(n_items, k, draw(n_items * k));
        let mlp = (!cfg.mlp.is_empty()).then(|| {
            let mut net = Net::new(&MlpSpec::new(2 * k, cfg.mlp.clone(), 1), cfg.seed);
            let opt = Optimizer::new(OptimizerKind::adam(), &net.params_mut());
            (net, opt)
        });
        Recommender {
            mlp,
            dp_run: None,
            mu,
            user_bias: Embedding::new(n_users, 1, vec![0.0; n_users]),
            item_bias: Embedding::new(n_items, 1, vec![0.0; n_items]),
            opt: [
                LazyAdam::new(n_users, 1),
                LazyAdam::new(n_items, 1),
                LazyAdam::new(n_users, k),
                LazyAdam::new(n_items, k),
            ],
            users,
            items,
        }
    }

    fn linear_part(&self, u: usize, i: usize) -> f64 {
        let k = self.users.dim;
        let dot: f32 = self.users.weight[u * k..(u + 1) * k]
            .iter()
            .zip(&self.items.weight[i * k..(i + 1) * k])
            .map(|(a, b)| a * b)
            .sum();
        self.mu + self.user_bias.weight[u] as f64 + self.item_bias.weight[i] as f64 + dot as f64
    }

    /// Predictions for (user, item) pairs.
    pub fn predict_pairs(&self, pairs: &[(usize, usize)]) -> Vec<f64> {
        let mut out: Vec<f64> = pairs.iter().map(|&(u, i)| self.linear_part(u, i)).collect();
        if let Some((net, _)) = &self.mlp {
            let mut net = net.clone();
            let k = self.users.dim;
            for (chunk, o) in pairs.chunks(4096).zip(out.chunks_mut(4096)) {
                let x = self.concat(chunk.iter().copied(), k);
                let y = net.forward_eval(Batch::Dense(&x));
                o.iter_mut().zip(&y.data).for_each(|(a, &b)| *a += b as f64);
            }
        }
        out
    }

    /// Rows `[p_u, q_i]` of the current tables.
    fn concat(&self, pairs: impl ExactSizeIterator<Item = (usize, usize)>, k: usize) -> Mat<f32> {
        let mut x = Mat::zeros(pairs.len(), 2 * k);
        for (n, (u, i)) in pairs.enumerate() {
            let r = x.row_mut(n);
            r[..k].copy_from_slice(&self.users.weight[u * k..(u + 1) * k]);
            r[k..].copy_from_slice(&self.items.weight[i * k..(i + 1) * k]);
        }
        x
    }

    pub fn predict(&self, u: usize, i: usize) -> f64 {
        self.predict_pairs(&[(u, i)])[0]
    }

    pub fn predict_all(&self, r: &[Rating]) -> Vec<f64> {
        let pairs: Vec<(usize, usize)> = r.iter().map(|&(u, i, _)| (u, i)).collect();
        self.predict_pairs(&pairs)
    }

    /// Looks the batch's users and items up in the four tables; returns their ids.
    fn lookup(&mut self, batch: &[Rating]) -> (Vec<usize>, Vec<usize>) {
        let us: Vec<usize> = batch.iter().map(|r| r.0).collect();
        let is: Vec<usize> = batch.iter().map(|r| r.1).collect();
        for (e, ids) in [
            (&mut self.user_bias, &us),
            (&mut self.item_bias, &is),
            (&mut self.users, &us),
            (&mut self.items, &is),
        ] {
            e.forward(ids);
        }
        (us, is)
    }

    /// Lazy Adam on the four tables' touched rows (every row after DP's noise).
    fn table_steps(&mut self, cfg: &RecConfig) {
        let [o0, o1, o2, o3] = &mut self.opt;
        o0.step(&mut self.user_bias, cfg.lr, cfg.l2);
        o1.step(&mut self.item_bias, cfg.lr, cfg.l2);
        o2.step(&mut self.users, cfg.lr, cfg.l2);
        o3.step(&mut self.items, cfg.lr, cfg.l2);
    }

    /// One Adam step on a batch; returns its MSE.
    fn step(&mut self, batch: &[Rating], cfg: &RecConfig) -> f64 {
        let (us, is) = self.lookup(batch);
        let (b, k) = (batch.len(), self.users.dim);
        // The MLP's share of each prediction, on the looked-up vectors.
        let mut x = Mat::<f32>::zeros(b, 2 * k);
        for n in 0..b {
            let r = x.row_mut(n);
            r[..k].copy_from_slice(self.users.out.row(n));
            r[k..].copy_from_slice(self.items.out.row(n));
        }
        let mlp_out: Vec<f32> = match &mut self.mlp {
            Some((net, _)) => net
                .forward_train(Batch::Dense(&x), &mut Rng::new(0))
                .data
                .clone(),
            None => vec![0.0; b],
        };
        let mut g = Mat::<f32>::zeros(b, 1);
        let mut loss = 0.0;
        for (n, r) in batch.iter().enumerate() {
            let dot: f32 = self
                .users
                .out
                .row(n)
                .iter()
                .zip(self.items.out.row(n))
                .map(|(a, c)| a * c)
                .sum();
            let pred = self.mu
                + (self.user_bias.out.data[n] + self.item_bias.out.data[n] + dot + mlp_out[n])
                    as f64;
            let e = pred - r.2;
            loss += e * e;
            g.data[n] = (2.0 * e / b as f64) as f32;
        }
        let mut gu = Mat::<f32>::zeros(b, k);
        let mut gi = Mat::<f32>::zeros(b, k);
        for n in 0..b {
            let s = g.data[n];
            for j in 0..k {
                gu.data[n * k + j] = s * self.items.out.data[n * k + j];
                gi.data[n * k + j] = s * self.users.out.data[n * k + j];
            }
        }
        if let Some((net, opt)) = &mut self.mlp {
            let gx = net.backward_to_input(Batch::Dense(&x), &g);
            for n in 0..b {
                let r = gx.row(n);
                for j in 0..k {
                    gu.data[n * k + j] += r[j];
                    gi.data[n * k + j] += r[k + j];
                }
            }
            let l2 = cfg.l2 as f32;
            let mut params = net.params_mut();
            for p in params.iter_mut().filter(|p| p.kind == ParamKind::Weight) {
                for (gr, &w) in p.grad.iter_mut().zip(&p.value) {
                    *gr += l2 * w;
                }
            }
            opt.step(&mut params, cfg.lr);
        }
        self.user_bias.backward(&us, &g);
        self.item_bias.backward(&is, &g);
        self.users.backward(&us, &gu);
        self.items.backward(&is, &gi);
        self.table_steps(cfg);
        loss / b as f64
    }

    /// Trains on `train`, monitoring `val`; keeps the best-validation epoch's tables.
    ///
    /// With `cfg.dp`, DP-SGD over the ratings (Abadi et al. 2016, as [`crate::dp`] for
    /// networks): each step a Poisson sample of the ratings at rate 1 / ceil(N / batch size),
    /// each rating's gradient (its user's and item's vectors and biases) clipped to the
    /// clipping norm, Gaussian noise of sd sigma C on every entry of every table (so each
    /// step updates every row), divided by the expected batch. The guarantee is for one
    /// rating added or removed; the global mean `mu` and the validation ratings used for
    /// early stopping are not covered (the caller's). The MLP head is refused.
    pub fn fit(
        &mut self,
        train: &[Rating],
        val: &[Rating],
        cfg: &RecConfig,
    ) -> Result<Vec<RecEpoch>> {
        let dp = match &cfg.dp {
            Some(d) => {
                d.validate()?;
                if self.mlp.is_some() {
                    return Err(NnError::config(
                        "hidden",
                        "DP-SGD for a recommender covers matrix factorization, not an MLP head",
                    ));
                }
                let run = DpRun::resolve(d, cfg.epochs, train.len(), cfg.batch_size)?;
                self.dp_run = Some(run);
                Some((*d, run))
            }
            None => None,
        };
        let mut hist = Vec::new();
        let mut best = (f64::INFINITY, self.clone(), 0usize);
        let mut bad = 0;
        for e in 0..cfg.epochs {
            let mut rng = Rng::stream(cfg.seed, 1 + e as u64);
            let mut batch = Vec::with_capacity(cfg.batch_size);
            if let Some((d, run)) = dp {
                let mut rows = Vec::new();
                for _ in 0..run.steps_per_epoch {
                    crate::dp::poisson_sample(train.len(), run.sample_rate, &mut rng, &mut rows);
                    batch.clear();
                    batch.extend(rows.iter().map(|&n| train[n]));
                    self.dp_step(&batch, cfg, &d, &run, &mut rng);
                }
            } else {
                let mut order: Vec<usize> = (0..train.len()).collect();
                rng.shuffle(&mut order);
                for chunk in order.chunks(cfg.batch_size.max(1)) {
                    batch.clear();
                    batch.extend(chunk.iter().map(|&n| train[n]));
                    self.step(&batch, cfg);
                }
            }
            let tr = rmse(&self.predict_all(train), train);
            let va = rmse(&self.predict_all(val), val);
            hist.push(RecEpoch {
                epoch: e + 1,
                train_rmse: tr,
                val_rmse: va,
            });
            if va < best.0 {
                best = (va, self.clone(), e + 1);
                bad = 0;
            } else {
                bad += 1;
                if cfg.early_stopping && bad >= cfg.patience {
                    break;
                }
            }
        }
        if cfg.early_stopping {
            // the best epoch's clone, taken after the mechanism was set: it carries `dp_run`
            *self = best.1;
        }
        Ok(hist)
    }

    /// What DP-SGD spent over `epochs` epochs (`None` without `RecConfig::dp`).
    pub fn privacy(&self, cfg: &RecConfig, epochs: usize) -> Option<PrivacySpent> {
        Some(self.dp_run?.spent(cfg.dp.as_ref()?, epochs))
    }

    /// One DP-SGD step on the Poisson sample `batch` (possibly empty: noise alone); returns
    /// its MSE.
    fn dp_step(
        &mut self,
        batch: &[Rating],
        cfg: &RecConfig,
        dp: &DpConfig,
        run: &DpRun,
        rng: &mut Rng,
    ) -> f64 {
        let (us, is) = self.lookup(batch);
        let (b, k) = (batch.len(), self.users.dim);
        // row n: the gradient of rating n's own squared error
        let mut g = Mat::<f32>::zeros(b, 1);
        let mut loss = 0.0;
        for (n, r) in batch.iter().enumerate() {
            let e = self.linear_part(r.0, r.1) - r.2;
            loss += e * e;
            g.data[n] = (2.0 * e) as f32;
        }
        let mut gu = Mat::<f32>::zeros(b, k);
        let mut gi = Mat::<f32>::zeros(b, k);
        for n in 0..b {
            for j in 0..k {
                gu.data[n * k + j] = g.data[n] * self.items.out.data[n * k + j];
                gi.data[n * k + j] = g.data[n] * self.users.out.data[n * k + j];
            }
        }
        let mut sq = vec![0.0; b];
        self.user_bias.add_sample_sq_norms(&g, &mut sq);
        self.item_bias.add_sample_sq_norms(&g, &mut sq);
        self.users.add_sample_sq_norms(&gu, &mut sq);
        self.items.add_sample_sq_norms(&gi, &mut sq);
        let c = dp.max_grad_norm;
        for (n, s2) in sq.iter().enumerate() {
            let f = (c / (s2.sqrt() + 1e-6)).min(1.0) as f32;
            g.data[n] *= f;
            gu.row_mut(n).iter_mut().for_each(|v| *v *= f);
            gi.row_mut(n).iter_mut().for_each(|v| *v *= f);
        }
        self.user_bias.backward(&us, &g);
        self.item_bias.backward(&is, &g);
        self.users.backward(&us, &gu);
        self.items.backward(&is, &gi);
        let (sd, expected) = (run.sigma * c, run.sample_rate * run.rows as f64);
        for e in [
            &mut self.user_bias,
            &mut self.item_bias,
            &mut self.users,
            &mut self.items,
        ] {
            e.densify_with_noise(sd, expected, rng);
        }
        self.table_steps(cfg);
        loss / b.max(1) as f64
    }

    /// The `k` highest predicted items of user `u` among those not in `seen`.
    pub fn top_k(&self, u: usize, seen: &[usize], k: usize) -> Vec<(usize, f64)> {
        let cand: Vec<(usize, usize)> = (0..self.items.rows)
            .filter(|i| !seen.contains(i))
            .map(|i| (u, i))
            .collect();
        let pred = self.predict_pairs(&cand);
        let mut s: Vec<(usize, f64)> = cand.iter().map(|c| c.1).zip(pred).collect();
        s.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        s.truncate(k);
        s
    }
}

/// Baseline predictions: the global mean, and user + item biases as plain means
/// (b_i = mean(r - mu) over the item's ratings, then b_u = mean(r - mu - b_i) over the
/// user's; 0 for ids without training ratings).
pub fn bias_baseline(
    train: &[Rating],
    n_users: usize,
    n_items: usize,
) -> (f64, Vec<f64>, Vec<f64>) {
    let mu = train.iter().map(|r| r.2).sum::<f64>() / train.len().max(1) as f64;
    let mut si = vec![(0.0, 0usize); n_items];
    for &(_, i, r) in train {
        si[i].0 += r - mu;
        si[i].1 += 1;
    }
    let bi: Vec<f64> = si
        .iter()
        .map(|&(s, n)| if n > 0 { s / n as f64 } else { 0.0 })
        .collect();
    let mut su = vec![(0.0, 0usize); n_users];
    for &(u, i, r) in train {
        su[u].0 += r - mu - bi[i];
        su[u].1 += 1;
    }
    let bu: Vec<f64> = su
        .iter()
        .map(|&(s, n)| if n > 0 { s / n as f64 } else { 0.0 })
        .collect();
    (mu, bu, bi)
}
