//! MC dropout (Gal & Ghahramani 2016) for [`MlpModel`]: seeded stochastic passes, and the
//! observation noise a regression network's validation residuals give.

use super::MlpModel;
use crate::error::{Error, Result};
use crate::predict::Predictions;
use occam_core::{Matrix, Task};
use occam_nn::metrics::predictions;
use occam_nn::{Data, Features, Mat, Net};

impl MlpModel {
    /// MC dropout predictions (Gal & Ghahramani 2016): `samples` stochastic passes with
    /// dropout, DropConnect and recurrent dropout on (seeded: pass s of the rows from r on
    /// draws from stream (seed, r, s)); per row the mean prediction (probabilities for
    /// classes, the value otherwise) and, in `std`, the predictive standard deviation: for
    /// regression the passes' spread and the observation noise (`meta.noise_sd`, the RMS of
    /// the validation residuals; without validation rows, the spread alone), for counts the
    /// passes' spread of the mean, for classes that of the predicted class's probability.
    pub fn predict_mc(&mut self, x: &Matrix, samples: usize, seed: u64) -> Result<Predictions> {
        if samples < 2 {
            return Err(Error::param_err(
                "mc_samples",
                format!("{samples}: at least 2 passes are needed for a spread"),
            ));
        }
        if !self.net.has_dropout() {
            return Err(Error::param_err(
                "mc_samples",
                "the network has no dropout, DropConnect, recurrent or variational dropout: \
                 MC dropout needs a model trained with one",
            ));
        }
        let feats = self.engine_features(x)?;
        let n = feats.rows();
        let k = self.meta.spec.n_out;
        let chunk = if self.meta.spec.conv.is_empty() {
            1024
        } else {
            128
        };
        let (task, y_scale) = (self.meta.task, self.meta.preprocess.y_scale);
        let (sum, sq) = mc_sums(&mut self.net, &feats, samples, seed, chunk, |out| {
            predictions(task, out, y_scale)
        });
        let t = samples as f64;
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..k).map(|c| sum[i * k + c] / t).collect())
            .collect();
        let mut out = Predictions::new(&self.preprocess, rows);
        let labels = out.labels();
        let noise = match task {
            Task::Regression => self.meta.noise_sd.unwrap_or(0.0),
            _ => 0.0,
        };
        let std = (0..n)
            .map(|i| {
                let c = match task {
                    Task::Multiclass => labels[i] as usize,
                    _ => 0,
                };
                let m = sum[i * k + c] / t;
                let var = (sq[i * k + c] - t * m * m).max(0.0) / (t - 1.0);
                (var + noise * noise).sqrt()
            })
            .collect();
        out.std = Some(std);
        Ok(out)
    }
}

/// The sums and the sums of squares, per row and output (`[row * k + output]`), of
/// `map(outputs)` over `samples` MC passes of `net` on `feats` in chunks of `chunk` rows
/// (seeded: pass s of the rows from r on draws from stream (seed, r, s)).
pub fn mc_sums(
    net: &mut Net<f32>,
    feats: &Features<f32>,
    samples: usize,
    seed: u64,
    chunk: usize,
    map: impl Fn(&Mat<f32>) -> Mat<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let n = feats.rows();
    let k = net.spec.n_out;
    let mut gather = occam_nn::Gather::default();
    let idx: Vec<usize> = (0..n).collect();
    let (mut sum, mut sq) = (vec![0.0; n * k], vec![0.0; n * k]);
    for start in (0..n).step_by(chunk.max(1)) {
        let end = (start + chunk).min(n);
        gather.fill_x(feats, &idx[start..end]);
        for s in 0..samples {
            let mut rng = occam_core::rng::Rng::stream(seed, (start as u64) << 24 | s as u64);
            let pr = map(net.forward_mc(gather.batch(), &mut rng));
            for r in 0..end - start {
                for c in 0..k {
                    let v = pr.row(r)[c];
                    sum[(start + r) * k + c] += v;
                    sq[(start + r) * k + c] += v * v;
                }
            }
        }
    }
    (sum, sq)
}

/// Regression: the RMS of `net`'s residuals on the validation rows `val`, in the target's
/// units (None for the other tasks or without rows).
pub fn validation_noise(net: &mut Net<f32>, val: &Data<f32>) -> Option<f64> {
    if val.task != Task::Regression || val.y.is_empty() {
        return None;
    }
    let out = occam_nn::data::outputs(net, &val.x, &mut Default::default());
    let sd = val.y_scale.map_or(1.0, |(_, s)| s);
    let mse = val
        .y
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let r = (out.data[i * out.cols] - y) as f64;
            r * r
        })
        .sum::<f64>()
        / val.y.len() as f64;
    Some(sd * mse.sqrt())
}
