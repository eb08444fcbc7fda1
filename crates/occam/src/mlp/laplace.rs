//! The Laplace approximation of an [`MlpModel`] (occam-nn's [`occam_nn::laplace`]): fitted
//! on the training rows after training, at the prior precision (and noise sd) that maximize
//! the log marginal likelihood, over the last layer with its full generalized Gauss-Newton
//! (the default) or over every parameter with the GGN's diagonal
//! ([`occam_nn::laplace::diag`]) or its Kronecker factors ([`occam_nn::laplace::kron`]); its
//! covariance (variances, factors) saved in laplace.safetensors beside the weights. With it, a regression network predicts a standard
//! deviation per row (the linearized posterior's spread of the output plus the noise), and a
//! classifier's probabilities are moderated by the probit approximation.

use super::MlpModel;
use crate::error::{Error, Result};
use crate::predict::Predictions;
use crate::results::{IntervalCheck, ProbabilityCheck, Uncertainty};
use crate::run::RunFolder;
use occam_core::Task;
use occam_nn::laplace::diag::{predict_diag, DiagLaplace};
use occam_nn::laplace::kron::{KronFactor, KronLaplace, KronPosterior};
use occam_nn::laplace::{probit, LastLayerLaplace, Likelihood, Posterior};
use occam_nn::metrics::predictions;
use occam_nn::model::LaplaceMeta;
use occam_nn::tensors::{decode, encode, Named};
use occam_nn::{Data, Features, Mat, Net};

/// The file holding the posterior covariance.
pub const FILE: &str = "laplace.safetensors";
const TENSOR: &str = "last_layer.covariance";
const DIAG_TENSOR: &str = "all.posterior_variance";
/// [`occam_nn::model::LaplaceMeta::method`] of each structure.
const LAST_LAYER: &str = "last_layer_full_ggn";
const ALL_DIAG: &str = "all_diag_ggn";
const ALL_KRON: &str = "all_kron_ggn";
/// The four tensors of each dense layer's Kronecker factors, after `layers.{index}.`.
const KRON_PARTS: [&str; 4] = [
    "kron_a_values",
    "kron_a_vectors",
    "kron_b_values",
    "kron_b_vectors",
];

/// Which parameters the Laplace approximation covers, and with which curvature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LaplaceHessian {
    /// The last layer's weights and biases with the full GGN (laplace-torch's
    /// `subset_of_weights='last_layer'`, `hessian_structure='full'`).
    #[default]
    LastLayer,
    /// Every parameter with the GGN's diagonal (`subset_of_weights='all'`,
    /// `hessian_structure='diag'`): N C backward passes of one row to fit, C per predicted
    /// row.
    Diag,
    /// Every parameter with the GGN's Kronecker factors per dense layer
    /// (`hessian_structure='kron'`): C batched backward passes to fit and to predict;
    /// networks of dense layers only.
    Kron,
}

impl LaplaceHessian {
    /// From its option value: last-layer or diag.
    pub fn parse(v: &str) -> Result<LaplaceHessian> {
        match v {
            "last-layer" | "last_layer" => Ok(LaplaceHessian::LastLayer),
            "diag" => Ok(LaplaceHessian::Diag),
            "kron" => Ok(LaplaceHessian::Kron),
            _ => Err(Error::param_err(
                "laplace_hessian",
                format!("'{v}' is not last-layer, diag or kron"),
            )),
        }
    }
}

/// A fitted Laplace posterior: the last layer's covariance, or every parameter's variance.
#[derive(Clone, Debug)]
pub enum LaplacePosterior {
    /// The last layer's weights and biases, full covariance.
    LastLayer(Posterior),
    /// Every parameter, one variance each.
    Diag(DiagPosterior),
    /// Every parameter, Kronecker-factored precision per dense layer.
    Kron(KronPosterior),
}

/// The diagonal posterior over every parameter of a network.
#[derive(Clone, Debug)]
pub struct DiagPosterior {
    /// The likelihood of the network's outputs.
    pub likelihood: Likelihood,
    /// The prior precision shared by every parameter.
    pub prior_precision: f64,
    /// The observation noise sd in the network's units (1 for classes).
    pub sigma_noise: f64,
    /// One variance per parameter, in the network's order (as `Net::params` lists them).
    pub var: Vec<f64>,
}

impl LaplacePosterior {
    fn likelihood(&self) -> Likelihood {
        match self {
            LaplacePosterior::LastLayer(p) => p.likelihood,
            LaplacePosterior::Diag(p) => p.likelihood,
            LaplacePosterior::Kron(p) => p.likelihood,
        }
    }

