//! What a trained network is reported with: its typed result ([`result`]: held-out losses and
//! metrics, exact zeros per layer, the input features it keeps and its strongest inputs) and
//! the comparison against the same network trained without any regularization over several
//! seeds ([`compare_baseline`]).

use crate::error::Result;
use crate::mlp::{train_network, unregularized};
use crate::results::{
    Comparison, LayerZeros, Metrics, NetworkResult, SeedScores, TopInputs, VariationalResult,
};
use occam_core::Dataset;
use occam_nn::{Data, MlpSpec, Outcome, TrainConfig, Trainer};
use std::collections::BTreeMap;

/// The data a network trains and is scored on, in the engine's form.
pub struct Parts<'a> {
    /// The training rows.
    pub train: &'a Data<f32>,
    /// The validation rows (early stopping, the validation metrics).
    pub val: Option<&'a Data<f32>>,
    /// The held-out test rows.
    pub test: Option<&'a Data<f32>>,
}

/// A trained network's metrics on the held-out rows `d`, with its loss beside them (the
/// held-out comparisons of the search, stability selection and the baseline).
pub fn held_out_metrics(trainer: &mut Trainer<f32>, d: &Data<f32>) -> Metrics {
    let (loss, m) = trainer.evaluate(d);
    m.into_iter().chain([("loss".to_string(), loss)]).collect()
}

/// The result of `trainer`'s network, trained on `data`'s columns as `spec` with `outcome`
/// in `seconds` on `threads` threads.
pub fn result(
    trainer: &mut Trainer<f32>,
    spec: &MlpSpec,
    data: &Dataset,
    parts: &Parts,
    outcome: &Outcome,
    seconds: f64,
    threads: usize,
) -> NetworkResult {
    let mut score = |d: Option<&Data<f32>>| match d {
        Some(d) => {
            let (loss, m) = trainer.evaluate(d);
            (Some(loss), Some(m.into_iter().collect::<Metrics>()))
        }
        None => (None, None),
    };
    let (val_loss, val_metrics) = score(parts.val);
    let (test_loss, test_metrics) = score(parts.test);
    let dense = trainer.net.dense();
    let first = dense[0];
    // Behind convolutions the first dense layer sees feature maps, not input columns.
    let columns = spec.conv.is_empty();
    let kept: Vec<String> = if columns {
        first
            .active_inputs()
            .into_iter()
            .map(|j| data.feature_names[j].clone())
            .collect()
    } else {
        Vec::new()
    };
    NetworkResult {
        val_loss,
        val_metrics,
        test_loss,
        test_metrics,
        top_inputs: (columns && spec.recurrent.is_none())
            .then(|| TopInputs::of(first, &data.feature_names, &data.classes)),
        zeros_per_layer: dense
            .iter()
            .enumerate()
            .map(|(i, d)| LayerZeros {
                layer: i,
                zeros: d.weight.zeros(),
                total: d.weight.len(),
            })
            .collect(),
        input_features_kept: kept,
        n_input_features: first.n_in,
        epochs_run: outcome.epochs_run,
        best_epoch: outcome.best_epoch,
        stopped_early: outcome.stopped_early,
        fit_seconds: seconds,
        penalty: trainer.reg.value(&trainer.net).penalty,
        n_params: trainer.net.n_params(),
        threads,
        comparison: None,
        evidence: trainer.evidence_log.clone(),
        privacy: trainer.privacy(),
        robustness: None,
        // the clients' rows again, as the training split them (a seeded shuffle)
        federated: trainer.cfg.federated.and_then(|f| {
            let rows = occam_nn::federated::client_parts(parts.train, &f, trainer.cfg.seed);
            Some(crate::results::FederatedSummary {
                settings: f,
                client_rows: rows.ok()?.iter().map(Vec::len).collect(),
            })
        }),
        uncertainty: None,
        variational: VariationalResult::of(
            &trainer.net,
            columns.then_some(&data.feature_names[..]),
            parts.train.rows(),
        ),
    }
}

/// Trains the network of (`spec`, `cfg`) and the same network without regularization
/// ([`unregularized`]) once per seed, and scores both on `held` (named `held_name`: "test"
/// or "validation"); the loss comes first among each run's metrics.
pub fn compare_baseline(
    spec: &MlpSpec,
    cfg: &TrainConfig,
    parts: &Parts,
    held: (&Data<f32>, &str),
    seeds: &[u64],
) -> Result<Comparison> {
    let (bspec, bcfg) = unregularized(spec, cfg);
    let mut runs: [Vec<Vec<(String, f64)>>; 2] = [vec![], vec![]];
    for &seed in seeds {
        for (k, (s, c)) in [(spec, cfg), (&bspec, &bcfg)].into_iter().enumerate() {
            let mut c = c.clone();
            c.seed = seed;
            let mut t = train_network(s, &c, parts.train, parts.val, None, &mut ())?;
            let (loss, mut m) = t.trainer.evaluate(held.0);
            m.insert(0, ("loss".into(), loss));
            runs[k].push(m);
        }
    }
    let per = |ms: &[Vec<(String, f64)>]| -> BTreeMap<String, SeedScores> {
        ms[0]
            .iter()
            .enumerate()
            .map(|(i, (k, _))| {
                let vals: Vec<f64> = ms.iter().map(|m| m[i].1).collect();
                let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                let scores = SeedScores {
                    mean,
                    per_seed: vals,
                };
                (k.clone(), scores)
            })
            .collect()
    };
    Ok(Comparison {
        held_out: held.1.into(),
        repeats: seeds.len(),
        seeds: seeds.to_vec(),
        regularized: per(&runs[0]),
        baseline: per(&runs[1]),
    })
}

