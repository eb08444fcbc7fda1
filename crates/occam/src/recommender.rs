//! The recommender estimator: [`Recommender`] (matrix factorisation with biases, optionally an
//! MLP on the concatenated vectors, L2 on the embeddings chosen on validation ratings) ->
//! `fit` on a ratings table -> [`RecommenderModel`] (the user and item ids it knows, the
//! tables) -> predict / top-k / save / load.

use crate::error::{Error, Result};
use crate::preprocess::{cut, HandleUnknown};
use crate::results::{
    L2Try, OverfitGap, RatingBaselines, RatingCounts, RatingErrors, RatingScores, RecommenderResult,
};
use crate::run::{RunFolder, RunKind};
use occam_core::split;
use occam_core::table::{abbreviate, Cell, Column, RawTable};
use occam_core::DataError;
pub use occam_nn::recommender::Rating;
use occam_nn::recommender::{rmse, RecConfig, RecEpoch, Recommender as Engine};
use occam_nn::tensors::{decode, encode, load_net_tensors, net_tensors, Named};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The format string of `recommender.json`.
pub const RECOMMENDER_FORMAT: &str = "occam-recommender-1";

/// Matrix factorisation with biases on (user, item, rating) rows.
///
/// | field | default | range | meaning |
/// |---|---|---|---|
/// | `user`, `item` | (required) | | the id columns |
/// | `target` | last column | | the rating column |
/// | `factors` | 16 | >= 1 | length of the user and item vectors |
/// | `hidden` | none | each >= 1 | an MLP on `[p_u, q_i]` (NeuMF with shared vectors) |
/// | `l2` | None | >= 0 | L2 on the embeddings; None: the best of `l2_grid` on validation |
/// | `l2_grid` | 1e-4, 1e-3, 1e-2, 3e-2, 1e-1 | >= 0 | the candidates |
/// | `lr` | 0.01 | > 0 | Adam step |
/// | `epochs` | 40 | >= 1 | at most |
/// | `batch_size` | 256 | >= 1 | ratings per step |
/// | `patience` | 5 | >= 1 | early stopping on validation RMSE (best epoch kept) |
/// | `early_stopping` | true | | false: all epochs, last tables |
/// | `val_fraction`, `test_fraction` | 0.1, 0.1 | [0, 1) | the seeded random split |
/// | `seed` | 0 | | initial vectors, shuffles, the split |
#[derive(Clone, Debug, PartialEq)]
pub struct Recommender {
    /// The user id column.
    pub user: String,
    /// The item id column.
    pub item: String,
    /// The rating column; `None`: the last column.
    pub target: Option<String>,
    /// Length of the user and item vectors.
    pub factors: usize,
    /// Hidden widths of the MLP on the concatenated vectors (empty: none).
    pub hidden: Vec<usize>,
    /// L2 on the embeddings; `None` chooses from `l2_grid`.
    pub l2: Option<f64>,
    /// The candidate strengths.
    pub l2_grid: Vec<f64>,
    /// Adam step.
    pub lr: f64,
    /// Epochs at most.
    pub epochs: usize,
    /// Ratings per step.
    pub batch_size: usize,
    /// Epochs without a better validation RMSE before stopping.
    pub patience: usize,
    /// Stop early and keep the best epoch.
    pub early_stopping: bool,
    /// Share of ratings for validation.
    pub val_fraction: f64,
    /// Share of ratings held out for testing.
    pub test_fraction: f64,
    /// The seed of every random draw.
    pub seed: u64,
}

impl Recommender {
    /// A recommender on the columns `user` and `item`, with the defaults.
    pub fn new(user: &str, item: &str) -> Recommender {
        let d = RecConfig::default();
        Recommender {
            user: user.into(),
            item: item.into(),
            target: None,
            factors: d.factors,
            hidden: Vec::new(),
            l2: None,
            l2_grid: vec![1e-4, 1e-3, 1e-2, 3e-2, 1e-1],
            lr: d.lr,
            epochs: d.epochs,
            batch_size: d.batch_size,
            patience: d.patience,
            early_stopping: d.early_stopping,
            val_fraction: 0.1,
            test_fraction: 0.1,
            seed: 0,
        }
    }