    fn sigma_noise(&self) -> f64 {
        match self {
            LaplacePosterior::LastLayer(p) => p.sigma_noise,
            LaplacePosterior::Diag(p) => p.sigma_noise,
            LaplacePosterior::Kron(p) => p.sigma_noise,
        }
    }

    /// The outputs of `net` on `x` and their posterior variances (rows x C).
    fn predict(&self, net: &mut Net<f32>, x: &Features<f32>) -> Result<(Mat<f64>, Mat<f64>)> {
        Ok(match self {
            LaplacePosterior::LastLayer(p) => p.predict(net, x)?,
            LaplacePosterior::Diag(p) => {
                // the means from the batched forward pass, as without a posterior (the
                // per-row Jacobians' own forward passes round differently in f32)
                let (_, f_var) = predict_diag(net, x, &p.var)?;
                let out = occam_nn::data::outputs(net, x, &mut Default::default());
                let mut f_mu = Mat::zeros(out.rows, out.cols);
                for (m, o) in f_mu.data.iter_mut().zip(&out.data) {
                    *m = f64::from(*o);
                }
                (f_mu, f_var)
            }
            LaplacePosterior::Kron(p) => p.predict(net, x)?,
        })
    }
}

/// Refuses, before training, a prior chosen on validation rows that `m` will not have.
pub fn check_rows(m: &super::Mlp, has_validation: bool) -> Result<()> {
    if m.laplace && m.laplace_prior == super::LaplacePrior::Validation && !has_validation {
        return Err(Error::param_err(
            "laplace_prior",
            "validation needs validation rows (val_fraction > 0)",
        ));
    }
    if (m.laplace || m.l2_evidence.is_some())
        && m.laplace_hessian == LaplaceHessian::Kron
        && (m.batch_norm || m.layer_norm || !m.conv.is_empty())
    {
        return Err(Error::param_err(
            "laplace_hessian",
            "kron covers networks of dense layers (no convolutions, batch or layer norm); \
             use diag or last-layer",
        ));
    }
    if m.laplace && m.variational.is_some() {
        return Err(Error::param_err(
            "laplace",
            "variational dropout already gives the weights a posterior (predict with MC \
             samples); the Laplace approximation would ignore its variances",
        ));
    }
    Ok(())
}

/// The prior precisions the validation choice tries: 10^-4 to 10^4 in 41 steps.
fn grid() -> Vec<f64> {
    (0..=40)
        .map(|k| 10f64.powf(-4.0 + 0.2 * k as f64))
        .collect()
}

/// Fits the Laplace approximation of `net` (`hessian`: which parameters, which curvature)
/// on the training rows `train`: the prior precision (and noise sd) at the evidence optimum,
/// or with `by_validation` the prior precision of the grid 1e-4..1e4 with the smallest
/// validation NLL (the noise sd staying the evidence's).
pub fn fit(
    net: &mut Net<f32>,
    train: &Data<f32>,
    val: Option<&Data<f32>>,
    by_validation: bool,
    hessian: LaplaceHessian,
) -> Result<(LaplaceMeta, LaplacePosterior)> {
    if by_validation && val.is_none() {
        return Err(Error::param_err(
            "laplace_prior",
            "validation needs validation rows (val_fraction > 0)",
        ));
    }
    match hessian {
        LaplaceHessian::Diag => return fit_diag(net, train, val.filter(|_| by_validation)),
        LaplaceHessian::Kron => return fit_kron(net, train, val.filter(|_| by_validation)),
        LaplaceHessian::LastLayer => {}
    }
    let la = LastLayerLaplace::fit(net, train)?;
    let h = la.optimize(None);
    let (delta, validation_nll) = match val.filter(|_| by_validation) {
        None => (h.prior_precision, None),
        Some(v) => {
            let (d, nll) = la.validation_prior(net, v, h.sigma_noise, &grid())?;
            (d, Some(nll))
        }
    };
    let post = la.posterior(delta, h.sigma_noise)?;
    let s = la.likelihood.h_factor(h.sigma_noise);
    let meta = LaplaceMeta {
        method: LAST_LAYER.into(),
        likelihood: la.likelihood,
        prior_precision: delta,
        sigma_noise: h.sigma_noise,
        log_marglik: la.log_marginal_likelihood(delta, h.sigma_noise),
        effective_params: la.effective_params(delta, s),
        n_params: la.n_params(),
        n_data: la.n_data,
        validation_nll,
    };
    Ok((meta, LaplacePosterior::LastLayer(post)))
}