/// Writes a trained network's run files into `run`: the model (model.json,
/// model.safetensors, preprocess.json), `metrics` as metrics.csv (one row per epoch, as
/// [`crate::results::epochs_csv`] writes it; left out when empty) and `result` as
/// summary.json (when there is one) — what `occam predict` and `occam report` read.
pub fn save_run(
    run: &mut crate::RunFolder,
    model: &crate::mlp::MlpModel,
    metrics: &str,
    result: Option<&NetworkResult>,
) -> Result<()> {
    model.save(run)?;
    if !metrics.is_empty() {
        run.write("metrics.csv", metrics.as_bytes())?;
    }
    match result {
        Some(r) => run.write_json("summary.json", r),
        None => Ok(()),
    }
}

/// A network run set up from a data set: the split, the training-split scaling, the engine's
/// rows of each part, the architecture and the training settings.
pub struct Prepared {
    /// The whole data set.
    pub data: Dataset,
    /// The training rows.
    pub train: Data<f32>,
    /// The validation rows.
    pub val: Option<Data<f32>>,
    /// The test rows.
    pub test: Option<Data<f32>>,
    /// The scaling computed on the training rows.
    pub pre: occam_nn::model::Preprocess,
    /// The architecture.
    pub spec: MlpSpec,
    /// The training settings.
    pub cfg: TrainConfig,
    /// Warm start: the parameters training begins at (`Mlp::init`).
    pub init: Option<Vec<Vec<f32>>>,
    /// Rows in (train, validation, test).
    pub rows: (usize, usize, usize),
    /// The rows of `data` held out for test (empty when a separate test set was given).
    pub test_rows: Vec<usize>,
    /// Fit the Laplace approximation after training.
    pub laplace: bool,
    /// Its parameters and curvature.
    pub laplace_hessian: crate::mlp::LaplaceHessian,
    /// How its prior precision is chosen.
    pub laplace_prior: crate::mlp::LaplacePrior,
    /// The robustness check after training.
    pub robust_eval: Option<crate::robust::RobustEval>,
}

impl Prepared {
    /// Splits `d` by `m.val_fraction` and `test_fraction` (stratified for classes, seeded by
    /// `m.seed`), or scores on `test_set` instead of a test split when given.
    pub fn new(
        m: &crate::mlp::Mlp,
        d: Dataset,
        test_fraction: f64,
        test_set: Option<&Dataset>,
    ) -> Result<Prepared> {
        use crate::mlp::{engine_data, n_outputs, scaling};
        use crate::Error;
        if test_set.is_some() && test_fraction > 0.0 {
            return Err(Error::param_err(
                "test_fraction",
                "a separate test set replaces the test split; give one of them",
            ));
        }
        let classes = d.task.is_classification().then_some(&d.y[..]);
        let s = occam_core::split::train_val_test(
            d.nrows(),
            classes,
            m.val_fraction,
            test_fraction,
            m.seed,
        )?;
        let train_ds = d.subset(&s.train);
        let pre = scaling(&train_ds, m.standardize);
        let part = |rows: &[usize]| (!rows.is_empty()).then(|| engine_data(&d.subset(rows), &pre));
        let (test, n_test) = match test_set {
            Some(t) => (Some(engine_data(t, &pre)), t.nrows()),
            None => (part(&s.test), s.test.len()),
        };
        let spec = m.spec(d.nfeatures(), n_outputs(&d))?;
        let mut cfg = m.train_config(d.task)?;
        if cfg.patience.is_some() && s.validation.is_empty() {
            return Err(Error::param_err(
                "patience",
                "needs validation rows (val_fraction > 0)",
            ));
        }
        cfg.batch_size = cfg.batch_size.min(s.train.len());
        crate::mlp::laplace::check_rows(m, !s.validation.is_empty())?;
        if m.robust_eval.is_some() && test.is_none() && s.validation.is_empty() {
            return Err(Error::param_err(
                "robust_eval",
                "needs held-out rows to attack (a test or validation part)",
            ));
        }
        Ok(Prepared {
            test_rows: if test_set.is_some() {
                Vec::new()
            } else {
                s.test.clone()
            },
            train: engine_data(&train_ds, &pre),
            val: part(&s.validation),
            test,
            rows: (s.train.len(), s.validation.len(), n_test),
            laplace: m.laplace,
            laplace_hessian: m.laplace_hessian,
            laplace_prior: m.laplace_prior,
            robust_eval: m.robust_eval.clone(),
            data: d,
            pre,
            spec,
            cfg,
            init: m.init.clone(),
        })
    }