    /// The engine's settings at strength `l2`, validated.
    pub fn config(&self, l2: f64) -> Result<RecConfig> {
        let at_least_1 = [
            ("factors", self.factors),
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
            ("patience", self.patience),
        ];
        for (name, v) in at_least_1 {
            if v == 0 {
                return Err(Error::param_err(name, "must be at least 1"));
            }
        }
        if self.hidden.contains(&0) {
            return Err(Error::param_err("hidden", "every width must be at least 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::param_err("lr", format!("{} is not > 0", self.lr)));
        }
        if !(l2.is_finite() && l2 >= 0.0) {
            return Err(Error::param_err("l2", format!("{l2} is not >= 0")));
        }
        Ok(RecConfig {
            factors: self.factors,
            l2,
            lr: self.lr,
            epochs: self.epochs,
            batch_size: self.batch_size,
            patience: self.patience,
            seed: self.seed,
            early_stopping: self.early_stopping,
            mlp: self.hidden.clone(),
            ..RecConfig::default()
        })
    }

    /// Reads the ratings of a table: the id columns by name, every rating a finite number.
    pub fn ratings(&self, t: &RawTable) -> Result<RatingTable> {
        let ui = t.column_index(&self.user, "user")?;
        let ii = t.column_index(&self.item, "item")?;
        let target = match &self.target {
            Some(n) => n.clone(),
            None => t.headers.last().cloned().unwrap_or_default(),
        };
        let ti = t.column_index(&target, "target")?;
        if ti == ui || ti == ii {
            return Err(Error::param_err(
                "target",
                format!("'{target}' is an id column; name the rating column"),
            ));
        }
        let (users, urow) = ids(&t.columns[ui]);
        let (items, irow) = ids(&t.columns[ii]);
        let mut ratings = Vec::with_capacity(t.nrows());
        for n in 0..t.nrows() {
            match t.columns[ti].cell(n) {
                Cell::Number(v) => ratings.push((urow[n], irow[n], v)),
                _ => {
                    return Err(DataError::NotNumeric {
                        path: t.path.clone(),
                        line: t.lines[n],
                        column: ti + 1,
                        name: target.clone(),
                        text: cut(&t.columns[ti].text(n)),
                        hint: String::new(),
                    }
                    .into())
                }
            }
        }
        Ok(RatingTable {
            users,
            items,
            target,
            ratings,
        })
    }

    /// Splits the ratings (seeded), fits one model per candidate L2 with early stopping on
    /// the validation ratings, and keeps the best.
    pub fn fit(&self, t: &RawTable) -> Result<RecommenderFit> {
        for (name, f) in [
            ("val_fraction", self.val_fraction),
            ("test_fraction", self.test_fraction),
        ] {
            if !(0.0..1.0).contains(&f) {
                return Err(Error::param_err(name, format!("{f} is not in [0, 1)")));
            }
        }
        let grid = match self.l2 {
            Some(l) => vec![l],
            None if self.l2_grid.is_empty() => {
                return Err(Error::param_err("l2_grid", "is empty"));
            }
            None => self.l2_grid.clone(),
        };
        for &l2 in &grid {
            self.config(l2)?;
        }
        let table = self.ratings(t)?;
        let s = split::train_val_test(
            table.ratings.len(),
            None,
            self.val_fraction,
            self.test_fraction,
            self.seed,
        )?;
        let pick =
            |rows: &[usize]| -> Vec<Rating> { rows.iter().map(|&n| table.ratings[n]).collect() };
        let (train, val, test) = (pick(&s.train), pick(&s.validation), pick(&s.test));
        if train.is_empty() || val.is_empty() {
            return Err(Error::param_err(
                "data",
                format!(
                    "{} ratings leave {} for training and {} for validation; both need some",
                    table.ratings.len(),
                    train.len(),
                    val.len()
                ),
            ));
        }
        let mut tried = Vec::new();
        let mut best: Option<(f64, RecommenderModel)> = None;
        for &l2 in &grid {
            let m = self.fit_split(&table, &train, &val, l2)?;
            let v = rmse(&m.engine.predict_all(&val), &val);
            tried.push((l2, v));
            if best.as_ref().is_none_or(|b| v < b.0) {
                best = Some((v, m));
            }
        }
        let (_, model) = best.expect("a grid point");
        Ok(RecommenderFit {
            model,
            grid: tried,
            train,
            val,
            test,
            table,
        })
    }

    /// One model at strength `l2` on given training and validation ratings.
    pub fn fit_split(
        &self,
        table: &RatingTable,
        train: &[Rating],
        val: &[Rating],
        l2: f64,
    ) -> Result<RecommenderModel> {
        let cfg = self.config(l2)?;
        let mu = train.iter().map(|r| r.2).sum::<f64>() / train.len().max(1) as f64;
        let mut engine = Engine::new(table.users.len(), table.items.len(), mu, &cfg);
        let history = engine.fit(train, val, &cfg)?;
        Ok(RecommenderModel {
            users: table.users.clone(),
            items: table.items.clone(),
            user_column: self.user.clone(),
            item_column: self.item.clone(),
            target: table.target.clone(),
            config: cfg,
            engine,
            history,
        })
    }
}

/// Sorted distinct ids of a column, and each row's index into them.
fn ids(col: &Column) -> (Vec<String>, Vec<usize>) {
    let all: Vec<String> = col.texts().map(|s| s.trim().to_string()).collect();
    let mut names = all.clone();
    names.sort();
    names.dedup();
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let rows = all.iter().map(|s| index[s.as_str()]).collect();
    (names, rows)
}

/// The ratings of a table with their user and item ids.
#[derive(Clone, Debug)]
pub struct RatingTable {
    /// Distinct user ids, sorted.
    pub users: Vec<String>,
    /// Distinct item ids, sorted.
    pub items: Vec<String>,
    /// The rating column.
    pub target: String,
    /// (user index, item index, rating) per row.
    pub ratings: Vec<Rating>,
}

/// What `Recommender::fit` returns: the chosen model and how it was chosen.
pub struct RecommenderFit {
    /// The model with the best validation RMSE.
    pub model: RecommenderModel,
    /// (l2, validation RMSE) per candidate.
    pub grid: Vec<(f64, f64)>,
    /// The training ratings.
    pub train: Vec<Rating>,
    /// The validation ratings.
    pub val: Vec<Rating>,
    /// The held-out ratings.
    pub test: Vec<Rating>,
    /// Every rating of the table with the user and item ids (as `Recommender::ratings`).
    pub table: RatingTable,
}

/// A recommender's comparison: the chosen factorisation, the same one without L2 or early
/// stopping (to show overfitting), and the global-mean and user + item bias baselines.
pub struct RecommenderReport {
    /// The result (summary.json).
    pub result: RecommenderResult,
    /// epochs.csv: train and validation RMSE per epoch of both factorisations.
    pub epochs_csv: String,
    /// recommendations.csv: the top 10 unseen items of every user by the chosen model.
    pub recommendations_csv: String,
}

impl RecommenderFit {
    /// Trains the factorisation of `est` without L2 or early stopping on the same split and
    /// scores it, the chosen model and both baselines.
    pub fn report(&self, est: &Recommender) -> Result<RecommenderReport> {
        use occam_nn::recommender::{bias_baseline, mae};
        use std::fmt::Write as _;
        let (train, val, test, table) = (&self.train, &self.val, &self.test, &self.table);
        let (n_users, n_items) = (table.users.len(), table.items.len());
        let (mu, bu, bi) = bias_baseline(train, n_users, n_items);
        let bias =
            |r: &[Rating]| -> Vec<f64> { r.iter().map(|&(u, i, _)| mu + bu[u] + bi[i]).collect() };
        let mean = |r: &[Rating]| -> Vec<f64> { vec![mu; r.len()] };
        let errors = |pred: &[f64], r: &[Rating]| RatingErrors {
            rmse: rmse(pred, r),
            mae: mae(pred, r),
        };
        let baseline = |f: &dyn Fn(&[Rating]) -> Vec<f64>| RatingScores {
            train_rmse: None,
            val_rmse: rmse(&f(val), val),
            test: errors(&f(test), test),
            epochs_run: None,
            l2: None,
        };
        // Without any regularization: no L2 and no early stopping (all epochs, last weights).
        let free = Recommender {
            early_stopping: false,
            ..est.clone()
        }
        .fit_split(table, train, val, 0.0)?;
        let row = |m: &RecommenderModel, l2: Option<f64>| -> RatingScores {
            let e = &m.engine;
            RatingScores {
                train_rmse: Some(rmse(&e.predict_all(train), train)),
                val_rmse: rmse(&e.predict_all(val), val),
                test: errors(&e.predict_all(test), test),
                epochs_run: Some(m.history.len()),
                l2,
            }
        };
        let regularized = row(&self.model, Some(self.model.config.l2));
        let unregularized = row(&free, None);
        let gap = |r: &RatingScores| r.val_rmse - r.train_rmse.unwrap_or(0.0);
        let result = RecommenderResult {
            model: "recommender".into(),
            users: n_users,
            items: n_items,
            ratings: RatingCounts {
                train: train.len(),
                validation: val.len(),
                test: test.len(),
            },
            config: est.config(0.0)?,
            baselines: RatingBaselines {
                global_mean: baseline(&mean),
                user_item_bias: baseline(&bias),
            },
            l2_grid: self
                .grid
                .iter()
                .map(|&(l2, v)| L2Try { l2, val_rmse: v })
                .collect(),
            overfit_gap: OverfitGap {
                regularized: gap(&regularized),
                unregularized: gap(&unregularized),
            },
            regularized,
            unregularized,
        };
        let mut epochs_csv = String::from("model,epoch,train_rmse,val_rmse\n");
        let curves: [(&str, &[RecEpoch]); 2] = [
            ("regularized", &self.model.history),
            ("unregularized", &free.history),
        ];
        for (name, h) in curves {
            for e in h {
                let _ = writeln!(
                    epochs_csv,
                    "{name},{},{},{}",
                    e.epoch, e.train_rmse, e.val_rmse
                );
            }
        }
        let mut seen: Vec<Vec<usize>> = vec![Vec::new(); n_users];
        for &(u, i, _) in train {
            seen[u].push(i);
        }
        let mut recommendations_csv = String::from("user,rank,item,predicted\n");
        for (u, name) in table.users.iter().enumerate() {
            for (r, (item, p)) in self
                .model
                .top_k(name, &seen[u], 10)?
                .into_iter()
                .enumerate()
            {
                let _ = writeln!(recommendations_csv, "{name},{},{item},{p:.4}", r + 1);
            }
        }
        Ok(RecommenderReport {
            result,
            epochs_csv,
            recommendations_csv,
        })
    }
}

/// `recommender.json`: everything but the tables.
#[derive(Serialize, Deserialize)]
struct RecMeta {
    format: String,
    users: Vec<String>,
    items: Vec<String>,
    user_column: String,
    item_column: String,
    target: String,
    mu: f64,
    config: RecConfig,
}

/// A fitted recommender.
#[derive(Clone, Debug)]
pub struct RecommenderModel {
    /// User ids, in table order.
    pub users: Vec<String>,
    /// Item ids, in table order.
    pub items: Vec<String>,
    /// The user id column.
    pub user_column: String,
    /// The item id column.
    pub item_column: String,
    /// The rating column.
    pub target: String,
    /// The engine's settings it was trained with.
    pub config: RecConfig,
    /// The tables (and the MLP).
    pub engine: Engine,
    /// Train and validation RMSE per epoch (empty for a loaded model).
    pub history: Vec<RecEpoch>,
}

impl RecommenderModel {
    /// The position of `id` among the sorted training `ids`: its own text, or, for a number,
    /// the id that reads as the same number (a column of numbers gives its cells in Rust's
    /// shortest form, so `007` in a file whose id column is text finds the id `7` learned
    /// from a file where it was all numbers, and the other way round).
    fn index(ids: &[String], id: &str) -> Option<usize> {
        ids.binary_search_by(|a| a.as_str().cmp(id))
            .ok()
            .or_else(|| {
                let x = id.parse::<f64>().ok().filter(|x| x.is_finite())?;
                ids.iter().position(|a| a.parse::<f64>().ok() == Some(x))
            })
    }

    /// Predicted ratings for (user id, item id) pairs. An unknown id is an error, or with
    /// `HandleUnknown::Zeros` contributes nothing (no bias, no vector): the global mean plus
    /// what is known.
    pub fn predict(&self, pairs: &[(&str, &str)], unknown: HandleUnknown) -> Result<Vec<f64>> {
        let mut known = Vec::with_capacity(pairs.len());
        let mut out = vec![self.engine.mu; pairs.len()];
        for (n, (u, i)) in pairs.iter().enumerate() {
            let (ui, ii) = (Self::index(&self.users, u), Self::index(&self.items, i));
            match (ui, ii) {
                (Some(a), Some(b)) => known.push((n, a, b)),
                _ if unknown == HandleUnknown::Zeros => {
                    if let Some(a) = ui {
                        out[n] += self.engine.user_bias.weight[a] as f64;
                    }
                    if let Some(b) = ii {
                        out[n] += self.engine.item_bias.weight[b] as f64;
                    }
                }
                _ => {
                    let (col, id, ids) = if ui.is_none() {
                        (&self.user_column, u, &self.users)
                    } else {
                        (&self.item_column, i, &self.items)
                    };
                    return Err(Error::param_err(
                        "data",
                        format!(
                            "row {}: {col} '{}' was not seen in training ({} known, e.g. {}); \
                             predict with handle_unknown = zeros for the global mean plus \
                             what is known",
                            n + 1,
                            cut(id),
                            ids.len(),
                            abbreviate(ids, 3)
                        ),
                    ));
                }
            }
        }
        let idx: Vec<(usize, usize)> = known.iter().map(|&(_, a, b)| (a, b)).collect();
        for ((n, _, _), p) in known.iter().zip(self.engine.predict_pairs(&idx)) {
            out[*n] = p;
        }
        Ok(out)
    }

    /// Root mean squared error on ratings coded by this model's ids (as `RecommenderFit`'s).
    pub fn rmse(&self, ratings: &[Rating]) -> f64 {
        rmse(&self.engine.predict_all(ratings), ratings)
    }

    /// Predicted ratings for the rows of a table with the user and item columns.
    pub fn predict_table(&self, t: &RawTable, unknown: HandleUnknown) -> Result<Vec<f64>> {
        let ui = t.column_index(&self.user_column, "user")?;
        let ii = t.column_index(&self.item_column, "item")?;
        let texts: Vec<(Cow<str>, Cow<str>)> = (0..t.nrows())
            .map(|n| (t.columns[ui].text(n), t.columns[ii].text(n)))
            .collect();
        let pairs: Vec<(&str, &str)> = texts.iter().map(|(u, i)| (u.trim(), i.trim())).collect();
        self.predict(&pairs, unknown).map_err(|e| match e {
            Error::Param { detail, .. } => {
                Error::param_err("data", format!("{}: {detail}", t.path.display()))
            }
            other => other,
        })
    }

    /// The `k` items with the highest predicted rating for `user`, leaving out `seen`.
    pub fn top_k(&self, user: &str, seen: &[usize], k: usize) -> Result<Vec<(String, f64)>> {
        let u = Self::index(&self.users, user).ok_or_else(|| {
            Error::param_err("user", format!("'{}' was not seen in training", cut(user)))
        })?;
        Ok(self
            .engine
            .top_k(u, seen, k)
            .into_iter()
            .map(|(i, p)| (self.items[i].clone(), p))
            .collect())
    }

    /// Saves `recommender.json` and `recommender.safetensors` (the tables, the MLP).
    pub fn save(&self, run: &mut RunFolder) -> Result<()> {
        let e = &self.engine;
        let mut t = vec![
            table("user_bias", e.users.rows, 1, &e.user_bias.weight),
            table("item_bias", e.items.rows, 1, &e.item_bias.weight),
            table("users", e.users.rows, e.users.dim, &e.users.weight),
            table("items", e.items.rows, e.items.dim, &e.items.weight),
        ];
        if let Some((net, _)) = &e.mlp {
            t.extend(net_tensors(net).into_iter().map(|mut n| {
                n.name = format!("mlp.{}", n.name);
                n
            }));
        }
        run.write("recommender.safetensors", &encode(&t)?)?;
        run.write_json(
            "recommender.json",
            &RecMeta {
                format: RECOMMENDER_FORMAT.into(),
                users: self.users.clone(),
                items: self.items.clone(),
                user_column: self.user_column.clone(),
                item_column: self.item_column.clone(),
                target: self.target.clone(),
                mu: e.mu,
                config: self.config.clone(),
            },
        )
    }

    /// Loads a model saved by [`RecommenderModel::save`], verifying files and shapes.
    pub fn load(run: &RunFolder) -> Result<RecommenderModel> {
        if run.kind() != RunKind::Recommender {
            return Err(Error::model(
                run.dir(),
                format!("holds a {} run, not a recommender", run.kind().name()),
            ));
        }
        let jp = run.path("recommender.json");
        let meta: RecMeta = run.read_json("recommender.json")?;
        if meta.format != RECOMMENDER_FORMAT {
            return Err(Error::model(
                &jp,
                format!("format '{}' is not {RECOMMENDER_FORMAT}", meta.format),
            ));
        }
        let sorted = |v: &[String]| v.windows(2).all(|w| w[0] < w[1]);
        if !sorted(&meta.users) || !sorted(&meta.items) || !meta.mu.is_finite() {
            return Err(Error::model(
                &jp,
                "the ids are not sorted and distinct, or mu is not finite",
            ));
        }
        let tp = run.path("recommender.safetensors");
        let tensors: Vec<Named<f32>> = decode(&run.read_listed("recommender.safetensors")?)?;
        let cfg = meta.config.clone();
        if cfg.factors == 0 || cfg.mlp.contains(&0) {
            return Err(Error::model(&jp, "the architecture has a zero width"));
        }
        let mut engine = Engine::new(meta.users.len(), meta.items.len(), meta.mu, &cfg);
        let (nu, ni, k) = (meta.users.len(), meta.items.len(), cfg.factors);
        for (name, rows, dim) in [
            ("user_bias", nu, 1),
            ("item_bias", ni, 1),
            ("users", nu, k),
            ("items", ni, k),
        ] {
            let t = tensors
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| Error::model(&tp, format!("tensor '{name}' is missing")))?;
            if t.shape != [rows, dim] || t.data.iter().any(|v| !v.is_finite()) {
                return Err(Error::model(
                    &tp,
                    format!("tensor '{name}' is not a finite {rows} x {dim} table"),
                ));
            }
            let dst = match name {
                "user_bias" => &mut engine.user_bias.weight,
                "item_bias" => &mut engine.item_bias.weight,
                "users" => &mut engine.users.weight,
                _ => &mut engine.items.weight,
            };
            dst.copy_from_slice(&t.data);
        }
        if let Some((net, _)) = &mut engine.mlp {
            let mlp: Vec<Named<f32>> = tensors
                .iter()
                .filter_map(|t| {
                    t.name.strip_prefix("mlp.").map(|n| Named {
                        name: n.to_string(),
                        ..t.clone()
                    })
                })
                .collect();
            if mlp.iter().any(|t| t.data.iter().any(|v| !v.is_finite())) {
                return Err(Error::model(&tp, "the MLP holds a non-finite weight"));
            }
            load_net_tensors(net, &mlp).map_err(|e| Error::model(&tp, e.to_string()))?;
        }
        Ok(RecommenderModel {
            users: meta.users,
            items: meta.items,
            user_column: meta.user_column,
            item_column: meta.item_column,
            target: meta.target,
            config: meta.config,
            engine,
            history: Vec::new(),
        })
    }
}

fn table(name: &str, rows: usize, dim: usize, w: &[f32]) -> Named<f32> {
    Named {
        name: name.into(),
        shape: vec![rows, dim],
        data: w.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_matches_its_own_text_or_the_same_number() {
        let ids: Vec<String> = ["12", "7", "a"].map(String::from).to_vec();
        assert_eq!(RecommenderModel::index(&ids, "7"), Some(1));
        assert_eq!(RecommenderModel::index(&ids, "007"), Some(1));
        assert_eq!(RecommenderModel::index(&ids, "12.0"), Some(0));
        assert_eq!(RecommenderModel::index(&ids, "a"), Some(2));
        assert_eq!(RecommenderModel::index(&ids, "8"), None);
        assert_eq!(RecommenderModel::index(&ids, "b"), None);
    }
}