/// The meta of an all-parameter approximation whose evidence is `sp`'s (the diagonal, or the
/// Kronecker factors' spectrum): one shared prior precision at the evidence optimum or, with
/// `val`, `by_grid`'s choice on the validation rows (`sigma` the evidence's).
fn evidence_meta(
    method: &str,
    sp: &DiagLaplace,
    val: Option<&Data<f32>>,
    by_grid: impl FnOnce(&Data<f32>, f64, &[f64]) -> std::result::Result<(f64, f64), occam_nn::NnError>,
) -> Result<LaplaceMeta> {
    let h = sp.optimize(false);
    let sigma = h.sigma_noise;
    let (delta, validation_nll) = match val {
        None => (h.prior_precision[0], None),
        Some(v) => {
            let (d, nll) = by_grid(v, sigma, &grid())?;
            (d, Some(nll))
        }
    };
    Ok(LaplaceMeta {
        method: method.into(),
        likelihood: sp.likelihood,
        prior_precision: delta,
        sigma_noise: sigma,
        log_marglik: sp.log_marginal_likelihood(&[delta], sigma),
        effective_params: sp.effective_params(delta, sigma),
        n_params: sp.theta.len(),
        n_data: sp.n_data,
        validation_nll,
    })
}

/// [`fit`] over every parameter with the GGN's diagonal (one shared prior precision).
fn fit_diag(
    net: &mut Net<f32>,
    train: &Data<f32>,
    val: Option<&Data<f32>>,
) -> Result<(LaplaceMeta, LaplacePosterior)> {
    let la = DiagLaplace::fit(net, train)?;
    let meta = evidence_meta(ALL_DIAG, &la, val, |v, sigma, grid| {
        la.validation_prior(net, v, sigma, grid)
    })?;
    let (delta, sigma) = (meta.prior_precision, meta.sigma_noise);
    let var = la.posterior_variance(&[delta], sigma);
    if var.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(Error::param_err(
            "laplace",
            format!("prior precision {delta}: the diagonal posterior is not positive"),
        ));
    }
    let post = DiagPosterior {
        likelihood: la.likelihood,
        prior_precision: delta,
        sigma_noise: sigma,
        var,
    };
    Ok((meta, LaplacePosterior::Diag(post)))
}

/// [`fit`] over every parameter with the GGN's Kronecker factors (one shared prior
/// precision).
fn fit_kron(
    net: &mut Net<f32>,
    train: &Data<f32>,
    val: Option<&Data<f32>>,
) -> Result<(LaplaceMeta, LaplacePosterior)> {
    let la = KronLaplace::fit(net, train)?;
    let meta = evidence_meta(ALL_KRON, &la.spectrum, val, |v, sigma, grid| {
        la.validation_prior(net, v, sigma, grid)
    })?;
    let post = la.posterior(meta.prior_precision, meta.sigma_noise)?;
    Ok((meta, LaplacePosterior::Kron(post)))
}

/// Writes the covariance (or the variances, or the factors) of `post` into `run`.
pub fn save(run: &mut RunFolder, post: &LaplacePosterior) -> Result<()> {
    let t = match post {
        LaplacePosterior::LastLayer(post) => {
            let p = post.n_out * (post.n_feat + 1);
            Named {
                name: TENSOR.into(),
                shape: vec![p, p],
                data: post.cov.clone(),
            }
        }
        LaplacePosterior::Diag(post) => Named {
            name: DIAG_TENSOR.into(),
            shape: vec![post.var.len()],
            data: post.var.clone(),
        },
        LaplacePosterior::Kron(post) => {
            let mut all = Vec::new();
            for f in &post.factors {
                let parts = [
                    (&f.a_values, vec![f.n_in]),
                    (&f.a_vectors, vec![f.n_in, f.n_in]),
                    (&f.b_values, vec![f.n_out]),
                    (&f.b_vectors, vec![f.n_out, f.n_out]),
                ];
                for (part, (data, shape)) in KRON_PARTS.iter().zip(parts) {
                    all.push(Named {
                        name: format!("layers.{}.{part}", f.layer),
                        shape,
                        data: data.clone(),
                    });
                }
            }
            return run.write(FILE, &encode(&all)?);
        }
    };
    run.write(FILE, &encode(&[t])?)
}