    /// The parts as [`result`] and [`compare_baseline`] take them.
    pub fn parts(&self) -> Parts<'_> {
        Parts {
            train: &self.train,
            val: self.val.as_ref(),
            test: self.test.as_ref(),
        }
    }

    /// Trains the network once on these parts, telling `cb` about every step and epoch (an
    /// `Err` from it stops training), and returns the fitted model, with its training
    /// history, and its [`result`] (computed on `threads` threads, as recorded).
    pub fn train(
        &self,
        threads: usize,
        cb: &mut dyn crate::mlp::Callback,
    ) -> Result<(crate::mlp::MlpModel, NetworkResult)> {
        let start = match &self.init {
            Some(w) => Some(crate::mlp::warm::start(&self.spec, &self.cfg, w)?),
            None => None,
        };
        let t = train_network(
            &self.spec,
            &self.cfg,
            &self.train,
            self.val.as_ref(),
            start,
            cb,
        )?;
        let mut trainer = t.trainer;
        let res = result(
            &mut trainer,
            &self.spec,
            &self.data,
            &self.parts(),
            &t.outcome,
            t.seconds,
            threads,
        );
        let mut model = self.model(trainer.net)?;
        model.meta.privacy = res.privacy.clone();
        model.history = trainer.history;
        model.outcome = Some(t.outcome);
        let mut res = res;
        res.uncertainty = self.uncertainty(&mut model)?;
        res.robustness = self.robustness(&mut model.net)?;
        Ok((model, res))
    }

    /// The robustness check (`robust_eval`) of a trained network on the test rows (else the
    /// validation rows); None without one. Refused without held-out rows.
    pub fn robustness(
        &self,
        net: &mut occam_nn::Net<f32>,
    ) -> Result<Option<crate::robust::Robustness>> {
        let Some(r) = &self.robust_eval else {
            return Ok(None);
        };
        let (rows, split) = match (&self.test, &self.val) {
            (Some(t), _) => (t, "test"),
            (None, Some(v)) => (v, "validation"),
            _ => {
                return Err(crate::Error::param_err(
                    "robust_eval",
                    "needs held-out rows (a test or validation part)",
                ))
            }
        };
        let adv = self.cfg.adversarial.as_ref();
        Ok(Some(r.run(
            net,
            self.cfg.loss,
            &self.train,
            rows,
            split,
            adv,
        )?))
    }

    /// The held-out check of `model`'s Laplace approximation on the test rows (else the
    /// validation rows); None without one or without held-out rows.
    pub fn uncertainty(
        &self,
        model: &mut crate::mlp::MlpModel,
    ) -> Result<Option<crate::results::Uncertainty>> {
        match (&self.test, &self.val) {
            (Some(t), _) => crate::mlp::laplace::held_out_check(model, t, "test"),
            (None, Some(v)) => crate::mlp::laplace::held_out_check(model, v, "validation"),
            _ => Ok(None),
        }
    }

    /// The fitted model of a trained network on these parts.
    pub fn model(&self, mut net: occam_nn::Net<f32>) -> Result<crate::mlp::MlpModel> {
        let noise_sd = self
            .val
            .as_ref()
            .and_then(|v| crate::mlp::validation_noise(&mut net, v));
        let (laplace, posterior) = match self.laplace {
            true => {
                let by_val = self.laplace_prior == crate::mlp::LaplacePrior::Validation;
                let val = self.val.as_ref();
                let h = self.laplace_hessian;
                let (m, p) = crate::mlp::laplace::fit(&mut net, &self.train, val, by_val, h)?;
                (Some(m), Some(p))
            }
            false => (None, None),
        };
        let meta = occam_nn::model::ModelMeta {
            format: occam_nn::model::FORMAT.into(),
            spec: self.spec.clone(),
            task: self.data.task,
            loss: self.cfg.loss,
            feature_names: self.data.feature_names.clone(),
            target_name: self.data.target_name.clone(),
            classes: self.data.classes.clone(),
            preprocess: self.pre.clone(),
            training: serde_json::to_value(&self.cfg)
                .map_err(|e| crate::Error::param_err("training", e.to_string()))?,
            noise_sd,
            laplace,
            privacy: None,
        };
        let mut model = crate::mlp::MlpModel::new(meta, net, &self.data);
        model.laplace = posterior;
        Ok(model)
    }

    /// test_predictions.csv: `model`'s predictions of the held-out test rows, each with its
    /// row number in the data set (empty without test rows).
    pub fn test_predictions_csv(&self, model: &mut crate::mlp::MlpModel) -> Result<String> {
        if self.test_rows.is_empty() {
            return Ok(String::new());
        }
        let pred = model.predict(&self.data.subset(&self.test_rows).x)?;
        let mut csv = String::new();
        for (k, line) in pred.to_csv().lines().enumerate() {
            let row = match k {
                0 => "row".to_string(),
                _ => self.test_rows[k - 1].to_string(),
            };
            csv.push_str(&format!("{row},{line}\n"));
        }
        Ok(csv)
    }
}