/// Reads the Kronecker factors of every dense layer of `net` from `tensors` (`path` names
/// the file in errors).
fn load_kron(
    tensors: Vec<Named<f64>>,
    meta: &LaplaceMeta,
    net: &Net<f32>,
    path: &std::path::Path,
) -> Result<LaplacePosterior> {
    let bad = |m: String| Error::model(path, m);
    let mut by_name: std::collections::HashMap<String, Named<f64>> =
        tensors.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut factors = Vec::new();
    for (li, layer) in net.layers.iter().enumerate() {
        let occam_nn::Layer::Dense(d) = layer else {
            continue;
        };
        let mut take = |part: &str, shape: Vec<usize>| -> Result<Vec<f64>> {
            let name = format!("layers.{li}.{part}");
            let t = by_name
                .remove(&name)
                .ok_or_else(|| bad(format!("has no tensor '{name}'")))?;
            if t.shape != shape {
                return Err(bad(format!(
                    "'{name}' has shape {:?}, {shape:?} expected",
                    t.shape
                )));
            }
            Ok(t.data)
        };
        let f = KronFactor {
            layer: li,
            n_in: d.n_in,
            n_out: d.n_out,
            a_values: take(KRON_PARTS[0], vec![d.n_in])?,
            a_vectors: take(KRON_PARTS[1], vec![d.n_in, d.n_in])?,
            b_values: take(KRON_PARTS[2], vec![d.n_out])?,
            b_vectors: take(KRON_PARTS[3], vec![d.n_out, d.n_out])?,
        };
        if !f.fits(d.n_in, d.n_out) {
            return Err(bad(format!(
                "layer {li}'s Kronecker factors have values that are not finite \
                 (eigenvalues: not negative)"
            )));
        }
        factors.push(f);
    }
    Ok(LaplacePosterior::Kron(KronPosterior {
        likelihood: meta.likelihood,
        factors,
        prior_precision: meta.prior_precision,
        sigma_noise: meta.sigma_noise,
    }))
}

/// Reads the posterior that `meta` describes for `net` from `run`.
pub fn load(run: &RunFolder, meta: &LaplaceMeta, net: &Net<f32>) -> Result<LaplacePosterior> {
    let path = run.path(FILE);
    let bad = |m: String| Error::model(&path, m);
    let (name, shape, n_feat, n_out) = match meta.method.as_str() {
        LAST_LAYER => {
            let (n_feat, n_out) = match net.dense().last() {
                Some(d) => (d.n_in, d.n_out),
                None => return Err(bad("the network has no dense layer".into())),
            };
            let p = n_out * (n_feat + 1);
            (TENSOR, vec![p, p], n_feat, n_out)
        }
        // kron: the parameter count checked here, its tensors read by load_kron
        ALL_DIAG | ALL_KRON => (DIAG_TENSOR, vec![net.n_params()], 0, net.spec.n_out),
        m => {
            return Err(Error::model(
                run.path("model.json"),
                format!("its Laplace method '{m}' is not {LAST_LAYER}, {ALL_DIAG} or {ALL_KRON}"),
            ))
        }
    };
    let p = shape[0];
    if meta.n_params != p {
        return Err(bad(format!(
            "model.json's Laplace covers {} parameters, the network's {} has {p}",
            meta.n_params, meta.method
        )));
    }
    let tensors: Vec<Named<f64>> =
        decode(&run.read_listed(FILE)?).map_err(|e| bad(e.to_string()))?;
    if meta.method == ALL_KRON {
        return load_kron(tensors, meta, net, &path);
    }
    let t = tensors
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| bad(format!("has no tensor '{name}'")))?;
    let positive = meta.method == LAST_LAYER || t.data.iter().all(|v| *v > 0.0);
    if t.shape != shape || t.data.iter().any(|v| !v.is_finite()) || !positive {
        return Err(bad(format!(
            "'{name}' has shape {:?} or values that are not finite (variances: positive); \
             {shape:?} expected",
            t.shape
        )));
    }
    Ok(match meta.method.as_str() {
        LAST_LAYER => LaplacePosterior::LastLayer(Posterior {
            likelihood: meta.likelihood,
            n_out,
            n_feat,
            prior_precision: meta.prior_precision,
            sigma_noise: meta.sigma_noise,
            log_marglik: meta.log_marglik,
            cov: t.data,
        }),
        _ => LaplacePosterior::Diag(DiagPosterior {
            likelihood: meta.likelihood,
            prior_precision: meta.prior_precision,
            sigma_noise: meta.sigma_noise,
            var: t.data,
        }),
    })
}

impl MlpModel {
    /// The Laplace predictions of the engine rows `feats` under `post`: for regression the
    /// mean (the network's output) and, in `std`, sqrt(f_var + sigma^2) in the target's
    /// units; for classes the probit-moderated probabilities (no `std`).
    pub(crate) fn predict_laplace(
        &mut self,
        feats: &Features<f32>,
        post: &LaplacePosterior,
    ) -> Result<Predictions> {
        let (f_mu, f_var) = post.predict(&mut self.net, feats)?;
        Ok(self.laplace_predictions(post, &f_mu, &f_var))
    }

    /// [`MlpModel::predict_laplace`]'s predictions from the outputs `f_mu` and their
    /// posterior variances `f_var`.
    fn laplace_predictions(
        &self,
        post: &LaplacePosterior,
        f_mu: &Mat<f64>,
        f_var: &Mat<f64>,
    ) -> Predictions {
        let n = f_mu.rows;
        match post.likelihood() {
            Likelihood::Gaussian => {
                let (mu, sd) = self.meta.preprocess.y_scale.unwrap_or((0.0, 1.0));
                let s2 = post.sigma_noise() * post.sigma_noise();
                let rows = (0..n)
                    .map(|i| f_mu.row(i).iter().map(|v| v * sd + mu).collect())
                    .collect();
                let mut out = Predictions::new(&self.preprocess, rows);
                // the first output's spread (occam's regression networks have one)
                out.std = Some((0..n).map(|i| sd * (f_var.row(i)[0] + s2).sqrt()).collect());
                out
            }
            lik => {
                let p = probit(lik, f_mu, f_var);
                let rows = (0..n).map(|i| p.row(i).to_vec()).collect();
                Predictions::new(&self.preprocess, rows)
            }
        }
    }

    /// What the model's Laplace approximation found (None without one).
    pub fn laplace_meta(&self) -> Option<&LaplaceMeta> {
        self.meta.laplace.as_ref()
    }
}

/// The held-out check of `model`'s Laplace approximation on the engine rows `held` (named
/// `held_name`): interval coverage, log-likelihood and RMSE for regression; moderated against
/// plain probabilities for classes. None without a Laplace approximation or rows.
pub fn held_out_check(
    model: &mut MlpModel,
    held: &Data<f32>,
    held_name: &str,
) -> Result<Option<Uncertainty>> {
    let (Some(post), Some(lm)) = (model.laplace.take(), model.meta.laplace.clone()) else {
        return Ok(None);
    };
    let n = held.rows();
    if n == 0 {
        model.laplace = Some(post);
        return Ok(None);
    }
    // the outputs and their variances once: the moderated predictions and, for classes,
    // the plain ones
    let outputs = post.predict(&mut model.net, &held.x);
    let (f_mu, f_var) = match outputs {
        Ok(v) => v,
        Err(e) => {
            model.laplace = Some(post);
            return Err(e);
        }
    };
    let pred = model.laplace_predictions(&post, &f_mu, &f_var);
    model.laplace = Some(post);
    let y_scale = model.meta.preprocess.y_scale;
    let (mu, sd) = y_scale.unwrap_or((0.0, 1.0));
    let w = held.y_width();
    let prior = match lm.validation_nll {
        Some(_) => "prior precision from the validation rows, noise from the evidence",
        None => "prior precision and noise from the evidence",
    };
    let structure = match lm.method.as_str() {
        ALL_DIAG => "all parameters, diagonal GGN",
        ALL_KRON => "all parameters, Kronecker-factored GGN",
        _ => "last layer, full GGN",
    };
    let mut out = Uncertainty {
        method: format!("Laplace ({structure}; {prior})"),
        held_out: held_name.into(),
        rows: n,
        prior_precision: lm.prior_precision,
        noise_sd: (model.meta.task == Task::Regression).then_some(lm.sigma_noise * sd),
        log_marglik: lm.log_marglik,
        effective_params: lm.effective_params,
        n_params: lm.n_params,
        regression: None,
        classes: None,
    };
    match model.meta.task {
        Task::Regression => {
            let observed: Vec<f64> = (0..n).map(|i| held.y[i * w] as f64 * sd + mu).collect();
            let mean: Vec<f64> = pred.rows.iter().map(|r| r[0]).collect();
            let std = pred.std.unwrap_or_default();
            out.regression = Some(IntervalCheck::of(&mean, &std, &observed));
        }
        _ => {
            let plain = predictions(model.meta.task, &f_mu, y_scale);
            let plain: Vec<Vec<f64>> = (0..n).map(|i| plain.row(i).to_vec()).collect();
            let truth: Vec<usize> = (0..n).map(|i| held.y[i * w] as usize).collect();
            out.classes = Some(ProbabilityCheck::of(&pred.rows, &plain, &truth));
        }
    }
    Ok(Some(out))
}

/// How the last-layer Laplace approximation's prior precision is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LaplacePrior {
    /// At the maximum of the log marginal likelihood (no validation rows needed).
    #[default]
    Evidence,
    /// The value of 10^-4..10^4 with the smallest validation NLL (laplace-torch's
    /// gridsearch); needs validation rows.
    Validation,
}
